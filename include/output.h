/*
 * output.h - the output set: privkey.pem, cert.pem, chain.pem and
 * fullchain.pem in one directory, the files a web server reads together.
 * The only module that writes them.  Each directory has its own lock, so
 * two runs never order the same certificate at once while runs for other
 * certificates go on.
 */
#ifndef ACMEC_OUTPUT_H
#define ACMEC_OUTPUT_H

#include <openssl/x509.h>

#include "err.h"
#include "names.h"

#define OUTPUT_LOCK_WAIT	60	/* seconds a second run waits */

struct output;

/*
 * Lock dir with the lock file lock_path (its directory is created 0700);
 * dir itself is created 0700 when the first certificate is written.
 */
struct output *output_open(const char *dir, const char *lock_path,
    struct err *e);
/* Release the lock (the hook runs after this); output stays usable. */
void output_unlock(struct output *o);
void output_free(struct output *o);

const char *output_dir(const struct output *o);
/* DIR/privkey.pem; borrowed. */
const char *output_key_path(const struct output *o);

/*
 * The names of the certificate in place, added to *names (empty if there
 * is none); -1 if cert.pem exists but cannot be read.
 */
int output_current_names(const struct output *o, struct names *names,
    struct err *e);

/*
 * Replace the set with chain (leaf first) and, when key_pem is not NULL,
 * a new privkey.pem (0600).  Every file is written and synced before the
 * first is renamed, so a full disk replaces none of them.
 */
int output_write(struct output *o, const char *key_pem,
    STACK_OF(X509) *chain, struct err *e);

#endif
