/*
 * session.c - lock, transport, protocol and account, opened in that order
 * and closed in the reverse one.
 */
#include <stdlib.h>

#include "interrupt.h"
#include "session.h"
#include "store.h"

void
session_init(struct session *s)
{
	s->lock = -1;
	s->http = NULL;
	s->acme = NULL;
	s->account = NULL;
}

int
session_lock(struct session *s, const struct config *cfg, struct err *e)
{
	char *path;

	if (store_mkdirs(cfg->state_dir, 0700, e) == -1)
		return -1;
	if ((path = store_path(cfg->state_dir, "lock")) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	s->lock = store_lock_path(path, SESSION_LOCK_WAIT, e);
	free(path);
	return s->lock == -1 ? -1 : 0;
}

int
session_connect(struct session *s, const struct config *cfg,
    const struct account_options *opts, struct err *e)
{
	struct http_options hopts = {
		.ca_bundle = cfg->ca_bundle,
		.timeout = cfg->timeout,
		.connect_timeout = 10,
		.interrupted = interrupt_requested,
	};

	if ((s->http = http_new(&hopts, e)) == NULL ||
	    (s->acme = acme_new(s->http, cfg->directory_url, e)) == NULL)
		return -1;
	if (opts != NULL &&
	    account_open(cfg, s->acme, opts, &s->account, e) == -1)
		return -1;
	return 0;
}

void
session_close(struct session *s)
{
	account_free(s->account);
	acme_free(s->acme);
	http_free(s->http);
	store_unlock(s->lock);
	session_init(s);
}
