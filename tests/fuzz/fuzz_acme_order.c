/*
 * fuzz_acme_order.c - an order object (RFC 8555 section 7.1.3) as the
 * answer to newOrder, to a POST-as-GET of the order and to finalize.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "names.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ca ca = { .body = (const char *)data, .len = size,
	    .directory_body = 0, .post_status = 201, .retry_after = "3" };
	static const char *v[] = { "example.com", "www.example.com" };
	const struct names names = { (char **)v, 2 };
	const struct acme_order_request oreq = { &names, NULL, NULL };
	const struct acme_who who = fuzz_who();
	struct acme_order *o = NULL;
	struct acme_outcome out;
	struct acme *a;
	struct err e;

	if ((a = fuzz_acme_new(&ca)) == NULL)
		abort();
	if (acme_order_new(a, &who, &oreq, &o, &out, &e) == 0) {
		ca.post_status = 200;
		(void)acme_order_fetch(a, &who, o, &out, &e);
		(void)acme_order_finalize(a, &who, o, "MIIB", &out, &e);
		acme_order_free(o);
	}
	acme_free(a);
	return 0;
}
