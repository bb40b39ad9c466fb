/*
 * due.c - renewal time by lifetime share, failure backoff, and the ARI
 * decision (RFC 9773 section 4.2).
 */
#include <stdint.h>

#include "due.h"

#define DAY	86400L

time_t
due_time(time_t not_before, time_t not_after, const struct renew_before *rb)
{
	time_t lifetime = not_after - not_before;

	if (lifetime <= 0)
		return not_before;
	/* Written so that NaN fails the range check too. */
	if (rb != NULL && rb->kind == RENEW_BEFORE_FRACTION &&
	    rb->fraction > 0 && rb->fraction < 1)
		/* Rounded: 0.1 * 160 h must not come out a second short. */
		return not_after -
		    (time_t)(rb->fraction * (double)lifetime + 0.5);
	if (rb != NULL && rb->kind == RENEW_BEFORE_SECONDS &&
	    rb->seconds > 0 && rb->seconds < lifetime)
		return not_after - rb->seconds;
	/*
	 * A shortlived certificate renewed with a third left would leave
	 * about two days to recover from a failure; half leaves three.
	 */
	if (lifetime < DUE_SHORT_LIFETIME)
		return not_before + lifetime / 2;
	return not_after - lifetime / 3;
}

time_t
due_backoff_next(int failures, time_t last)
{
	static const long wait[] = { 0, 60, 600, 6000 };

	if (failures <= 0)
		return last;
	if (failures < (int)(sizeof(wait) / sizeof(wait[0])))
		return last + wait[failures];
	return last + DAY;
}

bool
due_by_ari(time_t chosen, time_t now, long run_interval)
{
	if (chosen <= now)
		return true;
	if (run_interval <= 0)
		return false;
	/* chosen > now: the unsigned difference is exact, and cannot wrap. */
	return (uint64_t)chosen - (uint64_t)now < (uint64_t)run_interval;
}

time_t
due_clamp(time_t stored, time_t now, long max)
{
	if (max < 0)
		max = 0;
	/* stored > now: the unsigned difference is exact. */
	if (stored > now && (uint64_t)stored - (uint64_t)now > (uint64_t)max)
		return now + max;
	return stored;
}

time_t
due_ari_time(time_t chosen, time_t window_end, time_t not_after,
    time_t lifetime_due)
{
	if (window_end < not_after || chosen <= lifetime_due)
		return chosen;
	return lifetime_due;
}
