/*
 * spec.h - a certificate spec: everything the engine needs to know about
 * one certificate.  Commands fill it (issue from its options, renew from
 * the config file); the engine does the work.
 */
#ifndef ACMEC_SPEC_H
#define ACMEC_SPEC_H

#include <stdbool.h>
#include <time.h>

#include "key.h"
#include "names.h"

struct engine_result;

struct cert_spec {
	/* Identifiers; left empty with csr_path, whose names are used. */
	struct names	 names;
	/* A user's CSR instead of a key acmec keeps (NULL: none). */
	const char	*csr_path;
	/*
	 * The type of a new key.  Each certificate gets a new key, switched
	 * in with it, unless reuse_key keeps OUT/privkey.pem (if there is
	 * one) and new_key (a key type that changed) does not override it.
	 */
	enum key_type	 key_type;
	bool		 key_type_given;
	bool		 reuse_key;
	bool		 new_key;
	/*
	 * Use the key announced by the renewal before (nextkey.h; none yet:
	 * keep the key in place), and announce the next one.
	 */
	bool		 next_key;
	/*
	 * Where privkey.pem, cert.pem, chain.pem and fullchain.pem go.
	 * NULL: STATE_DIR/live/FIRST-NAME, which never silently takes over
	 * a certificate for other names.
	 */
	const char	*out_dir;
	/*
	 * The http-01 challenge sink: memcached servers ("HOST:PORT",
	 * NULL-terminated) when memcached is not NULL, else the webroot.
	 */
	const char	*webroot;
	const char *const *memcached;
	const char	*deploy_hook;	/* run after a new certificate */
	/* A profile the directory offers (meta.profiles), or NULL. */
	const char	*profile;
	/*
	 * RFC 9773 certificate ID of the certificate this one replaces;
	 * sent only to a CA with renewalInfo, dropped if the CA refuses it.
	 */
	const char	*replaces;
	/*
	 * Alternate chains (RFC 8555 section 7.4.2): with chain_trust (a PEM
	 * file of roots), the first chain, default first, that verifies
	 * against it, or nothing at all; else with preferred_chain, the
	 * chain whose top issuer has this CN, or the default.  Both NULL:
	 * the default chain.
	 */
	const char	*chain_trust;
	const char	*preferred_chain;
	const char	*label;		/* for messages; NULL: first name */
	/*
	 * If set, skip the certificate when cert.pem (found under the output
	 * lock) is no longer as it was when it was found due, with this
	 * modification time ({0, 0}: absent): another run renewed it.
	 */
	bool		 skip_if_changed;
	struct timespec	 cert_mtime;
	/*
	 * Told what came of the job (but for the deploy hook) once it is
	 * over, with the output lock still held if locked: what the caller
	 * records of it then cannot cross another run's record.
	 */
	void		(*on_done)(void *arg, const struct engine_result *r,
			    bool locked);
	void		*on_done_arg;
};

#endif
