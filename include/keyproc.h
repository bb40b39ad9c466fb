/*
 * keyproc.h - the account key in a process of its own that only signs.
 *
 * keyproc_start() forks a child that loads the key file itself, sends
 * back the public half and then signs JWS signing inputs, each checked
 * first: its protected header's url must be on the origin (scheme, host,
 * port) of the CA directory this run talks to, and the kind of request
 * must be one the command's policy allows.  The parent never reads the
 * key file nor holds the private key.
 */
#ifndef ACMEC_KEYPROC_H
#define ACMEC_KEYPROC_H

#include "err.h"
#include "sandbox.h"
#include "signer.h"

/* Requests beyond ordering and looking the account up, one bit each. */
#define KEYPROC_ALLOW_UPDATE		0x1	/* contact changes */
#define KEYPROC_ALLOW_KEY_CHANGE	0x2	/* keyChange, either JWS */
#define KEYPROC_ALLOW_DEACTIVATE	0x4	/* {"status":"deactivated"} */
#define KEYPROC_ALLOW_REVOKE		0x8	/* revokeCert */

/* What each command needs: issue, renew and status only order. */
#define KEYPROC_POLICY_ORDER	0
#define KEYPROC_POLICY_ACCOUNT	(KEYPROC_ALLOW_UPDATE | \
    KEYPROC_ALLOW_KEY_CHANGE | KEYPROC_ALLOW_DEACTIVATE)
#define KEYPROC_POLICY_REVOKE	KEYPROC_ALLOW_REVOKE

/*
 * Start the key process for the key at key_path, signing only for the CA
 * at directory_url (https) and the requests policy (KEYPROC_ALLOW_*)
 * allows.  Once the key is loaded it enters the sandbox's compute
 * profile as sandbox says (--sandbox): SANDBOX_OFF gives up nothing,
 * SANDBOX_REQUIRE refuses to start without every layer.  -v prints what
 * it has ("key process: ...").  A new signer (signer_free ends the
 * process), or NULL with the child's reason (a missing or unsupported
 * key file, a layer that SANDBOX_REQUIRE misses, say) in *e.
 */
struct signer *keyproc_start(const char *key_path, const char *directory_url,
    unsigned policy, enum sandbox_mode sandbox, struct err *e);

/*
 * The check the key process makes before signing the len bytes at input
 * (base64url protected header '.' base64url payload) with alg: 0 if it
 * may sign, else -1 and what was refused and why.  Exposed for tests.
 */
int keyproc_check(const char *input, size_t len, const char *alg,
    const char *directory_url, unsigned policy, struct err *e);

#endif
