/*
 * fuzz_csr.c - a user's CSR file (PEM or DER PKCS#10, RFC 2986): loaded,
 * its self-signature checked, its names read.
 */
#include "csr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct names names = { NULL, 0 };
	X509_REQ *req;
	struct err e;

	if ((req = csr_load(fuzz_write_file(data, size), &e)) == NULL)
		return 0;
	/* On failure names keeps what was read so far: cleared either way. */
	(void)csr_names(req, &names, &e);
	names_clear(&names);
	X509_REQ_free(req);
	return 0;
}
