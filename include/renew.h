/*
 * renew.h - the certificates of a config file and whether each is due:
 * files missing, names, key type or profile changed, revoked, the CA's
 * renewal window (ARI, RFC 9773), or the share of the lifetime left; and
 * the failure backoff that holds a certificate back.
 */
#ifndef ACMEC_RENEW_H
#define ACMEC_RENEW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "account.h"
#include "acme.h"
#include "conffile.h"
#include "config.h"
#include "renewal.h"
#include "spec.h"

#define RENEW_RUN_INTERVAL	(12 * 3600L)	/* timers run twice a day */

struct renew_item {
	const struct conf_cert	*cc;		/* borrowed from the conf */
	struct cert_spec	 spec;		/* what the engine gets */
	char			*out_dir;
	char			*record_path;	/* STATE/renewal/SECTION.json */
	struct renewal_state	 st;
	bool			 st_changed;	/* to be saved */
	X509			*cert;		/* in place, or NULL */
	char			*cert_id;	/* its RFC 9773 ID, or NULL */
	bool			 due;
	bool			 written;	/* renewed in this run */
	bool			 backed_off;	/* failed; not yet again */
	bool			 ari_decided;	/* the CA's window decides */
	time_t			 due_at;	/* when it will be, if known */
	char			 why[512];	/* due, or not, and why */
};

/*
 * The config file's global settings where the command line gave none,
 * and the account options it gives.
 */
void renew_apply_conf(const struct conf *c, struct config *cfg,
    struct account_options *acct);

/*
 * One item per certificate section of c, or per section named in
 * sections (n of them; an unknown one is an error).  Their specs point
 * into c, which must outlive them.
 */
int renew_items_new(const struct conf *c, const struct config *cfg,
    char *const *sections, size_t nsections, struct renew_item **items,
    size_t *n, struct err *e);
void renew_items_free(struct renew_item *items, size_t n);

/*
 * True if the section's renew-before is a time not shorter than the
 * lifetime of the certificate in place, which due_time() replaces by the
 * default; then buf holds a sentence that says so and what to do.
 */
bool renew_before_ignored(const struct renew_item *it, char *buf,
    size_t size);

/* Everything that needs no CA; force makes it due (and ends a backoff). */
void renew_assess_local(struct renew_item *it, const struct config *cfg,
    time_t now, bool force);
/*
 * Ask the CA for its renewal window, when it is time to ask again (acme
 * NULL: only the window kept from an earlier run).
 */
void renew_assess_ari(struct renew_item *it, struct acme *acme, time_t now);
/* Without a window from the CA: the share of the lifetime left. */
void renew_assess_lifetime(struct renew_item *it, time_t now);

#endif
