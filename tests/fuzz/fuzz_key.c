/*
 * fuzz_key.c - a user's private key file (PEM: PKCS#8, traditional RSA
 * or EC), loaded and described.
 */
#include "fuzz.h"
#include "key.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *key;
	struct err e;

	if ((key = key_load(fuzz_write_file(data, size), STORE_WARN,
	    &e)) == NULL)
		return 0;
	(void)key_describe(key);
	EVP_PKEY_free(key);
	return 0;
}
