/*
 * test_rfc3339.c - RFC 3339 timestamps as ACME servers send them: the
 * examples of RFC 3339 section 5.8, calendar edges, and strings that are
 * close to right but not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

struct good {
	const char	*s;
	long long	 t;
};

static void
rfc3339_parse__converts_the_table(void **state)
{
	static const struct good table[] = {
		/* RFC 3339 section 5.8, the five examples. */
		{ "1985-04-12T23:20:50.52Z", 482196050 },
		{ "1996-12-19T16:39:57-08:00", 851042397 },
		{ "1990-12-31T23:59:60Z", 662688000 },	/* leap second */
		{ "1990-12-31T15:59:60-08:00", 662688000 },
		/* 11:40:27.87Z; the fraction is dropped, rounding down. */
		{ "1937-01-01T12:00:27.87+00:20", -1041337173 },
		/* RFC 9773 section 4.2, the example window. */
		{ "2021-01-03T00:00:00Z", 1609632000 },
		{ "2021-01-07T00:00:00Z", 1609977600 },
		/* Lower case "t" and "z" (RFC 3339 section 5.6, NOTE). */
		{ "2021-01-03t00:00:00z", 1609632000 },
		/* "-00:00": UTC, local offset unknown (section 4.3). */
		{ "2021-01-03T00:00:00-00:00", 1609632000 },
		{ "2021-01-03T05:30:00+05:30", 1609632000 },
		{ "2021-01-02T23:59:59.999999999Z", 1609631999 },
		{ "2021-01-03T00:00:00.000000001Z", 1609632000 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2024-02-29T12:00:00Z", 1709208000 },	/* leap year */
		{ "2000-03-01T00:00:00Z", 951868800 },	/* after 2000-02-29 */
		{ "0000-01-01T00:00:00Z", -62167219200LL },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
	};
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		t = 42;
		if (rfc3339_parse(table[i].s, &t) != 0 ||
		    (long long)t != table[i].t)
			fail_msg("%s: got %lld, want %lld", table[i].s,
			    (long long)t, table[i].t);
	}
}

static void
rfc3339_parse__refuses_the_table_and_leaves_the_time_alone(void **state)
{
	static const char *const table[] = {
		"",
		"2021-01-03",
		"2021-01-03T00:00:00",			/* no offset */
		"2021-01-03 00:00:00Z",			/* space, not T */
		"2021-1-03T00:00:00Z",
		"21-01-03T00:00:00Z",
		"+2021-01-03T00:00:00Z",
		"2021-13-01T00:00:00Z",
		"2021-00-01T00:00:00Z",
		"2021-01-00T00:00:00Z",
		"2021-02-29T00:00:00Z",			/* not a leap year */
		"1900-02-29T00:00:00Z",			/* nor is 1900 */
		"2021-04-31T00:00:00Z",
		"2021-01-03T24:00:00Z",
		"2021-01-03T00:60:00Z",
		"2021-01-03T00:00:61Z",
		"2021-01-03T00:00:00.Z",		/* empty fraction */
		"2021-01-03T00:00:00,5Z",
		"2021-01-03T00:00:00+24:00",
		"2021-01-03T00:00:00+01:60",
		"2021-01-03T00:00:00+0100",
		"2021-01-03T00:00:00+01",
		"2021-01-03T00:00:00ZZ",
		"2021-01-03T00:00:00Z ",
		" 2021-01-03T00:00:00Z",
		"2021-01-03T00:00:00UTC",
		"2021-01-03T00:00:00\xef\xbc\xba",	/* fullwidth Z */
		"\xd9\xa2""021-01-03T00:00:00Z",	/* Arabic-Indic 2 */
	};
	size_t i;
	time_t t = 42;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (rfc3339_parse(table[i], &t) != -1)
			fail_msg("accepted \"%s\"", table[i]);
	assert_int_equal(rfc3339_parse(NULL, &t), -1);
	assert_int_equal(t, 42);
}

static void
rfc3339_parse__refuses_every_prefix_of_a_good_time(void **state)
{
	const char *good = "1996-12-19T16:39:57.25-08:00";
	size_t n = strlen(good), i;
	char *cut;
	time_t t;

	(void)state;
	for (i = 0; i < n; i++) {
		/* An exact-size copy, so a read past the NUL shows in ASan. */
		assert_non_null(cut = malloc(i + 1));
		memcpy(cut, good, i);
		cut[i] = '\0';
		if (rfc3339_parse(cut, &t) != -1)
			fail_msg("accepted the prefix \"%s\"", cut);
		free(cut);
	}
	assert_int_equal(rfc3339_parse(good, &t), 0);
	assert_int_equal(t, 851042397);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3339_parse__converts_the_table),
		cmocka_unit_test(rfc3339_parse__refuses_the_table_and_leaves_the_time_alone),
		cmocka_unit_test(rfc3339_parse__refuses_every_prefix_of_a_good_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
