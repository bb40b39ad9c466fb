/*
 * eab.h - the HMAC key of external account binding (RFC 8555 7.3.4): a
 * secret, so it may come from a file or the environment, where other
 * users cannot see it, rather than from the command line, where they can
 * (/proc/PID/cmdline, ps).
 */
#ifndef ACMEC_EAB_H
#define ACMEC_EAB_H

#include "err.h"

#define EAB_KEY_ENV	"ACMEC_EAB_HMAC_KEY"

/*
 * The first line of path, its newline stripped: a regular file (a FIFO is
 * refused), warned about ("warning: PATH can be read or written by other
 * users (mode 0644); chmod 600 PATH") if others may read it.  The key must
 * be base64url.  *key is new: free it with eab_key_free.
 */
int eab_key_read_file(const char *path, char **key, struct err *e);

/*
 * The key from the first of: value (--eab-hmac-key, eab-hmac-key =),
 * the file (--eab-hmac-key-file, eab-hmac-key-file =), the environment
 * variable EAB_KEY_ENV.  *key is new, or NULL if none gives one.
 */
int eab_key_get(const char *value, const char *file, char **key,
    struct err *e);

/* Wipe and free a key from eab_key_*; NULL is fine. */
void eab_key_free(char *key);

#endif
