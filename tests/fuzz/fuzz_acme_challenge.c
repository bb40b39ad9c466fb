/*
 * fuzz_acme_challenge.c - the challenge object the CA answers a response
 * with (RFC 8555 section 7.5.1), through acme_challenge_respond().
 */
#include <stdlib.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ca ca = { .body = (const char *)data, .len = size,
	    .directory_body = 0, .post_status = 200, .retry_after = NULL };
	const struct acme_who who = fuzz_who();
	struct acme_authz z = {
		.url = FUZZ_CA "/authz/1", .identifier = "example.com",
		.status = "pending", .challenge_url = FUZZ_CA "/chall/1",
		.token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0",
	};
	struct acme_outcome out;
	char *status, *error;
	struct acme *a;
	struct err e;

	if ((a = fuzz_acme_new(&ca)) == NULL)
		abort();
	if (acme_challenge_respond(a, &who, &z, &status, &error, &out,
	    &e) == 0) {
		free(status);
		free(error);
	}
	acme_free(a);
	return 0;
}
