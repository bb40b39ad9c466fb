/*
 * cert.h - checking what the CA issued before it replaces anything.
 */
#ifndef ACMEC_CERT_H
#define ACMEC_CERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "names.h"

/* The certificates of a PEM chain, leaf first; new stack, at least one. */
STACK_OF(X509) *cert_chain_parse(const char *pem, size_t len, struct err *e);
void cert_chain_free(STACK_OF(X509) *chain);

/* PEM text of certificates [from, to) of chain; new string. */
char *cert_chain_pem(STACK_OF(X509) *chain, int from, int to, struct err *e);

/*
 * Refuse a leaf that does not carry pubkey or whose DNS names differ from
 * names.  The message says which.
 */
int cert_check(X509 *leaf, EVP_PKEY *pubkey, const struct names *names,
    struct err *e);

/* The DNS names of a certificate (subjectAltName). */
int cert_names(X509 *cert, struct names *out, struct err *e);

/* Load the first certificate of a PEM file; new object. */
X509 *cert_load(const char *path, struct err *e);

/*
 * The serial number in lower-case hex without leading zeros, as pebble and
 * STATE_DIR/revoked/ name it; new string, NULL on ENOMEM.
 */
char *cert_serial_hex(X509 *cert);

/* notAfter as time_t. */
int cert_not_after(X509 *cert, time_t *when, struct err *e);

#endif
