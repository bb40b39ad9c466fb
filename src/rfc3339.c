/*
 * rfc3339.c - RFC 3339 section 5.6 timestamps.
 *
 * The date becomes a day count by arithmetic rather than strptime(3) and
 * timegm(3): no dependence on TZ, the locale or the C library's year
 * range, and every byte of the server's string is checked here.
 */
#include <stdbool.h>

#include "rfc3339.h"

#define DAY	86400LL

/* n decimal digits at *p, advancing *p past them; -1 at a non-digit. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/* Step over c (or its lower-case form lc) at *p. */
static bool
skip(const char **p, char c, char lc)
{
	if (**p != c && **p != lc)
		return false;
	(*p)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (RFC 3339 section 5.7), by H. Hinnant's days_from_civil: years start
 * in March so the leap day is last, and 400-year eras repeat exactly.
 */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* time-offset: "Z" or ("+" / "-") time-hour ":" time-minute, in seconds. */
static int
parse_offset(const char **p, long *off)
{
	int sign, h, m;

	if (skip(p, 'Z', 'z')) {
		*off = 0;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if ((h = digits(p, 2)) < 0 || h > 23 || !skip(p, ':', ':') ||
	    (m = digits(p, 2)) < 0 || m > 59)
		return -1;
	*off = sign * (h * 3600L + m * 60L);
	return 0;
}

int
rfc3339_parse(const char *s, time_t *t)
{
	const char *p = s;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	long off;

	if (s == NULL)
		return -1;
	if ((y = digits(&p, 4)) < 0 || !skip(&p, '-', '-') ||
	    (mo = digits(&p, 2)) < 1 || mo > 12 || !skip(&p, '-', '-') ||
	    (d = digits(&p, 2)) < 1 || d > days_in_month(y, mo) ||
	    !skip(&p, 'T', 't') ||
	    (h = digits(&p, 2)) < 0 || h > 23 || !skip(&p, ':', ':') ||
	    (mi = digits(&p, 2)) < 0 || mi > 59 || !skip(&p, ':', ':') ||
	    (sec = digits(&p, 2)) < 0 || sec > 60)
		return -1;
	if (skip(&p, '.', '.')) {
		/* time-secfrac = "." 1*DIGIT */
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (parse_offset(&p, &off) == -1 || *p != '\0')
		return -1;
	*t = (time_t)(days_from_civil(y, mo, d) * DAY + h * 3600LL +
	    mi * 60LL + sec - off);
	return 0;
}
