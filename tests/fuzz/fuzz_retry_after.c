/*
 * fuzz_retry_after.c - a Retry-After header (RFC 9110 section 10.2.3):
 * delta-seconds or an IMF-fixdate, and what ARI makes of it.
 */
#include <stdlib.h>

#include "ari.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	long secs;

	if (s == NULL)
		return 0;
	/* Tue Nov 24 2026 00:00:00 UTC, and the epoch. */
	secs = acme_retry_after_parse(s, (time_t)1795478400);
	/* The engine multiplies by 1000: nothing else may come out. */
	if (secs < -1 || secs > ACME_RETRY_AFTER_MAX)
		abort();
	(void)ari_recheck_after(secs);
	secs = acme_retry_after_parse(s, 0);
	if (secs < -1 || secs > ACME_RETRY_AFTER_MAX)
		abort();
	free(s);
	return 0;
}
