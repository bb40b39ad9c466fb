/*
 * fake_transport.c - a scripted CA behind the transport seam (see
 * fake_transport.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "b64url.h"
#include "err.h"
#include "fake_transport.h"

#define LOST_MSG	"Timeout was reached (Operation timed out after " \
			"30000 milliseconds with 0 bytes received)"

void
fake_transport_init(struct fake_transport *ft)
{
	memset(ft, 0, sizeof(*ft));
}

void
fake_transport_add(struct fake_transport *ft, const struct fake_step *steps,
    size_t n)
{
	struct fake_step *grown;

	if (n == 0)
		return;
	grown = realloc(ft->steps, (ft->nsteps + n) * sizeof(*grown));
	if (grown == NULL)
		fail_msg("fake transport: out of memory");
	memcpy(grown + ft->nsteps, steps, n * sizeof(*grown));
	ft->steps = grown;
	ft->nsteps += n;
}

static void
request_clear(struct fake_request *r)
{
	free(r->method);
	free(r->url);
	free(r->accept);
	free(r->body);
	json_decref(r->jws);
	json_decref(r->protected);
	json_decref(r->payload);
}

void
fake_transport_free(struct fake_transport *ft)
{
	for (size_t i = 0; i < ft->nrequests; i++)
		request_clear(&ft->requests[i]);
	for (size_t i = 0; i < ft->nnonces; i++)
		free(ft->nonces[i]);
	free(ft->requests);
	free(ft->nonces);
	free(ft->nonce_used);
	free(ft->steps);
	answer_queue_free(&ft->answers);
	memset(ft, 0, sizeof(*ft));
}

static char *
dup_or_null(const char *s)
{
	char *copy;

	if (s == NULL)
		return NULL;
	if ((copy = strdup(s)) == NULL)
		fail_msg("fake transport: out of memory");
	return copy;
}

char *
fake_json_text(const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);

	if (text == NULL)
		fail_msg("fake transport: cannot serialize JSON");
	return text;
}

json_t *
fake_jws_decode(const char *body, const char *member)
{
	json_t *jws = json_loads(body, 0, NULL), *v;
	const char *b64 = json_string_value(json_object_get(jws, member));
	unsigned char *raw;
	size_t len;

	if (b64 == NULL)
		fail_msg("fake transport: the body has no JWS \"%s\": %s",
		    member, body);
	if (b64[0] == '\0') {
		json_decref(jws);
		return NULL;
	}
	if ((raw = b64url_decode(b64, &len)) == NULL)
		fail_msg("fake transport: JWS \"%s\" is not base64url: %s",
		    member, b64);
	v = json_loadb((const char *)raw, len, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		fail_msg("fake transport: JWS \"%s\" is not JSON: %.*s",
		    member, (int)len, raw);
	free(raw);
	json_decref(jws);
	return v;
}

/* Record req; the copy is what the checks below look at. */
static struct fake_request *
record(struct fake_transport *ft, const struct http_request *req)
{
	struct fake_request *grown, *r;

	grown = realloc(ft->requests, (ft->nrequests + 1) * sizeof(*grown));
	if (grown == NULL)
		fail_msg("fake transport: out of memory");
	ft->requests = grown;
	r = &ft->requests[ft->nrequests++];
	memset(r, 0, sizeof(*r));
	r->method = dup_or_null(req->method);
	r->url = dup_or_null(req->url);
	r->accept = dup_or_null(req->accept);
	if (req->body == NULL)
		return r;
	if ((r->body = strndup(req->body, req->body_len)) == NULL)
		fail_msg("fake transport: out of memory");
	r->jws = json_loads(r->body, 0, NULL);
	if (json_is_object(r->jws) &&
	    json_object_get(r->jws, "protected") != NULL) {
		r->protected = fake_jws_decode(r->body, "protected");
		r->payload = fake_jws_decode(r->body, "payload");
		r->post_as_get = r->payload == NULL;
	}
	return r;
}

static bool
url_matches(const char *pattern, const char *url)
{
	size_t len;

	if (pattern == NULL)
		return true;
	if (url == NULL)
		return false;
	len = strlen(pattern);
	if (len > 0 && pattern[len - 1] == '*')
		return strncmp(pattern, url, len - 1) == 0;
	return strcmp(pattern, url) == 0;
}

static bool
step_matches(const struct fake_step *s, const struct fake_request *r)
{
	return (s->method == NULL || strcmp(s->method, r->method) == 0) &&
	    url_matches(s->url, r->url);
}

static const char *
str_or(const char *s, const char *none)
{
	return s != NULL ? s : none;
}

/* Fail unless the decoded part v, as compact JSON, contains want. */
static void
check_part(size_t n, const char *name, const json_t *v, const char *want)
{
	char *text;

	if (want == NULL)
		return;
	text = v != NULL ? fake_json_text(v) : strdup("(empty)");
	if (text == NULL || strstr(text, want) == NULL)
		fail_msg("fake transport: request %zu: the JWS %s %s lacks %s",
		    n, name, text ? text : "", want);
	free(text);
}

/* Fail unless the header's nonce was handed out and is used only once. */
static void
check_nonce(struct fake_transport *ft, size_t n, const char *nonce)
{
	bool given = false;

	for (size_t i = 0; nonce != NULL && i < ft->nnonces; i++) {
		if (strcmp(ft->nonces[i], nonce) != 0)
			continue;
		given = true;
		if (!ft->nonce_used[i]) {
			ft->nonce_used[i] = true;
			return;
		}
	}
	if (given)
		fail_msg("fake transport: request %zu uses nonce %s a second "
		    "time", n, nonce);
	fail_msg("fake transport: request %zu uses nonce %s, which the CA "
	    "never gave", n, str_or(nonce, "(none)"));
}

/* The checks of a signed request: what the step asks, and the nonce. */
static void
check_jws(struct fake_transport *ft, const struct fake_step *s,
    const struct fake_request *r)
{
	size_t n = ft->nrequests - 1;
	const char *nonce, *kid;
	json_t *jwk;

	if (s->body_has != NULL && (r->body == NULL ||
	    strstr(r->body, s->body_has) == NULL))
		fail_msg("fake transport: request %zu: the body lacks %s: %s",
		    n, s->body_has, str_or(r->body, "(none)"));
	if (r->protected == NULL) {
		if (s->payload_has != NULL || s->protected_has != NULL ||
		    s->jwk_of != NULL || s->kid != NULL || s->post_as_get)
			fail_msg("fake transport: request %zu (%s %s) is not "
			    "a JWS", n, r->method, r->url);
		return;
	}
	check_part(n, "payload", r->payload, s->payload_has);
	check_part(n, "protected header", r->protected, s->protected_has);
	if (s->post_as_get && !r->post_as_get)
		fail_msg("fake transport: request %zu to %s is not a "
		    "POST-as-GET", n, r->url);
	nonce = json_string_value(json_object_get(r->protected, "nonce"));
	kid = json_string_value(json_object_get(r->protected, "kid"));
	/* Section 6.4: the url in the header is the URL requested. */
	if (!json_is_string(json_object_get(r->protected, "url")) ||
	    strcmp(json_string_value(json_object_get(r->protected, "url")),
	    r->url) != 0)
		fail_msg("fake transport: request %zu: header url is not %s",
		    n, r->url);
	/* Section 6.2: exactly one of jwk and kid. */
	if ((kid != NULL) == (json_object_get(r->protected, "jwk") != NULL))
		fail_msg("fake transport: request %zu: the header must have "
		    "either jwk or kid", n);
	if (s->kid != NULL && (kid == NULL || strcmp(kid, s->kid) != 0))
		fail_msg("fake transport: request %zu: kid %s, expected %s",
		    n, str_or(kid, "(none)"), s->kid);
	if (s->jwk_of != NULL) {
		jwk = signer_jwk(s->jwk_of);
		if (!json_equal(jwk, json_object_get(r->protected, "jwk")))
			fail_msg("fake transport: request %zu is not signed "
			    "with the expected key (jwk differs)", n);
		json_decref(jwk);
	}
	if (s->nonce != NULL && (nonce == NULL || strcmp(nonce, s->nonce) !=
	    0))
		fail_msg("fake transport: request %zu: nonce %s, expected %s",
		    n, str_or(nonce, "(none)"), s->nonce);
	check_nonce(ft, n, nonce);
}

/* Remember a nonce handed out; a copy of it is the answer's. */
static char *
give_nonce(struct fake_transport *ft, const char *fixed)
{
	char serial[32], **nonces;
	bool *used;

	snprintf(serial, sizeof(serial), "fakeNonce%04lu",
	    ++ft->nonce_serial);
	nonces = realloc(ft->nonces, (ft->nnonces + 1) * sizeof(*nonces));
	if (nonces != NULL)
		ft->nonces = nonces;
	used = realloc(ft->nonce_used, (ft->nnonces + 1) * sizeof(*used));
	if (used != NULL)
		ft->nonce_used = used;
	if (nonces == NULL || used == NULL)
		fail_msg("fake transport: out of memory");
	ft->nonces[ft->nnonces] = dup_or_null(fixed != NULL ? fixed : serial);
	ft->nonce_used[ft->nnonces++] = false;
	return dup_or_null(fixed != NULL ? fixed : serial);
}

static const char *
default_content_type(const struct fake_step *s)
{
	if (s->content_type != NULL || s->body == NULL)
		return s->content_type;
	if (s->body[0] != '{')
		return "application/pem-certificate-chain";
	return s->status >= 400 ? "application/problem+json" :
	    "application/json";
}

static struct http_response *
canned_response(struct fake_transport *ft, const struct fake_step *s)
{
	struct http_response *resp = calloc(1, sizeof(*resp));

	if (resp == NULL)
		fail_msg("fake transport: out of memory");
	resp->status = s->status;
	resp->body = dup_or_null(str_or(s->body, ""));
	resp->body_len = strlen(resp->body);
	resp->content_type = dup_or_null(default_content_type(s));
	resp->location = dup_or_null(s->location);
	resp->retry_after = dup_or_null(s->retry_after);
	if (s->link != NULL) {
		if ((resp->links = calloc(1, sizeof(*resp->links))) == NULL)
			fail_msg("fake transport: out of memory");
		resp->links[0] = dup_or_null(s->link);
		resp->nlinks = 1;
	}
	if (!s->no_nonce)
		resp->replay_nonce = give_nonce(ft, s->replay_nonce);
	return resp;
}

/* The step for this request, consumed; fails the test if none fits. */
static const struct fake_step *
take_step(struct fake_transport *ft, const struct fake_request *r)
{
	const struct fake_step *s;

	/* A FOREVER step that no longer matches gives way to the next. */
	while (ft->next < ft->nsteps && ft->steps[ft->next].times ==
	    FAKE_FOREVER && !step_matches(&ft->steps[ft->next], r)) {
		ft->next++;
		ft->matched = 0;
	}
	if (ft->next == ft->nsteps)
		fail_msg("fake transport: unexpected request %zu: %s %s (the "
		    "script has ended after %zu steps)", ft->nrequests - 1,
		    r->method, r->url, ft->nsteps);
	s = &ft->steps[ft->next];
	if (!step_matches(s, r))
		fail_msg("fake transport: unexpected request %zu: %s %s; "
		    "step %zu of the script expects %s %s",
		    ft->nrequests - 1, r->method, r->url, ft->next,
		    str_or(s->method, "any method"), str_or(s->url, "any URL"));
	ft->matched++;
	if (s->times != FAKE_FOREVER && ft->matched >= (s->times > 0 ?
	    s->times : 1)) {
		ft->next++;
		ft->matched = 0;
	}
	return s;
}

static int
fake_answer(struct fake_transport *ft, const struct http_request *req,
    struct http_response **resp, struct err *e, long *delay_ms)
{
	const struct fake_request *r = record(ft, req);
	const struct fake_step *s = take_step(ft, r);

	*resp = NULL;
	*delay_ms = s->delay_ms;
	check_jws(ft, s, r);
	if (s->lost) {
		err_set(e, "%s: %s", req->url, str_or(s->lost_msg, LOST_MSG));
		return -1;
	}
	*resp = canned_response(ft, s);
	if (s->respond != NULL && s->respond(r, *resp, s->arg, e) == -1) {
		http_response_free(*resp);
		*resp = NULL;
		return -1;
	}
	return 0;
}

/* The answer is made now, from the script; it is handed over on wait. */
static int
fake_start(void *ctx, const struct http_request *req, transport_done_fn done,
    void *arg, struct err *e)
{
	struct fake_transport *ft = ctx;
	struct http_response *resp;
	struct err lost = { "" };
	long delay_ms;

	(void)e;
	(void)fake_answer(ft, req, &resp, &lost, &delay_ms);
	answer_queue_push(&ft->answers, resp, &lost, done, arg, delay_ms);
	return 0;
}

static int
fake_wait(void *ctx, long timeout_ms)
{
	struct fake_transport *ft = ctx;

	return answer_queue_deliver(&ft->answers, timeout_ms);
}

struct transport
fake_transport_seam(struct fake_transport *ft)
{
	return (struct transport){ fake_start, fake_wait, ft };
}

void
fake_transport_assert_done(const struct fake_transport *ft)
{
	size_t next = ft->next;

	/* A FOREVER step is done once it has answered. */
	if (next < ft->nsteps && ft->steps[next].times == FAKE_FOREVER &&
	    ft->matched > 0)
		next++;
	if (next < ft->nsteps)
		fail_msg("fake transport: %zu of %zu steps unused; the next "
		    "is %s %s", ft->nsteps - next, ft->nsteps,
		    str_or(ft->steps[next].method, "any method"),
		    str_or(ft->steps[next].url, "any URL"));
}

size_t
fake_transport_count(const struct fake_transport *ft, const char *method,
    const char *url)
{
	size_t n = 0;

	for (size_t i = 0; i < ft->nrequests; i++)
		if ((method == NULL || strcmp(method,
		    ft->requests[i].method) == 0) &&
		    url_matches(url, ft->requests[i].url))
			n++;
	return n;
}

const struct fake_request *
fake_transport_request(const struct fake_transport *ft, size_t i)
{
	if (i >= ft->nrequests)
		fail_msg("fake transport: no request %zu (%zu recorded)", i,
		    ft->nrequests);
	return &ft->requests[i];
}

const struct fake_request *
fake_transport_last(const struct fake_transport *ft)
{
	if (ft->nrequests == 0)
		fail_msg("fake transport: no request recorded");
	return &ft->requests[ft->nrequests - 1];
}
