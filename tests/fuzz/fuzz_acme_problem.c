/*
 * fuzz_acme_problem.c - a problem document (RFC 8555 section 6.7, RFC
 * 7807): described on its own, and as the answer to a signed request
 * (HTTP 400, then 503), where it sets the outcome.
 */
#include <stdlib.h>

#include <jansson.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ca ca = { .body = (const char *)data, .len = size,
	    .directory_body = 0, .post_status = 400, .retry_after = "120" };
	const struct acme_who who = fuzz_who();
	struct acme_order order = { .url = FUZZ_CA "/order/1",
	    .retry_after = -1 };
	struct acme_outcome out;
	struct acme *a;
	struct err e;
	json_t *v;
	char *desc;

	if ((v = json_loadb((const char *)data, size, 0, NULL)) != NULL) {
		if ((desc = acme_problem_describe(v)) != NULL)
			free(desc);
		json_decref(v);
	}
	if ((a = fuzz_acme_new(&ca)) == NULL)
		abort();
	(void)acme_order_fetch(a, &who, &order, &out, &e);
	(void)acme_refused_with(&out, "badNonce");
	ca.post_status = 503;
	(void)acme_order_fetch(a, &who, &order, &out, &e);
	free(order.status);
	free(order.finalize);
	free(order.certificate);
	free(order.error);
	for (size_t i = 0; i < order.nauthorizations; i++)
		free(order.authorizations[i]);
	free(order.authorizations);
	acme_free(a);
	return 0;
}
