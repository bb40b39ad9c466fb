/*
 * acme.c - the ACME protocol (RFC 8555): directory, nonces, signed
 * requests, problem documents and polling.  Accounts are in acme_account.c,
 * orders in acme_order.c.
 *
 * All requests to the CA pass through acme_post(), the one place that
 * handles nonces, badNonce retries, Retry-After and problem documents.
 * Everything the server sends is checked before use.
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
#define BAD_NONCE_RETRIES	5
#define BUSY_RETRIES		3	/* 503 / 429 with a short Retry-After */
#define BUSY_WAIT_MAX		60	/* seconds we wait for a busy CA */
#define POLL_DELAY_MIN_MS	100
#define POLL_DELAY_MAX_MS	5000
#define POLL_LOST_RETRIES	2	/* polls repeated after a lost answer */


/* -------------------------------------------------------------- helpers */

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
		return *stop == '\0' && errno == 0 ? secs : -1;
	}
	/* RFC 9110 section 5.6.7 IMF-fixdate. */
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	secs = (long)(timegm(&tm) - now);
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
		{ "keyChange", false },
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

struct acme *
acme_new(struct http *http, const char *directory_url, struct err *e)
{
	struct http_response *r = NULL;
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
	a->http = http;
	if (http_request(http, "GET", directory_url, NULL, NULL, 0, NULL, &r,
	    e) == -1)
		goto fail;
	if (r->status != 200) {
		err_set(e, "%s answered HTTP %ld, not an ACME directory; check "
		    "--directory", directory_url, r->status);
		goto fail;
	}
	if ((a->dir = acme_parse_json(r, directory_url, e)) == NULL ||
	    check_directory(a->dir, directory_url, e) == -1)
		goto fail;
	http_response_free(r);
	return a;
fail:
	http_response_free(r);
	acme_free(a);
	return NULL;
}

void
acme_free(struct acme *a)
{
	if (a == NULL)
		return;
	free(a->directory_url);
	json_decref(a->dir);
	free(a->account_url);
	free(a->nonce);
	free(a->last_problem);
	free(a);
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
acme_eab_required(const struct acme *a)
{
	return json_is_true(json_object_get(json_object_get(a->dir, "meta"),
	    "externalAccountRequired"));
}

void
acme_set_account(struct acme *a, const struct signer *key,
    const char *account_url)
{
	a->key = key;
	free(a->account_url);
	a->account_url = account_url ? strdup(account_url) : NULL;
}

const char *
acme_account_url(const struct acme *a)
{
	return a->account_url;
}

const char *
acme_last_problem(const struct acme *a)
{
	return a->last_problem;
}

long
acme_last_status(const struct acme *a)
{
	return a->last_status;
}

/* Keep the response's nonce for the next request (RFC 8555 section 7.2). */
static void
keep_nonce(struct acme *a, const struct http_response *r)
{
	if (r->replay_nonce == NULL || !b64url_is_valid(r->replay_nonce))
		return;
	free(a->nonce);
	a->nonce = strdup(r->replay_nonce);
}

/* Hand out the kept nonce, asking newNonce only when there is none. */
static char *
take_nonce(struct acme *a, struct err *e)
{
	struct http_response *r = NULL;
	const char *url = acme_json_str(a->dir, "newNonce");
	char *nonce;

	if (a->nonce == NULL) {
		if (http_request(a->http, "HEAD", url, NULL, NULL, 0, NULL, &r,
		    e) == -1)
			return NULL;
		keep_nonce(a, r);
		http_response_free(r);
		if (a->nonce == NULL) {
			err_set(e, "%s gave no usable Replay-Nonce", url);
			return NULL;
		}
	}
	nonce = a->nonce;
	a->nonce = NULL;
	return nonce;
}

/* ---------------------------------------------------------- signed POST */

/* Record the problem of a failed answer and describe it in *e. */
static void
record_problem(struct acme *a, const char *url, const struct http_response *r,
    struct err *e)
{
	json_t *problem = json_loadb(r->body, r->body_len, 0, NULL);
	const char *type = acme_json_str(problem, "type");
	char *desc, *shown_url;

	free(a->last_problem);
	a->last_problem = NULL;
	a->last_status = r->status;
	if (type != NULL && strncmp(type, PROBLEM_PREFIX,
	    strlen(PROBLEM_PREFIX)) == 0)
		a->last_problem = acme_sanitize(type + strlen(PROBLEM_PREFIX));
	shown_url = acme_sanitize(url);
	if (type != NULL && (desc = acme_problem_describe(problem)) != NULL) {
		err_set(e, "%s: HTTP %ld: %s", shown_url, r->status, desc);
		free(desc);
	} else {
		err_set(e, "%s: HTTP %ld with no ACME problem document",
		    shown_url, r->status);
	}
	free(shown_url);
	json_decref(problem);
}

/* Seconds to wait before retrying a busy CA, or -1 to give up. */
static long
busy_wait(const struct http_response *r, int attempt)
{
	long secs;

	if ((r->status != 503 && r->status != 429) || attempt >= BUSY_RETRIES)
		return -1;
	secs = acme_retry_after_parse(r->retry_after, time(NULL));
	if (secs < 0)
		secs = 1L << attempt;
	return secs <= BUSY_WAIT_MAX ? secs : -1;
}

static int
post_once(struct acme *a, const char *url, const json_t *payload,
    const struct signer *signer, bool use_jwk, const char *accept,
    struct http_response **resp, struct err *e)
{
	char *nonce, *body;
	json_t *jws;
	int rc;

	if ((nonce = take_nonce(a, e)) == NULL)
		return -1;
	jws = jws_new(signer, url, use_jwk ? NULL : a->account_url, nonce,
	    payload, e);
	free(nonce);
	if (jws == NULL)
		return -1;
	body = json_dumps(jws, JSON_COMPACT);
	json_decref(jws);
	if (body == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = http_request(a->http, "POST", url, "application/jose+json", body,
	    strlen(body), accept, resp, e);
	free(body);
	if (rc == 0)
		keep_nonce(a, *resp);
	return rc;
}

int
acme_post(struct acme *a, const char *url, const json_t *payload,
    const struct signer *signer, bool use_jwk, const char *accept,
    struct http_response **resp, struct err *e)
{
	struct http_response *r = NULL;
	int bad_nonces = 0, busy = 0;
	long wait;

	*resp = NULL;
	/* A problem describes this request's failure, never an older one's. */
	free(a->last_problem);
	a->last_problem = NULL;
	a->last_status = 0;
	if (signer == NULL)
		signer = a->key;
	if (!use_jwk && a->account_url == NULL) {
		err_set(e, "%s: no account URL to sign with", url);
		return -1;
	}
	for (;;) {
		if (post_once(a, url, payload, signer, use_jwk, accept, &r,
		    e) == -1)
			return -1;
		if (r->status < 400) {
			*resp = r;
			return 0;
		}
		record_problem(a, url, r, e);
		if (a->last_problem != NULL &&
		    strcmp(a->last_problem, "badNonce") == 0 &&
		    bad_nonces++ < BAD_NONCE_RETRIES) {
			/* The rejection carries a fresh nonce (section 6.5). */
			log_verbose("badNonce, retrying with the new nonce");
			http_response_free(r);
			continue;
		}
		if ((wait = busy_wait(r, busy++)) >= 0) {
			log_verbose("CA busy, retrying in %ld s", wait);
			http_response_free(r);
			if (interrupt_sleep_ms(wait * 1000) == -1) {
				err_set(e, "%s: interrupted", url);
				return -1;
			}
			continue;
		}
		http_response_free(r);
		return -1;
	}
}

/* POST (or POST-as-GET with payload NULL) and parse a JSON object answer. */
json_t *
acme_post_json(struct acme *a, const char *url, const json_t *payload,
    struct http_response **resp, struct err *e)
{
	struct http_response *r;
	json_t *obj;

	if (acme_post(a, url, payload, NULL, false, NULL, &r, e) == -1)
		return NULL;
	obj = acme_parse_json(r, url, e);
	if (resp != NULL && obj != NULL)
		*resp = r;
	else
		http_response_free(r);
	return obj;
}

/* ------------------------------------------------------------- polling */

bool
acme_status_in(const char *status, const char *const *list)
{
	for (; *list != NULL; list++)
		if (status != NULL && strcmp(status, *list) == 0)
			return true;
	return false;
}

/*
 * POST-as-GET url until its status leaves waiting, honouring Retry-After
 * (RFC 8555 section 7.5.1), otherwise backing off; new reference.
 */
json_t *
acme_poll(struct acme *a, const char *url, const char *const *waiting,
    struct err *e)
{
	time_t deadline = time(NULL) + ACME_POLL_TIMEOUT;
	long delay_ms = POLL_DELAY_MIN_MS, wait_ms, retry_after, left;
	int lost = 0;
	struct http_response *r;
	json_t *obj;

	for (;;) {
		if ((obj = acme_post_json(a, url, NULL, &r, e)) == NULL) {
			/* A poll is safe to repeat: ride out a lost answer. */
			if (a->last_status != 0 || interrupt_requested() ||
			    lost++ == POLL_LOST_RETRIES ||
			    time(NULL) >= deadline)
				return NULL;
			log_verbose("%s; asking again", e->msg);
			if (interrupt_sleep_ms(delay_ms) == -1)
				return NULL;
			continue;
		}
		if (!acme_status_in(acme_json_str(obj, "status"), waiting)) {
			http_response_free(r);
			return obj;
		}
		retry_after = acme_retry_after_parse(r->retry_after,
		    time(NULL));
		http_response_free(r);
		json_decref(obj);
		left = deadline - time(NULL);
		/* Sleeping past the deadline would only end in failure. */
		if (retry_after > left) {
			err_set(e, "%s: the CA asks to check again in %ld "
			    "seconds (Retry-After), beyond the %d seconds "
			    "acmec waits; try again later", url, retry_after,
			    ACME_POLL_TIMEOUT);
			return NULL;
		}
		if (left <= 0) {
			err_set(e, "%s: the CA did not decide within %d "
			    "seconds; try again later", url, ACME_POLL_TIMEOUT);
			return NULL;
		}
		wait_ms = retry_after >= 0 ? retry_after * 1000 : delay_ms;
		if (wait_ms < POLL_DELAY_MIN_MS)
			wait_ms = POLL_DELAY_MIN_MS;
		if (wait_ms > left * 1000)
			wait_ms = left * 1000;
		if (interrupt_sleep_ms(wait_ms) == -1) {
			err_set(e, "interrupted while waiting for %s", url);
			return NULL;
		}
		if ((delay_ms *= 2) > POLL_DELAY_MAX_MS)
			delay_ms = POLL_DELAY_MAX_MS;
	}
}
