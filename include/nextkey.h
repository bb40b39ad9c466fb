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
#include "certkeyproc.h"
#include "key.h"

/*
 * The key announced at path, open: 0 and *fd (the caller closes it and
 * hands it to the certificate key process), or *fd -1 if there is none.
 * -1 if it is refused (a link, a file others may read) or cannot be
 * opened; *e says so and how to recover.  Opening creates nothing.
 */
int nextkey_open(const char *path, int *fd, struct err *e);

/*
 * hex: the TLSA 3 1 1 value (key_spki_sha256) of the key announced at
 * path, read by the certificate key process p.  0; 1 if there is none;
 * -1 as nextkey_open, or not a key.
 */
int nextkey_spki_sha256(const char *path, struct certkeyproc *p,
    char hex[KEY_ID_LEN + 1], struct err *e);

/*
 * A new key of type, made and written by the certificate key process p,
 * announced at path in place of the one there (the one a renewal just
 * switched in), atomically; hex its TLSA 3 1 1 value.
 */
int nextkey_make(const char *path, struct certkeyproc *p, enum key_type type,
    char hex[KEY_ID_LEN + 1], struct err *e);

#endif
