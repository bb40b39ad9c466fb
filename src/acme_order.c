/*
 * acme_order.c - ACME orders (RFC 8555 sections 7.4 to 7.6): new order,
 * authorizations and their http-01 challenge, finalization, certificate
 * download and revocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme_private.h"
#include "b64url.h"

/* Tokens become file names; real ones are 43 characters. */
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
	free(o);
}

static const char *const order_statuses[] = {
	"pending", "ready", "processing", "valid", "invalid", NULL
};

/* Refresh order from a JSON order object, checking every value. */
static int
order_update(struct acme_order *o, const json_t *obj, struct err *e)
{
	const char *status = acme_json_str(obj, "status");
	const json_t *authzs = json_object_get(obj, "authorizations");
	size_t i, n = json_array_size(authzs);
	const json_t *v;

	if (!acme_status_in(status, order_statuses)) {
		err_set(e, "%s: the CA sent an unknown order status", o->url);
		return -1;
	}
	free(o->status);
	o->status = strdup(status);
	if (o->finalize == NULL &&
	    (o->finalize = acme_json_url(obj, "finalize", e)) == NULL)
		return -1;
	if (json_object_get(obj, "certificate") != NULL) {
		free(o->certificate);
		if ((o->certificate = acme_json_url(obj, "certificate", e)) ==
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
		if (!acme_url_is_https(json_string_value(v))) {
			err_set(e, "%s: an authorization URL is not https",
			    o->url);
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
	const char *url = acme_json_str(a->dir, "newOrder");
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
	    (obj = acme_parse_json(r, url, e)) == NULL)
		goto out;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (!acme_url_is_https(r->location)) {
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
	obj = acme_post_json(a, order->finalize, payload, NULL, e);
	json_decref(payload);
	if (obj == NULL)
		return -1;
	if (order_update(order, obj, e) == -1)
		goto out;
	if (strcmp(order->status, "processing") == 0) {
		json_decref(obj);
		if ((obj = acme_poll(a, order->url, waiting, e)) == NULL ||
		    order_update(order, obj, e) == -1)
			goto out;
	}
	if (strcmp(order->status, "valid") != 0) {
		describe_failure(obj, "the CA did not issue the certificate",
		    e);
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
		const char *type = acme_json_str(ch, "type"), *token;

		if (type == NULL || strcmp(type, "http-01") != 0) {
			acme_append(offered, sizeof(offered), i ? ", " : "");
			acme_append_clean(offered, sizeof(offered), type);
			continue;
		}
		token = acme_json_str(ch, "token");
		if (!b64url_is_valid(token)) {
			err_set(e, "%s: the CA sent an http-01 token that is "
			    "not base64url; refusing it", z->identifier);
			return -1;
		}
		if (strlen(token) > TOKEN_MAX) {
			err_set(e, "%s: the CA sent an http-01 token too long "
			    "for a file name (%zu characters); refusing it",
			    z->identifier, strlen(token));
			return -1;
		}
		if ((z->challenge_url = acme_json_url(ch, "url", e)) == NULL)
			return -1;
		z->token = strdup(token);
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
	if ((obj = acme_post_json(a, url, NULL, NULL, e)) == NULL)
		return -1;
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	name = acme_json_str(json_object_get(obj, "identifier"), "value");
	status = acme_json_str(obj, "status");
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
	obj = acme_post_json(a, authz->challenge_url, payload, NULL, e);
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

	if ((obj = acme_poll(a, authz->url, waiting, e)) == NULL) {
		err_prefix(e, "%s", authz->identifier);
		return -1;
	}
	status = acme_json_str(obj, "status");
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
	const char *url = acme_json_str(a->dir, "revokeCert");
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
