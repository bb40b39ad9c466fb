/*
 * session.c - transport, protocol and account, opened in that order and
 * closed in the reverse one.  The transport is the network process when
 * main started one (netproc.h), libcurl in this process in tests.
 */
#include "confine.h"
#include "interrupt.h"
#include "session.h"

#define CONNECT_TIMEOUT	10	/* seconds */

void
session_init(struct session *s)
{
	s->http = NULL;
	s->acme = NULL;
	s->account = NULL;
}

int
session_connect(struct session *s, const struct config *cfg,
    const struct account_options *opts, struct err *e)
{
	struct http_options hopts = {
		.ca_bundle = cfg->ca_bundle,
		.timeout = cfg->timeout,
		.connect_timeout = CONNECT_TIMEOUT,
		.interrupted = interrupt_requested,
	};
	struct transport t;

	if (cfg->transport != NULL) {
		t = *cfg->transport;
	} else if (cfg->network != NULL) {
		/* Before the first answer: this process parses it. */
		if (confine_enter(cfg, e) == -1 ||
		    netproc_configure(cfg->network, &hopts, cfg->sandbox, e) ==
		    -1)
			return -1;
		t = netproc_transport(cfg->network);
	} else {
		if ((s->http = http_new(&hopts, e)) == NULL)
			return -1;
		t = http_transport(s->http);
	}
	if ((s->acme = acme_new(&t, cfg->directory_url, e)) == NULL) {
		/* A second connect (the engine's, after renew's) makes its own. */
		http_free(s->http);
		s->http = NULL;
		return -1;
	}
	return opts != NULL ? session_open_account(s, cfg, opts, e) : 0;
}

int
session_open_account(struct session *s, const struct config *cfg,
    const struct account_options *opts, struct err *e)
{
	return account_open(cfg, s->acme, opts, &s->account, e);
}

void
session_close(struct session *s)
{
	account_free(s->account);
	acme_free(s->acme);
	http_free(s->http);
	session_init(s);
}
