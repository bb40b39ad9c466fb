/*
 * cmd_revoke_leak.c - "acmec revoke SECTION|OUTDIR": a certificate of the
 * config.  For keyCompromise: revoke it signed with its own key (so that
 * the CA blocks the key), get a replacement with a new key the way renew
 * does, then remove the old versions that hold the leaked key.
 *
 * Revocation comes first: the leaked key is what an attacker holds, and
 * every minute it stays valid counts; a failed replacement leaves a
 * revoked certificate in place, which the next run replaces.  The record
 * STATE/leaks/NAME-HASH.json names the leaked key from before the
 * revocation until the old versions are gone, so that the same command
 * run again after any failure finishes the job: it revokes again only
 * while the leaked key is in place (alreadyRevoked counts as done) and
 * replaces only then; after the switch it runs the hooks again and removes
 * what is left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "conffile.h"
#include "confine.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "output.h"
#include "renew.h"
#include "retired.h"
#include "store.h"
#include "str.h"

#define KEY_COMPROMISE	1
#define RECORD_MAX	4096

struct leak {
	const char	*conf_path;
	const struct conf *conf;
	const struct conf_cert *cc;	/* its section */
	const char	*section;	/* borrowed from the conf */
	char		*out_dir;
	char		*cert_path;
	char		*key_path;
	char		*record;	/* STATE/leaks/NAME-HASH.json */
	char		 leaked[KEY_ID_LEN + 1];	/* "": not known */
};

static void
leak_clear(struct leak *l)
{
	free(l->out_dir);
	free(l->cert_path);
	free(l->key_path);
	free(l->record);
}

static char *
section_dir(const struct config *cfg, const struct conf_cert *cc)
{
	return cc->spec.out_dir ? strdup(cc->spec.out_dir) :
	    config_live_dir(cfg, cc->section);
}

/*
 * The section named target, or the one whose output directory target is
 * (compared as their locks are named: resolved).  -1 with a message.
 */
static int
find_target(const struct conf *c, const struct config *cfg,
    const char *target, struct leak *l, struct err *e)
{
	char *want = config_output_lock(cfg, target), *have;

	for (size_t i = 0; i < c->ncerts && l->out_dir == NULL; i++) {
		const struct conf_cert *cc = &c->certs[i];
		char *dir = section_dir(cfg, cc);

		have = dir != NULL ? config_output_lock(cfg, dir) : NULL;
		if (strcmp(cc->section, target) == 0 ||
		    (want != NULL && have != NULL && strcmp(want, have) == 0)) {
			l->cc = cc;
			l->section = cc->section;
			l->out_dir = dir;
			dir = NULL;
		}
		free(dir);
		free(have);
	}
	free(want);
	if (l->out_dir == NULL) {
		err_set(e, "%s is neither a certificate file nor a section or "
		    "output directory of %s; give the certificate file (revoke "
		    "CERT --key CERTKEY)", target, l->conf_path);
		return -1;
	}
	l->conf = c;
	l->cert_path = store_path(l->out_dir, "cert.pem");
	l->key_path = store_path(l->out_dir, "privkey.pem");
	l->record = config_leak_record(cfg, l->out_dir);
	if (l->cert_path == NULL || l->key_path == NULL || l->record == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * The id of the key in place, asked of a key process that signs nothing:
 * this process never loads the leaked key (nor its replacement).
 */
static int
key_in_place(const struct config *cfg, const struct leak *l,
    char id[KEY_ID_LEN + 1], struct err *e)
{
	const struct keyproc_key key = { .path = l->key_path,
	    .access = STORE_GROUP_READ };

	return keyproc_key_id(&key, cfg->sandbox, id, e);
}

/* The record's directory (new) and, in *name, its file name. */
static char *
record_dir(const struct leak *l, const char **name, struct err *e)
{
	char *dir = strdup(l->record), *slash;

	if (dir == NULL || (slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		err_set(e, "out of memory");
		return NULL;
	}
	*slash = '\0';
	*name = l->record + (slash - dir) + 1;
	return dir;
}

/* The leaked key of an earlier run of this command: 1, 0 if none. */
static int
record_read(struct leak *l, struct err *e)
{
	const char *id, *name;
	char *dir, *text = NULL;
	json_t *rec = NULL;
	int dfd = -1, found, rc = -1;
	size_t len;

	if ((dir = record_dir(l, &name, e)) == NULL)
		return -1;
	if (!store_exists(dir)) {
		free(dir);
		return 0;
	}
	if ((dfd = store_open_dir(dir, e)) == -1 ||
	    (found = store_read_at(dfd, dir, name, RECORD_MAX, &text, &len,
	    e)) == -1)
		goto out;
	if (found == 1) {
		rc = 0;
		goto out;
	}
	rec = json_loadb(text, len, 0, NULL);
	id = json_string_value(json_object_get(rec, "key"));
	if (id != NULL && strlen(id) == KEY_ID_LEN) {
		memcpy(l->leaked, id, KEY_ID_LEN + 1);
		rc = 1;
	} else
		err_set(e, "%s is not a record of a leaked key", l->record);
out:
	if (rc == -1)
		err_append(e, ": move it away if the key in place is the "
		    "leaked one");
	if (dfd != -1)
		close(dfd);
	json_decref(rec);
	free(text);
	free(dir);
	return rc;
}

static int
record_write(const struct leak *l, struct err *e)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:I}", "key", l->leaked,
	    "section", l->section, "out", l->out_dir, "started",
	    (json_int_t)time(NULL));
	char *dir = NULL, *text = NULL;
	const char *name;
	int dfd = -1, rc = -1;

	if (rec != NULL)
		text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	if (text == NULL)
		err_set(e, "out of memory");
	else if ((dir = record_dir(l, &name, e)) != NULL &&
	    (dfd = store_open_dir(dir, e)) != -1)
		rc = store_write_at(dfd, dir, name, text, strlen(text), 0600,
		    e);
	if (dfd != -1)
		close(dfd);
	free(text);
	free(dir);
	return rc;
}

/* The replacement, as "acmec renew -c FILE --force SECTION" makes it. */
static int
replace(const struct config *cfg, const struct leak *l)
{
	char *argv[] = { "renew", "-c", (char *)l->conf_path, "--force",
	    (char *)l->section, NULL };

	log_info("%s: replacing it with a certificate for a new key",
	    l->section);
	return cmd_renew(cfg, 5, argv);
}

/*
 * Every copy acmec keeps of the leaked key goes: the old versions, and
 * the order record of the directory (the engine removes it after a
 * certificate is written; one left behind is of no use now).
 */
static int
remove_copies(const struct config *cfg, const struct leak *l, struct err *e)
{
	char *lock = config_output_lock(cfg, l->out_dir);
	char *order = config_order_record(cfg, l->out_dir);
	struct output *o = NULL;
	int rc = -1;

	if (lock == NULL || order == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if ((o = output_open(l->out_dir, lock, NULL, e)) == NULL ||
	    output_drop_old_versions(o, e) == -1)
		goto out;
	if (unlink(order) == -1 && errno != ENOENT) {
		err_errno(e, "cannot remove %s", order);
		goto out;
	}
	if (unlink(l->record) == -1 && errno != ENOENT)
		err_errno(e, "cannot remove %s", l->record);
	else
		rc = 0;
out:
	output_free(o);
	free(order);
	free(lock);
	return rc;
}

static void
report_done(const struct config *cfg, const struct leak *l,
    const char *new_id)
{
	log_info("%s: done: the certificate of the leaked key %s was revoked "
	    "and replaced with one for a new key (%s) in %s; the old "
	    "versions are removed, and %s/%s keeps the leaked key from ever "
	    "being used again", l->section, l->leaked, new_id, l->out_dir,
	    cfg->state_dir, RETIRED_FILE);
	log_info("left for you: remove the copies of the leaked key acmec "
	    "did not make (backups, other servers, wherever it leaked), look "
	    "for certificates you did not order in the Certificate "
	    "Transparency logs, and if the account key leaked too, run acmec "
	    "account rollover");
}

/*
 * Revoke while the leaked key is in place, then replace it: 0, 1 if only
 * revoked (--no-replace), 2 if the replacement (renew) reported a failure,
 * -1.
 */
static int
revoke_and_replace(const struct config *given, const struct config *cfg,
    struct leak *l, bool no_replace, struct err *e)
{
	if (!no_replace && record_write(l, e) == -1)
		return -1;
	if (revoke_certificate(cfg, l->cert_path, l->key_path, KEY_COMPROMISE,
	    e) == -1) {
		err_append(e, "; nothing was replaced: run the same command "
		    "again");
		return -1;
	}
	if (no_replace) {
		log_info("%s: revoked; the revoked certificate and its key "
		    "stay in place (--no-replace): run acmec revoke %s "
		    "--reason keyCompromise without --no-replace, or acmec "
		    "renew, to replace them", l->section, l->section);
		return 1;
	}
	if (replace(given, l) != EXIT_OK)
		return 2;
	return 0;
}

/*
 * The hooks of a replacement an earlier run switched in: that run may
 * have died before it ran them.
 */
static int
run_hooks_again(const struct leak *l, struct hookproc *hooks, struct err *e)
{
	char *names = names_join(&l->cc->spec.names, "", " ");
	char *env_name = NULL, *env_out = NULL, *env_names = NULL;
	int rc = -1;

	if (names != NULL && l->cc->spec.names.n > 0) {
		env_name = str_fmt("ACMEC_NAME=%s", l->cc->spec.names.v[0]);
		env_out = str_fmt("ACMEC_OUT=%s", l->out_dir);
		env_names = str_fmt("ACMEC_NAMES=%s", names);
	}
	if (env_name == NULL || env_out == NULL || env_names == NULL)
		err_set(e, "out of memory");
	else {
		const char *env[] = { env_name, env_out, env_names, NULL };

		rc = 0;
		if (l->cc->spec.deploy_hook != NULL && hookproc_run(hooks,
		    l->cc->spec.deploy_hook, env, e) == -1)
			rc = -1;
		else if (l->conf->post_hook != NULL && hookproc_run(hooks,
		    l->conf->post_hook, NULL, e) == -1)
			rc = -1;
	}
	free(names);
	free(env_name);
	free(env_out);
	free(env_names);
	return rc;
}

/*
 * A record whose key was never retired is of a run that did not get as
 * far as the revocation: it says nothing the key in place does not.
 */
static int
forget_unrevoked(const struct config *cfg, struct leak *l, struct err *e)
{
	int rc;

	if (l->leaked[0] == '\0')
		return 0;
	if ((rc = retired_lookup(cfg->state_dir, l->leaked, NULL, e)) == 0)
		l->leaked[0] = '\0';
	return rc == -1 ? -1 : 0;
}

/* keyCompromise for the certificate of l. */
static int
leaked_key(const struct config *given, const struct config *cfg,
    struct leak *l, bool no_replace, struct err *e)
{
	char in_place[KEY_ID_LEN + 1];
	struct err hook_err = { "" };
	int rc = 0;

	if (l->cc->spec.csr_path != NULL) {
		err_set(e, "its key is the one of %s, which acmec does not "
		    "hold: revoke %s/cert.pem --key YOURKEY --reason "
		    "keyCompromise, make a new key and CSR, then acmec renew",
		    l->cc->spec.csr_path, l->out_dir);
		return -1;
	}
	if (record_read(l, e) == -1 ||
	    key_in_place(cfg, l, in_place, e) == -1 ||
	    forget_unrevoked(cfg, l, e) == -1)
		return -1;
	if (l->leaked[0] == '\0')
		memcpy(l->leaked, in_place, sizeof(in_place));
	if (strcmp(in_place, l->leaked) == 0) {
		rc = revoke_and_replace(given, cfg, l, no_replace, e);
		if (rc == -1 || rc == 1)
			return rc == 1 ? 0 : -1;
		if (key_in_place(cfg, l, in_place, e) == -1)
			return -1;
		if (strcmp(in_place, l->leaked) == 0) {
			err_set(e, "revoked, but not replaced: the revoked "
			    "certificate and the leaked key are still in %s; "
			    "fix what the replacement reported and run the "
			    "same command again", l->out_dir);
			return -1;
		}
	} else {
		log_info("%s: an earlier run revoked and replaced it; "
		    "finishing the job", l->section);
		if (run_hooks_again(l, cfg->hooks, &hook_err) == -1)
			rc = 2;
	}
	if (remove_copies(cfg, l, e) == -1) {
		err_prefix(e, "replaced, but the old versions with the leaked "
		    "key are not all removed");
		err_append(e, "; run the same command again");
		return -1;
	}
	report_done(cfg, l, in_place);
	if (rc == 2) {
		err_set(e, "the new certificate is in place, but a hook failed "
		    "(%s): fix it and run it by hand", hook_err.msg[0] ?
		    hook_err.msg : "above");
		return -1;
	}
	return 0;
}

/*
 * Where the revocation and the replacement (a renew of the section) may
 * write, and the runner for the hooks either runs: for both configs.
 */
static int
confine_leak(const struct conf *c, const struct leak *l,
    struct confine *conf, struct config *cfg, struct config *given,
    struct err *e)
{
	const char *hooks[] = { l->cc->spec.deploy_hook, c->post_hook,
	    c->failure_hook };

	/* l->out_dir is the spec's, or the default in the state directory. */
	if (confine_add_spec(conf, &l->cc->spec, e) == -1 ||
	    (c->metrics_file != NULL &&
	    confine_add_parent(conf, c->metrics_file, e) == -1) ||
	    confine_start_hooks(conf, cfg, hooks, 3, e) == -1)
		return -1;
	confine_apply(conf, cfg);
	confine_apply(conf, given);
	return 0;
}

int
revoke_managed(const struct config *given, const char *conf_path,
    const char *target, int reason, bool no_replace)
{
	struct account_options acct = { 0 };
	struct leak l = { .conf_path = conf_path ? conf_path :
	    CONF_DEFAULT_PATH };
	struct config cfg = *given, given_confined = *given;
	struct confine conf;
	struct conf *c = NULL;
	struct err e = { "" };
	int rc = EXIT_FAIL;

	confine_init(&conf);
	if (conf_load(l.conf_path, &c, &e) == -1) {
		log_error("%s", e.msg);
		return EXIT_USAGE;
	}
	renew_apply_conf(c, &cfg, &acct);
	if (find_target(c, &cfg, target, &l, &e) == -1) {
		log_error("revoke: %s", e.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (reason != KEY_COMPROMISE && no_replace) {
		log_error("revoke: --no-replace goes with --reason "
		    "keyCompromise; other reasons replace nothing");
		rc = EXIT_USAGE;
		goto out;
	}
	if (confine_leak(c, &l, &conf, &cfg, &given_confined, &e) == -1)
		log_error("revoke: %s", e.msg);
	else if (reason != KEY_COMPROMISE ?
	    revoke_certificate(&cfg, l.cert_path, NULL, reason, &e) == 0 :
	    leaked_key(&given_confined, &cfg, &l, no_replace, &e) == 0)
		rc = EXIT_OK;
	else
		log_error("revoke: %s: %s", l.section, e.msg);
out:
	confine_free(&conf);
	leak_clear(&l);
	conf_free(c);
	return rc;
}
