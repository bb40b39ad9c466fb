/*
 * test_err.c - the one error convention: messages set, prefixed, appended,
 * with errno's and OpenSSL's reasons, never overflowing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "err.h"

static void
err_set__formats_the_message(void **state)
{
	struct err e = { "" };

	(void)state;
	err_set(&e, "cannot open %s (%d)", "/x", 3);
	assert_string_equal(e.msg, "cannot open /x (3)");
}

static void
err_prefix__puts_context_in_front(void **state)
{
	struct err e = { "" };

	(void)state;
	err_set(&e, "validation failed");
	err_prefix(&e, "%s", "a.example.com");
	assert_string_equal(e.msg, "a.example.com: validation failed");
}

static void
err_append__adds_at_the_end(void **state)
{
	struct err e = { "" };

	(void)state;
	err_set(&e, "no account");
	err_append(&e, "; re-run with %s", "--agree-tos");
	assert_string_equal(e.msg, "no account; re-run with --agree-tos");
}

static void
err_errno__adds_strerror(void **state)
{
	struct err e = { "" };
	char want[256];

	(void)state;
	errno = ENOENT;
	err_errno(&e, "cannot open %s", "/nowhere");
	snprintf(want, sizeof(want), "cannot open /nowhere: %s",
	    strerror(ENOENT));
	assert_string_equal(e.msg, want);
}

static void
err_ssl__adds_and_drains_the_openssl_queue(void **state)
{
	struct err e = { "" };

	(void)state;
	/* An unknown algorithm leaves a reason on OpenSSL's error queue. */
	assert_null(EVP_PKEY_Q_keygen(NULL, NULL, "NO-SUCH-ALGORITHM"));
	assert_int_not_equal(ERR_peek_error(), 0);
	err_ssl(&e, "cannot generate");
	assert_true(strncmp(e.msg, "cannot generate: ", 17) == 0);
	assert_true(strlen(e.msg) > 17);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
err__long_messages_are_cut_not_overflowed(void **state)
{
	struct err e = { "" };
	char big[4000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	err_prefix(&e, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	err_append(&e, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(err_set__formats_the_message),
		cmocka_unit_test(err_prefix__puts_context_in_front),
		cmocka_unit_test(err_append__adds_at_the_end),
		cmocka_unit_test(err_errno__adds_strerror),
		cmocka_unit_test(err_ssl__adds_and_drains_the_openssl_queue),
		cmocka_unit_test(err__long_messages_are_cut_not_overflowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
