/*
 * acme_account.c - ACME accounts (RFC 8555 section 7.3): lookup,
 * creation with optional external account binding, update, deactivation
 * and key change.
 */
#include <stdlib.h>
#include <string.h>

#include "acme_private.h"
#include "jws.h"

/* The account URL from a newAccount answer's Location header; new. */
static char *
account_location(const struct http_response *r, struct acme_outcome *out,
    struct err *e)
{
	char *url;

	if (!acme_url_is_https(r->location)) {
		err_set(e, "the CA gave no https account URL (Location)");
		out->verdict = ACME_UNKNOWN;
		return NULL;
	}
	if ((url = strdup(r->location)) == NULL)
		err_set(e, "out of memory");
	return url;
}

int
acme_account_lookup(struct acme *a, const struct signer *key, char **url,
    struct acme_outcome *out, struct err *e)
{
	struct acme_request req = { acme_json_str(a->dir, "newAccount"), NULL,
	    { key, NULL }, NULL };
	struct http_response *r;
	json_t *payload;
	int rc;

	*url = NULL;
	payload = json_pack("{s:b}", "onlyReturnExisting", 1);
	req.payload = payload;
	rc = acme_post(a, &req, &r, out, e);
	json_decref(payload);
	if (rc == -1)
		return acme_refused_with(out, "accountDoesNotExist") ? 1 : -1;
	*url = account_location(r, out, e);
	http_response_free(r);
	return *url != NULL ? 0 : -1;
}

static json_t *
contacts_array(const char *const *contacts, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(contacts[i]));
	return arr;
}

/* The newAccount payload, with external account binding if given. */
static json_t *
new_account_payload(struct acme *a, const struct signer *key,
    const struct acme_account_request *req, struct err *e)
{
	const char *url = acme_json_str(a->dir, "newAccount");
	json_t *payload, *eab, *jwk;

	payload = json_pack("{s:b, s:o}", "termsOfServiceAgreed",
	    req->agree_tos, "contact", contacts_array(req->contacts,
	    req->ncontacts));
	if (payload == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (req->eab_kid == NULL)
		return payload;
	jwk = signer_jwk(key);
	eab = jws_eab_new(jwk, req->eab_kid, req->eab_hmac_key, url, e);
	json_decref(jwk);
	if (eab == NULL) {
		json_decref(payload);
		return NULL;
	}
	json_object_set_new(payload, "externalAccountBinding", eab);
	return payload;
}

int
acme_account_create(struct acme *a, const struct signer *key,
    const struct acme_account_request *areq, char **url, json_t **account,
    struct acme_outcome *out, struct err *e)
{
	struct acme_request req = { acme_json_str(a->dir, "newAccount"), NULL,
	    { key, NULL }, NULL };
	struct http_response *r = NULL;
	json_t *payload, *obj = NULL;
	int rc = -1;

	*url = NULL;
	out->verdict = ACME_UNSENT;	/* until something is sent */
	if (acme_eab_required(a) && areq->eab_kid == NULL) {
		err_set(e, "this CA requires external account binding: get a "
		    "key ID and HMAC key from the CA and pass --eab-kid and "
		    "--eab-hmac-key");
		return -1;
	}
	if ((payload = new_account_payload(a, key, areq, e)) == NULL)
		return -1;
	req.payload = payload;
	if (acme_post(a, &req, &r, out, e) == -1 ||
	    (*url = account_location(r, out, e)) == NULL ||
	    (obj = acme_parse_json(r, req.url, e)) == NULL)
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

/* Requests to the account itself need its URL (found by account_open). */
static int
require_account_url(const struct acme_who *who, struct acme_outcome *out,
    struct err *e)
{
	if (who->kid != NULL)
		return 0;
	out->verdict = ACME_REFUSED;
	err_set(e, "no account is known for this key yet; run "
	    "\"acmec account new --agree-tos\" first");
	return -1;
}

/* POST payload (taken; NULL: POST-as-GET) to the account URL. */
static int
account_post(struct acme *a, const struct acme_who *who, json_t *payload,
    json_t **account, struct acme_outcome *out, struct err *e)
{
	const struct acme_request req = { who->kid, payload, *who, NULL };
	json_t *obj = NULL;

	if (require_account_url(who, out, e) == 0)
		obj = acme_post_json(a, &req, NULL, out, e);
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
acme_account_fetch(struct acme *a, const struct acme_who *who,
    json_t **account, struct acme_outcome *out, struct err *e)
{
	*account = NULL;
	return account_post(a, who, NULL, account, out, e);
}

int
acme_account_update(struct acme *a, const struct acme_who *who,
    const char *const *contacts, size_t ncontacts, json_t **account,
    struct acme_outcome *out, struct err *e)
{
	return account_post(a, who, json_pack("{s:o}", "contact",
	    contacts_array(contacts, ncontacts)), account, out, e);
}

int
acme_account_deactivate(struct acme *a, const struct acme_who *who,
    struct acme_outcome *out, struct err *e)
{
	return account_post(a, who, json_pack("{s:s}", "status",
	    "deactivated"), NULL, out, e);
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
acme_account_key_change(struct acme *a, const struct acme_who *who,
    const struct signer *new_key, struct acme_outcome *out, struct err *e)
{
	struct acme_request req = { acme_json_str(a->dir, "keyChange"), NULL,
	    *who, NULL };
	struct http_response *r = NULL;
	json_t *inner;
	int rc;

	out->verdict = ACME_UNSENT;	/* until something is sent */
	if (req.url == NULL) {
		err_set(e, "this CA does not implement account key rollover "
		    "(no keyChange in its directory)");
		return -1;
	}
	if (require_account_url(who, out, e) == -1 ||
	    (inner = acme_key_change_body(req.url, who->kid, who->key,
	    new_key, e)) == NULL)
		return -1;
	req.payload = inner;
	rc = acme_post(a, &req, &r, out, e);
	json_decref(inner);
	http_response_free(r);
	if (rc == -1 && out->status == 501)
		err_set(e, "this CA does not implement account key rollover "
		    "(keyChange answered HTTP 501)");
	else if (rc == -1 && out->status == 409)
		err_prefix(e, "the new key already belongs to another account "
		    "at this CA; choose another key");
	return rc;
}
