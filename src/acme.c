/*
 * acme.c - the ACME protocol (RFC 8555).
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

#include "acme.h"
#include "b64url.h"
#include "interrupt.h"
#include "jws.h"
#include "log.h"
#include "str.h"

#define PROBLEM_PREFIX		"urn:ietf:params:acme:error:"
#define BAD_NONCE_RETRIES	5
#define BUSY_RETRIES		3	/* 503 / 429 with a short Retry-After */
#define BUSY_WAIT_MAX		60	/* seconds we wait for a busy CA */
#define POLL_DELAY_MIN_MS	500
#define POLL_DELAY_MAX_MS	5000
#define TEXT_MAX		512	/* server text shown to the user */

struct acme {
	struct http		*http;
	char			*directory_url;
	json_t			*dir;
	const struct signer	*key;		/* account key, borrowed */
	char			*account_url;
	char			*nonce;
	char			*last_problem;
	long			 last_status;
};

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

static bool
url_is_https(const char *url)
{
	if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0')
		return false;
	for (; *url != '\0'; url++)
		if (*url <= 0x20 || *url >= 0x7f)
			return false;
	return true;
}

/* A copy of the https URL member name of obj; NULL (and *e) otherwise. */
static char *
json_url_dup(const json_t *obj, const char *name, struct err *e)
{
	const char *url = json_string_value(json_object_get(obj, name));

	if (!url_is_https(url)) {
		char *shown = acme_sanitize(url ? url : "(none)");
		err_set(e, "the CA sent %s \"%s\", not an https URL", name,
		    shown ? shown : "");
		free(shown);
		return NULL;
	}
	return strdup(url);
}

static const char *
json_str(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

static void
append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf);

	if (used < size - 1)
		snprintf(buf + used, size - used, "%s", text);
}

static void
append_clean(char *buf, size_t size, const char *text)
{
	char *clean = acme_sanitize(text ? text : "");

	append(buf, size, clean ? clean : "");
	free(clean);
}

char *
acme_problem_describe(const json_t *problem)
{
	const json_t *subs, *sub;
	char buf[2048] = "";
	size_t i;

	append_clean(buf, sizeof(buf), json_str(problem, "type") ?
	    json_str(problem, "type") : "unknown problem");
	if (json_str(problem, "detail") != NULL) {
		append(buf, sizeof(buf), ": ");
		append_clean(buf, sizeof(buf), json_str(problem, "detail"));
	}
	subs = json_object_get(problem, "subproblems");
	json_array_foreach(subs, i, sub) {
		append(buf, sizeof(buf), i == 0 ? " [" : "; ");
		append_clean(buf, sizeof(buf), json_str(json_object_get(sub,
		    "identifier"), "value"));
		append(buf, sizeof(buf), ": ");
		append_clean(buf, sizeof(buf), json_str(sub, "type"));
		append(buf, sizeof(buf), ": ");
		append_clean(buf, sizeof(buf), json_str(sub, "detail"));
	}
	if (json_array_size(subs) > 0)
		append(buf, sizeof(buf), "]");
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

static json_t *
parse_json(const struct http_response *r, const char *url, struct err *e)
{
	json_error_t jerr;
	json_t *v;

	v = json_loadb(r->body, r->body_len, 0, &jerr);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		err_set(e, "%s: the CA's answer (HTTP %ld) is not a JSON object",
		    url, r->status);
		return NULL;
	}
	return v;
}

static int
check_directory(json_t *dir, const char *url, struct err *e)
{
	static const char *required[] = { "newNonce", "newAccount", "newOrder" };
	const char *name;
	json_t *value;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (json_object_get(dir, required[i]) == NULL) {
			err_set(e, "%s is not an ACME directory (no %s); check "
			    "--directory", url, required[i]);
			return -1;
		}
	}
	json_object_foreach(dir, name, value) {
		if (json_is_string(value) &&
		    !url_is_https(json_string_value(value))) {
			err_set(e, "%s: directory entry %s is not an https URL",
			    url, name);
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

	if (!url_is_https(directory_url)) {
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
	if ((a->dir = parse_json(r, directory_url, e)) == NULL ||
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
acme_directory_get(const struct acme *a, const char *name)
{
	return json_str(a->dir, name);
}

const char *
acme_terms_of_service(const struct acme *a)
{
	const char *tos = json_str(json_object_get(a->dir, "meta"),
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
	const char *url = json_str(a->dir, "newNonce");
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
	const char *type = json_str(problem, "type");
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
static json_t *
post_json(struct acme *a, const char *url, const json_t *payload,
    struct http_response **resp, struct err *e)
{
	struct http_response *r;
	json_t *obj;

	if (acme_post(a, url, payload, NULL, false, NULL, &r, e) == -1)
		return NULL;
	obj = parse_json(r, url, e);
	if (resp != NULL && obj != NULL)
		*resp = r;
	else
		http_response_free(r);
	return obj;
}

/* ------------------------------------------------------------- polling */

static bool
status_in(const char *status, const char *const *list)
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
static json_t *
poll_until(struct acme *a, const char *url, const char *const *waiting,
    struct err *e)
{
	time_t deadline = time(NULL) + ACME_POLL_TIMEOUT;
	long delay_ms = POLL_DELAY_MIN_MS, wait_ms;
	struct http_response *r;
	json_t *obj;

	for (;;) {
		if ((obj = post_json(a, url, NULL, &r, e)) == NULL)
			return NULL;
		if (!status_in(json_str(obj, "status"), waiting)) {
			http_response_free(r);
			return obj;
		}
		wait_ms = acme_retry_after_parse(r->retry_after, time(NULL));
		/* A server cannot make us sleep past the deadline (or overflow). */
		if (wait_ms > ACME_POLL_TIMEOUT)
			wait_ms = ACME_POLL_TIMEOUT;
		wait_ms = wait_ms >= 0 ? wait_ms * 1000 : delay_ms;
		if (wait_ms < POLL_DELAY_MIN_MS)
			wait_ms = POLL_DELAY_MIN_MS;
		http_response_free(r);
		json_decref(obj);
		if (time(NULL) + wait_ms / 1000 > deadline) {
			err_set(e, "%s: the CA did not decide within %d seconds; "
			    "try again later", url, ACME_POLL_TIMEOUT);
			return NULL;
		}
		if (interrupt_sleep_ms(wait_ms) == -1) {
			err_set(e, "interrupted while waiting for %s", url);
			return NULL;
		}
		if ((delay_ms *= 2) > POLL_DELAY_MAX_MS)
			delay_ms = POLL_DELAY_MAX_MS;
	}
}

/* ------------------------------------------------------------ accounts */

/* The account URL from a newAccount answer's Location header. */
static int
take_account_location(struct acme *a, const struct http_response *r,
    struct err *e)
{
	if (!url_is_https(r->location)) {
		err_set(e, "the CA gave no https account URL (Location)");
		return -1;
	}
	free(a->account_url);
	a->account_url = strdup(r->location);
	return 0;
}

int
acme_account_lookup(struct acme *a, struct err *e)
{
	const char *url = json_str(a->dir, "newAccount");
	struct http_response *r;
	json_t *payload;
	int rc;

	payload = json_pack("{s:b}", "onlyReturnExisting", 1);
	rc = acme_post(a, url, payload, NULL, true, NULL, &r, e);
	json_decref(payload);
	if (rc == -1)
		return a->last_problem != NULL &&
		    strcmp(a->last_problem, "accountDoesNotExist") == 0 ? 1 : -1;
	rc = take_account_location(a, r, e);
	http_response_free(r);
	return rc;
}

static json_t *
contacts_array(const char *const *contacts, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(contacts[i]));
	return arr;
}

int
acme_account_create(struct acme *a, const struct acme_account_request *req,
    json_t **account, struct err *e)
{
	const char *url = json_str(a->dir, "newAccount");
	struct http_response *r = NULL;
	json_t *payload, *eab, *obj = NULL;
	int rc = -1;

	if (acme_eab_required(a) && req->eab_kid == NULL) {
		err_set(e, "this CA requires external account binding: get a "
		    "key ID and HMAC key from the CA and pass --eab-kid and "
		    "--eab-hmac-key");
		return -1;
	}
	payload = json_pack("{s:b, s:o}", "termsOfServiceAgreed",
	    req->agree_tos, "contact", contacts_array(req->contacts,
	    req->ncontacts));
	if (req->eab_kid != NULL) {
		json_t *jwk = signer_jwk(a->key);
		eab = jws_eab_new(jwk, req->eab_kid, req->eab_hmac_key, url, e);
		json_decref(jwk);
		if (eab == NULL)
			goto out;
		json_object_set_new(payload, "externalAccountBinding", eab);
	}
	if (acme_post(a, url, payload, NULL, true, NULL, &r, e) == -1 ||
	    take_account_location(a, r, e) == -1 ||
	    (obj = parse_json(r, url, e)) == NULL)
		goto out;
	rc = 0;
	if (account != NULL)
		*account = json_incref(obj);
out:
	json_decref(obj);
	json_decref(payload);
	http_response_free(r);
	return rc;
}

int
acme_account_fetch(struct acme *a, json_t **account, struct err *e)
{
	if (a->account_url == NULL) {
		err_set(e, "no account URL known");
		return -1;
	}
	*account = post_json(a, a->account_url, NULL, NULL, e);
	return *account != NULL ? 0 : -1;
}

static int
account_post(struct acme *a, json_t *payload, json_t **account, struct err *e)
{
	json_t *obj = NULL;

	if (a->account_url != NULL)
		obj = post_json(a, a->account_url, payload, NULL, e);
	else
		err_set(e, "no account URL known");
	json_decref(payload);
	if (obj == NULL)
		return -1;
	if (account != NULL)
		*account = obj;
	else
		json_decref(obj);
	return 0;
}

int
acme_account_update(struct acme *a, const char *const *contacts,
    size_t ncontacts, json_t **account, struct err *e)
{
	return account_post(a, json_pack("{s:o}", "contact",
	    contacts_array(contacts, ncontacts)), account, e);
}

int
acme_account_deactivate(struct acme *a, struct err *e)
{
	return account_post(a, json_pack("{s:s}", "status", "deactivated"),
	    NULL, e);
}

json_t *
acme_key_change_body(const char *key_change_url, const char *account_url,
    const struct signer *old_key, const struct signer *new_key, struct err *e)
{
	json_t *payload, *inner;

	/* Section 7.3.5: the inner JWS has the new key's jwk and no nonce. */
	payload = json_pack("{s:s, s:o}", "account", account_url, "oldKey",
	    signer_jwk(old_key));
	if (payload == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	inner = jws_new(new_key, key_change_url, NULL, NULL, payload, e);
	json_decref(payload);
	return inner;
}

int
acme_account_key_change(struct acme *a, const struct signer *new_key,
    struct err *e)
{
	const char *url = json_str(a->dir, "keyChange");
	struct http_response *r = NULL;
	json_t *inner;
	int rc;

	if (url == NULL) {
		err_set(e, "this CA does not support account key rollover");
		return -1;
	}
	if (a->account_url == NULL) {
		err_set(e, "no account URL known");
		return -1;
	}
	if ((inner = acme_key_change_body(url, a->account_url, a->key,
	    new_key, e)) == NULL)
		return -1;
	rc = acme_post(a, url, inner, NULL, false, NULL, &r, e);
	json_decref(inner);
	http_response_free(r);
	if (rc == -1 && a->last_status == 409)
		err_prefix(e, "the new key already belongs to another account "
		    "at this CA; choose another key");
	return rc;
}

/* -------------------------------------------------------------- orders */

void
acme_order_free(struct acme_order *o)
{
	if (o == NULL)
		return;
	free(o->url);
	free(o->status);
	free(o->finalize);
	free(o->certificate);
	for (size_t i = 0; i < o->nauthorizations; i++)
		free(o->authorizations[i]);
	free(o->authorizations);
	free(o);
}

static const char *const order_statuses[] = {
	"pending", "ready", "processing", "valid", "invalid", NULL
};

/* Refresh order from a JSON order object, checking every value. */
static int
order_update(struct acme_order *o, const json_t *obj, struct err *e)
{
	const char *status = json_str(obj, "status");
	const json_t *authzs = json_object_get(obj, "authorizations");
	size_t i, n = json_array_size(authzs);
	const json_t *v;

	if (!status_in(status, order_statuses)) {
		err_set(e, "%s: the CA sent an unknown order status", o->url);
		return -1;
	}
	free(o->status);
	o->status = strdup(status);
	if (o->finalize == NULL &&
	    (o->finalize = json_url_dup(obj, "finalize", e)) == NULL)
		return -1;
	if (json_object_get(obj, "certificate") != NULL) {
		free(o->certificate);
		if ((o->certificate = json_url_dup(obj, "certificate", e)) ==
		    NULL)
			return -1;
	}
	if (o->authorizations != NULL || n == 0)
		return 0;
	if ((o->authorizations = calloc(n, sizeof(char *))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	json_array_foreach(authzs, i, v) {
		if (!url_is_https(json_string_value(v))) {
			err_set(e, "%s: an authorization URL is not https", o->url);
			return -1;
		}
		o->authorizations[o->nauthorizations++] =
		    strdup(json_string_value(v));
	}
	return 0;
}

/* "NAME: why" for an invalid order or authorization object. */
static void
describe_failure(const json_t *obj, const char *what, struct err *e)
{
	char *desc = acme_problem_describe(json_object_get(obj, "error"));

	err_set(e, "%s: %s", what, json_object_get(obj, "error") && desc ?
	    desc : "the CA gave no reason");
	free(desc);
}

int
acme_order_new(struct acme *a, const struct names *names,
    struct acme_order **order, struct err *e)
{
	const char *url = json_str(a->dir, "newOrder");
	struct http_response *r = NULL;
	struct acme_order *o = NULL;
	json_t *ids, *payload, *obj = NULL;
	int rc = -1;

	ids = json_array();
	for (size_t i = 0; i < names->n; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		    "dns", "value", names->v[i]));
	payload = json_pack("{s:o}", "identifiers", ids);
	*order = NULL;
	if (acme_post(a, url, payload, NULL, false, NULL, &r, e) == -1 ||
	    (obj = parse_json(r, url, e)) == NULL)
		goto out;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (!url_is_https(r->location)) {
		err_set(e, "%s: the CA gave no https order URL", url);
		goto out;
	}
	o->url = strdup(r->location);
	if (order_update(o, obj, e) == -1)
		goto out;
	if (strcmp(o->status, "invalid") == 0) {
		describe_failure(obj, "the CA refused the order", e);
		goto out;
	}
	*order = o;
	o = NULL;
	rc = 0;
out:
	acme_order_free(o);
	json_decref(obj);
	json_decref(payload);
	http_response_free(r);
	return rc;
}

int
acme_order_finalize(struct acme *a, struct acme_order *order,
    const char *csr_b64url, struct err *e)
{
	static const char *const waiting[] = { "processing", NULL };
	json_t *payload, *obj;
	int rc = -1;

	payload = json_pack("{s:s}", "csr", csr_b64url);
	obj = post_json(a, order->finalize, payload, NULL, e);
	json_decref(payload);
	if (obj == NULL)
		return -1;
	if (order_update(order, obj, e) == -1)
		goto out;
	if (strcmp(order->status, "processing") == 0) {
		json_decref(obj);
		if ((obj = poll_until(a, order->url, waiting, e)) == NULL ||
		    order_update(order, obj, e) == -1)
			goto out;
	}
	if (strcmp(order->status, "valid") != 0) {
		describe_failure(obj, "the CA did not issue the certificate", e);
		goto out;
	}
	if (order->certificate == NULL) {
		err_set(e, "%s: valid order without a certificate URL",
		    order->url);
		goto out;
	}
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* ------------------------------------------------------ authorizations */

void
acme_authz_free(struct acme_authz *z)
{
	if (z == NULL)
		return;
	free(z->url);
	free(z->identifier);
	free(z->status);
	free(z->challenge_url);
	free(z->token);
	free(z);
}

/* Pick the http-01 challenge of a pending authorization. */
static int
authz_take_http01(struct acme_authz *z, const json_t *obj, struct err *e)
{
	const json_t *ch;
	char offered[256] = "";
	size_t i;

	json_array_foreach(json_object_get(obj, "challenges"), i, ch) {
		const char *type = json_str(ch, "type");

		if (type == NULL || strcmp(type, "http-01") != 0) {
			append(offered, sizeof(offered), i ? ", " : "");
			append_clean(offered, sizeof(offered), type);
			continue;
		}
		if (!b64url_is_valid(json_str(ch, "token"))) {
			err_set(e, "%s: the CA sent an http-01 token that is "
			    "not base64url; refusing it", z->identifier);
			return -1;
		}
		if ((z->challenge_url = json_url_dup(ch, "url", e)) == NULL)
			return -1;
		z->token = strdup(json_str(ch, "token"));
		return 0;
	}
	err_set(e, "%s: the CA offers no http-01 challenge (offered: %s)",
	    z->identifier, offered[0] ? offered : "none");
	return -1;
}

int
acme_authz_fetch(struct acme *a, const char *url, struct acme_authz **authz,
    struct err *e)
{
	struct acme_authz *z;
	const char *name, *status;
	json_t *obj;
	int rc = -1;

	*authz = NULL;
	if ((obj = post_json(a, url, NULL, NULL, e)) == NULL)
		return -1;
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	name = json_str(json_object_get(obj, "identifier"), "value");
	status = json_str(obj, "status");
	z->url = strdup(url);
	z->identifier = acme_sanitize(name ? name : "(no identifier)");
	z->status = acme_sanitize(status ? status : "");
	if (strcmp(z->status, "valid") == 0) {
		rc = 0;
	} else if (strcmp(z->status, "pending") == 0) {
		rc = authz_take_http01(z, obj, e);
	} else {
		err_set(e, "%s: the authorization is %s; order again",
		    z->identifier, z->status[0] ? z->status : "without status");
	}
out:
	json_decref(obj);
	if (rc == 0)
		*authz = z;
	else
		acme_authz_free(z);
	return rc;
}

int
acme_challenge_respond(struct acme *a, const struct acme_authz *authz,
    struct err *e)
{
	json_t *payload = json_object(), *obj;

	/* Section 7.5.1: an empty object says "ready, validate now". */
	obj = post_json(a, authz->challenge_url, payload, NULL, e);
	json_decref(payload);
	if (obj == NULL) {
		err_prefix(e, "%s", authz->identifier);
		return -1;
	}
	json_decref(obj);
	return 0;
}

/* The reason of the challenge that failed, for an invalid authorization. */
static void
describe_invalid_authz(const struct acme_authz *z, const json_t *obj,
    struct err *e)
{
	const json_t *ch;
	size_t i;

	json_array_foreach(json_object_get(obj, "challenges"), i, ch) {
		if (json_object_get(ch, "error") != NULL) {
			char what[512];
			snprintf(what, sizeof(what), "%s: validation failed",
			    z->identifier);
			describe_failure(ch, what, e);
			return;
		}
	}
	err_set(e, "%s: validation failed: the CA gave no reason",
	    z->identifier);
}

int
acme_authz_wait(struct acme *a, struct acme_authz *authz, struct err *e)
{
	static const char *const waiting[] = { "pending", NULL };
	const char *status;
	json_t *obj;
	int rc = -1;

	if ((obj = poll_until(a, authz->url, waiting, e)) == NULL) {
		err_prefix(e, "%s", authz->identifier);
		return -1;
	}
	status = json_str(obj, "status");
	if (status != NULL && strcmp(status, "valid") == 0)
		rc = 0;
	else if (status != NULL && strcmp(status, "invalid") == 0)
		describe_invalid_authz(authz, obj, e);
	else
		err_set(e, "%s: the authorization became %s", authz->identifier,
		    status ? "something other than valid" : "statusless");
	json_decref(obj);
	return rc;
}

/* -------------------------------------------------------- certificates */

int
acme_certificate_download(struct acme *a, const char *url, char **pem,
    size_t *len, struct err *e)
{
	struct http_response *r;

	if (acme_post(a, url, NULL, NULL, false,
	    "application/pem-certificate-chain", &r, e) == -1)
		return -1;
	*pem = r->body;
	*len = r->body_len;
	r->body = NULL;
	http_response_free(r);
	return 0;
}

int
acme_certificate_revoke(struct acme *a, X509 *cert, int reason,
    const struct signer *cert_key, struct err *e)
{
	const char *url = json_str(a->dir, "revokeCert");
	struct http_response *r = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	json_t *payload;
	int len, rc;

	if (url == NULL) {
		err_set(e, "this CA's directory has no revokeCert");
		return -1;
	}
	if ((len = i2d_X509(cert, &der)) <= 0 ||
	    (b64 = b64url_encode(der, (size_t)len)) == NULL) {
		OPENSSL_free(der);
		err_set(e, "cannot encode the certificate");
		return -1;
	}
	OPENSSL_free(der);
	payload = json_pack("{s:s}", "certificate", b64);
	free(b64);
	if (reason >= 0)
		json_object_set_new(payload, "reason", json_integer(reason));
	rc = acme_post(a, url, payload, cert_key, cert_key != NULL, NULL, &r,
	    e);
	json_decref(payload);
	http_response_free(r);
	return rc;
}
