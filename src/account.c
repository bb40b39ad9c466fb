/*
 * account.c - the account key and the remembered account URL, per CA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "retired.h"
#include "store.h"
#include "str.h"

#define RECORD_MAX	(64 * 1024)
#define LOCK_WAIT	60	/* seconds, for another run's account change */
#define BACKUPS_PER_SECOND 100	/* rollovers whose old keys are kept apart */

void
account_unlock(struct account *acct)
{
	if (acct == NULL)
		return;
	store_unlock(acct->lock);
	acct->lock = -1;
}

void
account_free(struct account *acct)
{
	if (acct == NULL)
		return;
	account_unlock(acct);
	signer_free(acct->signer);
	free(acct->dir);
	free(acct->state_dir);
	free(acct->key_path);
	free(acct->record_path);
	free(acct->directory_url);
	free(acct->url);
	free(acct->status);
	free(acct);
}

struct acme_who
account_who(const struct account *acct)
{
	return (struct acme_who){ acct->signer, acct->url };
}

/* Replace acct->url and acct->status (url taken). */
static void
set_url(struct account *acct, char *url, const char *status)
{
	free(acct->url);
	free(acct->status);
	acct->url = url;
	acct->status = url != NULL && status != NULL ? strdup(status) : NULL;
}

/* A record that cannot be read is kept aside, and the CA asked again. */
static void
set_record_aside(struct account *acct, const char *why)
{
	char *bad = str_fmt("%s.bad", acct->record_path);

	if (bad != NULL && rename(acct->record_path, bad) == 0)
		log_error("warning: %s %s; kept as %s, looking the account up "
		    "again", acct->record_path, why, bad);
	free(bad);
}

/* Take url and status from a parsed record, if it is this key's. */
static void
record_take(struct account *acct, const json_t *rec)
{
	const char *url = json_string_value(json_object_get(rec, "url"));
	const char *thumb = json_string_value(json_object_get(rec,
	    "thumbprint"));
	const char *dir = json_string_value(json_object_get(rec, "directory"));

	if (dir != NULL && strcmp(dir, acct->directory_url) != 0) {
		log_info("%s is for %s, not %s; looking the account up again",
		    acct->record_path, dir, acct->directory_url);
		return;
	}
	/* A URL remembered for another key (the key file was replaced). */
	if (url != NULL && (thumb == NULL ||
	    strcmp(thumb, signer_thumbprint(acct->signer)) != 0)) {
		log_info("%s belongs to another account key; looking the "
		    "account up again", acct->record_path);
		return;
	}
	if (url != NULL)
		set_url(acct, strdup(url), json_string_value(
		    json_object_get(rec, "status")));
}

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
	if (json_is_object(rec))
		record_take(acct, rec);
	else
		set_record_aside(acct, "is not a JSON account record");
	json_decref(rec);
	return 0;
}

int
account_record_save(struct account *acct, struct err *e)
{
	char *text = NULL;
	json_t *rec;
	int rc;

	rec = json_pack("{s:s, s:s?, s:s?, s:s}", "directory",
	    acct->directory_url, "url", acct->url, "status", acct->status,
	    "thumbprint", signer_thumbprint(acct->signer));
	if (rec != NULL)
		text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	if (text == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = store_write_atomic(acct->record_path, text, strlen(text), 0600, e);
	free(text);
	return rc;
}

/* Append to *e how to create an account: agree to the CA's terms. */
static void
explain_agree_tos(const struct acme *acme, struct err *e)
{
	const char *tos = acme_terms_of_service(acme);

	err_append(e, ": to create one, read the CA's terms of service%s%s, "
	    "then run 'acmec account new --agree-tos' (or give issue "
	    "--agree-tos)", tos ? " at " : "", tos ? tos : "");
}

/*
 * acmec before 0.2 kept one account key for all CAs: each CA's directory
 * starts with a hard link to it (so it stays 0600), and takes over its
 * old record.  A rollover in flight then left one pending key without
 * saying at which CA: every CA that takes over a record gets a link to it
 * and settles its own, so the first CA opened cannot discard the key
 * another CA now holds.
 */
static void
migrate_legacy(struct account *acct, const struct config *cfg)
{
	char *key = config_legacy_account_key_path(cfg);
	char *rec = config_legacy_account_record_path(cfg);
	char *pending = key ? str_fmt("%s.new", key) : NULL;
	char *new_pending = str_fmt("%s.new", acct->key_path);

	if (key != NULL && store_exists(key) && !store_exists(acct->key_path)) {
		if (link(key, acct->key_path) == 0)
			log_info("%s now also serves %s as %s", key,
			    acct->directory_url, acct->key_path);
		else
			log_error("warning: cannot link %s to %s: %s", key,
			    acct->key_path, strerror(errno));
	}
	if (rec != NULL && store_exists(rec) &&
	    !store_exists(acct->record_path) &&
	    rename(rec, acct->record_path) == 0 && pending != NULL &&
	    new_pending != NULL && store_exists(pending))
		(void)link(pending, new_pending);
	free(key);
	free(rec);
	free(pending);
	free(new_pending);
}

/* Paths, the lock, and the files of an older acmec. */
/*
 * The state directory and the account's own under it hold what another
 * user must not replace: refuse them if others can write to them.
 */
static int
check_dirs(const struct account *acct, const struct config *cfg,
    struct err *e)
{
	char *accounts = store_path(cfg->state_dir, "accounts");
	int rc = -1;

	if (accounts == NULL)
		err_set(e, "out of memory");
	else if (store_check_dir(cfg->state_dir, e) == 0 &&
	    store_check_dir(accounts, e) == 0 &&
	    store_check_dir(acct->dir, e) == 0)
		rc = 0;
	free(accounts);
	return rc;
}

/* Wait (bounded) for another run's change of the account files. */
static int
account_lock(struct account *acct, struct err *e)
{
	char *lock;

	if ((lock = store_path(acct->dir, "lock")) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	acct->lock = store_lock_path(lock, LOCK_WAIT, e);
	free(lock);
	return acct->lock == -1 ? -1 : 0;
}

static int
account_prepare(struct account *acct, const struct config *cfg,
    struct err *e)
{
	int rc;

	if ((acct->dir = config_account_dir(cfg)) == NULL ||
	    (acct->key_path = store_path(acct->dir, "account-key.pem")) ==
	    NULL ||
	    (acct->record_path = store_path(acct->dir, "account.json")) ==
	    NULL ||
	    (acct->directory_url = strdup(cfg->directory_url)) == NULL ||
	    (acct->state_dir = strdup(cfg->state_dir)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (store_mkdirs(acct->dir, 0700, e) == -1 ||
	    check_dirs(acct, cfg, e) == -1)
		return -1;
	rc = account_lock(acct, e);
	if (rc == 0)
		migrate_legacy(acct, cfg);
	return rc;
}

/* A retired key is never used again, as an account key either. */
static int
refuse_retired(const struct account *acct, const struct signer *s,
    const char *what, const char *remedy, struct err *e)
{
	char *note = NULL;
	int rc;

	rc = retired_lookup(acct->state_dir, signer_key_id(s), &note, e);
	if (rc == 1)
		err_set(e, "%s is a retired key (%s): acmec never uses it "
		    "again; %s", what, note, remedy);
	free(note);
	return rc == 0 ? 0 : -1;
}

/*
 * The key at path, loaded and held by a key process of its own: this
 * process, which parses what the CA sends, never holds it.
 */
static struct signer *
key_signer(const struct account *acct, const char *path, struct err *e)
{
	return keyproc_start(path, acct->directory_url, acct->sign_policy,
	    acct->sandbox, e);
}

/*
 * A new account key, made and saved by the key process that then holds
 * it: this process never has it, not even for a moment.
 */
static int
create_key(struct account *acct, struct err *e)
{
	const struct keyproc_key key = { .path = acct->key_path,
	    .access = STORE_PRIVATE, .create = true, .type = KEY_EC256 };

	if ((acct->signer = keyproc_start_key(&key, acct->directory_url,
	    acct->sign_policy, acct->sandbox, e)) == NULL)
		return -1;
	log_info("created account key %s", acct->key_path);
	return 0;
}

static int
load_or_create_key(struct account *acct, bool create, struct acme *acme,
    struct err *e)
{
	if (!store_exists(acct->key_path) && !create) {
		err_set(e, "no account key for %s in %s", acct->directory_url,
		    acct->dir);
		explain_agree_tos(acme, e);
		return -1;
	}
	if (!store_exists(acct->key_path) ? create_key(acct, e) == -1 :
	    (acct->signer = key_signer(acct, acct->key_path, e)) == NULL)
		return -1;
	return refuse_retired(acct, acct->signer, acct->key_path,
	    "put the account's current key back, or move the directory "
	    "away and run acmec account new --agree-tos", e);
}

/* Ask the CA for the key's account; create it when allowed. */
static int
find_or_create(struct account *acct, struct acme *acme,
    const struct account_options *opts, struct err *e)
{
	struct acme_outcome out;
	char *url = NULL;
	int found;

	if ((found = acme_account_lookup(acme, acct->signer, &url, &out,
	    e)) == -1)
		return -1;
	if (found == 1) {
		if (!opts->create) {
			err_set(e, "the CA has no account for %s",
			    acct->key_path);
			explain_agree_tos(acme, e);
			return -1;
		}
		if (acme_account_create(acme, acct->signer, &opts->request,
		    &url, NULL, &out, e) == -1)
			return -1;
		log_info("created account %s", url);
	}
	set_url(acct, url, "valid");
	return account_record_save(acct, e);
}

/* "DIR/account-key.pem" -> "DIR/account-key.STAMP[-N].pem", a new name. */
static char *
backup_path(const struct account *acct, int n)
{
	char stamp[32];
	time_t now = time(NULL);
	int stem = (int)(strlen(acct->key_path) - 4);

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	if (n == 0)
		return str_fmt("%.*s.%s.pem", stem, acct->key_path, stamp);
	return str_fmt("%.*s.%s-%d.pem", stem, acct->key_path, stamp, n);
}

/* Keep the old key under a name no other rollover took (a hard link). */
static void
keep_old_key(const struct account *acct)
{
	char *backup = NULL;
	int n, rc = -1;

	for (n = 0; n < BACKUPS_PER_SECOND; n++) {
		free(backup);
		if ((backup = backup_path(acct, n)) == NULL)
			break;
		if ((rc = link(acct->key_path, backup)) == 0 || errno != EEXIST)
			break;
	}
	if (rc == 0)
		log_info("old account key kept as %s", backup);
	else
		log_error("warning: cannot keep the old account key %s: %s",
		    acct->key_path, strerror(errno));
	free(backup);
}

/* The key a rollover replaced goes into the record of retired keys. */
static void
retire_old_key(const struct account *acct)
{
	struct err e = { "" };
	char *why = str_fmt("account key replaced by a rollover of %s",
	    acct->url != NULL ? acct->url : acct->directory_url);

	if (why == NULL)
		err_set(&e, "out of memory");
	if (why == NULL || retired_add(acct->state_dir,
	    signer_key_id(acct->signer), why, &e) == -1)
		log_error("warning: %s; acmec may accept the old account key "
		    "again", e.msg);
	free(why);
}

/*
 * The CA accepted the pending key: keep the old one, then rename the
 * pending one into place.  Each step leaves a usable state behind.
 * signer becomes acct's once the key is in place (acct->signer == signer
 * says so), even if the record cannot be saved.
 */
static int
promote_pending_key(struct account *acct, const char *pending,
    struct signer *signer, struct err *e)
{
	keep_old_key(acct);
	if (rename(pending, acct->key_path) == -1) {
		err_errno(e, "the CA accepted the new account key, but it "
		    "cannot be moved into place: move %s to %s by hand",
		    pending, acct->key_path);
		return -1;
	}
	retire_old_key(acct);
	signer_free(acct->signer);
	acct->signer = signer;
	return account_record_save(acct, e);
}

/*
 * A rollover was interrupted: if this CA still knows the old key, the
 * change never happened and the pending key goes; if it knows the new
 * one, finish the job.  Anything else leaves both for the next run.
 */
static int
settle_pending_rollover(struct account *acct, struct acme *acme,
    const char *pending, struct err *e)
{
	struct acme_outcome out;
	struct signer *signer = NULL;
	char *url = NULL;
	int found, rc = -1;

	if ((found = acme_account_lookup(acme, acct->signer, &url, &out,
	    e)) == 0) {
		log_info("discarding %s: the CA still uses the old key",
		    pending);
		free(url);
		if (unlink(pending) == 0)
			return 0;
		err_errno(e, "cannot remove %s", pending);
		return -1;
	}
	if (found == -1 || (signer = key_signer(acct, pending, e)) == NULL)
		goto out;
	if ((found = acme_account_lookup(acme, signer, &url,
	    &out, e)) == -1)
		goto out;
	if (found == 1) {
		err_set(e, "the CA knows neither %s nor %s: no account",
		    acct->key_path, pending);
		goto out;
	}
	log_info("completing an interrupted account key rollover");
	set_url(acct, url, "valid");
	rc = promote_pending_key(acct, pending, signer, e);
	/* Taken even when the record could not be saved. */
	if (acct->signer == signer)
		signer = NULL;
out:
	if (rc == -1)
		err_prefix(e, "settling the interrupted rollover (%s)",
		    pending);
	signer_free(signer);
	return rc;
}

/*
 * Section 7.3.5 answers 409 for a new key that already has an account, but
 * not every CA does (pebble says 500): ask first, with the new key.
 */
static int
refuse_key_in_use(struct acme *acme, const struct signer *new_key,
    struct err *e)
{
	struct acme_outcome out;
	char *url = NULL;
	int found;

	if ((found = acme_account_lookup(acme, new_key, &url, &out, e)) == 0)
		err_set(e, "the new key already belongs to account %s; choose "
		    "another key (the old key stays in use)", url);
	free(url);
	return found == 1 ? 0 : -1;
}

/* What the key change came to, for the pending key at pending. */
static int
conclude_key_change(struct account *acct, const struct acme_outcome *out,
    const char *pending, struct err *e)
{
	if (out->verdict == ACME_REFUSED || out->verdict == ACME_UNSENT) {
		/* Only a refusal, or nothing sent, proves the old key holds. */
		(void)unlink(pending);
		err_append(e, "; the old key %s stays in use", acct->key_path);
		return -1;
	}
	err_append(e, "; whether the CA made the change is unknown: the new "
	    "key is kept as %s, and the next acmec run for this CA asks the "
	    "CA which key it holds and keeps that one", pending);
	return -1;
}

/*
 * The new key's own process: it loads new_key_path (or makes a key of
 * type) and saves it as pending itself, before the CA hears of it, so a
 * crash cannot lose it.  It signs only the inner keyChange JWS and the
 * lookup of its account (KEYPROC_POLICY_NEW_KEY); the old key's process
 * signs the outer JWS.
 */
static struct signer *
new_key_signer(const struct account *acct, const char *new_key_path,
    enum key_type type, const char *pending, struct err *e)
{
	const struct keyproc_key key = {
		.path = new_key_path != NULL ? new_key_path : pending,
		.access = STORE_PRIVATE, .create = new_key_path == NULL,
		.type = type, .save_as = new_key_path != NULL ? pending : NULL,
	};

	return keyproc_start_key(&key, acct->directory_url,
	    KEYPROC_POLICY_NEW_KEY, acct->sandbox, e);
}

/* The pending key of a rollover the CA never heard of goes. */
static void
drop_pending(const char *pending)
{
	if (unlink(pending) == -1)
		log_error("warning: cannot remove %s: %s; the next acmec run "
		    "for this CA asks the CA about it and removes it",
		    pending, strerror(errno));
}

int
account_rollover(struct account *acct, struct acme *acme,
    const char *new_key_path, enum key_type type, struct err *e)
{
	const struct acme_who who = account_who(acct);
	struct signer *signer = NULL, *next = NULL;
	struct acme_outcome out;
	char *pending;
	int rc = -1;

	if ((pending = str_fmt("%s.new", acct->key_path)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((signer = new_key_signer(acct, new_key_path, type, pending,
	    e)) == NULL)
		goto out;
	/*
	 * next signs for the account once the CA took the new key, with the
	 * account's policy; started now, so that no failure comes after the
	 * CA made the change.
	 */
	if (refuse_retired(acct, signer, "the new key", "give another "
	    "--new-key, or none for a new key", e) == -1 ||
	    refuse_key_in_use(acme, signer, e) == -1 ||
	    (next = key_signer(acct, pending, e)) == NULL) {
		/* No keyChange was sent: the CA cannot hold the new key. */
		drop_pending(pending);
		goto out;
	}
	if (acme_account_key_change(acme, &who, signer, &out, e) == -1) {
		rc = conclude_key_change(acct, &out, pending, e);
		goto out;
	}
	rc = promote_pending_key(acct, pending, next, e);
	if (acct->signer == next)
		next = NULL;
out:
	signer_free(signer);
	signer_free(next);
	free(pending);
	return rc;
}

int
account_open(const struct config *cfg, struct acme *acme,
    const struct account_options *opts, struct account **out, struct err *e)
{
	struct account *acct;
	char *pending = NULL;

	*out = NULL;
	if ((acct = calloc(1, sizeof(*acct))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	acct->lock = -1;
	acct->sign_policy = opts->sign_policy;
	acct->sandbox = cfg->sandbox;
	if (account_prepare(acct, cfg, e) == -1 ||
	    load_or_create_key(acct, opts->create, acme, e) == -1 ||
	    record_load(acct, e) == -1)
		goto fail;
	if (acct->status != NULL && strcmp(acct->status, "deactivated") == 0) {
		err_set(e, "the account %s was deactivated and cannot be used "
		    "again; move %s away to start a new account",
		    acct->url ? acct->url : "", acct->dir);
		goto fail;
	}
	if ((pending = str_fmt("%s.new", acct->key_path)) == NULL ||
	    (store_exists(pending) &&
	    settle_pending_rollover(acct, acme, pending, e) == -1))
		goto fail;
	if (acct->url == NULL && find_or_create(acct, acme, opts, e) == -1)
		goto fail;
	free(pending);
	*out = acct;
	return 0;
fail:
	free(pending);
	account_free(acct);
	return -1;
}

/*
 * Under the account lock again, for a change of the account files: is
 * the key in place still the one this run signs with?  Another run may
 * have rolled it over meanwhile, and an account found or created for the
 * retired key would be bound to a key that acmec no longer uses.
 */
static int
relock_same_key(struct account *acct, struct err *e)
{
	struct signer *now;
	bool same;

	if (account_lock(acct, e) == -1)
		return -1;
	now = key_signer(acct, acct->key_path, e);
	same = now != NULL && strcmp(signer_thumbprint(now),
	    signer_thumbprint(acct->signer)) == 0;
	if (now != NULL && !same)
		err_set(e, "%s was replaced by another acmec run (account "
		    "rollover) while this one ran: run it again",
		    acct->key_path);
	signer_free(now);
	if (!same)
		account_unlock(acct);
	return same ? 0 : -1;
}

static int
account_recover_locked(struct account *acct, struct acme *acme,
    const struct account_options *opts, const struct acme_outcome *why,
    struct err *e)
{
	struct err lookup_err = { "" };
	char *old_url = acct->url;
	int rc;

	acct->url = NULL;
	rc = find_or_create(acct, acme, opts, &lookup_err);
	if (rc == 0 && strcmp(acct->url, old_url) != 0) {
		log_info("the CA no longer knows account %s; now using %s",
		    old_url, acct->url);
		free(old_url);
		return 0;
	}
	if (rc == -1) {
		free(acct->url);
		acct->url = old_url;	/* keep what we had */
		err_append(e, "; asking the CA for this key's account failed "
		    "too (%s): the account may be deactivated (see \"acmec "
		    "account show\")", lookup_err.msg);
	} else {
		free(old_url);
		if (acme_refused_with(why, "unauthorized"))
			err_append(e, "; the account may be deactivated (see "
			    "\"acmec account show\")");
	}
	return -1;
}

int
account_recover(struct account *acct, struct acme *acme,
    const struct account_options *opts, const struct acme_outcome *why,
    struct err *e)
{
	struct err lookup_err = { "" };
	int rc;

	if (relock_same_key(acct, &lookup_err) == -1) {
		err_append(e, "; cannot ask the CA for this key's account: %s",
		    lookup_err.msg);
		return -1;
	}
	rc = account_recover_locked(acct, acme, opts, why, e);
	account_unlock(acct);
	return rc;
}
