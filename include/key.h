/*
 * key.h - private keys: generate, load and save PEM.
 */
#ifndef ACMEC_KEY_H
#define ACMEC_KEY_H

#include <openssl/evp.h>

#include "err.h"
#include "store.h"

enum key_type {
	KEY_EC256,
	KEY_EC384,
	KEY_RSA2048,
	KEY_RSA3072,
	KEY_RSA4096,
};

/* "ec-256", "rsa-4096", ... -> type; -1 if unknown. */
int key_type_parse(const char *name, enum key_type *type);
const char *key_type_name(enum key_type type);

/* A new key of type; caller frees with EVP_PKEY_free. */
EVP_PKEY *key_generate(enum key_type type, struct err *e);

/*
 * Load a PEM private key (PKCS#8, traditional RSA or EC); new key.  The
 * file is read with store_read_private(access): an account key is
 * STORE_PRIVATE, a certificate key STORE_GROUP_READ (a group such as
 * Debian's ssl-cert may read it).
 */
EVP_PKEY *key_load(const char *path, enum store_access access,
    struct err *e);

/*
 * key_load of the len bytes of PEM text at pem, which come from what (a
 * file name, for messages).
 */
EVP_PKEY *key_from_pem(const char *pem, size_t len, const char *what,
    struct err *e);

/*
 * 0 for a key acmec and ACME CAs use: RSA of 2048 bits or more, EC P-256
 * or P-384.  Else -1 and "a 1024-bit RSA key; only RSA (2048 bits or
 * more) and EC P-256/P-384 keys are supported" (callers add the file).
 */
int key_check_supported(EVP_PKEY *key, struct err *e);

/* PEM text (PKCS#8) of a private key; new string, never logged. */
char *key_to_pem(EVP_PKEY *key, struct err *e);

/* Save as PEM, mode 0600, atomically. */
int key_save(EVP_PKEY *key, const char *path, struct err *e);

/*
 * The hex SHA-256 of the DER SubjectPublicKeyInfo of key (private or
 * public only): what a TLSA 3 1 1 record holds, and how acmec names a
 * key it has retired (retired.h).  id gets KEY_ID_LEN digits and a NUL.
 */
#define KEY_ID_LEN	64
int key_spki_sha256(EVP_PKEY *key, char id[KEY_ID_LEN + 1], struct err *e);

/* Short description for humans: "ec-256", "rsa-2048". */
const char *key_describe(EVP_PKEY *key);

#endif
