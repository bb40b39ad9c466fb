/*
 * challenge.h - the challenge sink: where http-01 responses are put for
 * the CA to fetch.  The webroot is one sink (webroot.h); a shared store
 * for a fleet of web servers is another.  The engine sees only this.
 *
 * A sink remembers every token it was given, so that challenge_sink_free()
 * removes whatever is still in place, on success, failure or interruption.
 * Tokens come from the CA: a sink refuses any that is not base64url.
 */
#ifndef ACMEC_CHALLENGE_H
#define ACMEC_CHALLENGE_H

#include "err.h"

/* What an implementation provides; ctx is its own state. */
struct challenge_sink_ops {
	const char	*kind;		/* "webroot", for messages */
	/* Can responses be put there?  Asked before anything is ordered. */
	int		(*check)(void *ctx, struct err *e);
	int		(*put)(void *ctx, const char *token,
			    const char *key_authorization, struct err *e);
	/* Best effort: a response left behind is harmless, not secret. */
	void		(*remove)(void *ctx, const char *token);
	void		(*free)(void *ctx);
};

struct challenge_sink;

/* Takes ctx (freed with ops->free even on failure); NULL on ENOMEM. */
struct challenge_sink *challenge_sink_new(const struct challenge_sink_ops *ops,
    void *ctx);
/* Remove every response still in place, then free. NULL is fine. */
void challenge_sink_free(struct challenge_sink *s);

int challenge_sink_check(struct challenge_sink *s, struct err *e);
/*
 * Put the response for token (base64url of at most 255 characters, else
 * refused before ops->put sees it).  Putting a token again replaces it.
 */
int challenge_put(struct challenge_sink *s, const char *token,
    const char *key_authorization, struct err *e);
/* Remove one response put earlier (unknown tokens, NULL s: ignored). */
void challenge_remove(struct challenge_sink *s, const char *token);
/* Remove every response put so far.  NULL is fine. */
void challenge_remove_all(struct challenge_sink *s);

#endif
