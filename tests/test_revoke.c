/*
 * test_revoke.c - revocation reason names map to RFC 5280 section 5.3.1
 * CRLReason codes; the record of a revocation is written, or every way it
 * fails is reported; a --key that is not the certificate's is refused
 * before anything is sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "commands.h"
#include "key.h"
#include "log.h"
#include "testutil.h"

static int
setup(void **state)
{
	return tmpdir_setup(state, "revoke");
}

/* A config whose state dir is t's directory. */
static struct config
config_in(const struct tmpdir *t)
{
	struct config cfg;

	config_defaults(&cfg);
	cfg.state_dir = t->path;
	cfg.directory_url = "https://ca.test/dir";
	return cfg;
}

static void
revoke_reason_parse__maps_names_to_rfc5280_codes(void **state)
{
	(void)state;
	/* RFC 5280 section 5.3.1: CRLReason ::= ENUMERATED { ... } */
	assert_int_equal(revoke_reason_parse("unspecified"), 0);
	assert_int_equal(revoke_reason_parse("keyCompromise"), 1);
	assert_int_equal(revoke_reason_parse("affiliationChanged"), 3);
	assert_int_equal(revoke_reason_parse("superseded"), 4);
	assert_int_equal(revoke_reason_parse("cessationOfOperation"), 5);
}

static void
revoke_reason_parse__refuses_unknown_and_unusable_reasons(void **state)
{
	(void)state;
	assert_int_equal(revoke_reason_parse("bogus"), -1);
	assert_int_equal(revoke_reason_parse(""), -1);
	/* Names are case-sensitive, as in the RFC's ASN.1 and the man page. */
	assert_int_equal(revoke_reason_parse("keycompromise"), -1);
	/* cACompromise (2), certificateHold (6) are not for subscribers. */
	assert_int_equal(revoke_reason_parse("cACompromise"), -1);
	assert_int_equal(revoke_reason_parse("certificateHold"), -1);
}

static void
revoke_record__writes_state_revoked_serial(void **state)
{
	struct tmpdir *t = *state;
	struct config cfg = config_in(t);
	struct err e = { "" };
	char *path = path_in(t->path, "revoked/1a2b"), *text;
	json_t *rec;

	assert_int_equal(revoke_record(&cfg, "1a2b", "/x/cert.pem", 4, &e), 0);
	assert_int_equal(mode_of(path), 0600);
	text = read_file(path, NULL);
	assert_non_null(rec = json_loads(text, 0, NULL));
	assert_string_equal(string_member(rec, "serial"), "1a2b");
	assert_string_equal(string_member(rec, "certificate"), "/x/cert.pem");
	assert_string_equal(string_member(rec, "directory"),
	    "https://ca.test/dir");
	assert_int_equal(json_integer_value(json_object_get(rec, "reason")), 4);
	json_decref(rec);
	free(text);
	free(path);
}

static void
revoke_record__fails_with_a_message_when_revoked_is_a_file(void **state)
{
	struct tmpdir *t = *state;
	struct config cfg = config_in(t);
	struct err e = { "" };
	char *path = path_in(t->path, "revoked"), want[256];

	write_text(path, "in the way\n");
	assert_int_equal(revoke_record(&cfg, "1a2b", "cert.pem", -1, &e), -1);
	snprintf(want, sizeof(want), "cannot create directory %s: Not a "
	    "directory", path);
	assert_string_equal(e.msg, want);
	free(path);
}

static void
revoke_record__fails_with_a_message_when_the_record_cannot_be_made(
    void **state)
{
	struct tmpdir *t = *state;
	struct config cfg = config_in(t);
	struct err e = { "" };

	/* Jansson refuses strings that are not UTF-8. */
	assert_int_equal(revoke_record(&cfg, "1a2b", "/x/\xff.pem", 1, &e),
	    -1);
	assert_string_equal(e.msg, "cannot make the record: out of memory, "
	    "or /x/\xff.pem is not a UTF-8 file name");
	assert_int_equal(count_entries(t->path), 0);
}

/* A self-signed certificate for key, written as PEM to path. */
static void
write_cert(EVP_PKEY *key, const char *path)
{
	X509 *x = X509_new();
	FILE *fp;

	if (x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 7) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)"a.test", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_set_pubkey(x, key) || !X509_sign(x, key, EVP_sha256()))
		fail_msg("cannot make a certificate");
	if ((fp = fopen(path, "w")) == NULL || !PEM_write_X509(fp, x))
		fail_msg("cannot write %s", path);
	fclose(fp);
	X509_free(x);
}

/*
 * --key names a key its group may read (as ssl-cert's): its key process
 * loads it, and the key's id is not the certificate's, so nothing is
 * sent (no CA answers at ca.test) and nothing is recorded.
 */
static void
revoke_certificate__refuses_a_key_that_is_not_the_certificates(void **state)
{
	struct tmpdir *t = *state;
	struct config cfg = config_in(t);
	char *cert = path_in(t->path, "cert.pem");
	char *other = path_in(t->path, "other.pem");
	struct err e = { "" };
	EVP_PKEY *key, *wrong;

	assert_non_null(key = key_generate(KEY_EC256, &e));
	assert_non_null(wrong = key_generate(KEY_EC256, &e));
	write_cert(key, cert);
	assert_int_equal(key_save(wrong, other, &e), 0);
	assert_int_equal(chmod(other, 0640), 0);
	log_set_level(LOG_QUIET);
	assert_int_equal(revoke_certificate(&cfg, cert, other, 1, &e), -1);
	log_set_level(LOG_NORMAL);
	assert_contains(e.msg, other);
	assert_contains(e.msg, "is not the key of this certificate");
	assert_contains(e.msg, cert);
	assert_int_equal(count_entries(t->path), 2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(wrong);
	free(cert);
	free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(revoke_reason_parse__maps_names_to_rfc5280_codes),
		cmocka_unit_test(revoke_reason_parse__refuses_unknown_and_unusable_reasons),
		cmocka_unit_test_setup_teardown(revoke_record__writes_state_revoked_serial,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(revoke_record__fails_with_a_message_when_revoked_is_a_file,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(revoke_record__fails_with_a_message_when_the_record_cannot_be_made,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(revoke_certificate__refuses_a_key_that_is_not_the_certificates,
		    setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
