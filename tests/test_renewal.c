/*
 * test_renewal.c - the renewal record's waits as read back: a record
 * written while the wall clock was a year ahead holds a certificate back
 * no longer than the wait it stands for (the failure backoff of
 * due_backoff_next, the ARI recheck of at most a day).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ari.h"
#include "renewal.h"

#define DAY	86400L
#define NOW	((time_t)1793491200)	/* 2026-11-01T00:00:00Z */

static void
renewal_clamp__brings_back_waits_stored_by_a_clock_a_year_ahead(
    void **state)
{
	struct renewal_state st = { 0 };

	(void)state;
	st.failures = 2;			/* the backoff is 10 minutes */
	st.next_attempt = NOW + 365 * DAY;
	st.ari_next_check = NOW + 365 * DAY;
	renewal_clamp(&st, NOW);
	assert_int_equal(st.next_attempt, NOW + 600);
	assert_int_equal(st.ari_next_check, NOW + ARI_RECHECK_MAX);
	st.failures = 7;			/* a day */
	st.next_attempt = NOW + 365 * DAY;
	renewal_clamp(&st, NOW);
	assert_int_equal(st.next_attempt, NOW + DAY);
}

static void
renewal_clamp__keeps_waits_within_their_longest(void **state)
{
	struct renewal_state st = { 0 };

	(void)state;
	st.failures = 3;			/* 100 minutes */
	st.next_attempt = NOW + 6000;
	st.ari_next_check = NOW + 6 * 3600;
	renewal_clamp(&st, NOW);
	assert_int_equal(st.next_attempt, NOW + 6000);
	assert_int_equal(st.ari_next_check, NOW + 6 * 3600);
	/* Times that passed, or were never set, stay. */
	st.next_attempt = NOW - DAY;
	st.ari_next_check = 0;
	renewal_clamp(&st, NOW);
	assert_int_equal(st.next_attempt, NOW - DAY);
	assert_int_equal(st.ari_next_check, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renewal_clamp__brings_back_waits_stored_by_a_clock_a_year_ahead),
		cmocka_unit_test(renewal_clamp__keeps_waits_within_their_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
