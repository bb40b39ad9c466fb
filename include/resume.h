/*
 * resume.h - an order the next run picks up, when the CA's answers were
 * lost after the CSR was sent:
 *
 *   STATE_DIR/orders/NAME-HASH.json    one per output directory, named
 *                                      like its lock in STATE_DIR/locks
 *
 * The record is written (0600, in a 0700 directory, atomically) just
 * before the CSR goes to the CA, and removed once the certificate is
 * written or the order is dead.  A run that loses the CA's answers in
 * between leaves it behind, and the next run for the same output
 * directory asks the CA about that order instead of making a new one: a
 * certificate the CA issued is not thrown away.
 *
 * It holds the CA's directory URL, the order URL, the account URL and
 * the names.  When the certificate key is new (not yet in the output
 * set), the certificate key process writes it beside the record, as
 * NAME-HASH.key (0600), and the record names it by the SHA-256 of its
 * SubjectPublicKeyInfo ("key_id"), so this process never holds it.  The
 * key is written first and removed last: a crash leaves a key without a
 * record (the next run removes it) or a record whose key is not the one
 * it names (refused), never an order with another key.  A record of an
 * older acmec, with the key inside, has it moved to the key file.
 */
#ifndef ACMEC_RESUME_H
#define ACMEC_RESUME_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "acme.h"
#include "certkey.h"
#include "config.h"
#include "err.h"
#include "names.h"

struct resume;

/*
 * The record of the output directory out_dir (config_order_record), for
 * a job ordering names at cfg's CA, loaded if there is one for them.  A
 * record for other names or another CA is left alone, with a verbose
 * line; one that is not a private regular file (a link, a FIFO, another
 * user's, mode 0644...) or not a record acmec wrote is moved aside as
 * NAME-HASH.json.bad, with a warning.  A record that names the
 * certificate in out_dir (resume_written) is removed: a run wrote it and
 * was killed before it could remove the record.  NULL only when the job
 * cannot go on (out of memory, STATE_DIR/orders unsafe: "chmod 700 ...").
 */
struct resume *resume_open(const struct config *cfg, const char *out_dir,
    const struct names *names, struct err *e);
void resume_free(struct resume *r);

/* The order URL of the record loaded or saved; NULL: none.  Borrowed. */
const char *resume_order_url(const struct resume *r);
/*
 * The certificate key the record keeps, open: 0 and *fd (the caller
 * closes it and hands it to the certificate key process), or *fd -1 if it
 * keeps none; -1 if the key file is missing or refused.
 */
int resume_open_key(const struct resume *r, int *fd, struct err *e);

/* Whether pub is the key the record names (true for an older record). */
bool resume_key_is(const struct resume *r, EVP_PKEY *pub);
/* STATE_DIR/orders/NAME-HASH.json.  Borrowed. */
const char *resume_path(const struct resume *r);

/*
 * True if the record was saved by account_url; else a verbose line says
 * that the order belongs to another account.
 */
bool resume_account_is(const struct resume *r, const char *account_url);

/*
 * Write the record: order_url, account_url, the names, and the key of ck
 * if it is new (certkey_is_new), written by the key process into the key
 * file.  Replaces any record there.
 */
int resume_save(struct resume *r, const char *order_url,
    const char *account_url, const struct certkey *ck, struct err *e);

/*
 * The certificate leaf is about to be written: the record (if there is
 * one) names it, so that if the run is killed before resume_remove, the
 * next finds it in place and removes the record.
 */
int resume_written(struct resume *r, X509 *leaf, struct err *e);

/*
 * The order is done (its certificate written) or dead: the record of this
 * job, loaded or saved, goes (a failure is a warning).  Nothing happens
 * without one; a record left alone by resume_open stays.
 */
void resume_remove(struct resume *r);

/*
 * resume_remove if out is a refusal (the CA said it did not act, and
 * will not: rateLimited is not such a refusal); else nothing.
 */
void resume_remove_if_refused(struct resume *r,
    const struct acme_outcome *out);

/*
 * With a record of this job on disk, append to e that the next run picks
 * the order up from it.
 */
void resume_explain(const struct resume *r, struct err *e);

#endif
