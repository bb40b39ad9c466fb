/*
 * fuzz_rfc3339.c - an RFC 3339 date-time (section 5.6), as in ACME
 * "expires" and ARI windows.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "rfc3339.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	time_t t;

	if (s == NULL)
		return 0;
	(void)rfc3339_parse(s, &t);
	free(s);
	return 0;
}
