/*
 * challenge.c - what every challenge sink does the same way: refuse tokens
 * that are not base64url, remember every token put, and remove whatever
 * is still in place when the sink goes away.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "challenge.h"

/* NAME_MAX on every system we know: a token becomes a file name. */
#define TOKEN_MAX	255

struct challenge_sink {
	const struct challenge_sink_ops	*ops;
	void				*ctx;
	char				**tokens;	/* put, not removed */
	size_t				  ntokens;
};

struct challenge_sink *
challenge_sink_new(const struct challenge_sink_ops *ops, void *ctx)
{
	struct challenge_sink *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ops->free(ctx);
		return NULL;
	}
	s->ops = ops;
	s->ctx = ctx;
	return s;
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
	return s->ops->check != NULL ? s->ops->check(s->ctx, e) : 0;
}

static ssize_t
find(const struct challenge_sink *s, const char *token)
{
	for (size_t i = 0; i < s->ntokens; i++)
		if (strcmp(s->tokens[i], token) == 0)
			return (ssize_t)i;
	return -1;
}

int
challenge_put(struct challenge_sink *s, const char *token,
    const char *key_authorization, struct err *e)
{
	char **grown, *copy;

	if (!b64url_is_valid(token)) {
		err_set(e, "the CA sent a challenge token that is not "
		    "base64url; refusing to put it in the %s", s->ops->kind);
		return -1;
	}
	if (strlen(token) > TOKEN_MAX) {
		err_set(e, "the CA sent a challenge token too long to be a "
		    "file name (%zu characters, at most %d); refusing to put "
		    "it in the %s", strlen(token), TOKEN_MAX, s->ops->kind);
		return -1;
	}
	if (find(s, token) != -1)	/* the same again: replace it */
		return s->ops->put(s->ctx, token, key_authorization, e);
	/* Room first: a response in place is always one we can remove. */
	grown = realloc(s->tokens, (s->ntokens + 1) * sizeof(*grown));
	if (grown == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	s->tokens = grown;
	if ((copy = strdup(token)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (s->ops->put(s->ctx, token, key_authorization, e) == -1) {
		free(copy);
		return -1;
	}
	s->tokens[s->ntokens++] = copy;
	return 0;
}

void
challenge_remove(struct challenge_sink *s, const char *token)
{
	ssize_t i;

	/* Never one we did not put: it may be someone else's. */
	if (s == NULL || (i = find(s, token)) == -1)
		return;
	s->ops->remove(s->ctx, s->tokens[i]);
	free(s->tokens[i]);
	s->tokens[i] = s->tokens[--s->ntokens];
}

void
challenge_remove_all(struct challenge_sink *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ntokens; i++) {
		s->ops->remove(s->ctx, s->tokens[i]);
		free(s->tokens[i]);
	}
	s->ntokens = 0;
}
