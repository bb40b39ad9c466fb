/*
 * certkey.c - a certificate's key and its CSR, as this process sees them:
 * the key is in the certificate key process (certkeyproc.h), which this
 * module asks for the CSR and to write the key; here are only its public
 * half and the CSR, or a user's CSR.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cert.h"
#include "certkey.h"
#include "certkeyproc.h"
#include "csr.h"

struct certkey {
	struct certkeyproc	*proc;		/* NULL with a user's CSR */
	size_t			 job;		/* its index there */
	EVP_PKEY		*pub;		/* NULL with a user's CSR */
	bool			 is_new;	/* to be written with the cert */
	X509_REQ		*req;		/* a user's CSR */
	char			*csr_b64url;
};

void
certkey_free(struct certkey *ck)
{
	if (ck == NULL)
		return;
	if (ck->proc != NULL)
		certkeyproc_close(ck->proc, ck->job);
	EVP_PKEY_free(ck->pub);
	X509_REQ_free(ck->req);
	free(ck->csr_b64url);
	free(ck);
}

/* Job job's key in p, from fd (-1: new of type); NULL and *e on failure. */
static struct certkey *
open_in(struct certkeyproc *p, size_t job, int fd, const char *what,
    enum key_type type, bool is_new, struct err *e)
{
	struct certkey *ck;

	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	ck->proc = p;
	ck->job = job;
	ck->is_new = is_new;
	if (certkeyproc_open(p, job, fd, what, type, &ck->pub,
	    &ck->csr_b64url, e) == 0)
		return ck;
	certkey_free(ck);
	return NULL;
}

struct certkey *
certkey_new(struct certkeyproc *p, size_t job, enum key_type type,
    struct err *e)
{
	return open_in(p, job, -1, "a new key", type, true, e);
}

struct certkey *
certkey_load(struct certkeyproc *p, size_t job, int fd, const char *what,
    bool is_new, struct err *e)
{
	return open_in(p, job, fd, what, KEY_EC256, is_new, e);
}

int
certkey_fits(const struct certkey *ck, struct certkeyproc *p, int fd,
    const char *what, struct err *e)
{
	EVP_PKEY *key;
	int same;

	if (ck->req == NULL || fd == -1)
		return 0;
	if ((key = certkeyproc_peek(p, fd, what, e)) == NULL)
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

	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
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
	return ck->pub ? ck->pub : X509_REQ_get0_pubkey(ck->req);
}

bool
certkey_is_users(const struct certkey *ck)
{
	return ck->proc == NULL;
}

int
certkey_check(const struct certkey *ck, X509 *leaf, const struct names *names,
    struct err *e)
{
	return cert_check(leaf, certkey_public(ck), names, e);
}

bool
certkey_is_new(const struct certkey *ck)
{
	return ck->is_new;
}

int
certkey_write(void *ck, int fd, struct err *e)
{
	const struct certkey *k = ck;

	return certkeyproc_write(k->proc, k->job, fd, e);
}
