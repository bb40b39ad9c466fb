/*
 * csr.h - certificate signing requests (PKCS#10).
 */
#ifndef ACMEC_CSR_H
#define ACMEC_CSR_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "names.h"

/* A CSR signed by key for names (all in subjectAltName, the first as CN). */
X509_REQ *csr_new(EVP_PKEY *key, const struct names *names, struct err *e);

/*
 * Load a PEM or DER CSR and check its self-signature and its key (as
 * key_check_supported: "PATH: the CSR's key is a 1024-bit RSA key; only
 * ..."); new object.
 */
X509_REQ *csr_load(const char *path, struct err *e);

/* The DNS names a CSR asks for (subjectAltName, and CN if not there). */
int csr_names(X509_REQ *req, struct names *out, struct err *e);

/* DER as base64url, as newOrder's finalize wants it; new string. */
char *csr_to_b64url(X509_REQ *req, struct err *e);

#endif
