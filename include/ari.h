/*
 * ari.h - ACME Renewal Information (RFC 9773): which certificate to ask
 * about, what the CA suggested, and when in that window to renew.
 *
 * Nothing here uses the network, the clock or a random source: the renew
 * command fetches the answer and passes the current time and random bits
 * in, so every function is deterministic under test.
 */
#ifndef ACMEC_ARI_H
#define ACMEC_ARI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "err.h"

#define ARI_BODY_MAX	(64 * 1024)	/* bytes; an answer is ~200 */
#define ARI_URL_MAX	1024		/* explanationURL kept, bytes */

/*
 * RFC 9773 section 4.1 certificate identifier of cert (borrowed): the
 * base64url of its Authority Key Identifier keyIdentifier, ".", and the
 * base64url of the content octets of its DER serial number (a leading
 * 0x00 kept), both unpadded.  The same string is the newOrder "replaces"
 * value (section 5).  New string; NULL (message) when cert has no AKI
 * keyIdentifier or out of memory.
 */
char *ari_cert_id(X509 *cert, struct err *e);

struct ari_window {
	time_t	 start, end;		/* suggestedWindow, end > start */
	char	*explanation_url;	/* https only, printable, or NULL */
};

/*
 * Parse a renewalInfo answer (RFC 9773 section 4.2): len bytes of JSON
 * at body, which need not end in NUL and are never read past len.
 * suggestedWindow.start and .end must be RFC 3339 strings with end after
 * start (otherwise the answer counts as none).  An explanationURL that is
 * not an https URL of printable ASCII, at most ARI_URL_MAX bytes, is
 * dropped, not an error.  Untrusted input: at most ARI_BODY_MAX bytes,
 * messages show only printable ASCII.  On success w is filled and its
 * explanation_url is a new string (free with ari_window_clear); on
 * failure w is zeroed.  w's previous content is not freed.
 */
int ari_parse(const char *body, size_t len, struct ari_window *w,
    struct err *e);

/* Free w's strings and zero it; accepts NULL. */
void ari_window_clear(struct ari_window *w);

/*
 * A uniformly random time in [start, end) (RFC 9773 section 4.2, step 2)
 * from the random bits r: the caller passes RAND_bytes output, tests pass
 * fixed values.  r = 0 gives start, r = UINT64_MAX gives end - 1.
 * end <= start gives start.
 */
time_t ari_pick_time(time_t start, time_t end, uint64_t r);

/*
 * When to fetch renewalInfo again, in seconds, from the Retry-After of
 * the last answer (seconds; negative when absent or invalid): clamped to
 * [1 minute, ARI_RECHECK_MAX] (RFC 9773 section 4.3.2); 6 hours without
 * one (section 4.3.3, a long-term error).
 */
#define ARI_RECHECK_MAX	86400L		/* a day */
long ari_recheck_after(long retry_after);

/*
 * The URL to GET (RFC 9773 section 4.1): renewal_info_url (the
 * directory's renewalInfo) + "/" + cert_id, without doubling a trailing
 * "/" of the base.  New string; NULL on ENOMEM or a NULL or empty
 * argument.
 */
char *ari_url(const char *renewal_info_url, const char *cert_id);

#endif
