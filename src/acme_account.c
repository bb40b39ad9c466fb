/*
 * acme_account.c - ACME accounts (RFC 8555 section 7.3): lookup,
 * creation with optional external account binding, update, deactivation
 * and key change.
 */
#include <stdlib.h>
#include <string.h>

#include "acme_private.h"
#include "jws.h"

/* ------------------------------------------------------------ accounts */

/* The account URL from a newAccount answer's Location header. */
static int
take_account_location(struct acme *a, const struct http_response *r,
    struct err *e)
{
	if (!acme_url_is_https(r->location)) {
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
	const char *url = acme_json_str(a->dir, "newAccount");
	struct http_response *r;
	json_t *payload;
	int rc;

	payload = json_pack("{s:b}", "onlyReturnExisting", 1);
	rc = acme_post(a, url, payload, NULL, true, NULL, &r, e);
	json_decref(payload);
	if (rc == -1)
		return a->last_problem != NULL &&
		    strcmp(a->last_problem, "accountDoesNotExist") == 0 ?
		    1 : -1;
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
	const char *url = acme_json_str(a->dir, "newAccount");
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
	    (obj = acme_parse_json(r, url, e)) == NULL)
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
require_account_url(const struct acme *a, struct err *e)
{
	if (a->account_url != NULL)
		return 0;
	err_set(e, "no account is known for this key yet; run "
	    "\"acmec account new --agree-tos\" first");
	return -1;
}

int
acme_account_fetch(struct acme *a, json_t **account, struct err *e)
{
	*account = NULL;
	if (require_account_url(a, e) == -1)
		return -1;
	*account = acme_post_json(a, a->account_url, NULL, NULL, e);
	return *account != NULL ? 0 : -1;
}

static int
account_post(struct acme *a, json_t *payload, json_t **account, struct err *e)
{
	json_t *obj = NULL;

	if (require_account_url(a, e) == 0)
		obj = acme_post_json(a, a->account_url, payload, NULL, e);
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
	const char *url = acme_json_str(a->dir, "keyChange");
	struct http_response *r = NULL;
	json_t *inner;
	int rc;

	if (url == NULL) {
		err_set(e, "this CA does not support account key rollover");
		return -1;
	}
	if (require_account_url(a, e) == -1)
		return -1;
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
