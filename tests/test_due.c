/*
 * test_due.c - when a certificate is due: a share of its lifetime for the
 * lifetimes CAs issue now (ACME-2026.md: 90 and 45 days, shortlived 160
 * hours), explicit fractions and "30d" seconds; the failure backoff; the
 * ARI decision of RFC 9773 section 4.2, never past the lifetime rule for
 * a window past expiry; stored times clamped against a wall clock that
 * was ahead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <math.h>

#include "due.h"

#define HOUR	3600L
#define DAY	86400L
#define NB	((time_t)1793491200)	/* 2026-11-01T00:00:00Z */

static const struct renew_before by_default = { RENEW_BEFORE_DEFAULT, 0, 0 };

static struct renew_before
fraction(double f)
{
	struct renew_before rb = { RENEW_BEFORE_FRACTION, f, 0 };

	return rb;
}

static struct renew_before
seconds(long s)
{
	struct renew_before rb = { RENEW_BEFORE_SECONDS, 0, s };

	return rb;
}

static void
due_time__a_90_day_certificate_is_due_30_days_before_expiry(void **state)
{
	(void)state;
	assert_int_equal(due_time(NB, NB + 90 * DAY, &by_default),
	    NB + 60 * DAY);
	assert_int_equal(due_time(NB, NB + 90 * DAY, NULL), NB + 60 * DAY);
}

static void
due_time__a_45_day_certificate_is_due_15_days_before_expiry(void **state)
{
	(void)state;
	assert_int_equal(due_time(NB, NB + 45 * DAY, &by_default),
	    NB + 30 * DAY);
}

static void
due_time__a_160_hour_shortlived_certificate_is_due_at_half_its_life(
    void **state)
{
	(void)state;
	assert_int_equal(due_time(NB, NB + 160 * HOUR, &by_default),
	    NB + 80 * HOUR);
}

static void
due_time__half_applies_under_10_days_and_a_third_from_10(void **state)
{
	(void)state;
	assert_int_equal(due_time(NB, NB + 10 * DAY - 1, NULL),
	    NB + (10 * DAY - 1) / 2);
	assert_int_equal(due_time(NB, NB + 10 * DAY, NULL),
	    NB + 10 * DAY - 10 * DAY / 3);
}

static void
due_time__an_explicit_fraction_is_the_share_of_the_lifetime_left(
    void **state)
{
	struct renew_before rb;

	(void)state;
	rb = fraction(0.5);
	assert_int_equal(due_time(NB, NB + 90 * DAY, &rb), NB + 45 * DAY);
	rb = fraction(0.25);
	assert_int_equal(due_time(NB, NB + 45 * DAY, &rb),
	    NB + 45 * DAY - 45 * DAY / 4);
	/* It overrides the half for shortlived certificates too. */
	rb = fraction(0.1);
	assert_int_equal(due_time(NB, NB + 160 * HOUR, &rb),
	    NB + 144 * HOUR);
}

static void
due_time__explicit_seconds_count_back_from_expiry(void **state)
{
	struct renew_before rb = seconds(30 * DAY);	/* "30d" */

	(void)state;
	assert_int_equal(due_time(NB, NB + 90 * DAY, &rb), NB + 60 * DAY);
	assert_int_equal(due_time(NB, NB + 45 * DAY, &rb), NB + 15 * DAY);
	rb = seconds(2 * DAY);
	assert_int_equal(due_time(NB, NB + 160 * HOUR, &rb),
	    NB + 160 * HOUR - 2 * DAY);
}

static void
due_time__seconds_not_shorter_than_the_lifetime_fall_back_to_the_default(
    void **state)
{
	struct renew_before rb = seconds(30 * DAY);

	(void)state;
	/* "30d" on a 6-day certificate would renew it on every run. */
	assert_int_equal(due_time(NB, NB + 160 * HOUR, &rb), NB + 80 * HOUR);
	rb = seconds(45 * DAY);
	assert_int_equal(due_time(NB, NB + 45 * DAY, &rb), NB + 30 * DAY);
	rb = seconds(0);
	assert_int_equal(due_time(NB, NB + 90 * DAY, &rb), NB + 60 * DAY);
	rb = seconds(-DAY);
	assert_int_equal(due_time(NB, NB + 90 * DAY, &rb), NB + 60 * DAY);
}

static void
due_time__a_fraction_outside_0_1_falls_back_to_the_default(void **state)
{
	static const double bad[] = { 0, 1, 1.5, -0.5 };
	struct renew_before rb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rb = fraction(bad[i]);
		assert_int_equal(due_time(NB, NB + 90 * DAY, &rb),
		    NB + 60 * DAY);
	}
	rb = fraction(NAN);
	assert_int_equal(due_time(NB, NB + 90 * DAY, &rb), NB + 60 * DAY);
	/* The default ignores whatever else the struct holds. */
	rb = fraction(0.9);
	rb.kind = RENEW_BEFORE_DEFAULT;
	assert_int_equal(due_time(NB, NB + 90 * DAY, &rb), NB + 60 * DAY);
}

static void
due_time__a_certificate_that_ends_before_it_starts_is_due_at_once(
    void **state)
{
	(void)state;
	assert_int_equal(due_time(NB, NB, NULL), NB);
	assert_int_equal(due_time(NB, NB - DAY, NULL), NB);
}

static void
due_backoff_next__waits_1_10_100_minutes_then_a_day(void **state)
{
	const time_t last = NB + 12345;

	(void)state;
	assert_int_equal(due_backoff_next(0, last), last);
	assert_int_equal(due_backoff_next(1, last), last + 60);
	assert_int_equal(due_backoff_next(2, last), last + 600);
	assert_int_equal(due_backoff_next(3, last), last + 6000);
	assert_int_equal(due_backoff_next(4, last), last + DAY);
	assert_int_equal(due_backoff_next(10, last), last + DAY);
	assert_int_equal(due_backoff_next(INT_MAX, last), last + DAY);
	assert_int_equal(due_backoff_next(-1, last), last);
}

static void
due_by_ari__renews_when_the_chosen_time_has_passed(void **state)
{
	(void)state;
	assert_true(due_by_ari(NB - 1, NB, 12 * HOUR));
	assert_true(due_by_ari(NB, NB, 12 * HOUR));
	assert_true(due_by_ari(NB, NB, 0));
}

static void
due_by_ari__renews_when_the_chosen_time_comes_before_the_next_run(
    void **state)
{
	(void)state;
	assert_true(due_by_ari(NB + 1, NB, 12 * HOUR));
	assert_true(due_by_ari(NB + 12 * HOUR - 1, NB, 12 * HOUR));
}

static void
due_by_ari__waits_when_the_next_run_comes_first(void **state)
{
	(void)state;
	/* At the next run the time will have come: renew then. */
	assert_false(due_by_ari(NB + 12 * HOUR, NB, 12 * HOUR));
	assert_false(due_by_ari(NB + 3 * DAY, NB, 12 * HOUR));
	assert_false(due_by_ari(NB + 1, NB, 0));
	assert_false(due_by_ari(NB + 1, NB, -HOUR));
	/* Far apart: no overflow in the difference. */
	assert_false(due_by_ari(INT64_MAX, INT64_MIN + 1, LONG_MAX));
}

static void
due_ari_time__follows_a_window_that_ends_before_expiry(void **state)
{
	const time_t na = NB + 90 * DAY, lifetime = NB + 60 * DAY;

	(void)state;
	/* Later than the lifetime rule, earlier, at the very end: the CA's. */
	assert_int_equal(due_ari_time(NB + 62 * DAY, NB + 63 * DAY, na,
	    lifetime), NB + 62 * DAY);
	assert_int_equal(due_ari_time(NB + 10 * DAY, NB + 11 * DAY, na,
	    lifetime), NB + 10 * DAY);
	assert_int_equal(due_ari_time(na - 2, na - 1, na, lifetime), na - 2);
}

static void
due_ari_time__never_later_than_the_lifetime_rule_past_expiry(void **state)
{
	const time_t na = NB + 90 * DAY, lifetime = NB + 60 * DAY;

	(void)state;
	/* A window that starts after notAfter: the lifetime rule. */
	assert_int_equal(due_ari_time(NB + 120 * DAY, NB + 121 * DAY, na,
	    lifetime), lifetime);
	/* One that reaches past it: as late as the lifetime rule at most. */
	assert_int_equal(due_ari_time(NB + 89 * DAY, NB + 91 * DAY, na,
	    lifetime), lifetime);
	assert_int_equal(due_ari_time(NB + 30 * DAY, na, na, lifetime),
	    NB + 30 * DAY);
	assert_int_equal(due_ari_time(INT64_MAX, INT64_MAX, na, lifetime),
	    lifetime);
}

static void
due_clamp__brings_a_time_stored_a_year_ahead_back_to_now_plus_max(
    void **state)
{
	(void)state;
	assert_int_equal(due_clamp(NB + 365 * DAY, NB, 600), NB + 600);
	assert_int_equal(due_clamp(INT64_MAX, NB, DAY), NB + DAY);
	assert_int_equal(due_clamp(NB + 1, NB, -1), NB);
}

static void
due_clamp__keeps_a_time_within_its_maximum(void **state)
{
	(void)state;
	assert_int_equal(due_clamp(NB + 600, NB, 600), NB + 600);
	assert_int_equal(due_clamp(NB + 59, NB, 600), NB + 59);
	/* Passed already: still passed. */
	assert_int_equal(due_clamp(NB - DAY, NB, 600), NB - DAY);
	assert_int_equal(due_clamp(0, NB, 600), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(due_time__a_90_day_certificate_is_due_30_days_before_expiry),
		cmocka_unit_test(due_time__a_45_day_certificate_is_due_15_days_before_expiry),
		cmocka_unit_test(due_time__a_160_hour_shortlived_certificate_is_due_at_half_its_life),
		cmocka_unit_test(due_time__half_applies_under_10_days_and_a_third_from_10),
		cmocka_unit_test(due_time__an_explicit_fraction_is_the_share_of_the_lifetime_left),
		cmocka_unit_test(due_time__explicit_seconds_count_back_from_expiry),
		cmocka_unit_test(due_time__seconds_not_shorter_than_the_lifetime_fall_back_to_the_default),
		cmocka_unit_test(due_time__a_fraction_outside_0_1_falls_back_to_the_default),
		cmocka_unit_test(due_time__a_certificate_that_ends_before_it_starts_is_due_at_once),
		cmocka_unit_test(due_backoff_next__waits_1_10_100_minutes_then_a_day),
		cmocka_unit_test(due_by_ari__renews_when_the_chosen_time_has_passed),
		cmocka_unit_test(due_by_ari__renews_when_the_chosen_time_comes_before_the_next_run),
		cmocka_unit_test(due_by_ari__waits_when_the_next_run_comes_first),
		cmocka_unit_test(due_ari_time__follows_a_window_that_ends_before_expiry),
		cmocka_unit_test(due_ari_time__never_later_than_the_lifetime_rule_past_expiry),
		cmocka_unit_test(due_clamp__brings_a_time_stored_a_year_ahead_back_to_now_plus_max),
		cmocka_unit_test(due_clamp__keeps_a_time_within_its_maximum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
