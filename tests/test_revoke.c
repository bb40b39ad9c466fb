/*
 * test_revoke.c - revocation reason names map to RFC 5280 section 5.3.1
 * CRLReason codes; the record of a revocation is written, or every way it
 * fails is reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
