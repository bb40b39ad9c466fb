/*
 * rfc3339.h - Internet timestamps (RFC 3339 section 5.6), as ACME servers
 * send them (RFC 8555 section 7.1, RFC 9773 section 4.2).
 */
#ifndef ACMEC_RFC3339_H
#define ACMEC_RFC3339_H

#include <time.h>

/*
 * Parse s, a date-time of RFC 3339 section 5.6 ("2021-01-03T00:00:00Z"),
 * into seconds since the epoch.  Accepts fractional seconds (dropped: the
 * time is rounded down), "Z" or a "+hh:mm"/"-hh:mm" offset, lower-case
 * "t" and "z" (section 5.6, NOTE), and second 60 (a leap second counts as
 * the first second of the next minute).  Checks every field's range,
 * including the day of the month; nothing may follow the offset.
 * 0 on success; -1 (and *t untouched) otherwise.  Untrusted input: reads
 * s only up to its NUL and never past a byte that does not fit.
 */
int rfc3339_parse(const char *s, time_t *t);

#endif
