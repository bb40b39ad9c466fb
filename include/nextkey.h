/*
 * nextkey.h - the key announced for a certificate's next renewal
 * (next-key = yes), so that it can be published (DANE TLSA 3 1 1, pins)
 * before it is used: STATE_DIR/next-keys/NAME-HASH.pem, mode 0600 in a
 * 0700 directory, never in the output directory a web server reads.
 * Read and written relative to that directory, following no link.
 */
#ifndef ACMEC_NEXTKEY_H
#define ACMEC_NEXTKEY_H

#include <stddef.h>

#include "err.h"
#include "key.h"

/*
 * *pem (new, NUL-terminated; the caller cleanses and frees it) and *len:
 * the key announced at path, or NULL if there is none.  0, or -1 if it
 * is refused (a link, a file others may read) or cannot be read.
 */
int nextkey_read(const char *path, char **pem, size_t *len, struct err *e);

/*
 * hex: the TLSA 3 1 1 value (key_spki_sha256) of the key announced at
 * path.  0; 1 if there is none; -1 as nextkey_read, or not a key.
 */
int nextkey_spki_sha256(const char *path, char hex[KEY_ID_LEN + 1],
    struct err *e);

/*
 * A new key of type, announced at path in place of the one there (the
 * one a renewal just switched in), atomically.
 */
int nextkey_make(const char *path, enum key_type type, struct err *e);

#endif
