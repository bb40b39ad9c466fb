/*
 * fuzz_cert.c - the PEM chain a CA sends (RFC 8555 section 9.1) and the
 * checks before it replaces anything: the leaf's key and names against a
 * fixed key and names, its expiry, its ARI certificate ID (RFC 9773
 * section 4.1), the rest of the chain written back out.
 */
#include <stdlib.h>

#include <openssl/pem.h>

#include "ari.h"
#include "cert.h"
#include "fuzz.h"

/*
 * The key of the leaf in corpus/cert (made once with openssl, a test key
 * and nothing else), so a seed passes cert_check() and the fuzzer starts
 * from a leaf that gets past the key comparison.
 */
static const char leaf_key_pem[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIGVqGfXSfr0RQy6gUO8N9NcL9abJsolIjsnUjos39+peoAoGCCqGSM49\n"
    "AwEHoUQDQgAEWQWXnfN2nCc1HjOagGxeYMzwHLOvTbTjVVBinUm7VCyA77hxKQmx\n"
    "EqSmOoEliDr0m/3Fl5D2k1PWlqC+++Y19g==\n"
    "-----END EC PRIVATE KEY-----\n";

static EVP_PKEY *
leaf_key(void)
{
	static EVP_PKEY *key;
	BIO *bio;

	if (key == NULL) {
		if ((bio = BIO_new_mem_buf(leaf_key_pem, -1)) == NULL ||
		    (key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) ==
		    NULL)
			abort();
		BIO_free(bio);
	}
	return key;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *v[] = { "example.com", "www.example.com" };
	const struct names want = { (char **)v, 2 };
	struct names got = { NULL, 0 };
	STACK_OF(X509) *chain;
	char *pem, *id;
	struct err e;
	time_t when;
	X509 *leaf;

	if ((chain = cert_chain_parse((const char *)data, size, &e)) == NULL)
		return 0;
	leaf = sk_X509_value(chain, 0);
	(void)cert_check(leaf, leaf_key(), &want, &e);
	/* On failure got keeps the names read so far: cleared either way. */
	(void)cert_names(leaf, &got, &e);
	names_clear(&got);
	(void)cert_not_after(leaf, &when, &e);
	if ((id = ari_cert_id(leaf, &e)) != NULL)
		free(id);
	if ((pem = cert_chain_pem(chain, 1, sk_X509_num(chain), &e)) != NULL)
		free(pem);
	cert_chain_free(chain);
	return 0;
}
