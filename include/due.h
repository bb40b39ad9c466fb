/*
 * due.h - when a certificate is due for renewal, and when to try again
 * after failures.
 *
 * Renewal is a share of the lifetime, never a fixed number of days
 * (ACME-2026.md: lifetimes fall to 47 days by 2029 and shortlived
 * certificates last 160 hours).  Pure functions of their arguments: the
 * caller passes the current time.
 */
#ifndef ACMEC_DUE_H
#define ACMEC_DUE_H

#include <stdbool.h>
#include <time.h>

/*
 * How long before expiry to renew, as the renewal config says it.
 * Declared here and in conffile.h alike until the two are merged.
 */
enum renew_before_kind {
	RENEW_BEFORE_DEFAULT,	/* the share below */
	RENEW_BEFORE_FRACTION,	/* fraction of the lifetime left, (0, 1) */
	RENEW_BEFORE_SECONDS	/* seconds before notAfter ("30d") */
};

struct renew_before {
	enum renew_before_kind	 kind;
	double			 fraction;
	long			 seconds;
};

#define DUE_SHORT_LIFETIME	(10 * 86400L)	/* under it: renew at half */

/*
 * The time from which a certificate valid [not_before, not_after) is due
 * by its lifetime.  RENEW_BEFORE_DEFAULT (or rb NULL): when a third of
 * the lifetime is left, or half of it for lifetimes under
 * DUE_SHORT_LIFETIME.  A fraction outside (0, 1), or seconds not less
 * than the lifetime (which would make every new certificate due at once
 * and renew it on each run), fall back to the default.  A certificate
 * whose lifetime is not positive is due from not_before.
 */
time_t due_time(time_t not_before, time_t not_after,
    const struct renew_before *rb);

/*
 * The time of the next attempt after failures consecutive failures, the
 * last at last: 1 minute, 10 minutes, 100 minutes, then 1 day each (Let's
 * Encrypt's integration guide).  failures <= 0: last (no wait).
 */
time_t due_backoff_next(int failures, time_t last);

/*
 * ARI (RFC 9773 section 4.2, steps 3 and 5): renew now if chosen, the
 * time picked in the suggested window, has passed or comes before the
 * next run at now + run_interval (seconds; negative counts as 0).
 */
bool due_by_ari(time_t chosen, time_t now, long run_interval);

/*
 * When to renew by ARI: chosen, the time picked in the CA's window that
 * ends at window_end; but a window reaching past not_after, the
 * certificate's expiry (a CA's bug, or a hostile answer), never makes it
 * later than lifetime_due, the time due_time() gives.
 */
time_t due_ari_time(time_t chosen, time_t window_end, time_t not_after,
    time_t lifetime_due);

/*
 * A time an earlier run stored for a wait of at most max seconds, as read
 * at now: never later than now + max.  That run's wall clock may have
 * been far ahead (a year, say): the wait must not last a year.
 */
time_t due_clamp(time_t stored, time_t now, long max);

#endif
