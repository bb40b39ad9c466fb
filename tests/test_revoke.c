/*
 * test_revoke.c - revocation reason names map to RFC 5280 section 5.3.1
 * CRLReason codes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "commands.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(revoke_reason_parse__maps_names_to_rfc5280_codes),
		cmocka_unit_test(revoke_reason_parse__refuses_unknown_and_unusable_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
