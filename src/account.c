/*
 * account.c - the account key and the remembered account URL per CA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "key.h"
#include "log.h"
#include "store.h"
#include "str.h"

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
	free(acct->directory_url);
	free(acct->url);
	free(acct->status);
	free(acct);
}

/* Read the record of this CA directory, if any. */
static int
record_load(struct account *acct, struct err *e)
{
	const char *url, *thumbprint;
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
	url = json_string_value(json_object_get(rec, "url"));
	thumbprint = json_string_value(json_object_get(rec, "thumbprint"));
	/*
	 * A URL remembered for another key (the key file was replaced) is
	 * stale.
	 */
	if (url != NULL && thumbprint != NULL &&
	    strcmp(thumbprint, signer_thumbprint(acct->signer)) == 0)
		acct->url = strdup(url);
	else if (url != NULL)
		log_info("%s belongs to another account key; looking the "
		    "account up again", acct->record_path);
	if (acct->url != NULL &&
	    json_string_value(json_object_get(rec, "status")) != NULL)
		acct->status = strdup(json_string_value(json_object_get(rec,
		    "status")));
	json_decref(rec);
	return 0;
}

int
account_record_save(struct account *acct, struct err *e)
{
	char *dir = strdup(acct->record_path), *slash, *text = NULL;
	json_t *rec;
	int rc = -1;

	if (dir == NULL || (slash = strrchr(dir, '/')) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	*slash = '\0';
	if (store_mkdirs(dir, 0700, e) == -1)
		goto out;
	rec = json_pack("{s:s, s:s?, s:s?, s:s}", "directory",
	    acct->directory_url,
	    "url", acct->url, "status", acct->status, "thumbprint",
	    signer_thumbprint(acct->signer));
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

/* Append to *e how to create an account: agree to the CA's terms. */
static void
explain_agree_tos(const struct acme *acme, struct err *e)
{
	const char *tos = acme_terms_of_service(acme);

	err_append(e, ": to create an account, read the CA's terms of "
	    "service%s%s and re-run with --agree-tos", tos ? " at " : "",
	    tos ? tos : "");
}

static int
load_or_create_key(struct account *acct, const struct config *cfg,
    bool create, struct acme *acme, struct err *e)
{
	if (store_exists(acct->key_path)) {
		acct->key = key_load(acct->key_path, e);
		return acct->key != NULL ? 0 : -1;
	}
	if (!create) {
		err_set(e, "no account key in %s", cfg->state_dir);
		explain_agree_tos(acme, e);
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
    const struct account_options *opts, struct err *e)
{
	int found;

	if ((found = acme_account_lookup(acme, e)) == -1)
		return -1;
	if (found == 1) {
		if (!opts->create) {
			err_set(e, "the CA has no account for this key");
			explain_agree_tos(acme, e);
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
	return account_record_save(acct, e);
}

/*
 * STATE_DIR/account-key.pem.new holds the new key while a rollover is in
 * flight.
 */
static char *
pending_key_path(const struct account *acct)
{
	return str_fmt("%s.new", acct->key_path);
}

/*
 * The CA accepted the pending key: keep the old key as
 * account-key.TIMESTAMP.pem (a hard link, so it stays 0600) and rename the
 * pending key into place.  Each step leaves a usable state behind.
 */
static int
promote_pending_key(struct account *acct, const char *pending, struct err *e)
{
	char stamp[32], *backup;
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	/* "STATE/account-key.pem" -> "STATE/account-key.STAMP.pem" */
	backup = str_fmt("%.*s.%s.pem", (int)(strlen(acct->key_path) - 4),
	    acct->key_path, stamp);
	if (backup == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (link(acct->key_path, backup) == -1)
		log_error("warning: cannot keep the old account key as %s",
		    backup);
	if (rename(pending, acct->key_path) == -1) {
		err_errno(e, "the CA accepted the new account key, but it "
		    "cannot be moved into place: move %s to %s by hand",
		    pending, acct->key_path);
		free(backup);
		return -1;
	}
	log_info("old account key kept as %s", backup);
	free(backup);
	return 0;
}

/* Make key (taken) the account's key and signer. */
static void
adopt_key(struct account *acct, struct acme *acme, EVP_PKEY *key,
    struct signer *signer)
{
	EVP_PKEY_free(acct->key);
	signer_free(acct->signer);
	acct->key = key;
	acct->signer = signer;
	acme_set_account(acme, acct->signer, acct->url);
}

/*
 * Section 7.3.5 answers 409 for a new key that already has an account, but
 * not every CA does (pebble says 500): ask first, with the new key.
 */
static int
refuse_key_in_use(struct account *acct, struct acme *acme,
    const struct signer *new_key, struct err *e)
{
	int found;

	acme_set_account(acme, new_key, NULL);
	found = acme_account_lookup(acme, e);
	if (found == 0)
		err_set(e, "the new key already belongs to account %s; choose "
		    "another key (the old key stays in use)",
		    acme_account_url(acme));
	acme_set_account(acme, acct->signer, acct->url);
	return found == 1 ? 0 : -1;
}

int
account_rollover(struct account *acct, struct acme *acme, EVP_PKEY *new_key,
    struct err *e)
{
	struct signer *signer;
	char *pending = NULL;
	int rc = -1;

	if ((signer = signer_new(new_key, e)) == NULL)
		return -1;
	if (refuse_key_in_use(acct, acme, signer, e) == -1)
		goto out;
	if ((pending = pending_key_path(acct)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	/* Saved before the CA hears of it, so a crash cannot lose it. */
	if (key_save(new_key, pending, e) == -1)
		goto out;
	if (acme_account_key_change(acme, signer, e) == -1) {
		/*
		 * Only a refusal proves the CA kept the old key; when the
		 * answer was lost, the next run asks the CA which key it has.
		 */
		if (acme_last_status(acme) >= 400)
			(void)unlink(pending);
		else
			err_append(e, "; the next acmec run will ask the CA "
			    "whether the change happened and keep the right "
			    "key (%s or %s)", acct->key_path, pending);
		goto out;
	}
	if (promote_pending_key(acct, pending, e) == -1)
		goto out;
	EVP_PKEY_up_ref(new_key);
	adopt_key(acct, acme, new_key, signer);
	signer = NULL;
	rc = account_record_save(acct, e);
out:
	signer_free(signer);
	free(pending);
	return rc;
}

/*
 * A rollover was interrupted: if the CA still knows the old key, the
 * change never happened and the pending key goes; if it knows the new
 * one, finish the job.
 */
static int
resolve_pending_rollover(struct account *acct, struct acme *acme,
    const char *pending, struct err *e)
{
	struct signer *signer = NULL;
	EVP_PKEY *key;
	int old_found, new_found, rc = -1;

	acme_set_account(acme, acct->signer, NULL);
	if ((old_found = acme_account_lookup(acme, e)) == -1)
		return -1;
	if (old_found == 0) {
		log_info("discarding %s: the CA still uses the old key",
		    pending);
		acme_set_account(acme, acct->signer, acct->url);
		if (unlink(pending) == -1) {
			err_errno(e, "cannot remove %s", pending);
			return -1;
		}
		return 0;
	}
	if ((key = key_load(pending, e)) == NULL ||
	    (signer = signer_new(key, e)) == NULL)
		goto out;
	acme_set_account(acme, signer, NULL);
	if ((new_found = acme_account_lookup(acme, e)) != 0) {
		if (new_found == 1)
			err_set(e, "the CA knows neither %s nor %s: no account",
			    acct->key_path, pending);
		goto out;
	}
	log_info("completing an interrupted account key rollover");
	if (promote_pending_key(acct, pending, e) == -1)
		goto out;
	adopt_key(acct, acme, key, signer);
	key = NULL;
	signer = NULL;
	rc = account_record_save(acct, e);
out:
	signer_free(signer);
	EVP_PKEY_free(key);
	if (rc == -1)
		acme_set_account(acme, acct->signer, acct->url);
	return rc;
}

int
account_open(const struct config *cfg, struct acme *acme,
    const struct account_options *opts, struct account **out, struct err *e)
{
	struct account *acct;
	char *pending = NULL;

	*out = NULL;
	if ((acct = calloc(1, sizeof(*acct))) == NULL ||
	    (acct->key_path = config_account_key_path(cfg)) == NULL ||
	    (acct->record_path = config_account_record_path(cfg)) == NULL ||
	    (acct->directory_url = strdup(cfg->directory_url)) == NULL) {
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
	if ((pending = pending_key_path(acct)) == NULL ||
	    (store_exists(pending) &&
	    resolve_pending_rollover(acct, acme, pending, e) == -1))
		goto fail;
	free(pending);
	pending = NULL;
	if (acct->url == NULL &&
	    find_or_create(acct, acme, opts, e) == -1)
		goto fail;
	*out = acct;
	return 0;
fail:
	free(pending);
	account_free(acct);
	return -1;
}

int
account_recover(struct account *acct, struct acme *acme,
    const struct account_options *opts, struct err *e)
{
	log_info("the CA no longer knows account %s; looking it up again",
	    acct->url);
	free(acct->url);
	acct->url = NULL;
	acme_set_account(acme, acct->signer, NULL);
	return find_or_create(acct, acme, opts, e);
}
