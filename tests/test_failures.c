/*
 * test_failures.c - the environment of the failure-hook: one section and
 * one line per failure, and a limit that keeps the hook startable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "failures.h"

static void
failures_env__lists_each_section_and_a_line_for_each(void **state)
{
	struct failures *f = failures_new();
	const char *const *env;

	(void)state;
	assert_non_null(f);
	assert_false(failures_any(f));
	failures_add(f, "a", "a.example www.a.example", "the CA refused");
	failures_add(f, "mail", NULL, "no answer");
	assert_true(failures_any(f));
	env = failures_env(f);
	assert_string_equal(env[0], "ACMEC_FAILED=a mail");
	assert_string_equal(env[1], "ACMEC_FAILURES="
	    "a (a.example www.a.example): the CA refused\n"
	    "mail (the names of its CSR): no answer\n");
	assert_null(env[2]);
	failures_free(f);
}

static void
failures_add__keeps_each_failure_on_one_line(void **state)
{
	struct failures *f = failures_new();

	(void)state;
	failures_add(f, "a", "a.example", "first\nsecond\r\nthird\tand\033[2J");
	/* Nor another control character: the hook runner refuses them. */
	assert_string_equal(failures_env(f)[1],
	    "ACMEC_FAILURES=a (a.example): first second  third and [2J\n");
	failures_free(f);
}

static void
failures_env__counts_what_does_not_fit_under_the_limit(void **state)
{
	struct failures *f = failures_new();
	char error[1000], last[64];
	const char *const *env;
	size_t i, listed = 0;
	const char *p;

	(void)state;
	memset(error, 'x', sizeof(error) - 1);
	error[sizeof(error) - 1] = '\0';
	for (i = 0; i < 1000; i++) {
		char section[16];

		snprintf(section, sizeof(section), "s%zu", i);
		failures_add(f, section, "a.example", error);
	}
	/* Asked twice, the count line comes once. */
	(void)failures_env(f);
	env = failures_env(f);
	assert_true(strlen(env[0]) < FAILURES_MAX);
	assert_true(strlen(env[1]) < FAILURES_MAX);
	for (p = env[1]; (p = strchr(p, '\n')) != NULL; p++)
		listed++;
	assert_true(listed > 10 && listed < 1000);
	/* The lines listed, then the count of the rest. */
	assert_int_equal(f->listed, listed - 1);
	assert_int_equal(f->listed + f->omitted, 1000);
	snprintf(last, sizeof(last), "\n%zu more failed: see acmec status\n",
	    f->omitted);
	assert_string_equal(env[1] + strlen(env[1]) - strlen(last), last);
	snprintf(last, sizeof(last), " s%zu", f->listed - 1);
	assert_string_equal(env[0] + strlen(env[0]) - strlen(last), last);
	failures_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    failures_env__lists_each_section_and_a_line_for_each),
		cmocka_unit_test(failures_add__keeps_each_failure_on_one_line),
		cmocka_unit_test(
		    failures_env__counts_what_does_not_fit_under_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
