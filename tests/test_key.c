/*
 * test_key.c - private keys: types, generation, PEM save and load.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "key.h"
#include "testutil.h"

/* umask 077: keys the tests write with fopen are 0600, as key_load wants. */
static int
setup(void **state)
{
	int rc = tmpdir_setup(state, "key");

	umask(077);	/* after tmpdir_setup, which sets 022 */
	return rc;
}

static const struct {
	const char	*name;
	enum key_type	 type;
} key_names[] = {
	{ "ec-256", KEY_EC256 },
	{ "ec-384", KEY_EC384 },
	{ "rsa-2048", KEY_RSA2048 },
	{ "rsa-3072", KEY_RSA3072 },
	{ "rsa-4096", KEY_RSA4096 },
};

static void
key_type_parse__accepts_the_five_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		enum key_type t = (enum key_type)-42;

		assert_int_equal(key_type_parse(key_names[i].name, &t), 0);
		assert_int_equal(t, key_names[i].type);
		assert_string_equal(key_type_name(t), key_names[i].name);
	}
}

static void
key_type_parse__refuses_other_names(void **state)
{
	static const char *const bad[] = {
		"", "ec", "rsa", "ec-521", "ec-224", "rsa-1024", "rsa-8192",
		"ec-2560", "ec-256 ", " ec-256", "ec256", "rsa2048", "ed25519",
		"ec-256x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum key_type t = KEY_EC256;

		if (key_type_parse(bad[i], &t) != -1)
			fail_msg("key type \"%s\" accepted", bad[i]);
	}
}

static void
assert_ec_key(EVP_PKEY *key, const char *group, int bits)
{
	char name[64];
	size_t len = 0;

	assert_non_null(key);
	assert_true(EVP_PKEY_is_a(key, "EC"));
	assert_int_equal(EVP_PKEY_get_bits(key), bits);
	assert_int_equal(EVP_PKEY_get_utf8_string_param(key,
	    OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len), 1);
	assert_string_equal(name, group);
}

static void
key_generate__makes_an_ec_p256_key(void **state)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);

	(void)state;
	assert_ec_key(key, "prime256v1", 256);
	assert_string_equal(key_describe(key), "ec-256");
	EVP_PKEY_free(key);
}

static void
key_generate__makes_an_ec_p384_key(void **state)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC384, &e);

	(void)state;
	assert_ec_key(key, "secp384r1", 384);
	assert_string_equal(key_describe(key), "ec-384");
	EVP_PKEY_free(key);
}

static void
key_generate__makes_an_rsa_2048_key(void **state)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_RSA2048, &e);
	BIGNUM *exp = NULL;

	(void)state;
	assert_non_null(key);
	assert_true(EVP_PKEY_is_a(key, "RSA"));
	assert_int_equal(EVP_PKEY_get_bits(key), 2048);
	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E,
	    &exp), 1);
	assert_true(BN_is_word(exp, 65537));
	assert_string_equal(key_describe(key), "rsa-2048");
	BN_free(exp);
	EVP_PKEY_free(key);
}

static void
key_generate__makes_different_keys_each_time(void **state)
{
	struct err e = { "" };
	EVP_PKEY *a = key_generate(KEY_EC256, &e);
	EVP_PKEY *b = key_generate(KEY_EC256, &e);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_not_equal(EVP_PKEY_eq(a, b), 1);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void
save_load(struct tmpdir *t, enum key_type type)
{
	struct err e = { "" };
	char *path = path_in(t->path, "key.pem");
	EVP_PKEY *key, *back;

	key = key_generate(type, &e);
	assert_non_null(key);
	if (key_save(key, path, &e) != 0)
		fail_msg("key_save: %s", e.msg);
	assert_int_equal(mode_of(path), 0600);
	back = key_load(path, STORE_PRIVATE, &e);
	if (back == NULL)
		fail_msg("key_load: %s", e.msg);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	/* The private half came back too, not just the public key. */
	assert_string_equal(key_describe(back), key_type_name(type));
	EVP_PKEY_free(key);
	EVP_PKEY_free(back);
	free(path);
}

static void
key_save__writes_0600_and_key_load_reads_it_back_ec256(void **state)
{
	save_load(*state, KEY_EC256);
}

static void
key_save__writes_0600_and_key_load_reads_it_back_ec384(void **state)
{
	save_load(*state, KEY_EC384);
}

static void
key_save__writes_0600_and_key_load_reads_it_back_rsa2048(void **state)
{
	save_load(*state, KEY_RSA2048);
}

static void
key_save__is_0600_even_with_umask_0(void **state)
{
	struct tmpdir *t = *state;

	umask(0);
	save_load(t, KEY_EC256);
}

static void
key_save__replaces_a_world_readable_file_with_a_0600_one(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "key.pem");
	EVP_PKEY *key;

	write_text(path, "old\n");
	assert_int_equal(chmod(path, 0644), 0);
	key = key_generate(KEY_EC256, &e);
	assert_non_null(key);
	assert_int_equal(key_save(key, path, &e), 0);
	assert_int_equal(mode_of(path), 0600);
	EVP_PKEY_free(key);
	free(path);
}

static void
key_to_pem__is_pkcs8(void **state)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	char *pem;

	(void)state;
	assert_non_null(key);
	pem = key_to_pem(key, &e);
	assert_non_null(pem);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	assert_non_null(strstr(pem, "-----END PRIVATE KEY-----"));
	free(pem);
	EVP_PKEY_free(key);
}

/* Write key as OpenSSL writes PKCS#8 ("BEGIN PRIVATE KEY"). */
static void
write_pkcs8(const char *path, EVP_PKEY *key)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_int_equal(PEM_write_PrivateKey_ex(fp, key, NULL, NULL, 0,
	    NULL, NULL, NULL, NULL), 1);
	fclose(fp);
}

static void
key_load__reads_traditional_ec_and_rsa_pem(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "trad.pem");
	EVP_PKEY *key, *back;
	enum key_type types[] = { KEY_EC256, KEY_RSA2048 };

	for (size_t i = 0; i < 2; i++) {
		BIO *bio;

		key = key_generate(types[i], &e);
		assert_non_null(key);
		bio = BIO_new_file(path, "w");
		assert_non_null(bio);
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, key,
		    NULL, NULL, 0, NULL, NULL), 1);
		BIO_free(bio);
		back = key_load(path, STORE_PRIVATE, &e);
		if (back == NULL)
			fail_msg("key_load (traditional %s): %s",
			    key_type_name(types[i]), e.msg);
		assert_int_equal(EVP_PKEY_eq(key, back), 1);
		EVP_PKEY_free(back);
		EVP_PKEY_free(key);
	}
	free(path);
}

static void
key_load__reads_pkcs8_written_by_openssl(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "pkcs8.pem");
	EVP_PKEY *key, *back;

	key = key_generate(KEY_EC384, &e);
	assert_non_null(key);
	write_pkcs8(path, key);
	back = key_load(path, STORE_PRIVATE, &e);
	assert_non_null(back);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(key);
	free(path);
}

static void
key_load__fails_on_a_missing_file_naming_it(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "missing.pem");

	assert_null(key_load(path, STORE_PRIVATE, &e));
	if (strstr(e.msg, path) == NULL)
		fail_msg("message does not name %s: %s", path, e.msg);
	free(path);
}

static void
key_load__fails_on_garbage_naming_the_file(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "garbage.pem");

	write_text(path, "this is not a key\n");
	assert_null(key_load(path, STORE_PRIVATE, &e));
	if (strstr(e.msg, path) == NULL)
		fail_msg("message does not name %s: %s", path, e.msg);
	free(path);
}

static void
key_load__fails_on_a_public_key_or_certificate_pem(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "pub.pem");
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	FILE *fp;

	assert_non_null(key);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PUBKEY(fp, key), 1);
	fclose(fp);
	assert_null(key_load(path, STORE_PRIVATE, &e));
	assert_non_null(strstr(e.msg, path));
	EVP_PKEY_free(key);
	free(path);
}

static void
key_load__refuses_an_ed25519_key_naming_the_file(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "ed.pem");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(ed);
	write_pkcs8(path, ed);
	assert_null(key_load(path, STORE_PRIVATE, &e));
	assert_non_null(strstr(e.msg, path));
	EVP_PKEY_free(ed);
	free(path);
}

static void
key_load__refuses_an_ec_curve_other_than_p256_and_p384(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "p521.pem");
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), *got;

	/* key.c's own message: "only RSA and EC (P-256, P-384) keys". */
	assert_non_null(p521);
	write_pkcs8(path, p521);
	got = key_load(path, STORE_PRIVATE, &e);
	EVP_PKEY_free(p521);
	if (got != NULL) {
		EVP_PKEY_free(got);
		free(path);
		fail_msg("a P-521 key was loaded (key_describe would call it "
		    "ec-384)");
	}
	assert_non_null(strstr(e.msg, path));
	free(path);
}

/*
 * The value was computed with the OpenSSL command line, as a DANE
 * operator would: openssl pkey -pubout -outform DER | sha256sum.
 */
static const char spki_kat_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgg3PLUQi9caKpN2YL\n"
    "Dsfeb4ns0Q7m6kyHnngFG7Gf6vWhRANCAAQFaEmJw9dHPQRoN0JRxekaoTTnlXbg\n"
    "hXLS9WWDxKYeE6TFtYrTq2YRo/mGtB2A7zVIX0zCCdNa8O6jiUvO6F2L\n"
    "-----END PRIVATE KEY-----\n";

static void
key_spki_sha256__is_the_tlsa_3_1_1_value_of_the_key_and_its_public_half(
    void **state)
{
	struct err e = { "" };
	EVP_PKEY *key = key_from_pem(spki_kat_pem, sizeof(spki_kat_pem) - 1,
	    "kat", &e), *pub = NULL;
	char hex[KEY_ID_LEN + 1], pubhex[KEY_ID_LEN + 1];
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	(void)state;
	assert_non_null(key);
	assert_int_equal(key_spki_sha256(key, hex, &e), 0);
	assert_string_equal(hex, "6bf2c3edb1cdfe1a51bdcc594a50acd5"
	    "c48521d7e479a0d496bf317d0651ef1f");
	/* The public half alone (as in a certificate) gives the same. */
	assert_true((len = i2d_PUBKEY(key, &der)) > 0);
	p = der;
	assert_non_null(pub = d2i_PUBKEY(NULL, &p, len));
	assert_int_equal(key_spki_sha256(pub, pubhex, &e), 0);
	assert_string_equal(pubhex, hex);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
}

static void
key_load__refuses_an_encrypted_key_without_prompting(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "encrypted.pem");
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *got;
	static const char pass[] = "correct horse battery staple";
	BIO *bio;

	/*
	 * Encrypted with the passphrase given here, so writing does not ask
	 * for one.  Reading must not ask either: without a callback OpenSSL
	 * would prompt on the terminal (run with </dev/null to be sure).
	 */
	assert_non_null(key);
	bio = BIO_new_file(path, "w");
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(),
	    (const unsigned char *)pass, (int)strlen(pass), NULL, NULL), 1);
	BIO_free(bio);
	got = key_load(path, STORE_PRIVATE, &e);
	EVP_PKEY_free(key);
	if (got != NULL) {
		EVP_PKEY_free(got);
		free(path);
		fail_msg("an encrypted key was loaded");
	}
	if (strstr(e.msg, path) == NULL)
		fail_msg("message does not name %s: %s", path, e.msg);
	free(path);
}

static void
key_check_supported__says_what_a_refused_key_is(void **state)
{
	struct {
		EVP_PKEY	*key;
		const char	*what;
	} bad[] = {
		{ EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024),
		    "a 1024-bit RSA key" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"),
		    "an EC key on secp521r1" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"),
		    "an EC key on secp256k1" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
		    "a key of type ED25519" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { "" };
		char *want;

		assert_non_null(bad[i].key);
		assert_int_equal(key_check_supported(bad[i].key, &e), -1);
		if (asprintf(&want, "%s; only RSA (2048 bits or more) and EC "
		    "P-256/P-384 keys are supported", bad[i].what) < 0)
			fail_msg("asprintf");
		assert_string_equal(e.msg, want);
		free(want);
		EVP_PKEY_free(bad[i].key);
	}
}

static void
key_check_supported__accepts_the_five_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		struct err e = { "" };
		EVP_PKEY *key = key_generate(key_names[i].type, &e);

		assert_non_null(key);
		assert_int_equal(key_check_supported(key, &e), 0);
		EVP_PKEY_free(key);
	}
}

static void
key_load__refuses_an_rsa_1024_key_saying_so(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "rsa1024.pem"), *want;
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);

	assert_non_null(weak);
	write_pkcs8(path, weak);
	assert_null(key_load(path, STORE_GROUP_READ, &e));
	if (asprintf(&want, "%s: a 1024-bit RSA key; only RSA (2048 bits or "
	    "more) and EC P-256/P-384 keys are supported", path) < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	free(want);
	EVP_PKEY_free(weak);
	free(path);
}

/* An account key only we read; a certificate key its group may read. */
static void
key_load__group_readable_is_refused_for_private_only(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = path_in(t->path, "privkey.pem"), *want;
	EVP_PKEY *key = key_generate(KEY_EC256, &e), *got;

	assert_non_null(key);
	assert_int_equal(key_save(key, path, &e), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_null(key_load(path, STORE_PRIVATE, &e));
	if (asprintf(&want, "%s can be read or written by other users (mode "
	    "0640); chmod 600 %s", path, path) < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	got = key_load(path, STORE_GROUP_READ, &e);	/* and a warning */
	assert_non_null(got);
	assert_int_equal(EVP_PKEY_eq(key, got), 1);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(key_load(path, STORE_GROUP_READ, &e));
	free(want);
	EVP_PKEY_free(got);
	EVP_PKEY_free(key);
	free(path);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_type_parse__accepts_the_five_names),
		cmocka_unit_test(key_type_parse__refuses_other_names),
		cmocka_unit_test(key_generate__makes_an_ec_p256_key),
		cmocka_unit_test(key_generate__makes_an_ec_p384_key),
		cmocka_unit_test(key_generate__makes_an_rsa_2048_key),
		cmocka_unit_test(key_generate__makes_different_keys_each_time),
		T(key_save__writes_0600_and_key_load_reads_it_back_ec256),
		T(key_save__writes_0600_and_key_load_reads_it_back_ec384),
		T(key_save__writes_0600_and_key_load_reads_it_back_rsa2048),
		T(key_save__is_0600_even_with_umask_0),
		T(key_save__replaces_a_world_readable_file_with_a_0600_one),
		cmocka_unit_test(key_to_pem__is_pkcs8),
		T(key_load__reads_traditional_ec_and_rsa_pem),
		T(key_load__reads_pkcs8_written_by_openssl),
		T(key_load__fails_on_a_missing_file_naming_it),
		T(key_load__fails_on_garbage_naming_the_file),
		T(key_load__fails_on_a_public_key_or_certificate_pem),
		T(key_load__refuses_an_ed25519_key_naming_the_file),
		T(key_load__refuses_an_ec_curve_other_than_p256_and_p384),
		T(key_load__refuses_an_encrypted_key_without_prompting),
		cmocka_unit_test(key_spki_sha256__is_the_tlsa_3_1_1_value_of_the_key_and_its_public_half),
		cmocka_unit_test(key_check_supported__says_what_a_refused_key_is),
		cmocka_unit_test(key_check_supported__accepts_the_five_types),
		T(key_load__refuses_an_rsa_1024_key_saying_so),
		T(key_load__group_readable_is_refused_for_private_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
