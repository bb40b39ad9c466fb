/*
 * certkey.h - a certificate's key as the engine sees it: the key lives in
 * the certificate key process (certkeyproc.h), which generates or reads
 * it, signs the CSR and writes it into the output set; here are its
 * public half and the CSR, or a user's CSR whose key acmec never sees.
 */
#ifndef ACMEC_CERTKEY_H
#define ACMEC_CERTKEY_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "err.h"
#include "key.h"
#include "names.h"
#include "certkeyproc.h"

struct certkey;

/*
 * A new key of type for job job (its index in p, certkeyproc.h), held by
 * p, and its CSR for that job's names.  Written with the certificate.
 */
struct certkey *certkey_new(struct certkeyproc *p, size_t job,
    enum key_type type, struct err *e);

/*
 * The key in the PEM file open at fd (what names it in messages), for job
 * job: read by p, never here.  is_new: not in the output set yet (a key an
 * earlier run announced or kept with its order), so it is written with
 * the certificate.
 */
struct certkey *certkey_load(struct certkeyproc *p, size_t job, int fd,
    const char *what, bool is_new, struct err *e);

/*
 * A user's CSR at csr_path, whose key acmec never sees: its names (each
 * checked like -d) go into *names (empty on entry).
 */
struct certkey *certkey_from_csr(const char *csr_path, struct names *names,
    struct err *e);

/*
 * The key in place (the file open at fd, -1: none; p reads it) must be the
 * CSR's, or the output set would pair a key with a certificate for another
 * (always true for a key of acmec's own).
 */
int certkey_fits(const struct certkey *ck, struct certkeyproc *p, int fd,
    const char *what, struct err *e);

/* The CSR as finalize wants it (base64url DER); borrowed. */
const char *certkey_csr(const struct certkey *ck);

/* Refuse a certificate not for this key or not for exactly names. */
int certkey_check(const struct certkey *ck, X509 *leaf,
    const struct names *names, struct err *e);

/* Whether the key is new in this run: the output set gets it. */
bool certkey_is_new(const struct certkey *ck);

/*
 * An output_key_writer (output.h): the key process writes the key of ck
 * (a struct certkey) into the empty file at fd.
 */
int certkey_write(void *ck, int fd, struct err *e);

/*
 * The public key (borrowed), and whether it is a user's CSR's, for the
 * checks against retired keys and the account key.
 */
EVP_PKEY *certkey_public(const struct certkey *ck);
bool certkey_is_users(const struct certkey *ck);

void certkey_free(struct certkey *ck);

#endif
