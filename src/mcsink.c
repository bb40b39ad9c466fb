/*
 * mcsink.c - the memcached challenge sink: http-01 responses stored on
 * every listed memcached server, under the request URI the CA will ask
 * for, so that web servers using nginx's memcached_pass (with $uri as
 * $memcached_key) answer the CA whichever of them it reaches.
 *
 * One libmemcached handle per server, never one handle with several
 * servers: a handle distributes keys over its servers by hash, and the
 * web servers ask one fixed server each.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBMEMCACHED
#include <libmemcached/memcached.h>
#endif

#include "b64url.h"
#include "mcsink.h"

#define HOST_MAX	255	/* a DNS name, or an IPv6 address */
#define SERVER_HINT	"give HOST:PORT, e.g. 127.0.0.1:11211"

bool
mcsink_available(void)
{
#ifdef HAVE_LIBMEMCACHED
	return true;
#else
	return false;
#endif
}

static bool
host_char(int c, bool bracketed)
{
	if (bracketed)	/* an IPv6 address, maybe with an IPv4 tail */
		return isxdigit(c) || c == ':' || c == '.';
	return isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* server split into host (hostlen bytes) and port; see mcsink.h. */
static int
parse_server(const char *server, char *host, size_t hostlen,
    unsigned *port, struct err *e)
{
	const char *h = server, *colon, *end;
	bool bracketed = false;
	unsigned long p;
	char *pend;
	size_t n;

	if (*h == '[') {
		bracketed = true;
		h++;
		if ((end = strchr(h, ']')) == NULL) {
			err_set(e, "%s: no closing ]; %s", server,
			    SERVER_HINT);
			return -1;
		}
		colon = end + 1;
		if (*colon != ':') {
			err_set(e, "%s: no port after ]; %s", server,
			    SERVER_HINT);
			return -1;
		}
	} else {
		if ((colon = strrchr(h, ':')) == NULL) {
			err_set(e, "%s: no port; %s", server, SERVER_HINT);
			return -1;
		}
		end = colon;
		if (memchr(h, ':', (size_t)(end - h)) != NULL) {
			err_set(e, "%s: put an IPv6 address in brackets, "
			    "e.g. [::1]:11211", server);
			return -1;
		}
	}
	n = (size_t)(end - h);
	if (n == 0 || n > HOST_MAX || n >= hostlen) {
		err_set(e, "%s: %s host; %s", server, n == 0 ? "no" :
		    "too long a", SERVER_HINT);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!host_char((unsigned char)h[i], bracketed)) {
			err_set(e, "%s: not a host name or address; %s",
			    server, SERVER_HINT);
			return -1;
		}
	errno = 0;
	p = strtoul(colon + 1, &pend, 10);
	if (!isdigit((unsigned char)colon[1]) || *pend != '\0' ||
	    errno != 0 || p < 1 || p > 65535) {
		err_set(e, "%s: the port must be a number from 1 to 65535; %s",
		    server, SERVER_HINT);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (unsigned)p;
	return 0;
}

int
mcsink_server_check(const char *server, struct err *e)
{
	char host[HOST_MAX + 1];
	unsigned port;

	return parse_server(server, host, sizeof(host), &port, e);
}

int
mcsink_key(const char *token, char *key, size_t len, struct err *e)
{
	/*
	 * challenge.c already refuses tokens that are not base64url; this
	 * module checks again because the token becomes part of a memcached
	 * command line, where a space or CRLF would start another command.
	 */
	if (strnlen(token, MCSINK_TOKEN_MAX + 1) > MCSINK_TOKEN_MAX ||
	    !b64url_is_valid(token)) {
		err_set(e, "the CA sent a challenge token that is not "
		    "base64url of at most %d characters; refusing to store it "
		    "in memcached", MCSINK_TOKEN_MAX);
		return -1;
	}
	if ((size_t)snprintf(key, len, "%s%s", MCSINK_KEY_PREFIX, token) >=
	    len) {
		err_set(e, "no room for the memcached key of a token");
		return -1;
	}
	return 0;
}

#ifndef HAVE_LIBMEMCACHED

struct challenge_sink *
mcsink_new(const char *const *servers, struct err *e)
{
	(void)servers;
	err_set(e, "%s", MCSINK_UNAVAILABLE);
	return NULL;
}

#else /* HAVE_LIBMEMCACHED */

/*
 * MCSINK_TTL: how long an entry may live.  Entries normally go away when
 * the run that stored them removes them (remove, and challenge.c's
 * cleanup on failure and interruption); the expiry is only the safety net
 * for a run that dies without cleaning up (SIGKILL, a crash, a power
 * cut).  It must never cut a validation short: the CA may fetch the
 * response at any time until the order expires, and orders of ACME
 * profiles live 8 hours.  Hence 8 hours and one for clocks and slow
 * queues.  (memcached takes expiries up to 30 days as relative seconds.)
 */

#define TIMEOUT_MS	5000	/* connect, and every answer */
#define PROBE_TTL	60	/* a probe left by a crash goes soon */

struct mcserver {
	char		*name;	/* HOST:PORT as given, for messages */
	memcached_st	*memc;
};

struct mcsink {
	struct mcserver	*v;
	size_t		 n;
};

static void
mcsink_free(void *ctx)
{
	struct mcsink *m = ctx;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].memc != NULL)
			memcached_free(m->v[i].memc);
		free(m->v[i].name);
	}
	free(m->v);
	free(m);
}

/*
 * Why a request to s failed, in words; only libmemcached's own fixed
 * texts, never the server's (memcached_last_error_message quotes what
 * the server sent back, which may be anything).
 */
static void
explain(const struct mcserver *s, memcached_return_t rc, char *buf,
    size_t len)
{
	int saved = memcached_last_error_errno(s->memc);

	if (saved == ECONNREFUSED)
		snprintf(buf, len, "connection refused");
	else if (rc == MEMCACHED_HOST_LOOKUP_FAILURE)
		snprintf(buf, len, "unknown host");
	else if (rc == MEMCACHED_TIMEOUT || saved == ETIMEDOUT)
		snprintf(buf, len, "no answer within %d seconds",
		    TIMEOUT_MS / 1000);
	else if (saved != 0)
		snprintf(buf, len, "%s", strerror(saved));
	else
		snprintf(buf, len, "%s", memcached_strerror(s->memc, rc));
}

/* "memcached HOST:PORT: WHY (DOING)", set or appended after "; ". */
static void
report(const struct mcserver *s, memcached_return_t rc, const char *doing,
    bool first, struct err *e)
{
	char why[256];

	explain(s, rc, why, sizeof(why));
	if (first)
		err_set(e, "memcached %s: %s (%s)", s->name, why, doing);
	else
		err_append(e, "; memcached %s: %s (%s)", s->name, why, doing);
}

/* Store, read back and delete a probe key: is it a memcached we may use? */
static int
probe(const struct mcserver *s, bool first, struct err *e)
{
	char key[64], *got;
	struct timespec ts;
	memcached_return_t rc;
	size_t len;
	uint32_t flags;
	bool same;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(key, sizeof(key), "acmec-probe-%ld-%ld", (long)getpid(),
	    (long)ts.tv_nsec);
	rc = memcached_set(s->memc, key, strlen(key), key, strlen(key),
	    PROBE_TTL, 0);
	if (rc != MEMCACHED_SUCCESS) {
		report(s, rc, "storing a probe key", first, e);
		return -1;
	}
	got = memcached_get(s->memc, key, strlen(key), &len, &flags, &rc);
	same = got != NULL && len == strlen(key) &&
	    memcmp(got, key, len) == 0;
	free(got);
	if (!same) {
		if (rc != MEMCACHED_SUCCESS)
			report(s, rc, "reading a probe key back", first, e);
		else if (first)
			err_set(e, "memcached %s: a probe key read back is "
			    "not what was stored", s->name);
		else
			err_append(e, "; memcached %s: a probe key read back "
			    "is not what was stored", s->name);
		(void)memcached_delete(s->memc, key, strlen(key), 0);
		return -1;
	}
	rc = memcached_delete(s->memc, key, strlen(key), 0);
	if (rc != MEMCACHED_SUCCESS) {
		report(s, rc, "deleting a probe key", first, e);
		return -1;
	}
	return 0;
}

/* Every server, so that one message names all that need fixing. */
static int
mcsink_check(void *ctx, struct err *e)
{
	struct mcsink *m = ctx;
	size_t bad = 0;

	for (size_t i = 0; i < m->n; i++)
		if (probe(&m->v[i], bad == 0, e) == -1)
			bad++;
	if (bad == 0)
		return 0;
	err_append(e, "; nothing was ordered");
	return -1;
}

static int
mcsink_put(void *ctx, const char *token, const char *key_authorization,
    struct err *e)
{
	struct mcsink *m = ctx;
	char key[MCSINK_KEY_MAX + 1];
	memcached_return_t rc;

	if (mcsink_key(token, key, sizeof(key), e) == -1)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		rc = memcached_set(m->v[i].memc, key, strlen(key),
		    key_authorization, strlen(key_authorization),
		    MCSINK_TTL, 0);
		if (rc == MEMCACHED_SUCCESS)
			continue;
		report(&m->v[i], rc, "storing the response", true, e);
		/* All or none: what is not remembered is never removed. */
		while (i-- > 0)
			(void)memcached_delete(m->v[i].memc, key,
			    strlen(key), 0);
		return -1;
	}
	return 0;
}

static void
mcsink_remove(void *ctx, const char *token)
{
	struct mcsink *m = ctx;
	char key[MCSINK_KEY_MAX + 1];
	struct err ignored;

	if (mcsink_key(token, key, sizeof(key), &ignored) == -1)
		return;
	for (size_t i = 0; i < m->n; i++)
		(void)memcached_delete(m->v[i].memc, key, strlen(key), 0);
}

static const struct challenge_sink_ops mcsink_ops = {
	.kind = "memcached",
	.check = mcsink_check,
	.put = mcsink_put,
	.remove = mcsink_remove,
	.free = mcsink_free,
};

static int
server_open(struct mcserver *s, const char *server, struct err *e)
{
	char host[HOST_MAX + 1];
	unsigned port;

	if (parse_server(server, host, sizeof(host), &port, e) == -1) {
		err_prefix(e, "memcached");
		return -1;
	}
	if ((s->name = strdup(server)) == NULL ||
	    (s->memc = memcached_create(NULL)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	/* Keys are checked here too; timeouts bound every request. */
	if (memcached_behavior_set(s->memc, MEMCACHED_BEHAVIOR_VERIFY_KEY,
	    1) != MEMCACHED_SUCCESS ||
	    memcached_behavior_set(s->memc,
	    MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, TIMEOUT_MS) !=
	    MEMCACHED_SUCCESS ||
	    memcached_behavior_set(s->memc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
	    TIMEOUT_MS) != MEMCACHED_SUCCESS ||
	    memcached_server_add(s->memc, host, (in_port_t)port) !=
	    MEMCACHED_SUCCESS) {
		err_set(e, "memcached %s: cannot set up a connection: %s",
		    server, memcached_last_error_message(s->memc));
		return -1;
	}
	return 0;
}

struct challenge_sink *
mcsink_new(const char *const *servers, struct err *e)
{
	struct challenge_sink *s;
	struct mcsink *m;
	size_t n = 0;

	while (servers != NULL && servers[n] != NULL)
		n++;
	if (n == 0) {
		err_set(e, "no memcached server given; %s", SERVER_HINT);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->v = calloc(n, sizeof(*m->v))) == NULL) {
		free(m);
		err_set(e, "out of memory");
		return NULL;
	}
	for (; m->n < n; m->n++)
		if (server_open(&m->v[m->n], servers[m->n], e) == -1) {
			m->n++;		/* free what it got */
			mcsink_free(m);
			return NULL;
		}
	if ((s = challenge_sink_new(&mcsink_ops, m)) == NULL)	/* takes m */
		err_set(e, "out of memory");
	return s;
}

#endif /* HAVE_LIBMEMCACHED */
