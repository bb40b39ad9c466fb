/*
 * fuzz_conffile.c - the configuration file (acmec.conf(5)) through
 * conf_load(), as "acmec renew" reads it.
 */
#include "conffile.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	struct err e;

	if (conf_load(fuzz_write_file(data, size), &c, &e) == 0)
		conf_free(c);
	return 0;
}
