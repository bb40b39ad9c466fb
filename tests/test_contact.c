/*
 * test_contact.c - --contact values are checked before anything is sent,
 * with a message that names the contact; the contacts the CA kept are
 * compared with those asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "contact.h"

/* contact_check(contact) fails with exactly the message want. */
static void
assert_refused(const char *contact, const char *want)
{
	struct err e = { "" };

	assert_int_equal(contact_check(contact, &e), -1);
	assert_string_equal(e.msg, want);
}

static void
contact_check__accepts_one_mailto_address(void **state)
{
	struct err e = { "" };

	(void)state;
	assert_int_equal(contact_check("mailto:admin@example.com", &e), 0);
	assert_int_equal(contact_check("mailto:a.b+c@sub.example.org", &e), 0);
	/* Valid UTF-8 beyond ASCII: U+00E9, U+4E2D, U+1F600. */
	assert_int_equal(contact_check("mailto:\xc3\xa9@example.com", &e), 0);
	assert_int_equal(contact_check("mailto:\xe4\xb8\xad@example.com", &e),
	    0);
	assert_int_equal(contact_check("mailto:\xf0\x9f\x98\x80@x.test", &e),
	    0);
	assert_string_equal(e.msg, "");
}

static void
contact_check__wants_a_mailto_url(void **state)
{
	(void)state;
	assert_refused("admin@example.com", "--contact admin@example.com: "
	    "a contact is a mailto: URL, e.g. mailto:admin@example.com");
	assert_refused("", "--contact : a contact is a mailto: URL, e.g. "
	    "mailto:admin@example.com");
	assert_refused("MAILTO:admin@example.com", "--contact "
	    "MAILTO:admin@example.com: a contact is a mailto: URL, e.g. "
	    "mailto:admin@example.com");
	assert_refused("tel:+15551234", "--contact tel:+15551234: a contact "
	    "is a mailto: URL, e.g. mailto:admin@example.com");
}

static void
contact_check__wants_name_at_domain(void **state)
{
	(void)state;
	assert_refused("mailto:", "--contact mailto:: not an e-mail address; "
	    "give mailto:NAME@DOMAIN");
	assert_refused("mailto:admin", "--contact mailto:admin: not an e-mail "
	    "address; give mailto:NAME@DOMAIN");
	assert_refused("mailto:@example.com", "--contact mailto:@example.com: "
	    "not an e-mail address; give mailto:NAME@DOMAIN");
	assert_refused("mailto:admin@", "--contact mailto:admin@: not an "
	    "e-mail address; give mailto:NAME@DOMAIN");
	assert_refused("mailto:a@b@example.com", "--contact "
	    "mailto:a@b@example.com: not an e-mail address; give "
	    "mailto:NAME@DOMAIN");
}

static void
contact_check__wants_one_address_per_option(void **state)
{
	(void)state;
	assert_refused("mailto:a@example.com,b@example.com", "--contact "
	    "mailto:a@example.com,b@example.com: one address per --contact; "
	    "repeat --contact for more");
	/* RFC 6068 header fields could add recipients. */
	assert_refused("mailto:a@example.com?cc=b@example.com", "--contact "
	    "mailto:a@example.com?cc=b@example.com: no ?header fields; give "
	    "just mailto:NAME@DOMAIN");
}

static void
contact_check__refuses_invalid_utf8_and_shows_it_as_question_marks(
    void **state)
{
	(void)state;
	assert_refused("mailto:\xff@x.test", "--contact mailto:?@x.test: "
	    "not valid UTF-8; give the address in UTF-8");
	/* Overlong '/' (RFC 3629 section 3 forbids it). */
	assert_refused("mailto:a\xc0\xaf@x.test", "--contact "
	    "mailto:a??@x.test: not valid UTF-8; give the address in UTF-8");
	/* Overlong three-byte form of '/', a surrogate, past U+10FFFF. */
	assert_refused("mailto:\xe0\x80\xaf@x.test", "--contact "
	    "mailto:???@x.test: not valid UTF-8; give the address in UTF-8");
	assert_refused("mailto:\xed\xa0\x80@x.test", "--contact "
	    "mailto:???@x.test: not valid UTF-8; give the address in UTF-8");
	assert_refused("mailto:\xf4\x90\x80\x80@x.test", "--contact "
	    "mailto:????@x.test: not valid UTF-8; give the address in UTF-8");
	/* Truncated sequences, at the end and before the '@'. */
	assert_refused("mailto:a@x.test\xc3", "--contact mailto:a@x.test?: "
	    "not valid UTF-8; give the address in UTF-8");
	assert_refused("mailto:\xe4\xb8@x.test", "--contact mailto:??@x.test: "
	    "not valid UTF-8; give the address in UTF-8");
}

static void
contact_check__refuses_controls_and_spaces(void **state)
{
	(void)state;
	assert_refused("mailto:a@x.test\n", "--contact mailto:a@x.test?: "
	    "contains a control character; remove it");
	assert_refused("mailto:a\x1b[2J@x.test", "--contact "
	    "mailto:a?[2J@x.test: contains a control character; remove it");
	assert_refused("mailto:a\x7f@x.test", "--contact mailto:a?@x.test: "
	    "contains a control character; remove it");
	/* U+0085 (NEL), a C1 control, in valid UTF-8. */
	assert_refused("mailto:a\xc2\x85@x.test", "--contact "
	    "mailto:a??@x.test: contains a control character; remove it");
	assert_refused("mailto:a b@x.test", "--contact mailto:a b@x.test: "
	    "contains a space; give one address without spaces");
	assert_refused(" mailto:a@x.test", "--contact  mailto:a@x.test: "
	    "contains a space; give one address without spaces");
}

static void
contact_check__limits_the_length_and_cuts_the_quote(void **state)
{
	char contact[CONTACT_MAX_LEN + 2], want[256];
	struct err e = { "" };
	size_t n = strlen("mailto:");

	(void)state;
	/* Exactly CONTACT_MAX_LEN bytes is accepted, one more is not. */
	memcpy(contact, "mailto:", n);
	memset(contact + n, 'a', CONTACT_MAX_LEN - n - 7);
	memcpy(contact + CONTACT_MAX_LEN - 7, "@x.test", 8);
	assert_int_equal(strlen(contact), CONTACT_MAX_LEN);
	assert_int_equal(contact_check(contact, &e), 0);
	memmove(contact + 1, contact, CONTACT_MAX_LEN + 1);
	assert_int_equal(strlen(contact), CONTACT_MAX_LEN + 1);
	snprintf(want, sizeof(want), "--contact %.60s...: longer than 256 "
	    "bytes; give a shorter address", contact);
	assert_refused(contact, want);
}

static void
contact_answer_mismatch__is_null_when_the_ca_kept_what_was_asked(
    void **state)
{
	const char *asked[] = { "mailto:a@x.test", "mailto:b@x.test" };
	json_t *answer;

	(void)state;
	answer = json_pack("[ss]", "mailto:b@x.test", "mailto:a@x.test");
	assert_null(contact_answer_mismatch(asked, 2, answer));
	json_decref(answer);
	/* No contacts asked for, none kept, "contact" absent or empty. */
	assert_null(contact_answer_mismatch(asked, 0, NULL));
	answer = json_array();
	assert_null(contact_answer_mismatch(asked, 0, answer));
	json_decref(answer);
}

static void
contact_answer_mismatch__says_what_the_ca_kept(void **state)
{
	const char *asked[] = { "mailto:b@x.test" };
	json_t *answer;
	char *msg;

	(void)state;
	answer = json_pack("[s]", "mailto:a@x.test");
	msg = contact_answer_mismatch(asked, 1, answer);
	assert_string_equal(msg, "the CA answered with contacts "
	    "mailto:a@x.test (asked for mailto:b@x.test); it may not allow "
	    "changing them");
	free(msg);
	msg = contact_answer_mismatch(asked, 0, answer);
	assert_string_equal(msg, "the CA did not clear the contacts: it kept "
	    "mailto:a@x.test");
	free(msg);
	json_decref(answer);
	msg = contact_answer_mismatch(asked, 1, NULL);
	assert_string_equal(msg, "the CA answered with no contacts (asked "
	    "for mailto:b@x.test); it may not allow changing them");
	free(msg);
}

static void
contact_answer_mismatch__sanitizes_the_cas_text(void **state)
{
	const char *asked[] = { "mailto:a@x.test" };
	json_t *answer;
	char *msg;

	(void)state;
	/* An extra contact, with an escape sequence, and a non-string. */
	answer = json_pack("[ssi]", "mailto:a@x.test", "mailto:\x1b[2J@x", 7);
	msg = contact_answer_mismatch(asked, 1, answer);
	assert_string_equal(msg, "the CA answered with contacts "
	    "mailto:a@x.test, mailto:?[2J@x, ? (asked for mailto:a@x.test); "
	    "it may not allow changing them");
	free(msg);
	json_decref(answer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contact_check__accepts_one_mailto_address),
		cmocka_unit_test(contact_check__wants_a_mailto_url),
		cmocka_unit_test(contact_check__wants_name_at_domain),
		cmocka_unit_test(contact_check__wants_one_address_per_option),
		cmocka_unit_test(contact_check__refuses_invalid_utf8_and_shows_it_as_question_marks),
		cmocka_unit_test(contact_check__refuses_controls_and_spaces),
		cmocka_unit_test(contact_check__limits_the_length_and_cuts_the_quote),
		cmocka_unit_test(contact_answer_mismatch__is_null_when_the_ca_kept_what_was_asked),
		cmocka_unit_test(contact_answer_mismatch__says_what_the_ca_kept),
		cmocka_unit_test(contact_answer_mismatch__sanitizes_the_cas_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
