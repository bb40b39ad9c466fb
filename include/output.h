/*
 * output.h - the output set: privkey.pem, cert.pem, chain.pem and
 * fullchain.pem in one directory, the files a web server reads together.
 * The only module that writes them.  Each is a link NAME -> current/NAME,
 * and current a link to a version directory: a new set is switched in by
 * one rename of current (the layout is described in output.c).  Each directory has its own lock, so
 * two runs never order the same certificate at once while runs for other
 * certificates go on.
 */
#ifndef ACMEC_OUTPUT_H
#define ACMEC_OUTPUT_H

#include <stdbool.h>
#include <time.h>

#include <openssl/x509.h>

#include "err.h"
#include "names.h"
#include "store.h"

#define OUTPUT_LOCK_WAIT	60	/* seconds a second run waits */
#define OUTPUT_KEEP		3	/* versions kept, current included */
#define OUTPUT_MIN_FREE		(64 * 1024)	/* bytes free to order */

struct output;

/*
 * Lock dir with the lock file lock_path (its directory is created 0700);
 * dir itself is created 0700 when the first certificate is written.
 * Refuses a dir holding links acmec did not make (a name of the set must
 * be a file or NAME -> current/NAME, current -> versions/N); removes what
 * killed runs left; refuses a dir (or, if missing, its nearest parent)
 * that cannot be written or has less than OUTPUT_MIN_FREE bytes free, so
 * that nothing is ordered that could not be written.  With busy NULL, a
 * lock another run holds is waited for up to OUTPUT_LOCK_WAIT seconds;
 * else not at all: NULL and *busy true.
 */
struct output *output_open(const char *dir, const char *lock_path,
    bool *busy, struct err *e);
/* Release the lock (the hook runs after this); output stays usable. */
void output_unlock(struct output *o);
void output_free(struct output *o);

const char *output_dir(const struct output *o);
/* DIR/privkey.pem, for messages; borrowed. */
const char *output_key_path(const struct output *o);
/*
 * The key in place, opened through the directory checked, following no
 * link but acmec's own (as output_open checks them, again now): 1 and
 * *fd (the caller closes it; it hands it to the certificate key process,
 * and never reads it), 0 if there is none, -1.  A key that others may
 * read, or the group write, is refused; one its group may read is used
 * with a warning (store_check_private).
 */
int output_open_key(const struct output *o, int *fd, struct err *e);

/*
 * The certificate in place in dir, read without taking the lock (renew
 * and status decide with it; output_open looks again under the lock): 1
 * and *cert (new reference), 0 and NULL if dir or cert.pem is missing, -1
 * if it cannot be read.  Only as output_open would find it: cert.pem is a
 * regular file or acmec's link into the current version, and no other
 * link is followed (a link elsewhere, a FIFO, a device is refused at once,
 * with output_open's message).  *mtime (if not NULL) is the mtime of the
 * file read, the one stat(DIR/cert.pem) shows; zero if none was opened.
 */
int output_read_cert(const char *dir, X509 **cert, struct timespec *mtime,
    struct err *e);

/*
 * The names of the certificate in place, added to *names (empty if there
 * is none); -1 if cert.pem exists but cannot be read.
 */
int output_current_names(const struct output *o, struct names *names,
    struct err *e);

/*
 * Replace the set with chain (leaf first) and, when new_key is not NULL,
 * a new privkey.pem (0600) that new_key(ctx, ...) writes (certkey_write:
 * the certificate key process writes it); else the key in
 * place is carried over, copied in the kernel, never read here.  The
 * whole set is written and synced into a new version directory (0700),
 * then current is switched to it in one rename: a reader, or the next run
 * after a kill or power loss at any point, finds the old set or the new
 * one.  A directory of an older acmec (plain files) is first moved behind
 * the links, each name showing the same bytes throughout.  OUTPUT_KEEP
 * versions are kept.
 */
int output_write(struct output *o, store_writer *new_key, void *ctx,
    STACK_OF(X509) *chain, struct err *e);

/*
 * Remove every version but the current one (the keys of earlier sets
 * with them), under the lock: after a leaked key was replaced.
 */
int output_drop_old_versions(struct output *o, struct err *e);

#endif
