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

int
acme_order_new(struct acme *a, const struct acme_who *who,
    const struct acme_order_request *oreq, struct acme_order **order,
    struct acme_outcome *out, struct err *e)
{
	struct acme_request req = { acme_json_str(a->dir, "newOrder"), NULL,
	    *who, NULL };
	struct http_response *r = NULL;
	struct acme_order *o = NULL;
	json_t *payload, *obj = NULL;
	int rc = -1;

	*order = NULL;
	out->verdict = ACME_REFUSED;	/* until something is sent */
	if ((payload = new_order_payload(oreq)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	req.payload = payload;
	if ((obj = acme_post_json(a, &req, &r, out, e)) == NULL)
		goto out;
	/* From here on the CA made an order, even if we cannot use it. */
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	o->retry_after = -1;
	if (!acme_url_is_https(r->location) ||
	    (o->url = strdup(r->location)) == NULL) {
		err_set(e, "%s: the CA gave no https order URL", req.url);
		goto out;
	}
	if (order_update(o, obj, e) == -1)
		goto out;
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

/* POST payload (NULL: POST-as-GET) to url and refresh order from it. */
static int
order_post(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *url, const json_t *payload,
    struct acme_outcome *out, struct err *e)
{
	const struct acme_request req = { url, payload, *who, NULL };
	struct http_response *r = NULL;
	json_t *obj;
	int rc;

	if ((obj = acme_post_json(a, &req, &r, out, e)) == NULL)
		return -1;
	order->retry_after = out->retry_after;
	rc = order_update(order, obj, e);
	json_decref(obj);
	http_response_free(r);
	return rc;
}

int
acme_order_fetch(struct acme *a, const struct acme_who *who,
    struct acme_order *order, struct acme_outcome *out, struct err *e)
{
	return order_post(a, who, order, order->url, NULL, out, e);
}

int
acme_order_finalize(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *csr_b64url,
    struct acme_outcome *out, struct err *e)
{
	json_t *payload;
	int rc;

	out->verdict = ACME_REFUSED;	/* until something is sent */
	if ((payload = json_pack("{s:s}", "csr", csr_b64url)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = order_post(a, who, order, order->finalize, payload, out, e);
	json_decref(payload);
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

int
acme_authz_fetch(struct acme *a, const struct acme_who *who, const char *url,
    struct acme_authz **authz, struct acme_outcome *out, struct err *e)
{
	const struct acme_request req = { url, NULL, *who, NULL };
	struct acme_authz *z;
	const char *name, *status;
	json_t *obj;
	int rc = -1;

	*authz = NULL;
	if ((obj = acme_post_json(a, &req, NULL, out, e)) == NULL)
		return -1;
	name = acme_json_str(json_object_get(obj, "identifier"), "value");
	status = acme_json_str(obj, "status");
	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->url = strdup(url)) == NULL ||
	    (z->identifier = acme_sanitize(name ? name : "(no identifier)")) ==
	    NULL || (z->status = acme_sanitize(status ? status : "")) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	rc = authz_read_challenges(z, obj, e);
out:
	json_decref(obj);
	if (rc == 0)
		*authz = z;
	else
		acme_authz_free(z);
	return rc;
}

static const char *const challenge_statuses[] = {
	"pending", "processing", "valid", "invalid", NULL
};

int
acme_challenge_respond(struct acme *a, const struct acme_who *who,
    const struct acme_authz *authz, char **status, char **error,
    struct acme_outcome *out, struct err *e)
{
	/* Section 7.5.1: an empty object says "ready, validate now". */
	json_t *payload = json_object(), *obj;
	const struct acme_request req = { authz->challenge_url, payload, *who,
	    NULL };

	*status = *error = NULL;
	obj = acme_post_json(a, &req, NULL, out, e);
	json_decref(payload);
	if (obj == NULL) {
		err_prefix(e, "%s", authz->identifier);
		return -1;
	}
	if (!acme_status_in(acme_json_str(obj, "status"),
	    challenge_statuses)) {
		err_set(e, "%s: the CA sent an unknown challenge status",
		    authz->identifier);
		json_decref(obj);
		return -1;
	}
	*status = strdup(acme_json_str(obj, "status"));
	*error = acme_error_of(obj);
	json_decref(obj);
	if (*status == NULL) {
		err_set(e, "out of memory");
		free(*error);
		*error = NULL;
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------- certificates */

int
acme_certificate_download(struct acme *a, const struct acme_who *who,
    const char *url, char **pem, size_t *len, char ***alternates,
    size_t *nalternates, struct acme_outcome *out, struct err *e)
{
	const struct acme_request req = { url, NULL, *who,
	    "application/pem-certificate-chain" };
	struct http_response *r;

	*pem = NULL;
	if (alternates != NULL) {
		*alternates = NULL;
		*nalternates = 0;
	}
	if (acme_post(a, &req, &r, out, e) == -1)
		return -1;
	if (alternates != NULL && chain_links_alternate(r, url, alternates,
	    nalternates, e) == -1) {
		http_response_free(r);
		return -1;
	}
	*pem = r->body;
	*len = r->body_len;
	r->body = NULL;
	http_response_free(r);
	return 0;
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

	out->verdict = ACME_REFUSED;	/* until something is sent */
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
	if (a->transport.send(a->transport.ctx, &req, &r, e) == 0) {
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
