/*
 * test_signer.c - JWS algorithms, JWKs and thumbprints against the
 * examples of RFC 7515 and RFC 7638.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "err.h"
#include "signer.h"
#include "testkeys.h"

static struct signer *
signer_of(EVP_PKEY *key)
{
	struct err e = { "" };
	struct signer *s;

	assert_non_null(key);
	if ((s = signer_new(key, &e)) == NULL)
		fail_msg("signer_new: %s", e.msg);
	return s;
}

static EVP_PKEY *
ec_generate(const char *group)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);

	assert_non_null(key);
	return key;
}

/* The member names of a JSON object, sorted and comma-joined. */
static void
assert_members(const json_t *obj, const char *want)
{
	const char *names[16], *k;
	char got[256] = "";
	size_t n = 0;
	json_t *v;

	assert_true(json_is_object(obj));
	json_object_foreach((json_t *)obj, k, v) {
		assert_true(n < 16);
		assert_true(json_is_string(v));
		names[n++] = k;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				const char *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(got, ",");
		strcat(got, names[i]);
	}
	assert_string_equal(got, want);
}

static void
signer_thumbprint__matches_rfc7638_section_3_1(void **state)
{
	EVP_PKEY *key = testkeys_rfc7638_rsa_public();
	struct signer *s = signer_of(key);

	(void)state;
	assert_string_equal(signer_thumbprint(s), RFC7638_THUMBPRINT);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_jwk__has_e_kty_n_for_rsa(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a2_rsa();
	struct signer *s = signer_of(key);
	json_t *jwk = signer_jwk(s);

	(void)state;
	/* RFC 7518 section 6.3.1; no private member may leak. */
	assert_members(jwk, "e,kty,n");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")),
	    "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "n")),
	    RFC7515_A2_N);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")),
	    RFC7515_A2_E);
	json_decref(jwk);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_jwk__has_crv_kty_x_y_for_ec(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a3_ec();
	struct signer *s = signer_of(key);
	json_t *jwk = signer_jwk(s);

	(void)state;
	/* RFC 7518 section 6.2.1; no "d". */
	assert_members(jwk, "crv,kty,x,y");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")),
	    "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")),
	    "P-256");
	assert_string_equal(json_string_value(json_object_get(jwk, "x")),
	    RFC7515_A3_X);
	assert_string_equal(json_string_value(json_object_get(jwk, "y")),
	    RFC7515_A3_Y);
	json_decref(jwk);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_jwk__is_p384_for_ec384(void **state)
{
	EVP_PKEY *key = ec_generate("P-384");
	struct signer *s = signer_of(key);
	json_t *jwk = signer_jwk(s);
	unsigned char *x, *y;
	size_t xlen, ylen;

	(void)state;
	assert_members(jwk, "crv,kty,x,y");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")),
	    "P-384");
	x = b64url_decode(json_string_value(json_object_get(jwk, "x")), &xlen);
	y = b64url_decode(json_string_value(json_object_get(jwk, "y")), &ylen);
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(xlen, 48);
	assert_int_equal(ylen, 48);
	free(x);
	free(y);
	json_decref(jwk);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_jwk__pads_ec_coordinates_to_the_field_size(void **state)
{
	int tries;

	(void)state;
	/*
	 * RFC 7518 section 6.2.1.2: x and y MUST be the full 32 octets for
	 * P-256, even when the leading octet is zero (1 key in 128 or so).
	 */
	for (tries = 0; tries < 20000; tries++) {
		EVP_PKEY *key = ec_generate("P-256");
		BIGNUM *bx = NULL, *by = NULL;
		bool short_coord;

		assert_int_equal(EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_EC_PUB_X, &bx), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_EC_PUB_Y, &by), 1);
		short_coord = BN_num_bytes(bx) < 32 || BN_num_bytes(by) < 32;
		BN_free(bx);
		BN_free(by);
		if (short_coord) {
			struct signer *s = signer_of(key);
			json_t *jwk = signer_jwk(s);
			unsigned char *x, *y;
			size_t xlen, ylen;

			x = b64url_decode(json_string_value(json_object_get(jwk,
			    "x")), &xlen);
			y = b64url_decode(json_string_value(json_object_get(jwk,
			    "y")), &ylen);
			assert_non_null(x);
			assert_non_null(y);
			assert_int_equal(xlen, 32);
			assert_int_equal(ylen, 32);
			free(x);
			free(y);
			json_decref(jwk);
			signer_free(s);
			EVP_PKEY_free(key);
			return;
		}
		EVP_PKEY_free(key);
	}
	skip();
}

static void
signer_thumbprint__hashes_the_canonical_jwk(void **state)
{
	EVP_PKEY *rsa = testkeys_rfc7515_a2_rsa();
	EVP_PKEY *ec = testkeys_rfc7515_a3_ec();
	struct signer *srsa = signer_of(rsa), *sec = signer_of(ec);
	char *want;

	(void)state;
	/* RFC 7638 section 3.2: required members, lexicographic order. */
	want = testkeys_sha256_b64url("{\"e\":\"" RFC7515_A2_E
	    "\",\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\"}");
	assert_string_equal(signer_thumbprint(srsa), want);
	free(want);
	want = testkeys_sha256_b64url("{\"crv\":\"P-256\",\"kty\":\"EC\","
	    "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}");
	assert_string_equal(signer_thumbprint(sec), want);
	free(want);
	signer_free(srsa);
	signer_free(sec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void
signer_sign__rs256_matches_rfc7515_a2(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a2_rsa();
	struct signer *s = signer_of(key);
	static const char input[] = RFC7515_A2_SIGNING_INPUT;
	unsigned char *sig = NULL, *want;
	size_t siglen = 0, wantlen;
	struct err e = { "" };

	(void)state;
	assert_string_equal(signer_alg(s), "RS256");
	if (signer_sign(s, input, strlen(input), &sig, &siglen, &e) != 0)
		fail_msg("signer_sign: %s", e.msg);
	want = b64url_decode(RFC7515_A2_SIGNATURE, &wantlen);
	assert_non_null(want);
	assert_int_equal(wantlen, 256);
	/* RSASSA-PKCS1-v1_5 is deterministic: byte for byte the RFC's. */
	assert_int_equal(siglen, wantlen);
	assert_memory_equal(sig, want, wantlen);
	free(want);
	free(sig);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
testkeys_verify__accepts_the_rfc7515_a3_es256_signature(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a3_ec();

	(void)state;
	/* Checks the test's own r||s verifier against the RFC. */
	assert_true(testkeys_verify_b64url(key, "ES256",
	    RFC7515_A3_SIGNING_INPUT, RFC7515_A3_SIGNATURE));
	/* ... and that it is not a verifier that says yes to everything. */
	assert_false(testkeys_verify_b64url(key, "ES256",
	    RFC7515_A2_SIGNING_INPUT, RFC7515_A3_SIGNATURE));
	EVP_PKEY_free(key);
}

static void
signer_sign__es256_is_r_s_of_64_bytes_and_verifies(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a3_ec();
	struct signer *s = signer_of(key);
	static const char input[] = RFC7515_A3_SIGNING_INPUT;
	struct err e = { "" };

	(void)state;
	assert_string_equal(signer_alg(s), "ES256");
	/*
	 * Many times: r or s shorter than 32 bytes (about 1 in 128) must
	 * still be left-padded to 32 (RFC 7518 section 3.4).
	 */
	for (int i = 0; i < 600; i++) {
		unsigned char *sig = NULL;
		size_t siglen = 0;

		if (signer_sign(s, input, strlen(input), &sig, &siglen, &e) != 0)
			fail_msg("signer_sign: %s", e.msg);
		assert_int_equal(siglen, 64);
		if (!testkeys_verify(key, "ES256", input, strlen(input), sig,
		    siglen))
			fail_msg("ES256 signature %d does not verify", i);
		free(sig);
	}
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_sign__es384_is_r_s_of_96_bytes_and_verifies(void **state)
{
	EVP_PKEY *key = ec_generate("P-384");
	struct signer *s = signer_of(key);
	static const char input[] = "eyJhbGciOiJFUzM4NCJ9.e30";
	struct err e = { "" };

	(void)state;
	assert_string_equal(signer_alg(s), "ES384");
	for (int i = 0; i < 300; i++) {
		unsigned char *sig = NULL;
		size_t siglen = 0;

		if (signer_sign(s, input, strlen(input), &sig, &siglen, &e) != 0)
			fail_msg("signer_sign: %s", e.msg);
		assert_int_equal(siglen, 96);
		if (!testkeys_verify(key, "ES384", input, strlen(input), sig,
		    siglen))
			fail_msg("ES384 signature %d does not verify", i);
		free(sig);
	}
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_sign__signs_empty_input(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a3_ec();
	struct signer *s = signer_of(key);
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct err e = { "" };

	(void)state;
	assert_int_equal(signer_sign(s, "", 0, &sig, &siglen, &e), 0);
	assert_int_equal(siglen, 64);
	assert_true(testkeys_verify(key, "ES256", "", 0, sig, siglen));
	free(sig);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
signer_alg__names_the_jws_algorithm(void **state)
{
	EVP_PKEY *rsa = testkeys_rfc7515_a2_rsa();
	EVP_PKEY *p256 = ec_generate("P-256");
	EVP_PKEY *p384 = ec_generate("P-384");
	struct signer *s;

	(void)state;
	s = signer_of(rsa);
	assert_string_equal(signer_alg(s), "RS256");
	signer_free(s);
	s = signer_of(p256);
	assert_string_equal(signer_alg(s), "ES256");
	signer_free(s);
	s = signer_of(p384);
	assert_string_equal(signer_alg(s), "ES384");
	signer_free(s);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
}

static void
signer_new__keeps_its_own_reference(void **state)
{
	EVP_PKEY *key = testkeys_rfc7515_a3_ec();
	struct signer *s = signer_of(key);
	static const char input[] = "abc";
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct err e = { "" };
	EVP_PKEY *pub = testkeys_rfc7515_a3_ec();

	(void)state;
	/* The caller's reference can go away first. */
	EVP_PKEY_free(key);
	assert_int_equal(signer_sign(s, input, 3, &sig, &siglen, &e), 0);
	assert_true(testkeys_verify(pub, "ES256", input, 3, sig, siglen));
	free(sig);
	signer_free(s);
	EVP_PKEY_free(pub);
}

static void
signer_new__refuses_keys_without_an_acme_algorithm(void **state)
{
	EVP_PKEY *p521 = ec_generate("P-521");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct err e = { "" };
	struct signer *s;

	(void)state;
	assert_non_null(ed);
	s = signer_new(p521, &e);
	assert_null(s);
	assert_true(strlen(e.msg) > 0);
	e.msg[0] = '\0';
	s = signer_new(ed, &e);
	assert_null(s);
	assert_true(strlen(e.msg) > 0);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed);
}

static void
signer_new__refuses_rsa_shorter_than_2048_bits(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct err e = { "" };

	(void)state;
	assert_non_null(rsa);
	assert_null(signer_new(rsa, &e));
	assert_true(strlen(e.msg) > 0);
	EVP_PKEY_free(rsa);
}

static void
signer_sign__fails_cleanly_without_a_private_key(void **state)
{
	EVP_PKEY *pub = testkeys_rfc7638_rsa_public();
	struct signer *s = signer_of(pub);
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct err e = { "" };

	(void)state;
	assert_int_equal(signer_sign(s, "abc", 3, &sig, &siglen, &e), -1);
	assert_true(strlen(e.msg) > 0);
	signer_free(s);
	EVP_PKEY_free(pub);
}

static void
signer_free__accepts_null(void **state)
{
	(void)state;
	signer_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signer_thumbprint__matches_rfc7638_section_3_1),
		cmocka_unit_test(signer_jwk__has_e_kty_n_for_rsa),
		cmocka_unit_test(signer_jwk__has_crv_kty_x_y_for_ec),
		cmocka_unit_test(signer_jwk__is_p384_for_ec384),
		cmocka_unit_test(signer_jwk__pads_ec_coordinates_to_the_field_size),
		cmocka_unit_test(signer_thumbprint__hashes_the_canonical_jwk),
		cmocka_unit_test(signer_sign__rs256_matches_rfc7515_a2),
		cmocka_unit_test(testkeys_verify__accepts_the_rfc7515_a3_es256_signature),
		cmocka_unit_test(signer_sign__es256_is_r_s_of_64_bytes_and_verifies),
		cmocka_unit_test(signer_sign__es384_is_r_s_of_96_bytes_and_verifies),
		cmocka_unit_test(signer_sign__signs_empty_input),
		cmocka_unit_test(signer_alg__names_the_jws_algorithm),
		cmocka_unit_test(signer_new__keeps_its_own_reference),
		cmocka_unit_test(signer_new__refuses_keys_without_an_acme_algorithm),
		cmocka_unit_test(signer_new__refuses_rsa_shorter_than_2048_bits),
		cmocka_unit_test(signer_sign__fails_cleanly_without_a_private_key),
		cmocka_unit_test(signer_free__accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
