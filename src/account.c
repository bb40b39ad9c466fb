/*
 * account.c - the account key and the remembered account URL per CA.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "key.h"
#include "log.h"
#include "store.h"

#define RECORD_MAX	(64 * 1024)

void
account_free(struct account *acct)
{
	if (acct == NULL)
		return;
	EVP_PKEY_free(acct->key);
	signer_free(acct->signer);
	free(acct->key_path);
	free(acct->record_path);
	free(acct->url);
	free(acct->status);
	free(acct);
}

/* Read the record of this CA directory, if any. */
static int
record_load(struct account *acct, struct err *e)
{
	json_t *rec;
	char *text;
	size_t len;

	if (!store_exists(acct->record_path))
		return 0;
	if (store_read(acct->record_path, RECORD_MAX, &text, &len, e) == -1)
		return -1;
	rec = json_loadb(text, len, 0, NULL);
	free(text);
	if (!json_is_object(rec)) {
		json_decref(rec);
		err_set(e, "%s is not a JSON account record; move it away to "
		    "look the account up again", acct->record_path);
		return -1;
	}
	if (json_string_value(json_object_get(rec, "url")) != NULL)
		acct->url = strdup(json_string_value(json_object_get(rec, "url")));
	if (json_string_value(json_object_get(rec, "status")) != NULL)
		acct->status = strdup(json_string_value(json_object_get(rec,
		    "status")));
	json_decref(rec);
	return 0;
}

int
account_record_save(struct account *acct, const char *directory_url,
    struct err *e)
{
	char *dir = strdup(acct->record_path), *slash, *text = NULL;
	json_t *rec;
	int rc = -1;

	if (dir == NULL || (slash = strrchr(dir, '/')) == NULL)
		goto out;
	*slash = '\0';
	if (store_mkdirs(dir, 0700, e) == -1)
		goto out;
	rec = json_pack("{s:s, s:s?, s:s?}", "directory", directory_url,
	    "url", acct->url, "status", acct->status);
	text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	if (text == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	rc = store_write_atomic(acct->record_path, text, strlen(text), 0600, e);
out:
	free(text);
	free(dir);
	return rc;
}

static int
load_or_create_key(struct account *acct, const struct config *cfg,
    bool create, struct acme *acme, struct err *e)
{
	const char *tos;

	if (store_exists(acct->key_path)) {
		acct->key = key_load(acct->key_path, e);
		return acct->key != NULL ? 0 : -1;
	}
	if (!create) {
		tos = acme_terms_of_service(acme);
		err_set(e, "no account key in %s: to create an account, read "
		    "the CA's terms of service%s%s and re-run with --agree-tos",
		    cfg->state_dir, tos ? " at " : "", tos ? tos : "");
		return -1;
	}
	if (store_mkdirs(cfg->state_dir, 0700, e) == -1 ||
	    (acct->key = key_generate(KEY_EC256, e)) == NULL ||
	    key_save(acct->key, acct->key_path, e) == -1)
		return -1;
	log_info("created account key %s", acct->key_path);
	return 0;
}

/* Ask the CA for the key's account; create it when allowed. */
static int
find_or_create(struct account *acct, struct acme *acme,
    const struct account_options *opts, const struct config *cfg,
    struct err *e)
{
	const char *tos;
	int found;

	if ((found = acme_account_lookup(acme, e)) == -1)
		return -1;
	if (found == 1) {
		if (!opts->create) {
			tos = acme_terms_of_service(acme);
			err_set(e, "the CA has no account for this key: read the "
			    "terms of service%s%s and re-run with --agree-tos",
			    tos ? " at " : "", tos ? tos : "");
			return -1;
		}
		if (acme_account_create(acme, &opts->request, NULL, e) == -1)
			return -1;
		log_info("created account %s", acme_account_url(acme));
	}
	free(acct->url);
	free(acct->status);
	acct->url = strdup(acme_account_url(acme));
	acct->status = strdup("valid");
	return account_record_save(acct, cfg->directory_url, e);
}

int
account_open(const struct config *cfg, struct acme *acme,
    const struct account_options *opts, struct account **out, struct err *e)
{
	struct account *acct;

	*out = NULL;
	if ((acct = calloc(1, sizeof(*acct))) == NULL ||
	    (acct->key_path = config_account_key_path(cfg)) == NULL ||
	    (acct->record_path = config_account_record_path(cfg)) == NULL) {
		account_free(acct);
		err_set(e, "out of memory");
		return -1;
	}
	if (load_or_create_key(acct, cfg, opts->create, acme, e) == -1 ||
	    (acct->signer = signer_new(acct->key, e)) == NULL ||
	    record_load(acct, e) == -1)
		goto fail;
	if (acct->status != NULL && strcmp(acct->status, "deactivated") == 0) {
		err_set(e, "the account %s was deactivated and cannot be used "
		    "again; move %s away to start a new account",
		    acct->url ? acct->url : "", acct->key_path);
		goto fail;
	}
	acme_set_account(acme, acct->signer, acct->url);
	if (acct->url == NULL &&
	    find_or_create(acct, acme, opts, cfg, e) == -1)
		goto fail;
	*out = acct;
	return 0;
fail:
	account_free(acct);
	return -1;
}

int
account_recover(struct account *acct, struct acme *acme,
    const struct config *cfg, const struct account_options *opts,
    struct err *e)
{
	log_info("the CA no longer knows account %s; looking it up again",
	    acct->url);
	free(acct->url);
	acct->url = NULL;
	acme_set_account(acme, acct->signer, NULL);
	return find_or_create(acct, acme, opts, cfg, e);
}
