/*
 * fuzz_acme_directory.c - the directory (RFC 8555 section 7.1.1) as the
 * CA sends it: acme_new() and everything read from it, the renewalInfo
 * URL (RFC 9773) included.
 */
#include <stdlib.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ca ca = { .body = (const char *)data, .len = size,
	    .directory_body = 1, .post_status = 200, .retry_after = NULL };
	struct acme_outcome out;
	struct acme *a;
	struct err e;
	char *body = NULL, *profiles;
	size_t len;

	if ((a = fuzz_acme_new(&ca)) == NULL)
		return 0;
	(void)acme_terms_of_service(a);
	(void)acme_eab_required(a);
	(void)acme_profile_offered(a, "shortlived");
	if ((profiles = acme_profiles(a)) != NULL)
		free(profiles);
	if (acme_has_renewal_info(a) &&
	    acme_renewal_info(a, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", &body,
	    &len, &out, &e) == 0)
		free(body);
	acme_free(a);
	return 0;
}
