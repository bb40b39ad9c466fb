/*
 * keyproc.h - the account key in a process of its own that only signs.
 *
 * keyproc_start() forks a child that loads the key file itself (or makes
 * a new key and saves it), sends back the public half and then signs JWS
 * signing inputs, each checked first: its protected header's url must be
 * on the origin (scheme, host, port) of the CA directory this run talks
 * to, and the kind of request must be one the command's policy allows.
 * The parent never reads nor writes the key file, nor holds the private
 * key: it is never told the key, and the child makes a new one only after
 * the fork.
 */
#ifndef ACMEC_KEYPROC_H
#define ACMEC_KEYPROC_H

#include <stdbool.h>

#include "err.h"
#include "key.h"
#include "sandbox.h"
#include "signer.h"

/* Requests beyond ordering and looking the account up, one bit each. */
#define KEYPROC_ALLOW_UPDATE		0x1	/* contact changes */
#define KEYPROC_ALLOW_KEY_CHANGE	0x2	/* keyChange, either JWS */
#define KEYPROC_ALLOW_DEACTIVATE	0x4	/* {"status":"deactivated"} */
#define KEYPROC_ALLOW_REVOKE		0x8	/* revokeCert */
/*
 * The new key of a rollover, which has no account yet: it signs the
 * inner keyChange JWS ({"account", "oldKey"}) and the lookup of its own
 * account ({"onlyReturnExisting": true}), no orders nor anything else.
 */
#define KEYPROC_ONLY_NEW_KEY		0x10

/* What each command needs: issue, renew and status only order. */
#define KEYPROC_POLICY_ORDER	0
#define KEYPROC_POLICY_ACCOUNT	(KEYPROC_ALLOW_UPDATE | \
    KEYPROC_ALLOW_KEY_CHANGE | KEYPROC_ALLOW_DEACTIVATE)
#define KEYPROC_POLICY_REVOKE	KEYPROC_ALLOW_REVOKE
#define KEYPROC_POLICY_NEW_KEY	(KEYPROC_ALLOW_KEY_CHANGE | \
    KEYPROC_ONLY_NEW_KEY)

/*
 * Where the key process gets its key.  It reads and writes these files
 * itself, before it enters its sandbox (which allows no file access).
 * A file it is to make must not exist: it never replaces a key file, and
 * it refuses with "refused to make the key file PATH: ...".  A key file
 * it made is removed again if the process then fails to start.
 */
struct keyproc_key {
	const char	*path;		/* the key file */
	enum store_access access;	/* its mode check (key_load, key.h) */
	bool		 create;	/* make a new key of type, saved as path */
	enum key_type	 type;
	/* Not with create: NULL, or a new file the loaded key is saved as. */
	const char	*save_as;
};

/*
 * Start the key process for key, signing only for the CA at
 * directory_url (https) and the requests policy (KEYPROC_ALLOW_*)
 * allows; a NULL directory_url signs nothing at all (a process asked
 * only for the key's public half).  Once it has its key it enters the
 * sandbox's compute profile as sandbox says (--sandbox): SANDBOX_OFF
 * gives up nothing, SANDBOX_REQUIRE refuses to start without every
 * layer.  -v prints what it has ("key process: ...").  A new signer
 * (signer_free ends the process), or NULL with the child's reason (a
 * missing or unsupported key file, a file in the way of a new one, a
 * layer that SANDBOX_REQUIRE misses, say) in *e.
 */
struct signer *keyproc_start_key(const struct keyproc_key *key,
    const char *directory_url, unsigned policy, enum sandbox_mode sandbox,
    struct err *e);

/* keyproc_start_key of the account key file at key_path (STORE_PRIVATE). */
struct signer *keyproc_start(const char *key_path, const char *directory_url,
    unsigned policy, enum sandbox_mode sandbox, struct err *e);

/*
 * The id (key_spki_sha256, key.h) of the key file key->path, asked of a
 * key process that signs nothing: this process never loads the key.
 */
int keyproc_key_id(const struct keyproc_key *key, enum sandbox_mode sandbox,
    char id[KEY_ID_LEN + 1], struct err *e);

/*
 * The check the key process makes before signing the len bytes at input
 * (base64url protected header '.' base64url payload) with alg: 0 if it
 * may sign, else -1 and what was refused and why (always, for a NULL
 * directory_url).  Exposed for tests.
 */
int keyproc_check(const char *input, size_t len, const char *alg,
    const char *directory_url, unsigned policy, struct err *e);

#endif
