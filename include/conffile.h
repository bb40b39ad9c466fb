/*
 * conffile.h - the configuration file of "acmec renew" and "acmec status"
 * (acmec.conf(5)): an [acmec] section of global settings and one section
 * per certificate, read with libinih.
 *
 *   /etc/acmec/acmec.conf            the file given (CONF_DEFAULT_PATH)
 *   /etc/acmec/conf.d/NAME.conf      more sections, read in name order
 *
 * Everything is checked while it is read: a file that loads is one the
 * engine can act on without further syntax checks (whether a webroot
 * exists, or a CSR can be read, is the engine's business).
 */
#ifndef ACMEC_CONFFILE_H
#define ACMEC_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "due.h"
#include "err.h"
#include "sandbox.h"
#include "spec.h"

#define CONF_DEFAULT_PATH	"/etc/acmec/acmec.conf"
#define CONF_GLOBAL_SECTION	"acmec"
/* Bytes in a section name: libinih cuts longer ones (its MAX_SECTION). */
#define CONF_SECTION_MAX	49
#define CONF_LINE_MAX		8192	/* bytes in a line, newline excluded */
#define CONF_PARALLEL_DEFAULT	8

/* struct renew_before is in due.h, which decides with it. */


/*
 * One certificate section.  Every string, the names and the memcached
 * list are owned by the struct conf it is in; spec's pointers are const
 * only because the engine borrows them.
 */
struct conf_cert {
	char			*section;	/* its name */
	char			*file;		/* where it was defined */
	int			 line;		/* of its [section] header */
	/*
	 * names (empty with csr_path), webroot, key_type(+_given),
	 * reuse_key, out_dir (NULL: STATE_DIR/live/SECTION is the
	 * caller's default), deploy_hook, csr_path.
	 */
	struct cert_spec	 spec;
	char			*profile;	/* or NULL */
	struct renew_before	 renew_before;
	/* "HOST:PORT" list, NULL-terminated, or NULL (the fleet issue). */
	char			**memcached;
	size_t			 nmemcached;
};

/* The whole configuration; NULL strings were not set. */
struct conf {
	char		*directory;	/* an https URL */
	char		*ca_bundle;
	char		*state_dir;
	char		**contacts;	/* NULL-terminated, or NULL */
	size_t		 ncontacts;	/* each passed contact_check() */
	bool		 agree_tos;
	char		*eab_kid;
	char		*eab_hmac_key;	/* a secret: never logged */
	char		*eab_hmac_key_file;	/* read by renew (eab.h) */
	int		 parallel;	/* 1..64, CONF_PARALLEL_DEFAULT */
	char		*post_hook;
	char		*failure_hook;	/* after a renew with failures */
	char		*metrics_file;
	long		 timeout;	/* 1..3600; 0: not set */
	/* Of the key and network processes; not set is SANDBOX_AUTO. */
	enum sandbox_mode sandbox;
	struct conf_cert *certs;	/* in the order they were read */
	size_t		 ncerts;
};

/*
 * Load path, then each DIR/conf.d/NAME.conf (DIR is the directory of path;
 * NAME must not start with '.') in strcmp order; a missing conf.d is no
 * error, a missing path is.  A certificate section may be given only
 * once in all of them, [acmec] too.  0 and a new *out (free it with
 * conf_free), or -1 with nothing allocated and a message of the form
 *
 *   FILE:LINE: [SECTION] KEY: what is wrong: what to give instead
 *
 * Sets libinih's process-wide options (Debian's build has them as
 * variables) to the grammar acmec.conf(5) describes.
 */
int conf_load(const char *path, struct conf **out, struct err *e);

/* Free c and everything in it, clearing eab_hmac_key first; NULL is ok. */
void conf_free(struct conf *c);

/*
 * A renew-before value: "N/M" (0 < N < M <= 1000), a decimal 0 < x < 1
 * of at most 9 places ("0.25", ".25"), "Nd" days or "Nh" hours (N > 0, at
 * most 3650 days); rb is left alone when it is refused.  The message does
 * not name the option: callers put "renew-before: " or the like in front.
 */
int conf_parse_renew_before(const char *value, struct renew_before *rb,
    struct err *e);

#endif
