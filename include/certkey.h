/*
 * certkey.h - custody of a certificate's private key: the only module
 * that generates, loads or hands out that key, and that signs the CSR
 * with it.  Other modules see the CSR and, for a new key, its PEM for the
 * output set.
 */
#ifndef ACMEC_CERTKEY_H
#define ACMEC_CERTKEY_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "err.h"
#include "key.h"
#include "names.h"
#include "spec.h"

struct certkey;

/*
 * The key in place, key_pem (len bytes, read from what), if the caller
 * gives one to keep it, else (NULL) a new key of spec->key_type; and a
 * CSR for names.
 */
struct certkey *certkey_open(const char *key_pem, size_t len,
    const char *what, const struct cert_spec *spec,
    const struct names *names, struct err *e);

/*
 * The new key pem (PEM text from what, for messages) that an earlier run
 * generated and kept with its order (resume.h), and a CSR for names.  The
 * key counts as new: certkey_new_pem gives it for the output set.
 */
struct certkey *certkey_from_pem(const char *pem, const char *what,
    const struct names *names, struct err *e);

/*
 * A user's CSR at csr_path, whose key acmec never sees: its names (each
 * checked like -d) go into *names (empty on entry).
 */
struct certkey *certkey_from_csr(const char *csr_path, struct names *names,
    struct err *e);

/*
 * The key in place (key_pem, as for certkey_open) must be the CSR's, or
 * the output set would pair a key with a certificate for another (always
 * true for a key of acmec's own, which is loaded from there).
 */
int certkey_fits(const struct certkey *ck, const char *key_pem, size_t len,
    const char *what, struct err *e);

/* The CSR as finalize wants it (base64url DER); borrowed. */
const char *certkey_csr(const struct certkey *ck);

/* Refuse a certificate not for this key or not for exactly names. */
int certkey_check(const struct certkey *ck, X509 *leaf,
    const struct names *names, struct err *e);

/*
 * *pem: the PEM of a key that is new in this run, for the output set (the
 * caller cleanses and frees it); NULL when there is nothing to write (an
 * existing key, or a user's CSR).
 */
int certkey_new_pem(const struct certkey *ck, char **pem, struct err *e);

/*
 * The public key (borrowed), and whether it is a user's CSR's, for the
 * checks against retired keys and the account key.
 */
EVP_PKEY *certkey_public(const struct certkey *ck);
bool certkey_is_users(const struct certkey *ck);

void certkey_free(struct certkey *ck);

#endif
