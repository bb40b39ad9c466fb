/* TEMPORARY minimal sink until the webroot rework lands. */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "challenge.h"

struct challenge_sink {
	const struct challenge_sink_ops	*ops;
	void				*ctx;
	char				**tokens;
	size_t				 n;
};

struct challenge_sink *
challenge_sink_new(const struct challenge_sink_ops *ops, void *ctx)
{
	struct challenge_sink *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		ops->free(ctx);
		return NULL;
	}
	s->ops = ops;
	s->ctx = ctx;
	return s;
}

void
challenge_remove_all(struct challenge_sink *s)
{
	for (size_t i = 0; s != NULL && i < s->n; i++) {
		s->ops->remove(s->ctx, s->tokens[i]);
		free(s->tokens[i]);
	}
	if (s != NULL)
		s->n = 0;
}

void
challenge_sink_free(struct challenge_sink *s)
{
	if (s == NULL)
		return;
	challenge_remove_all(s);
	s->ops->free(s->ctx);
	free(s->tokens);
	free(s);
}

int
challenge_sink_check(struct challenge_sink *s, struct err *e)
{
	return s->ops->check(s->ctx, e);
}

int
challenge_put(struct challenge_sink *s, const char *token,
    const char *key_authorization, struct err *e)
{
	char **grown;

	if (!b64url_is_valid(token) || strlen(token) > 255) {
		err_set(e, "the CA sent a challenge token that is not "
		    "base64url; refusing it");
		return -1;
	}
	if ((grown = realloc(s->tokens, (s->n + 1) * sizeof(*grown))) == NULL ||
	    (grown[s->n] = strdup(token)) == NULL) {
		if (grown != NULL)
			s->tokens = grown;
		err_set(e, "out of memory");
		return -1;
	}
	s->tokens = grown;
	s->n++;
	return s->ops->put(s->ctx, token, key_authorization, e);
}

void
challenge_remove(struct challenge_sink *s, const char *token)
{
	(void)s, (void)token;
}
