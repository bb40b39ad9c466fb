/*
 * acme_order.c - ACME orders (RFC 8555 sections 7.4 to 7.6): new order,
 * authorizations and their http-01 challenge, finalization, certificate
 * download and revocation.  One request per call: waiting and polling
 * are the caller's (the engine schedules them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme_private.h"
#include "ari.h"
#include "b64url.h"
#include "chain.h"

/* Tokens become file names and store keys; real ones are 43 characters. */
#define TOKEN_MAX	255

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
	free(o->error);
	free(o);
}

struct acme_order *
acme_order_at(const char *url, struct err *e)
{
	struct acme_order *o;

	if (!acme_url_is_https(url)) {
		err_set(e, "the order URL is not https");
		return NULL;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->url = strdup(url)) == NULL) {
		free(o);
		err_set(e, "out of memory");
		return NULL;
	}
	o->retry_after = -1;
	return o;
}

static const char *const order_statuses[] = {
	"pending", "ready", "processing", "valid", "invalid", NULL
};

/*
 * The authorization URLs of a new order, each checked; an order has at
 * least one (RFC 8555 section 7.1.3: "authorizations" is required).
 */
static int
order_take_authorizations(struct acme_order *o, const json_t *authzs,
    struct err *e)
{
	size_t i, n = json_array_size(authzs);
	const json_t *v;

	if (o->authorizations != NULL)
		return 0;
	if (n == 0) {
		err_set(e, "%s: the CA sent an order without authorizations",
		    o->url);
		return -1;
	}
	if ((o->authorizations = calloc(n, sizeof(char *))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	json_array_foreach(authzs, i, v) {
		if (!acme_url_is_https(json_string_value(v))) {
			err_set(e, "%s: an authorization URL is not https",
			    o->url);
			return -1;
		}
		if ((o->authorizations[i] = strdup(json_string_value(v))) ==
		    NULL) {
			err_set(e, "out of memory");
			return -1;
		}
		o->nauthorizations++;
	}
	return 0;
}

/* Refresh order from a JSON order object, checking every value. */
static int
order_update(struct acme_order *o, const json_t *obj, struct err *e)
{
	const char *status = acme_json_str(obj, "status");
	char *copy;

	if (!acme_status_in(status, order_statuses)) {
		err_set(e, "%s: the CA sent an unknown order status", o->url);
		return -1;
	}
	if ((copy = strdup(status)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	free(o->status);
	o->status = copy;
	free(o->error);
	o->error = acme_error_of(obj);
	if (o->finalize == NULL &&
	    (o->finalize = acme_json_url(obj, "finalize", e)) == NULL)
		return -1;
	if (json_object_get(obj, "certificate") != NULL) {
		free(o->certificate);
		if ((o->certificate = acme_json_url(obj, "certificate", e)) ==
		    NULL)
			return -1;
	}
	/* Section 7.1.3: a valid order says where its certificate is. */
	if (strcmp(o->status, "valid") == 0 && o->certificate == NULL) {
		err_set(e, "%s: the CA sent a valid order without a "
		    "certificate URL", o->url);
		return -1;
	}
	return order_take_authorizations(o, json_object_get(obj,
	    "authorizations"), e);
}

static json_t *
new_order_payload(const struct acme_order_request *oreq)
{
	const struct names *names = oreq->names;
	json_t *ids = json_array(), *payload;

	for (size_t i = 0; i < names->n; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		    names_is_ip(names->v[i]) ? "ip" : "dns", "value",
		    names->v[i]));
	payload = json_pack("{s:o, s:s*, s:s*}", "identifiers", ids,
	    "profile", oreq->profile, "replaces", oreq->replaces);
	if (payload != NULL && json_array_size(ids) != names->n) {
		json_decref(payload);
		return NULL;
	}
	return payload;
}

/* newOrder's answer: the order, at the URL in Location. */
struct order_new_call {
	struct acme_call	  c;
	struct acme_order	**order;
};

static int
read_new_order(struct acme_call *c)
{
	struct order_new_call *call = (struct order_new_call *)c;
	const char *location = c->resp->location;
	struct acme_order *o;

	/* From here on the CA made an order, even if we cannot use it. */
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		err_set(c->e, "out of memory");
		return -1;
	}
	o->retry_after = -1;
	if (!acme_url_is_https(location) ||
	    (o->url = strdup(location)) == NULL) {
		err_set(c->e, "%s: the CA gave no https order URL", c->url);
		acme_order_free(o);
		return -1;
	}
	if (order_update(o, c->obj, c->e) == -1) {
		acme_order_free(o);
		return -1;
	}
	*call->order = o;
	return 0;
}

int
acme_order_new_start(struct acme *a, const struct acme_who *who,
    const struct acme_order_request *oreq, struct acme_order **order,
    struct acme_outcome *out, struct err *e, struct acme_done done)
{
	struct acme_request req = { acme_json_str(a->dir, "newOrder"), NULL,
	    *who, NULL };
	struct order_new_call *call;
	int rc;

	*order = NULL;
	if ((call = acme_call_new(sizeof(*call), read_new_order, out, e,
	    done)) == NULL)
		return -1;
	call->c.json = true;
	call->order = order;
	if ((req.payload = new_order_payload(oreq)) == NULL) {
		err_set(e, "out of memory");
		free(call);
		return -1;
	}
	rc = acme_call_start(a, &req, &call->c);
	json_decref((json_t *)req.payload);
	return rc;
}

int
acme_order_new(struct acme *a, const struct acme_who *who,
    const struct acme_order_request *oreq, struct acme_order **order,
    struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_order_new_start(a, who, oreq, order, out,
	    e, acme_sync_done(&s)), &s, e);
}

/* An order refreshed from the answer: finalize and POST-as-GET. */
struct order_call {
	struct acme_call	 c;
	struct acme_order	*order;
};

static int
read_order(struct acme_call *c)
{
	struct order_call *call = (struct order_call *)c;

	call->order->retry_after = c->out->retry_after;
	return order_update(call->order, c->obj, c->e);
}

/* POST payload (NULL: POST-as-GET) to url and refresh order from it. */
static int
order_post_start(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *url, const json_t *payload,
    struct acme_outcome *out, struct err *e, struct acme_done done)
{
	const struct acme_request req = { url, payload, *who, NULL };
	struct order_call *call;

	if ((call = acme_call_new(sizeof(*call), read_order, out, e,
	    done)) == NULL)
		return -1;
	call->c.json = true;
	call->order = order;
	return acme_call_start(a, &req, &call->c);
}

int
acme_order_fetch_start(struct acme *a, const struct acme_who *who,
    struct acme_order *order, struct acme_outcome *out, struct err *e,
    struct acme_done done)
{
	return order_post_start(a, who, order, order->url, NULL, out, e,
	    done);
}

int
acme_order_fetch(struct acme *a, const struct acme_who *who,
    struct acme_order *order, struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_order_fetch_start(a, who, order, out, e,
	    acme_sync_done(&s)), &s, e);
}

int
acme_order_finalize_start(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *csr_b64url,
    struct acme_outcome *out, struct err *e, struct acme_done done)
{
	json_t *payload;
	int rc;

	if ((payload = json_pack("{s:s}", "csr", csr_b64url)) == NULL) {
		out->verdict = ACME_UNSENT;
		out->status = 0;
		err_set(e, "out of memory");
		return -1;
	}
	rc = order_post_start(a, who, order, order->finalize, payload, out, e,
	    done);
	json_decref(payload);
	return rc;
}

int
acme_order_finalize(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *csr_b64url,
    struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_order_finalize_start(a, who, order,
	    csr_b64url, out, e, acme_sync_done(&s)), &s, e);
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
	free(z->error);
	free(z);
}

/* Check an http-01 challenge's token and take it and its URL. */
static int
take_http01(struct acme_authz *z, const json_t *ch, struct err *e)
{
	const char *token = acme_json_str(ch, "token");

	if (!b64url_is_valid(token)) {
		err_set(e, "%s: the CA sent an http-01 token that is not "
		    "base64url; refusing it", z->identifier);
		return -1;
	}
	if (strlen(token) > TOKEN_MAX) {
		err_set(e, "%s: the CA sent an http-01 token too long for a "
		    "file name (%zu characters); refusing it", z->identifier,
		    strlen(token));
		return -1;
	}
	if ((z->challenge_url = acme_json_url(ch, "url", e)) == NULL)
		return -1;
	if ((z->token = strdup(token)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Find the http-01 challenge: a pending authorization needs it; an invalid
 * one keeps the reason in it.
 */
static int
authz_read_challenges(struct acme_authz *z, const json_t *obj, struct err *e)
{
	const json_t *ch;
	char offered[256] = "";
	size_t i;

	json_array_foreach(json_object_get(obj, "challenges"), i, ch) {
		const char *type = acme_json_str(ch, "type");

		if (z->error == NULL)
			z->error = acme_error_of(ch);
		if (type != NULL && strcmp(type, "http-01") == 0)
			return strcmp(z->status, "pending") == 0 ?
			    take_http01(z, ch, e) : 0;
		acme_append(offered, sizeof(offered), i ? ", " : "");
		acme_append_clean(offered, sizeof(offered), type);
	}
	if (strcmp(z->status, "pending") != 0)
		return 0;
	err_set(e, "%s: the CA offers no http-01 challenge (offered: %s)",
	    z->identifier, offered[0] ? offered : "none");
	return -1;
}

struct authz_call {
	struct acme_call	  c;
	struct acme_authz	**authz;
};

static int
read_authz(struct acme_call *c)
{
	struct authz_call *call = (struct authz_call *)c;
	const json_t *obj = c->obj;
	const char *name, *status;
	struct acme_authz *z;

	name = acme_json_str(json_object_get(obj, "identifier"), "value");
	status = acme_json_str(obj, "status");
	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->url = strdup(c->url)) == NULL ||
	    (z->identifier = acme_sanitize(name ? name : "(no identifier)")) ==
	    NULL || (z->status = acme_sanitize(status ? status : "")) == NULL) {
		err_set(c->e, "out of memory");
		acme_authz_free(z);
		return -1;
	}
	if (authz_read_challenges(z, obj, c->e) == -1) {
		acme_authz_free(z);
		return -1;
	}
	*call->authz = z;
	return 0;
}

int
acme_authz_fetch_start(struct acme *a, const struct acme_who *who,
    const char *url, struct acme_authz **authz, struct acme_outcome *out,
    struct err *e, struct acme_done done)
{
	const struct acme_request req = { url, NULL, *who, NULL };
	struct authz_call *call;

	*authz = NULL;
	if ((call = acme_call_new(sizeof(*call), read_authz, out, e,
	    done)) == NULL)
		return -1;
	call->c.json = true;
	call->authz = authz;
	return acme_call_start(a, &req, &call->c);
}

int
acme_authz_fetch(struct acme *a, const struct acme_who *who, const char *url,
    struct acme_authz **authz, struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_authz_fetch_start(a, who, url, authz, out,
	    e, acme_sync_done(&s)), &s, e);
}

static const char *const challenge_statuses[] = {
	"pending", "processing", "valid", "invalid", NULL
};

struct challenge_call {
	struct acme_call	  c;
	char			**status;
	char			**error;
};

static int
read_challenge(struct acme_call *c)
{
	struct challenge_call *call = (struct challenge_call *)c;
	const char *status = acme_json_str(c->obj, "status");

	if (!acme_status_in(status, challenge_statuses)) {
		err_set(c->e, "%s: the CA sent an unknown challenge status",
		    c->prefix);
		return -1;
	}
	if ((*call->status = strdup(status)) == NULL) {
		err_set(c->e, "out of memory");
		return -1;
	}
	*call->error = acme_error_of(c->obj);
	return 0;
}

int
acme_challenge_respond_start(struct acme *a, const struct acme_who *who,
    const struct acme_authz *authz, char **status, char **error,
    struct acme_outcome *out, struct err *e, struct acme_done done)
{
	/* Section 7.5.1: an empty object says "ready, validate now". */
	json_t *payload = json_object();
	const struct acme_request req = { authz->challenge_url, payload, *who,
	    NULL };
	struct challenge_call *call;
	int rc = -1;

	*status = *error = NULL;
	if ((call = acme_call_new(sizeof(*call), read_challenge, out, e,
	    done)) == NULL) {
		json_decref(payload);
		return -1;
	}
	call->c.json = true;
	call->status = status;
	call->error = error;
	if (payload == NULL ||
	    (call->c.prefix = strdup(authz->identifier)) == NULL) {
		err_set(e, "out of memory");
		free(call->c.prefix);
		free(call);
	} else {
		rc = acme_call_start(a, &req, &call->c);
	}
	json_decref(payload);
	return rc;
}

int
acme_challenge_respond(struct acme *a, const struct acme_who *who,
    const struct acme_authz *authz, char **status, char **error,
    struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_challenge_respond_start(a, who, authz,
	    status, error, out, e, acme_sync_done(&s)), &s, e);
}

/* -------------------------------------------------------- certificates */

struct download_call {
	struct acme_call	  c;
	char			**pem;
	size_t			 *len;
	char			***alternates;
	size_t			 *nalternates;
};

static int
read_download(struct acme_call *c)
{
	struct download_call *call = (struct download_call *)c;

	if (call->alternates != NULL && chain_links_alternate(c->resp, c->url,
	    call->alternates, call->nalternates, c->e) == -1)
		return -1;
	*call->pem = c->resp->body;
	*call->len = c->resp->body_len;
	c->resp->body = NULL;
	return 0;
}

int
acme_certificate_download_start(struct acme *a,
    const struct acme_who *who, const char *url, char **pem, size_t *len,
    char ***alternates, size_t *nalternates, struct acme_outcome *out,
    struct err *e, struct acme_done done)
{
	const struct acme_request req = { url, NULL, *who,
	    "application/pem-certificate-chain" };
	struct download_call *call;

	*pem = NULL;
	if (alternates != NULL) {
		*alternates = NULL;
		*nalternates = 0;
	}
	if ((call = acme_call_new(sizeof(*call), read_download, out, e,
	    done)) == NULL)
		return -1;
	call->pem = pem;
	call->len = len;
	call->alternates = alternates;
	call->nalternates = nalternates;
	return acme_call_start(a, &req, &call->c);
}

int
acme_certificate_download(struct acme *a, const struct acme_who *who,
    const char *url, char **pem, size_t *len, char ***alternates,
    size_t *nalternates, struct acme_outcome *out, struct err *e)
{
	struct acme_sync s;

	return acme_finish(a, acme_certificate_download_start(a, who, url, pem,
	    len, alternates, nalternates, out, e, acme_sync_done(&s)), &s, e);
}

int
acme_certificate_revoke(struct acme *a, const struct acme_who *who,
    X509 *cert, int reason, struct acme_outcome *out, struct err *e)
{
	struct acme_request req = { acme_json_str(a->dir, "revokeCert"), NULL,
	    *who, NULL };
	struct http_response *r = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	json_t *payload;
	int len, rc;

	out->verdict = ACME_UNSENT;	/* until something is sent */
	if (req.url == NULL) {
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
	if (payload != NULL && reason >= 0)
		json_object_set_new(payload, "reason", json_integer(reason));
	req.payload = payload;
	rc = payload != NULL ? acme_post(a, &req, &r, out, e) : -1;
	if (payload == NULL)
		err_set(e, "out of memory");
	json_decref(payload);
	http_response_free(r);
	return rc;
}

/* ------------------------------------------------ renewal information */

/* RFC 9773 section 4.1: base64url "." base64url, nothing else. */
static bool
cert_id_is_valid(const char *id)
{
	const char *dot = strchr(id, '.');
	char *head;
	bool ok;

	if (dot == NULL || strlen(id) > 1024 || !b64url_is_valid(dot + 1) ||
	    (head = strndup(id, (size_t)(dot - id))) == NULL)
		return false;
	ok = b64url_is_valid(head);
	free(head);
	return ok;
}

int
acme_renewal_info(struct acme *a, const char *cert_id, char **body,
    size_t *len, struct acme_outcome *out, struct err *e)
{
	const char *base = acme_json_str(a->dir, "renewalInfo");
	struct http_request req = { "GET", NULL, NULL, NULL, 0, NULL };
	struct http_response *r = NULL;
	char *url;
	int rc = -1;

	*body = NULL;
	out->verdict = ACME_REFUSED;
	out->status = 0;
	out->problem[0] = '\0';
	out->retry_after = -1;
	if (!acme_url_is_https(base) || !cert_id_is_valid(cert_id) ||
	    (url = ari_url(base, cert_id)) == NULL) {
		err_set(e, "no usable renewalInfo in the directory");
		return -1;
	}
	req.url = url;
	out->verdict = ACME_UNKNOWN;
	if (transport_send(&a->transport, &req, &r, e) == 0) {
		out->status = r->status;
		out->retry_after = acme_retry_after_parse(r->retry_after,
		    time(NULL));
		if (r->status == 200) {
			out->verdict = ACME_DONE;
			*body = r->body;
			*len = r->body_len;
			r->body = NULL;
			rc = 0;
		} else {
			err_set(e, "%s answered HTTP %ld", url, r->status);
		}
	}
	http_response_free(r);
	free(url);
	return rc;
}
