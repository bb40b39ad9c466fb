/*
 * fuzz_acme_authz.c - an authorization object (RFC 8555 section 7.1.4)
 * and its challenges, as acme_authz_fetch() reads them.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ca ca = { .body = (const char *)data, .len = size,
	    .directory_body = 0, .post_status = 200, .retry_after = NULL };
	const struct acme_who who = fuzz_who();
	struct acme_authz *z = NULL;
	struct acme_outcome out;
	struct acme *a;
	struct err e;

	if ((a = fuzz_acme_new(&ca)) == NULL)
		abort();
	if (acme_authz_fetch(a, &who, FUZZ_CA "/authz/1", &z, &out, &e) == 0)
		acme_authz_free(z);
	acme_free(a);
	return 0;
}
