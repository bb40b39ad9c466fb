/*
 * netproc.c - the network process, and the transport that talks to it.
 *
 * What crosses the socket: IPC_CONFIGURE once, answered by IPC_READY or
 * IPC_REFUSED; then IPC_REQUEST messages, each answered (in the order
 * they end, not as sent) by one IPC_RESPONSE.  Both carry a JSON head, a
 * NUL and the body:
 *   request  {"id", "method", "url", "content_type"?, "accept"?}
 *   response {"id", "status", "content_type"?, "location"?,
 *             "replay_nonce"?, "retry_after"?, "links"?} or {"id", "error"}
 * The parent checks an answer as it checks a server's, since a hostile
 * CA that took the child over writes it; the child checks requests too,
 * but it holds nothing a request could reach.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "child.h"
#include "eab.h"
#include "ipc.h"
#include "log.h"
#include "netproc.h"
#include "str.h"

#define PARENT		"the parent process"
#define CHILD		"the network process"
#define HEAD_MAX	(64 * 1024)
#define MESSAGE_MAX	(HTTP_BODY_MAX + HEAD_MAX)
#define SLICE_MS	100		/* so an interrupt is seen soon */

/* --------------------------------------------------------- both sides */

/* head, a NUL and the len bytes at body, in one new buffer of *n bytes. */
static unsigned char *
message_encode(const json_t *head, const void *body, size_t len, size_t *n)
{
	char *text = head != NULL ? json_dumps(head, JSON_COMPACT) : NULL;
	unsigned char *buf = NULL;
	size_t hlen;

	if (text == NULL)
		return NULL;
	hlen = strlen(text) + 1;
	if ((buf = malloc(hlen + len)) != NULL) {
		memcpy(buf, text, hlen);
		if (len > 0)
			memcpy(buf + hlen, body, len);
		*n = hlen + len;
	}
	free(text);
	return buf;
}

/* Send head, a NUL and the len bytes at body as one message of type. */
static int
message_send(int fd, const char *peer, enum ipc_type type, json_t *head,
    const void *body, size_t len, struct err *e)
{
	unsigned char *buf;
	size_t n;
	int rc;

	if ((buf = message_encode(head, body, len, &n)) == NULL) {
		err_set(e, "cannot encode a message to %s", peer);
		return -1;
	}
	rc = ipc_send_long(fd, peer, type, buf, n, e);
	free(buf);
	return rc;
}

/* m's JSON head (new) and where its body starts; -1 if malformed. */
static int
message_split(const struct ipc_msg *m, const char *peer, json_t **head,
    const unsigned char **body, size_t *len, struct err *e)
{
	const unsigned char *nul = memchr(m->body, '\0', m->len);
	size_t n = nul != NULL ? (size_t)(nul - m->body) : 0;

	*head = NULL;
	if (nul != NULL && n <= HEAD_MAX)
		*head = json_loadb((const char *)m->body, n,
		    JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*head)) {
		err_set(e, "a message from %s has no readable head", peer);
		json_decref(*head);
		*head = NULL;
		return -1;
	}
	*body = nul + 1;
	*len = m->len - n - 1;
	return 0;
}

/* ------------------------------------------------------ the child side */

/*
 * An answer not yet sent.  The child never blocks on sending: were it to
 * wait for a parent that is itself blocked sending requests (a renew of
 * a thousand certificates sends many before it reads), neither would
 * move again.
 */
struct outgoing {
	unsigned char	*buf;
	size_t		 len;
	size_t		 off;		/* sent so far */
	struct outgoing	*next;
};

struct serving {
	int			fd;
	struct transport	t;
	size_t			inflight;
	struct outgoing		*out, **out_end;
	bool			broken;		/* the parent cannot be told */
};

struct ticket {
	struct serving	*sv;
	json_int_t	 id;
};

/* Send what the parent's buffer takes now, in ipc_send_long's parts. */
static void
flush(struct serving *sv)
{
	struct outgoing *o;
	struct err e;
	size_t part;
	int rc;

	while ((o = sv->out) != NULL && !sv->broken) {
		part = o->len - o->off > IPC_MAX_BODY ? IPC_MAX_BODY :
		    o->len - o->off;
		rc = ipc_try_send(sv->fd, PARENT, o->off + part < o->len ?
		    IPC_MORE : IPC_RESPONSE, o->buf + o->off, part, &e);
		if (rc == 1)
			return;
		sv->broken = rc == -1;
		if ((o->off += part) < o->len)
			continue;
		if ((sv->out = o->next) == NULL)
			sv->out_end = &sv->out;
		free(o->buf);
		free(o);
	}
}

/* Queue head, a NUL and len bytes of body for the parent. */
static void
queue_answer(struct serving *sv, json_t *head, const void *body, size_t len)
{
	struct outgoing *o = calloc(1, sizeof(*o));

	if (o == NULL ||
	    (o->buf = message_encode(head, body, len, &o->len)) == NULL) {
		log_error("%s: out of memory", CHILD);
		sv->broken = true;
		free(o);
		return;
	}
	*sv->out_end = o;
	sv->out_end = &o->next;
}

/* Set name to value unless it is NULL. */
static void
put_string(json_t *head, const char *name, const char *value)
{
	/* A header that is not UTF-8 is no valid nonce, URL or date. */
	if (value != NULL)
		json_object_set_new(head, name, json_string(value));
}

static json_t *
response_head(json_int_t id, const struct http_response *r)
{
	json_t *head, *links;
	size_t i;

	if ((head = json_pack("{s:I, s:I}", "id", id, "status",
	    (json_int_t)r->status)) == NULL)
		return NULL;
	put_string(head, "content_type", r->content_type);
	put_string(head, "location", r->location);
	put_string(head, "replay_nonce", r->replay_nonce);
	put_string(head, "retry_after", r->retry_after);
	if (r->nlinks > 0 && (links = json_array()) != NULL) {
		for (i = 0; i < r->nlinks; i++)
			json_array_append_new(links, json_string(r->links[i]));
		json_object_set_new(head, "links", links);
	}
	return head;
}

/* transport_done_fn: hand the answer (or why none came) to the parent. */
static void
on_answer(void *arg, struct http_response *r, const struct err *why)
{
	struct ticket *tk = arg;
	struct serving *sv = tk->sv;
	json_t *head;

	sv->inflight--;
	head = r != NULL ? response_head(tk->id, r) :
	    json_pack("{s:I, s:s}", "id", tk->id, "error", why->msg);
	queue_answer(sv, head, r != NULL ? r->body : NULL,
	    r != NULL ? r->body_len : 0);
	json_decref(head);
	http_response_free(r);
	free(tk);
}

static bool
known_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "POST") == 0;
}

/* Start the request m carries; -1 (the parent broke protocol) ends us. */
static int
start_request(struct serving *sv, const struct ipc_msg *m, struct err *e)
{
	struct http_request req = { NULL, NULL, NULL, NULL, 0, NULL };
	struct ticket *tk = NULL;
	json_int_t id;
	json_t *head;

	if (m->type != IPC_REQUEST ||
	    message_split(m, PARENT, &head, (const unsigned char **)&req.body,
	    &req.body_len, e) == -1)
		return -1;
	if (json_unpack(head, "{s:I, s:s, s:s, s?s, s?s}", "id", &id,
	    "method", &req.method, "url", &req.url, "content_type",
	    &req.content_type, "accept", &req.accept) != 0 ||
	    !known_method(req.method) ||
	    (tk = malloc(sizeof(*tk))) == NULL) {
		err_set(e, "a request from %s is malformed", PARENT);
		json_decref(head);
		return -1;
	}
	*tk = (struct ticket){ sv, id };
	sv->inflight++;
	if (sv->t.start(sv->t.ctx, &req, on_answer, tk, e) == -1)
		on_answer(tk, NULL, e);
	json_decref(head);
	return 0;
}

/* 1 when a request (or the parent's end) waits, 0 if not, -1 error. */
static int
parent_waiting(struct serving *sv, bool block)
{
	struct pollfd p = { sv->fd, POLLIN, 0 };
	int n;

	/* Blocked on a full parent: wait for room as well. */
	if (sv->out != NULL)
		p.events |= POLLOUT;
	while ((n = poll(&p, 1, block ? -1 : 0)) == -1 && errno == EINTR)
		;
	return n == -1 ? -1 : (p.revents & (POLLIN | POLLHUP)) != 0;
}

/* One turn: send, take a request, move transfers on; false to stop. */
static bool
serve_one(struct serving *sv)
{
	struct ipc_msg *m;
	struct err e;
	int rc;

	flush(sv);
	if (sv->broken || (rc = parent_waiting(sv, sv->inflight == 0)) == -1)
		return false;
	if (rc == 1) {
		/* NULL: the parent closed its end, our way out. */
		if ((m = ipc_recv_long(sv->fd, PARENT, MESSAGE_MAX, &e)) ==
		    NULL)
			return false;
		rc = start_request(sv, m, &e);
		ipc_msg_free(m);
		if (rc == -1) {
			log_error("%s", e.msg);
			return false;
		}
	}
	/* Returns early when the parent sends more. */
	if (sv->inflight > 0)
		sv->t.wait(sv->t.ctx, sv->out != NULL ? 10 : 1000);
	return true;
}

/*
 * Run requests until the parent closes its end or breaks protocol; how
 * many were still in flight then.
 */
static size_t
serve(int fd, struct http *h)
{
	struct serving sv = { fd, http_transport(h), 0, NULL, NULL, false };
	struct outgoing *o;

	sv.out_end = &sv.out;
	while (serve_one(&sv))
		;
	while ((o = sv.out) != NULL) {
		sv.out = o->next;
		free(o->buf);
		free(o);
	}
	return sv.inflight;
}

/* The options m carries: make the transport, then give up the rest. */
static struct http *
child_setup(const int *fd, const json_t *conf, struct err *e)
{
	struct http_options o = { .wake_fd = fd };
	struct sandbox_spec spec = { .profile = SANDBOX_NETWORK };
	char report[256];
	struct http *h;
	int mode = 0;

	if (json_unpack((json_t *)conf, "{s?s, s:i, s:i, s:i}", "ca_bundle",
	    &o.ca_bundle, "timeout", &o.timeout, "connect_timeout",
	    &o.connect_timeout, "sandbox", &mode) != 0 ||
	    mode < SANDBOX_AUTO || mode > SANDBOX_OFF) {
		err_set(e, "%s sent malformed options", PARENT);
		return NULL;
	}
	spec.mode = (enum sandbox_mode)mode;
	if ((h = http_new(&o, e)) == NULL)
		return NULL;
	if (sandbox_enter(&spec, report, sizeof report, e) == -1) {
		err_prefix(e, "the network process cannot enter its sandbox");
		http_free(h);
		return NULL;
	}
	log_verbose("network process: %s", report);
	return h;
}

/* An EAB key given in the environment is a secret we must not hold. */
static void
wipe_secrets(void)
{
	char *v = getenv(EAB_KEY_ENV);

	if (v != NULL)
		explicit_bzero(v, strlen(v));
}

static int
child_main(int fd)
{
	struct ipc_msg *m = NULL;
	const unsigned char *rest;
	struct http *h = NULL;
	json_t *conf = NULL;
	struct err e = { "" };
	size_t n;

	child_ignore_group_signals();
	wipe_secrets();
	if ((fd = child_keep_only(fd)) == -1)
		return 1;
	if ((m = ipc_recv(fd, PARENT, &e)) == NULL)
		return 1;	/* the parent ended without a request */
	if (m->type != IPC_CONFIGURE)
		err_set(&e, "%s did not configure us", PARENT);
	else if (message_split(m, PARENT, &conf, &rest, &n, &e) == 0)
		h = child_setup(&fd, conf, &e);
	ipc_msg_free(m);
	if (h == NULL)
		(void)ipc_send(fd, PARENT, IPC_REFUSED, e.msg, strlen(e.msg),
		    &e);
	else if (ipc_send(fd, PARENT, IPC_READY, NULL, 0, &e) == 0 &&
	    serve(fd, h) > 0)
		/* libcurl still runs requests the parent gave up on: leave them. */
		_exit(0);
	http_free(h);
	json_decref(conf);
	return h != NULL ? 0 : 1;
}

/* ----------------------------------------------------- the parent side */

struct pending {
	uint32_t		 id;
	char			*what;		/* "METHOD URL", for messages */
	transport_done_fn	 done;
	void			*arg;
	struct pending		*next;
};

struct netproc {
	int		 fd;
	pid_t		 pid;
	bool		 configured;
	int		(*interrupted)(void);
	uint32_t	 last_id;
	struct pending	*pending;
	bool		 broken;
	struct err	 why;		/* once broken: why, for every request */
};

struct netproc *
netproc_start(struct err *e)
{
	struct netproc *np;
	int fd;

	if ((np = calloc(1, sizeof(*np))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if ((np->pid = child_fork(CHILD, "acmec-net", &fd, e)) == -1) {
		free(np);
		return NULL;
	}
	if (np->pid == 0)
		_exit(child_main(fd));
	np->fd = fd;
	return np;
}

struct netproc *
netproc_adopt(int fd, struct err *e)
{
	struct netproc *np;

	if ((np = calloc(1, sizeof(*np))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	np->fd = fd;
	np->pid = -1;
	np->configured = true;
	return np;
}

/* Copy the child's text into *e, its control characters made harmless. */
static void
set_untrusted(struct err *e, const char *prefix, const char *text)
{
	char *p;

	err_set(e, "%s%s", prefix, text);
	for (p = e->msg; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
}

int
netproc_configure(struct netproc *np, const struct http_options *opts,
    enum sandbox_mode mode, struct err *e)
{
	struct ipc_msg *m;
	json_t *conf;
	int rc;

	np->interrupted = opts->interrupted;
	if (np->configured)
		return 0;
	conf = json_pack("{s:I, s:I, s:i}", "timeout", (json_int_t)
	    opts->timeout, "connect_timeout", (json_int_t)
	    opts->connect_timeout, "sandbox", (int)mode);
	if (conf != NULL && opts->ca_bundle != NULL)
		put_string(conf, "ca_bundle", opts->ca_bundle);
	rc = message_send(np->fd, CHILD, IPC_CONFIGURE, conf, NULL, 0, e);
	json_decref(conf);
	if (rc == -1 || (m = ipc_recv(np->fd, CHILD, e)) == NULL)
		return -1;
	if (m->type == IPC_READY)
		np->configured = true;
	else if (m->type == IPC_REFUSED)
		set_untrusted(e, "", (const char *)m->body);
	else
		err_set(e, "%s answered its options with message type %d",
		    CHILD, (int)m->type);
	ipc_msg_free(m);
	return np->configured ? 0 : -1;
}

static int
np_start(void *ctx, const struct http_request *req, transport_done_fn done,
    void *arg, struct err *e)
{
	struct netproc *np = ctx;
	struct pending *p;
	json_t *head;
	int rc;

	if (np->broken) {
		err_set(e, "%s %s: %s", req->method, req->url, np->why.msg);
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->what = str_fmt("%s %s", req->method, req->url)) == NULL) {
		free(p);
		err_set(e, "out of memory");
		return -1;
	}
	head = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)++np->last_id,
	    "method", req->method, "url", req->url);
	if (head != NULL) {
		put_string(head, "content_type", req->content_type);
		put_string(head, "accept", req->accept);
	}
	rc = message_send(np->fd, CHILD, IPC_REQUEST, head, req->body,
	    req->body_len, e);
	json_decref(head);
	if (rc == -1) {
		free(p->what);
		free(p);
		return -1;
	}
	*p = (struct pending){ np->last_id, p->what, done, arg, np->pending };
	np->pending = p;
	return 0;
}

/* End every request in flight with "METHOD URL: why"; how many. */
static int
fail_all(struct netproc *np, const char *why)
{
	struct pending *p;
	struct err e;
	int n = 0;

	while ((p = np->pending) != NULL) {
		np->pending = p->next;
		err_set(&e, "%s: %s", p->what, why);
		free(p->what);
		p->done(p->arg, NULL, &e);
		free(p);
		n++;
	}
	return n;
}

/* The child cannot be relied on any more: say why for all it had. */
static int
break_down(struct netproc *np, const struct err *why)
{
	np->broken = true;
	np->why = *why;
	return fail_all(np, why->msg);
}

/* The header name of head: absent, or a string of at most HTTP_HEADER_MAX. */
static int
take_header(const json_t *head, const char *name, char **out)
{
	const json_t *v = json_object_get(head, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) > HTTP_HEADER_MAX ||
	    (*out = strdup(json_string_value(v))) == NULL)
		return -1;
	return 0;
}

static int
take_links(const json_t *head, struct http_response *r)
{
	const json_t *links = json_object_get(head, "links"), *v;
	size_t i;

	if (links == NULL)
		return 0;
	if (!json_is_array(links) || json_array_size(links) > HTTP_LINKS_MAX ||
	    (r->links = calloc(json_array_size(links) + 1,
	    sizeof(char *))) == NULL)
		return -1;
	json_array_foreach(links, i, v) {
		if (!json_is_string(v) || json_string_length(v) > HTTP_HEADER_MAX ||
		    (r->links[i] = strdup(json_string_value(v))) == NULL)
			return -1;
		r->nlinks++;
	}
	return 0;
}

/* The answer head and body describe, checked; new, or NULL. */
static struct http_response *
answer_from(const json_t *head, const unsigned char *body, size_t len)
{
	json_int_t status = json_integer_value(json_object_get(head,
	    "status"));
	struct http_response *r;

	if (status < 100 || status > 599 || len > HTTP_BODY_MAX ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->status = (long)status;
	r->body_len = len;
	if ((r->body = malloc(len + 1)) != NULL) {
		memcpy(r->body, body, len);
		r->body[len] = '\0';
	}
	if (r->body == NULL ||
	    take_header(head, "content_type", &r->content_type) == -1 ||
	    take_header(head, "location", &r->location) == -1 ||
	    take_header(head, "replay_nonce", &r->replay_nonce) == -1 ||
	    take_header(head, "retry_after", &r->retry_after) == -1 ||
	    take_links(head, r) == -1) {
		http_response_free(r);
		return NULL;
	}
	return r;
}

/* The request in flight numbered id, taken off the list; or NULL. */
static struct pending *
take_pending(struct netproc *np, json_int_t id)
{
	struct pending **pp, *p;

	for (pp = &np->pending; (p = *pp) != NULL; pp = &p->next)
		if ((json_int_t)p->id == id) {
			*pp = p->next;
			return p;
		}
	return NULL;
}

/* Hand the answer in head and body to its request; 1, or 0 if none. */
static int
deliver(struct netproc *np, const json_t *head, const unsigned char *body,
    size_t len)
{
	const json_t *error = json_object_get(head, "error");
	struct http_response *r = NULL;
	struct pending *p;
	struct err e;

	/* Not in flight: dropped after an interrupt, or made up. */
	if ((p = take_pending(np, json_integer_value(json_object_get(head,
	    "id")))) == NULL)
		return 0;
	if (json_is_string(error))
		set_untrusted(&e, "", json_string_value(error));
	else if ((r = answer_from(head, body, len)) == NULL)
		err_set(&e, "%s: %s sent an answer that is not one", p->what,
		    CHILD);
	p->done(p->arg, r, &e);
	free(p->what);
	free(p);
	return 1;
}

/* Read one answer and hand it over; how many requests ended. */
static int
take_answer(struct netproc *np)
{
	const unsigned char *body;
	struct ipc_msg *m;
	struct err e;
	json_t *head;
	size_t len;
	int n;

	if ((m = ipc_recv_long(np->fd, CHILD, MESSAGE_MAX, &e)) == NULL)
		return break_down(np, &e);
	if (m->type != IPC_RESPONSE) {
		err_set(&e, "%s sent message type %d, not an answer", CHILD,
		    (int)m->type);
		ipc_msg_free(m);
		return break_down(np, &e);
	}
	if (message_split(m, CHILD, &head, &body, &len, &e) == -1) {
		ipc_msg_free(m);
		return break_down(np, &e);
	}
	n = deliver(np, head, body, len);
	json_decref(head);
	ipc_msg_free(m);
	return n;
}

static int
np_wait(void *ctx, long timeout_ms)
{
	struct netproc *np = ctx;
	long left, slice;
	struct err e;
	int n;

	if (np->pending == NULL)
		return -1;
	for (left = timeout_ms > 0 ? timeout_ms : 0;; left -= slice) {
		if (np->interrupted != NULL && np->interrupted())
			return fail_all(np, "interrupted");
		slice = left < SLICE_MS ? left : SLICE_MS;
		if ((n = ipc_wait(np->fd, CHILD, (int)slice, &e)) == -1)
			return break_down(np, &e);
		if (n == 1)
			return take_answer(np);
		if (left <= slice)
			return 0;
	}
}

struct transport
netproc_transport(struct netproc *np)
{
	return (struct transport){ np_start, np_wait, np };
}

void
netproc_free(struct netproc *np)
{
	struct pending *p;

	if (np == NULL)
		return;
	if (np->pid > 0)
		child_end(np->fd, np->pid);
	else
		close(np->fd);
	while ((p = np->pending) != NULL) {
		np->pending = p->next;
		free(p->what);
		free(p);
	}
	free(np);
}
