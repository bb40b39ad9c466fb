/*
 * acme.c - the ACME protocol (RFC 8555): directory, nonces, signed
 * requests, problem documents and polling.  Accounts are in acme_account.c,
 * orders in acme_order.c.
 *
 * All signed requests to the CA pass through acme_post_start(), the one
 * place that handles nonces, badNonce retries, Retry-After and problem
 * documents.  It returns once the request is sent; the answer is read
 * when the transport's wait hands it over, so many requests can be in
 * flight at once.  Everything the server sends is checked before use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme_private.h"
#include "b64url.h"
#include "interrupt.h"
#include "jws.h"
#include "log.h"
#include "str.h"

#define PROBLEM_PREFIX		"urn:ietf:params:acme:error:"
/*
 * badNonce is answered at once with the nonce it carries, for as long as
 * this budget lasts: a busy CA may reject many in a row, an endless
 * stream still ends.
 */
#define BAD_NONCE_BUDGET	20	/* seconds */
#define BAD_NONCE_MAX		64	/* retries */
#define DIRECTORY_RETRY_MS	1000


/* -------------------------------------------------------------- helpers */

bool
acme_refused_with(const struct acme_outcome *o, const char *problem)
{
	return o->verdict == ACME_REFUSED && strcmp(o->problem, problem) == 0;
}

char *
acme_sanitize(const char *s)
{
	size_t len = s ? strlen(s) : 0, i;
	char *out;

	if (len > TEXT_MAX)
		len = TEXT_MAX;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}

bool
acme_url_is_https(const char *url)
{
	if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0')
		return false;
	for (; *url != '\0'; url++)
		if (*url <= 0x20 || *url >= 0x7f)
			return false;
	return true;
}

/* A copy of the https URL member name of obj; NULL (and *e) otherwise. */
char *
acme_json_url(const json_t *obj, const char *name, struct err *e)
{
	const char *url = json_string_value(json_object_get(obj, name));

	if (!acme_url_is_https(url)) {
		char *shown = acme_sanitize(url ? url : "(none)");
		err_set(e, "the CA sent %s \"%s\", not an https URL", name,
		    shown ? shown : "");
		free(shown);
		return NULL;
	}
	return strdup(url);
}

const char *
acme_json_str(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

void
acme_append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf);

	if (used < size - 1)
		snprintf(buf + used, size - used, "%s", text);
}

void
acme_append_clean(char *buf, size_t size, const char *text)
{
	char *clean = acme_sanitize(text ? text : "");

	acme_append(buf, size, clean ? clean : "");
	free(clean);
}

char *
acme_problem_describe(const json_t *problem)
{
	const json_t *subs, *sub;
	char buf[2048] = "";
	size_t i;

	acme_append_clean(buf, sizeof(buf), acme_json_str(problem, "type") ?
	    acme_json_str(problem, "type") : "unknown problem");
	if (acme_json_str(problem, "detail") != NULL) {
		acme_append(buf, sizeof(buf), ": ");
		acme_append_clean(buf, sizeof(buf),
		    acme_json_str(problem, "detail"));
	}
	subs = json_object_get(problem, "subproblems");
	json_array_foreach(subs, i, sub) {
		acme_append(buf, sizeof(buf), i == 0 ? " [" : "; ");
		acme_append_clean(buf, sizeof(buf),
		    acme_json_str(json_object_get(sub, "identifier"), "value"));
		acme_append(buf, sizeof(buf), ": ");
		acme_append_clean(buf, sizeof(buf), acme_json_str(sub, "type"));
		acme_append(buf, sizeof(buf), ": ");
		acme_append_clean(buf, sizeof(buf),
		    acme_json_str(sub, "detail"));
	}
	if (json_array_size(subs) > 0)
		acme_append(buf, sizeof(buf), "]");
	return strdup(buf);
}

char *
acme_error_of(const json_t *obj)
{
	const json_t *error = json_object_get(obj, "error");

	return json_is_object(error) ? acme_problem_describe(error) : NULL;
}

long
acme_retry_after_parse(const char *value, time_t now)
{
	struct tm tm;
	const char *end;
	char *stop;
	long secs;

	if (value == NULL)
		return -1;
	while (*value == ' ')
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		secs = strtol(value, &stop, 10);
		while (*stop == ' ')
			stop++;
		return *stop == '\0' && errno == 0 &&
		    secs <= ACME_RETRY_AFTER_MAX ? secs : -1;
	}
	/* RFC 9110 section 5.6.7 IMF-fixdate. */
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	secs = (long)(timegm(&tm) - now);
	if (secs > ACME_RETRY_AFTER_MAX)
		return -1;
	return secs > 0 ? secs : 0;
}

char *
acme_key_authorization(const char *token, const struct signer *key)
{
	return str_fmt("%s.%s", token, signer_thumbprint(key));
}

/* ---------------------------------------------------- directory & nonce */

json_t *
acme_parse_json(const struct http_response *r, const char *url, struct err *e)
{
	json_error_t jerr;
	json_t *v;

	v = json_loadb(r->body, r->body_len, 0, &jerr);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		err_set(e, "%s: the CA's answer (HTTP %ld) is not a JSON "
		    "object", url, r->status);
		return NULL;
	}
	return v;
}

/*
 * The entries we use must be https URLs (the required ones must exist);
 * anything else in the directory is ignored, not trusted.
 */
static int
check_directory(json_t *dir, const char *url, struct err *e)
{
	static const struct {
		const char	*name;
		bool		 required;
	} entries[] = {
		{ "newNonce", true }, { "newAccount", true },
		{ "newOrder", true }, { "revokeCert", false },
		{ "keyChange", false }, { "renewalInfo", false },
	};
	const json_t *value;

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		value = json_object_get(dir, entries[i].name);
		if (value == NULL && !entries[i].required)
			continue;
		if (value == NULL) {
			err_set(e, "%s is not an ACME directory (no %s); check "
			    "--directory", url, entries[i].name);
			return -1;
		}
		if (!acme_url_is_https(json_string_value(value))) {
			err_set(e, "%s: directory entry %s is not an https URL",
			    url, entries[i].name);
			return -1;
		}
	}
	return 0;
}

static int
send_request(struct acme *a, const struct http_request *req,
    struct http_response **resp, struct err *e)
{
	return transport_send(&a->transport, req, resp, e);
}

/*
 * The directory is read once, before any order is in flight: a lost
 * answer (a reset connection, a timeout) is asked again once, a second
 * later, since a GET changes nothing at the CA.
 */
static int
fetch_directory(struct acme *a, struct err *e)
{
	const struct http_request req = { "GET", a->directory_url, NULL,
	    NULL, 0, NULL };
	struct http_response *r = NULL;
	int rc = -1;

	if (send_request(a, &req, &r, e) == -1) {
		log_verbose("%s; asking again in %d ms", e->msg,
		    DIRECTORY_RETRY_MS);
		if (interrupt_sleep_ms(DIRECTORY_RETRY_MS) == -1 ||
		    send_request(a, &req, &r, e) == -1)
			return -1;
	}
	if (r->status != 200)
		err_set(e, "%s answered HTTP %ld, not an ACME directory; check "
		    "--directory", a->directory_url, r->status);
	else if ((a->dir = acme_parse_json(r, a->directory_url, e)) != NULL &&
	    check_directory(a->dir, a->directory_url, e) == 0)
		rc = 0;
	http_response_free(r);
	return rc;
}

struct acme *
acme_new(const struct transport *t, const char *directory_url,
    struct err *e)
{
	struct acme *a;

	if (!acme_url_is_https(directory_url)) {
		err_set(e, "the ACME directory must be an https URL, not %s",
		    directory_url);
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->directory_url = strdup(directory_url)) == NULL) {
		free(a);
		err_set(e, "out of memory");
		return NULL;
	}
	a->transport = *t;
	if (fetch_directory(a, e) == -1) {
		acme_free(a);
		return NULL;
	}
	return a;
}

void
acme_free(struct acme *a)
{
	if (a == NULL)
		return;
	free(a->directory_url);
	json_decref(a->dir);
	for (size_t i = 0; i < a->nnonces; i++)
		free(a->nonces[i]);
	free(a);
}

const char *
acme_directory_url(const struct acme *a)
{
	return a->directory_url;
}

const char *
acme_terms_of_service(const struct acme *a)
{
	const char *tos = acme_json_str(json_object_get(a->dir, "meta"),
	    "termsOfService");

	/* Only shown, never fetched: any scheme, but nothing unprintable. */
	if (tos == NULL || strlen(tos) > TEXT_MAX)
		return NULL;
	for (const char *p = tos; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return NULL;
	return tos;
}

bool
acme_has_renewal_info(const struct acme *a)
{
	return json_object_get(a->dir, "renewalInfo") != NULL;
}

/* meta.profiles: an object of profile names and their descriptions. */
bool
acme_profile_offered(const struct acme *a, const char *name)
{
	const json_t *profiles = json_object_get(json_object_get(a->dir,
	    "meta"), "profiles");

	return json_is_object(profiles) &&
	    json_object_get(profiles, name) != NULL;
}

char *
acme_profiles(const struct acme *a)
{
	const json_t *profiles = json_object_get(json_object_get(a->dir,
	    "meta"), "profiles");
	const char *name;
	const json_t *v;
	char buf[512] = "";

	json_object_foreach((json_t *)profiles, name, v) {
		acme_append(buf, sizeof(buf), buf[0] ? ", " : "");
		acme_append_clean(buf, sizeof(buf), name);
	}
	return strdup(buf[0] ? buf : "none");
}

bool
acme_eab_required(const struct acme *a)
{
	return json_is_true(json_object_get(json_object_get(a->dir, "meta"),
	    "externalAccountRequired"));
}

/* Keep the response's nonce for a later request (RFC 8555 section 7.2). */
static void
keep_nonce(struct acme *a, const struct http_response *r)
{
	char *copy;

	if (r->replay_nonce == NULL || !b64url_is_valid(r->replay_nonce) ||
	    (copy = strdup(r->replay_nonce)) == NULL)
		return;
	if (a->nnonces == NONCE_POOL) {
		/* The oldest is the likeliest to have expired. */
		free(a->nonces[0]);
		memmove(a->nonces, a->nonces + 1,
		    (NONCE_POOL - 1) * sizeof(a->nonces[0]));
		a->nnonces--;
	}
	a->nonces[a->nnonces++] = copy;
}

/* ---------------------------------------------------------- signed POST */

/* Fill *out and *e from an answer of status >= 400. */
static void
read_problem(const char *url, const struct http_response *r,
    struct acme_outcome *out, struct err *e)
{
	json_t *problem = json_loadb(r->body, r->body_len, 0, NULL);
	const char *type = acme_json_str(problem, "type");
	char *desc, *shown_url = acme_sanitize(url), *name;

	if (type != NULL && strncmp(type, PROBLEM_PREFIX,
	    strlen(PROBLEM_PREFIX)) == 0 &&
	    (name = acme_sanitize(type + strlen(PROBLEM_PREFIX))) != NULL) {
		snprintf(out->problem, sizeof(out->problem), "%s", name);
		free(name);
	}
	/*
	 * A 5xx may come from a gateway after the CA acted; so may a 4xx
	 * without a problem document (a load balancer's bare 404, 429 or
	 * 403): neither is the CA's word that it did not act.
	 */
	out->verdict = (r->status < 500 && type != NULL) || r->status == 501 ?
	    ACME_REFUSED : ACME_UNKNOWN;
	if (type != NULL && (desc = acme_problem_describe(problem)) != NULL) {
		err_set(e, "%s: HTTP %ld: %s", shown_url ? shown_url : "",
		    r->status, desc);
		free(desc);
	} else {
		err_set(e, "%s: HTTP %ld with no ACME problem document",
		    shown_url ? shown_url : "", r->status);
	}
	free(shown_url);
	json_decref(problem);
}

/* Start a fresh outcome: nothing known yet, nothing sent. */
static void
outcome_reset(struct acme_outcome *out, enum acme_verdict verdict)
{
	out->verdict = verdict;
	out->status = 0;
	out->problem[0] = '\0';
	out->retry_after = -1;
}

/* One signed POST in flight, with its badNonce retries. */
struct post {
	struct acme		*a;
	const char		*url;
	const char		*accept;
	json_t			*payload;
	const struct signer	*key;
	const char		*kid;
	struct http_response	**resp;
	struct acme_outcome	*out;
	struct err		*e;
	struct acme_done	 done;
	time_t			 budget_end;
	int			 bad_nonces;
	int			 nonces_lost;
};

static void
post_free(struct post *p)
{
	json_decref(p->payload);
	free(p);	/* the strings live in the same allocation */
}

/* A copy of s at *buf, which moves past it; NULL stays NULL. */
static char *
put_string(char **buf, const char *s)
{
	char *copy = *buf;

	if (s == NULL)
		return NULL;
	*buf = stpcpy(copy, s) + 1;
	return copy;
}

/* A post with copies of req's strings; NULL: out of memory. */
static struct post *
post_new(const struct acme_request *req)
{
	size_t size = sizeof(struct post) + strlen(req->url) + 1;
	struct post *p;
	char *buf;

	size += req->accept != NULL ? strlen(req->accept) + 1 : 0;
	size += req->who.kid != NULL ? strlen(req->who.kid) + 1 : 0;
	if ((p = calloc(1, size)) == NULL)
		return NULL;
	buf = (char *)(p + 1);
	p->url = put_string(&buf, req->url);
	p->accept = put_string(&buf, req->accept);
	p->kid = put_string(&buf, req->who.kid);
	p->payload = json_incref((json_t *)req->payload);
	p->key = req->who.key;
	return p;
}

static void
post_end(struct post *p, int rc)
{
	struct acme_done done = p->done;

	post_free(p);
	done.fn(done.arg, rc);
}

static void on_nonce(void *, struct http_response *, const struct err *);
static void on_answer(void *, struct http_response *, const struct err *);

/*
 * Sign with the newest nonce and send; with none in the pool, ask
 * newNonce first.  -1: nothing was sent (*p->e).
 */
static int
post_send(struct post *p)
{
	const struct http_request head = { "HEAD", acme_json_str(p->a->dir,
	    "newNonce"), NULL, NULL, 0, NULL };
	struct http_request req = { "POST", p->url, "application/jose+json",
	    NULL, 0, p->accept };
	struct acme *a = p->a;
	char *nonce, *body;
	json_t *jws;
	int rc;

	if (a->nnonces == 0)
		return a->transport.start(a->transport.ctx, &head, on_nonce, p,
		    p->e);
	nonce = a->nonces[--a->nnonces];
	jws = jws_new(p->key, p->url, p->kid, nonce, p->payload, p->e);
	free(nonce);
	if (jws == NULL)
		return -1;
	body = json_dumps(jws, JSON_COMPACT);
	json_decref(jws);
	if (body == NULL) {
		err_set(p->e, "out of memory");
		return -1;
	}
	req.body = body;
	req.body_len = strlen(body);
	rc = a->transport.start(a->transport.ctx, &req, on_answer, p, p->e);
	free(body);
	return rc;
}

/*
 * newNonce changes nothing at the CA: a lost answer is asked again once
 * at once; after that the caller hears UNSENT and may retry later.
 */
static void
on_nonce(void *arg, struct http_response *r, const struct err *lost)
{
	struct post *p = arg;
	const char *url = acme_json_str(p->a->dir, "newNonce");

	if (r == NULL) {
		*p->e = *lost;
		if (p->nonces_lost++ == 0 && !interrupt_requested()) {
			log_verbose("%s; asking newNonce again", lost->msg);
			if (post_send(p) == 0)
				return;
		}
		post_end(p, -1);
		return;
	}
	keep_nonce(p->a, r);
	http_response_free(r);
	if (p->a->nnonces == 0) {
		err_set(p->e, "%s gave no usable Replay-Nonce", url);
		post_end(p, -1);
	} else if (post_send(p) == -1) {
		post_end(p, -1);
	}
}

/* Each attempt's outcome replaces the one before. */
static void
on_answer(void *arg, struct http_response *r, const struct err *lost)
{
	struct post *p = arg;
	struct acme_outcome *out = p->out;

	outcome_reset(out, ACME_UNKNOWN);
	if (r == NULL) {
		*p->e = *lost;
		post_end(p, -1);
		return;
	}
	keep_nonce(p->a, r);
	out->status = r->status;
	out->retry_after = acme_retry_after_parse(r->retry_after, time(NULL));
	if (r->status < 400) {
		out->verdict = ACME_DONE;
		*p->resp = r;
		post_end(p, 0);
		return;
	}
	read_problem(p->url, r, out, p->e);
	http_response_free(r);
	/* The rejection carries a fresh nonce (section 6.5). */
	if (acme_refused_with(out, "badNonce") &&
	    p->bad_nonces++ < BAD_NONCE_MAX && time(NULL) < p->budget_end) {
		log_verbose("badNonce, retrying with the new nonce");
		if (post_send(p) == 0)
			return;
	}
	post_end(p, -1);
}

int
acme_post_start(struct acme *a, const struct acme_request *req,
    struct http_response **resp, struct acme_outcome *out, struct err *e,
    struct acme_done done)
{
	struct post *p;

	*resp = NULL;
	outcome_reset(out, ACME_UNSENT);
	if ((p = post_new(req)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	p->a = a;
	p->resp = resp;
	p->out = out;
	p->e = e;
	p->done = done;
	p->budget_end = time(NULL) + BAD_NONCE_BUDGET;
	if (post_send(p) == -1) {
		post_free(p);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- waiting for it */

int
acme_wait(struct acme *a, long timeout_ms)
{
	return a->transport.wait(a->transport.ctx, timeout_ms);
}

static void
on_sync_done(void *arg, int rc)
{
	struct acme_sync *s = arg;

	s->ended = true;
	s->rc = rc;
}

struct acme_done
acme_sync_done(struct acme_sync *s)
{
	s->ended = false;
	s->rc = -1;
	return (struct acme_done){ on_sync_done, s };
}

int
acme_finish(struct acme *a, int started, struct acme_sync *s, struct err *e)
{
	if (started == -1)
		return -1;
	while (!s->ended)
		if (acme_wait(a, 1000) == -1) {
			err_set(e, "the transport lost a request in flight");
			return -1;
		}
	return s->rc;
}

int
acme_post(struct acme *a, const struct acme_request *req,
    struct http_response **resp, struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_post_start(a, req, resp, out, e,
	    acme_sync_done(&s)), &s, e);
}

/* ------------------------------------------------------------ typed calls */

void *
acme_call_new(size_t size, int (*read)(struct acme_call *),
    struct acme_outcome *out, struct err *e, struct acme_done done)
{
	struct acme_call *c;

	outcome_reset(out, ACME_UNSENT);
	if ((c = calloc(1, size)) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	c->out = out;
	c->e = e;
	c->read = read;
	c->done = done;
	return c;
}

static void
call_free(struct acme_call *c)
{
	if (c->cleanup != NULL)
		c->cleanup(c);
	http_response_free(c->resp);
	json_decref(c->obj);
	free(c->url);
	free(c->prefix);
	free(c);
}

static void
on_call_answer(void *arg, int rc)
{
	struct acme_call *c = arg;
	struct acme_done done = c->done;

	if (rc == 0 && c->json &&
	    (c->obj = acme_parse_json(c->resp, c->url, c->e)) == NULL) {
		c->out->verdict = ACME_UNKNOWN;	/* it acted, but said what? */
		rc = -1;
	}
	if (rc == -1 && c->prefix != NULL)
		err_prefix(c->e, "%s", c->prefix);
	if (rc == 0 && c->read != NULL)
		rc = c->read(c);
	call_free(c);
	done.fn(done.arg, rc);
}

int
acme_call_start(struct acme *a, const struct acme_request *req,
    struct acme_call *c)
{
	if ((c->url = strdup(req->url)) == NULL) {
		outcome_reset(c->out, ACME_UNSENT);
		err_set(c->e, "out of memory");
		call_free(c);
		return -1;
	}
	if (acme_post_start(a, req, &c->resp, c->out, c->e,
	    (struct acme_done){ on_call_answer, c }) == -1) {
		call_free(c);
		return -1;
	}
	return 0;
}

json_t *
acme_post_json(struct acme *a, const struct acme_request *req,
    struct http_response **resp, struct acme_outcome *out, struct err *e)
{
	struct http_response *r;
	json_t *obj;

	if (acme_post(a, req, &r, out, e) == -1)
		return NULL;
	if ((obj = acme_parse_json(r, req->url, e)) == NULL)
		out->verdict = ACME_UNKNOWN;	/* it acted, but said what? */
	if (resp != NULL && obj != NULL)
		*resp = r;
	else
		http_response_free(r);
	return obj;
}

bool
acme_status_in(const char *status, const char *const *list)
{
	for (; *list != NULL; list++)
		if (status != NULL && strcmp(status, *list) == 0)
			return true;
	return false;
}
