/*
 * test_jws.c - flattened JWS objects as ACME sends them (RFC 8555 section
 * 6.2) and the external account binding (section 7.3.4).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "b64url.h"
#include "err.h"
#include "jws.h"
#include "signer.h"
#include "testkeys.h"
#include "testutil.h"

#define URL	"https://ca.example/acme/new-order"
#define KID	"https://ca.example/acme/acct/evOfKhNU60wg"
#define NONCE	"6S8IqOGY7eL2lsGoTZYifg"

/* RFC 7515 Appendix A.1.1: the HMAC key of the HS256 example. */
#define RFC7515_A1_KEY \
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0i" \
	"PS4hcgUuTwjAzZr1Z9CAow"
/* RFC 7515 Appendix A.1.1: its JWS Signing Input and JWS Signature. */
#define RFC7515_A1_SIGNING_INPUT \
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" \
	"." \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt" \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define RFC7515_A1_SIGNATURE "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

struct keys {
	EVP_PKEY	*ec;
	EVP_PKEY	*rsa;
	struct signer	*ec_signer;
	struct signer	*rsa_signer;
};

static int
setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	struct err e = { "" };

	if (k == NULL)
		return -1;
	k->ec = testkeys_rfc7515_a3_ec();
	k->rsa = testkeys_rfc7515_a2_rsa();
	k->ec_signer = signer_new(k->ec, &e);
	k->rsa_signer = signer_new(k->rsa, &e);
	if (k->ec_signer == NULL || k->rsa_signer == NULL) {
		fprintf(stderr, "signer_new: %s\n", e.msg);
		return -1;
	}
	*state = k;
	return 0;
}

static int
teardown(void **state)
{
	struct keys *k = *state;

	signer_free(k->ec_signer);
	signer_free(k->rsa_signer);
	EVP_PKEY_free(k->ec);
	EVP_PKEY_free(k->rsa);
	free(k);
	return 0;
}

static json_t *
decode_protected(const json_t *jws)
{
	return decode_b64url_json(string_member(jws, "protected"));
}

static void
assert_exactly(const json_t *obj, const char *const *names, size_t n)
{
	assert_true(json_is_object(obj));
	for (size_t i = 0; i < n; i++)
		if (json_object_get(obj, names[i]) == NULL)
			fail_msg("member \"%s\" missing", names[i]);
	assert_int_equal(json_object_size(obj), n);
}

static json_t *
sign(const struct signer *s, const char *kid, const char *nonce,
    const json_t *payload)
{
	struct err e = { "" };
	json_t *jws = jws_new(s, URL, kid, nonce, payload, &e);

	if (jws == NULL)
		fail_msg("jws_new: %s", e.msg);
	return jws;
}

static void
jws_new__has_protected_payload_and_signature_only(void **state)
{
	static const char *const names[] = { "protected", "payload",
	    "signature" };
	struct keys *k = *state;
	json_t *payload = json_pack("{s:s}", "status", "deactivated");
	json_t *jws = sign(k->ec_signer, KID, NONCE, payload);

	assert_exactly(jws, names, 3);
	assert_true(b64url_is_valid(string_member(jws, "protected")));
	assert_true(b64url_is_valid(string_member(jws, "payload")));
	assert_true(b64url_is_valid(string_member(jws, "signature")));
	json_decref(jws);
	json_decref(payload);
}

static void
jws_new__header_has_alg_nonce_url_and_kid(void **state)
{
	static const char *const names[] = { "alg", "kid", "nonce", "url" };
	struct keys *k = *state;
	json_t *payload = json_object();
	json_t *jws = sign(k->ec_signer, KID, NONCE, payload);
	json_t *hdr = decode_protected(jws);

	assert_exactly(hdr, names, 4);
	assert_string_equal(string_member(hdr, "alg"), "ES256");
	assert_string_equal(string_member(hdr, "kid"), KID);
	assert_string_equal(string_member(hdr, "nonce"), NONCE);
	assert_string_equal(string_member(hdr, "url"), URL);
	assert_null(json_object_get(hdr, "jwk"));
	json_decref(hdr);
	json_decref(jws);
	json_decref(payload);
}

static void
jws_new__header_embeds_the_jwk_when_there_is_no_kid(void **state)
{
	static const char *const names[] = { "alg", "jwk", "nonce", "url" };
	struct keys *k = *state;
	json_t *payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	json_t *jws = sign(k->rsa_signer, NULL, NONCE, payload);
	json_t *hdr = decode_protected(jws);
	json_t *jwk = signer_jwk(k->rsa_signer);

	assert_exactly(hdr, names, 4);
	assert_string_equal(string_member(hdr, "alg"), "RS256");
	assert_null(json_object_get(hdr, "kid"));
	assert_true(json_equal(json_object_get(hdr, "jwk"), jwk));
	json_decref(jwk);
	json_decref(hdr);
	json_decref(jws);
	json_decref(payload);
}

static void
jws_new__post_as_get_has_an_empty_payload(void **state)
{
	struct keys *k = *state;
	json_t *jws = sign(k->ec_signer, KID, NONCE, NULL);
	char *input;

	/* RFC 8555 section 6.3: the payload is the empty string. */
	assert_string_equal(string_member(jws, "payload"), "");
	input = signing_input_of(jws);
	assert_true(testkeys_verify_b64url(k->ec, "ES256", input,
	    string_member(jws, "signature")));
	free(input);
	json_decref(jws);
}

static void
jws_new__has_no_nonce_member_when_nonce_is_null(void **state)
{
	static const char *const names[] = { "alg", "jwk", "url" };
	struct keys *k = *state;
	json_t *payload = json_object();
	json_t *jws = sign(k->ec_signer, NULL, NULL, payload);
	json_t *hdr = decode_protected(jws);

	assert_null(json_object_get(hdr, "nonce"));
	assert_exactly(hdr, names, 3);
	json_decref(hdr);
	json_decref(jws);
	json_decref(payload);
}

static void
jws_new__payload_is_the_json_given(void **state)
{
	struct keys *k = *state;
	json_t *payload = json_pack("{s:[{s:s,s:s},{s:s,s:s}]}",
	    "identifiers", "type", "dns", "value", "a.example.com",
	    "type", "dns", "value", "b.example.com");
	json_t *jws = sign(k->ec_signer, KID, NONCE, payload);
	json_t *back = decode_b64url_json(string_member(jws, "payload"));

	assert_true(json_equal(back, payload));
	json_decref(back);
	json_decref(jws);
	json_decref(payload);
}

static void
jws_new__escapes_strings_in_the_header(void **state)
{
	struct keys *k = *state;
	static const char url[] = "https://ca.example/a\"b\\c\n}";
	static const char kid[] = "https://ca.example/acct/\",\"alg\":\"none";
	struct err e = { "" };
	json_t *jws, *hdr;

	jws = jws_new(k->ec_signer, url, kid, "n\"once", NULL, &e);
	assert_non_null(jws);
	hdr = decode_protected(jws);
	assert_string_equal(string_member(hdr, "url"), url);
	assert_string_equal(string_member(hdr, "kid"), kid);
	assert_string_equal(string_member(hdr, "nonce"), "n\"once");
	assert_string_equal(string_member(hdr, "alg"), "ES256");
	json_decref(hdr);
	json_decref(jws);
}

static void
jws_new__es256_signature_verifies_over_protected_dot_payload(void **state)
{
	struct keys *k = *state;
	json_t *payload = json_pack("{s:s}", "csr", "MIIBAA");
	json_t *jws = sign(k->ec_signer, KID, NONCE, payload);
	char *input = signing_input_of(jws);
	unsigned char *sig;
	size_t siglen;

	sig = b64url_decode(string_member(jws, "signature"), &siglen);
	assert_non_null(sig);
	assert_int_equal(siglen, 64);
	assert_true(testkeys_verify(k->ec, "ES256", input, strlen(input), sig,
	    siglen));
	/* Not over anything else. */
	input[0] ^= 1;
	assert_false(testkeys_verify(k->ec, "ES256", input, strlen(input), sig,
	    siglen));
	free(sig);
	free(input);
	json_decref(jws);
	json_decref(payload);
}

static void
jws_new__rs256_signature_verifies_over_protected_dot_payload(void **state)
{
	struct keys *k = *state;
	json_t *payload = json_pack("{s:s}", "csr", "MIIBAA");
	json_t *jws = sign(k->rsa_signer, NULL, NONCE, payload);
	char *input = signing_input_of(jws);

	assert_true(testkeys_verify_b64url(k->rsa, "RS256", input,
	    string_member(jws, "signature")));
	free(input);
	json_decref(jws);
	json_decref(payload);
}

/* HMAC-SHA-256 with OpenSSL, base64url; new string. */
static char *
hs256(const char *key_b64url, const char *input)
{
	unsigned char *key, mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t keylen;
	char *out;

	key = b64url_decode(key_b64url, &keylen);
	assert_non_null(key);
	assert_non_null(HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)input, strlen(input), mac, &maclen));
	out = b64url_encode(mac, maclen);
	free(key);
	return out;
}

static void
hs256__matches_rfc7515_a1(void **state)
{
	char *got;

	(void)state;
	/* Checks the test's own HMAC against the RFC. */
	got = hs256(RFC7515_A1_KEY, RFC7515_A1_SIGNING_INPUT);
	assert_string_equal(got, RFC7515_A1_SIGNATURE);
	free(got);
}

static void
jws_eab_new__mac_is_hs256_over_the_signing_input(void **state)
{
	struct keys *k = *state;
	json_t *jwk = signer_jwk(k->ec_signer);
	struct err e = { "" };
	json_t *eab;
	char *input, *want;

	eab = jws_eab_new(jwk, "kid-1", RFC7515_A1_KEY,
	    "https://ca.example/acme/new-account", &e);
	if (eab == NULL)
		fail_msg("jws_eab_new: %s", e.msg);
	input = signing_input_of(eab);
	want = hs256(RFC7515_A1_KEY, input);
	assert_string_equal(string_member(eab, "signature"), want);
	free(want);
	free(input);
	json_decref(eab);
	json_decref(jwk);
}

static void
jws_eab_new__header_is_hs256_kid_url_and_payload_the_jwk(void **state)
{
	static const char *const hnames[] = { "alg", "kid", "url" };
	static const char *const names[] = { "protected", "payload",
	    "signature" };
	struct keys *k = *state;
	json_t *jwk = signer_jwk(k->rsa_signer);
	struct err e = { "" };
	json_t *eab, *hdr, *payload;

	eab = jws_eab_new(jwk, "kid-1", RFC7515_A1_KEY,
	    "https://ca.example/acme/new-account", &e);
	if (eab == NULL)
		fail_msg("jws_eab_new: %s", e.msg);
	assert_exactly(eab, names, 3);
	hdr = decode_protected(eab);
	/* RFC 8555 section 7.3.4: alg, kid, url; MUST NOT have a nonce. */
	assert_exactly(hdr, hnames, 3);
	assert_string_equal(string_member(hdr, "alg"), "HS256");
	assert_string_equal(string_member(hdr, "kid"), "kid-1");
	assert_string_equal(string_member(hdr, "url"),
	    "https://ca.example/acme/new-account");
	assert_null(json_object_get(hdr, "nonce"));
	payload = decode_b64url_json(string_member(eab, "payload"));
	assert_true(json_equal(payload, jwk));
	json_decref(payload);
	json_decref(hdr);
	json_decref(eab);
	json_decref(jwk);
}

static void
jws_eab_new__refuses_a_key_that_is_not_base64url(void **state)
{
	static const char *const bad[] = { "", "abc=", "ab+/cd", "ab cd", "Z" };
	struct keys *k = *state;
	json_t *jwk = signer_jwk(k->ec_signer);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { "" };
		json_t *eab = jws_eab_new(jwk, "kid-1", bad[i],
		    "https://ca.example/acme/new-account", &e);

		if (eab != NULL) {
			json_decref(eab);
			fail_msg("HMAC key \"%s\" accepted", bad[i]);
		}
		assert_true(strlen(e.msg) > 0);
	}
	json_decref(jwk);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(jws_new__has_protected_payload_and_signature_only),
		T(jws_new__header_has_alg_nonce_url_and_kid),
		T(jws_new__header_embeds_the_jwk_when_there_is_no_kid),
		T(jws_new__post_as_get_has_an_empty_payload),
		T(jws_new__has_no_nonce_member_when_nonce_is_null),
		T(jws_new__payload_is_the_json_given),
		T(jws_new__escapes_strings_in_the_header),
		T(jws_new__es256_signature_verifies_over_protected_dot_payload),
		T(jws_new__rs256_signature_verifies_over_protected_dot_payload),
		cmocka_unit_test(hs256__matches_rfc7515_a1),
		T(jws_eab_new__mac_is_hs256_over_the_signing_input),
		T(jws_eab_new__header_is_hs256_kid_url_and_payload_the_jwk),
		T(jws_eab_new__refuses_a_key_that_is_not_base64url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
