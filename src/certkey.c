/*
 * certkey.c - the certificate's private key and its CSR.  The key never
 * leaves this module but as the PEM of a new key for the output set.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cert.h"
#include "certkey.h"
#include "csr.h"
#include "log.h"
#include "store.h"

struct certkey {
	EVP_PKEY	*key;		/* NULL with a user's CSR */
	bool		 is_new;	/* to be written with the certificate */
	X509_REQ	*req;
	char		*csr_b64url;
};

void
certkey_free(struct certkey *ck)
{
	if (ck == NULL)
		return;
	EVP_PKEY_free(ck->key);
	X509_REQ_free(ck->req);
	free(ck->csr_b64url);
	free(ck);
}

static struct certkey *
certkey_alloc(struct err *e)
{
	struct certkey *ck = calloc(1, sizeof(*ck));

	if (ck == NULL)
		err_set(e, "out of memory");
	return ck;
}

/* ck with its key (NULL: failed) gets its CSR for names; freed on error. */
static struct certkey *
with_csr(struct certkey *ck, const struct names *names, struct err *e)
{
	if (ck->key == NULL ||
	    (ck->req = csr_new(ck->key, names, e)) == NULL ||
	    (ck->csr_b64url = csr_to_b64url(ck->req, e)) == NULL) {
		certkey_free(ck);
		return NULL;
	}
	return ck;
}

struct certkey *
certkey_open(const char *key_pem, size_t len, const char *what,
    const struct cert_spec *spec, const struct names *names, struct err *e)
{
	struct certkey *ck;

	if ((ck = certkey_alloc(e)) == NULL)
		return NULL;
	if (key_pem != NULL) {
		ck->key = key_from_pem(key_pem, len, what, e);
		if (ck->key != NULL && spec->key_type_given &&
		    strcmp(key_describe(ck->key),
		    key_type_name(spec->key_type)) != 0)
			log_info("reusing %s (%s); the key type applies to new "
			    "keys only (leave out --reuse-key for a new one)",
			    what, key_describe(ck->key));
	} else {
		ck->key = key_generate(spec->key_type, e);
		ck->is_new = true;
	}
	return with_csr(ck, names, e);
}

struct certkey *
certkey_from_pem(const char *pem, const char *what, const struct names *names,
    struct err *e)
{
	struct certkey *ck;

	if ((ck = certkey_alloc(e)) == NULL)
		return NULL;
	ck->key = key_from_pem(pem, strlen(pem), what, e);
	/* Not in the output set yet: written with the certificate. */
	ck->is_new = true;
	return with_csr(ck, names, e);
}

int
certkey_fits(const struct certkey *ck, const char *key_pem, size_t len,
    const char *what, struct err *e)
{
	EVP_PKEY *key;
	int same;

	if (ck->key != NULL || key_pem == NULL)
		return 0;
	if ((key = key_from_pem(key_pem, len, what, e)) == NULL)
		return -1;
	same = EVP_PKEY_eq(key, X509_REQ_get0_pubkey(ck->req)) == 1;
	EVP_PKEY_free(key);
	if (same)
		return 0;
	err_set(e, "%s is not the key of the CSR: a new certificate there "
	    "would not match it; give another --out, or move %s away",
	    what, what);
	return -1;
}

struct certkey *
certkey_from_csr(const char *csr_path, struct names *names, struct err *e)
{
	struct certkey *ck;

	if ((ck = certkey_alloc(e)) == NULL)
		return NULL;
	if ((ck->req = csr_load(csr_path, e)) == NULL ||
	    csr_names(ck->req, names, e) == -1)
		goto fail;
	/* A name from a file must never become a path of its own. */
	if (names_check_dns(names, e) == -1) {
		err_prefix(e, "%s", csr_path);
		goto fail;
	}
	if ((ck->csr_b64url = csr_to_b64url(ck->req, e)) == NULL)
		goto fail;
	return ck;
fail:
	certkey_free(ck);
	return NULL;
}

const char *
certkey_csr(const struct certkey *ck)
{
	return ck->csr_b64url;
}

EVP_PKEY *
certkey_public(const struct certkey *ck)
{
	return ck->key ? ck->key : X509_REQ_get0_pubkey(ck->req);
}

bool
certkey_is_users(const struct certkey *ck)
{
	return ck->key == NULL;
}

int
certkey_check(const struct certkey *ck, X509 *leaf, const struct names *names,
    struct err *e)
{
	return cert_check(leaf, certkey_public(ck), names, e);
}

int
certkey_new_pem(const struct certkey *ck, char **pem, struct err *e)
{
	*pem = NULL;
	if (!ck->is_new)
		return 0;
	return (*pem = key_to_pem(ck->key, e)) != NULL ? 0 : -1;
}
