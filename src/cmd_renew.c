/*
 * cmd_renew.c - "acmec renew": every certificate of the config that is
 * due, in one run, orders in parallel; records, backoff, hooks, metrics.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "confine.h"
#include "due.h"
#include "eab.h"
#include "engine.h"
#include "failures.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "renew.h"
#include "store.h"
#include "str.h"
#include "usage.h"

struct renew_args {
	const char	*conf_path;
	bool		 force;
	bool		 help;
	char	       **sections;
	size_t		 nsections;
};

void
cmd_renew_usage(FILE *out)
{
	fprintf(out, "usage: acmec [global options] renew [-c FILE] "
	    "[--force] [SECTION ...]\n");
	usage_options(out, "options", (const struct usage_option[]){
	    { "-c, --config FILE", "read FILE (default: "
		"/etc/acmec/acmec.conf)" },
	    { "--force", "renew now, due or not" },
	    { "SECTION", "only these sections of the config" },
	    { "-h, --help", "print this and exit" },
	    { NULL, NULL } });
}

static int
parse_renew_args(int argc, char **argv, struct renew_args *a)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "force",  no_argument,       NULL, 'f' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 0;	/* glibc: also reset its permutation state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (a->conf_path != NULL)
				return usage_error("renew", "renew: -c given "
				    "twice; give it once");
			a->conf_path = optarg;
			break;
		case 'f':
			a->force = true;
			break;
		case 'h':
			a->help = true;
			break;
		default:
			return usage_bad_option("renew", "renew", c, argv);
		}
		if (optarg != NULL && optarg[0] == '\0')
			return usage_empty_value("renew", "renew", argv);
	}
	a->sections = argv + optind;
	a->nsections = (size_t)(argc - optind);
	return 0;
}

/* Ask the CA only if some certificate's window is for it to say. */
static void
assess(struct renew_item *items, size_t n, struct session *s,
    const struct config *cfg, const struct renew_args *a, time_t now)
{
	bool ask = false;
	struct err e = { "" };

	for (size_t i = 0; i < n; i++) {
		renew_assess_local(&items[i], cfg, now, a->force);
		ask |= !items[i].due && !items[i].backed_off &&
		    items[i].cert != NULL;
	}
	if (ask && session_connect(s, cfg, NULL, &e) == -1)
		log_verbose("no renewal windows from the CA: %s", e.msg);
	for (size_t i = 0; i < n; i++) {
		char why[256];

		if (s->acme != NULL)
			renew_assess_ari(&items[i], s->acme, now);
		renew_assess_lifetime(&items[i], now);
		if (renew_before_ignored(&items[i], why, sizeof(why)))
			log_error("warning: [%s] %s", items[i].cc->section,
			    why);
	}
}

/* Silent when nothing is due, unless a person is watching. */
static void
report_assessment(const struct renew_item *items, size_t n)
{
	bool chatty = log_get_level() >= LOG_NORMAL && isatty(STDOUT_FILENO);

	for (size_t i = 0; i < n; i++) {
		if (items[i].backed_off)
			log_error("%s: skipped: %s", items[i].cc->section,
			    items[i].why);
		else if (items[i].due)
			log_info("%s: %s", items[i].cc->section,
			    items[i].why);
		else if (chatty)
			log_info("%s: %s", items[i].cc->section,
			    items[i].why);
	}
}

/* Remember in st what came of an attempt; a failure backs off. */
static void
record_result(const struct renew_item *it, struct renewal_state *st,
    const struct engine_result *r, time_t now)
{
	char when[40];

	st->last_attempt = now;
	st->last_ok = r->written;
	free(st->last_error);
	st->last_error = NULL;
	if (st->last_ok) {
		st->failures = 0;
		st->next_attempt = 0;
		st->last_success = now;
		free(st->profile);
		st->profile = it->spec.profile ? strdup(it->spec.profile) :
		    NULL;
		free(st->chain_issuer);
		st->chain_issuer = r->chain_issuer ?
		    strdup(r->chain_issuer) : NULL;
		renewal_forget_ari(st);
		return;
	}
	st->failures++;
	st->next_attempt = due_backoff_next(st->failures, now);
	st->last_error = strdup(r->err.msg);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC",
	    gmtime(&st->next_attempt));
	log_error("%s: %s; next attempt after %s", it->cc->section,
	    r->err.msg, when);
}

/* What renew_due records of each job, and when. */
struct record_job {
	struct renew_item	*it;
	const struct config	*cfg;
	time_t			 now;
	bool			 recorded;
};

/*
 * Save the record of it as it is on disk now, under its certificate's
 * lock (held already if locked), with the window this run fetched and
 * what came of its order (r, or NULL): two runs at once never write back
 * what they read at their start over each other's results.  Another run
 * holding the lock records for itself.
 */
static void
record_update(struct renew_item *it, const struct config *cfg, bool locked,
    const struct engine_result *r, time_t now)
{
	struct renewal_state fresh = { 0 };
	struct err e = { "" };
	char *lock = NULL;
	int fd = -1;

	if (!locked && ((lock = config_output_lock(cfg, it->out_dir)) ==
	    NULL || store_lock_try(lock, &fd, &e) != 1)) {
		if (r != NULL && !r->ok)
			log_error("%s: %s", it->cc->section, r->err.msg);
		log_verbose("%s: its record is left to the run holding %s",
		    it->cc->section, lock ? lock : "its lock");
		free(lock);
		return;
	}
	if (renewal_load(it->record_path, &fresh, &e) == 0) {
		if (it->st_changed)
			renewal_take_ari(&fresh, &it->st);
		if (r != NULL)
			record_result(it, &fresh, r, now);
		if (renewal_save(it->record_path, &fresh, &e) == -1)
			log_error("warning: %s", e.msg);
		renewal_clear(&it->st);
		it->st = fresh;	/* for the metrics */
	} else {
		log_error("warning: %s", e.msg);
		renewal_clear(&fresh);
	}
	it->st_changed = false;
	store_unlock(fd);
	free(lock);
}

/* The engine's word on a job, its lock still held if locked. */
static void
job_done(void *arg, const struct engine_result *r, bool locked)
{
	struct record_job *rj = arg;

	/* Another run renewed it, or holds it: that run records. */
	if (r->skipped)
		return;
	record_update(rj->it, rj->cfg, locked, r, rj->now);
	rj->recorded = true;
}

/* A failure the failure-hook is told about (f NULL: none is run). */
static void
note_failure(struct failures *f, const struct renew_item *it,
    const char *msg)
{
	char *names;

	if (f == NULL)
		return;
	names = names_join(&it->spec.names, "", " ");
	failures_add(f, it->cc->section, names, msg);
	free(names);
}

/* Order every due certificate in one engine run; 0 if all went well. */
static int
renew_due(struct renew_item *items, size_t n, struct session *s,
    const struct config *cfg, const struct account_options *acct,
    int parallel, time_t now, struct failures *failed)
{
	struct cert_spec *specs = calloc(n + 1, sizeof(*specs));
	struct engine_result *results = calloc(n + 1, sizeof(*results));
	struct record_job *jobs = calloc(n + 1, sizeof(*jobs));
	size_t ndue = 0, i;
	int rc = 0;

	if (specs == NULL || results == NULL || jobs == NULL) {
		log_error("out of memory");
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (items[i].due) {
			jobs[ndue] = (struct record_job){ &items[i], cfg, now,
			    false };
			specs[ndue] = items[i].spec;
			specs[ndue].on_done = job_done;
			specs[ndue].on_done_arg = &jobs[ndue];
			ndue++;
		}
	if (ndue > 0 && engine_run(s, cfg, acct, (size_t)parallel, specs,
	    ndue, results) == -1)
		rc = -1;
	for (i = 0; i < ndue; i++) {
		struct renew_item *it = jobs[i].it;

		if (results[i].busy)
			log_info("%s: %s", it->cc->section,
			    results[i].err.msg);
		else if (!jobs[i].recorded && !results[i].skipped)
			job_done(&jobs[i], &results[i], false);
		if (results[i].written && !results[i].ok)
			log_error("%s: %s", it->cc->section,
			    results[i].err.msg);
		if (!results[i].ok && !results[i].busy && !results[i].skipped)
			note_failure(failed, it, results[i].err.msg);
		it->written = results[i].written;
		engine_result_clear(&results[i]);
	}
out:
	free(specs);
	free(results);
	free(jobs);
	return rc;
}

/*
 * The post-hook: once a run, and only if a certificate changed.  If it
 * fails, the failure-hook is told of each certificate it did not deploy.
 */
static int
run_post_hook(const struct conf *c, struct hookproc *hooks,
    const struct renew_item *items, size_t n, struct failures *failed)
{
	struct err e = { "" };
	bool changed = false;
	char *msg;

	for (size_t i = 0; i < n; i++)
		changed |= items[i].written;
	if (c->post_hook == NULL || !changed)
		return 0;
	if (hookproc_run(hooks, c->post_hook, NULL, &e) == 0)
		return 0;
	log_error("post-hook: %s", e.msg);
	for (size_t i = 0; i < n; i++) {
		if (!items[i].written)
			continue;
		msg = str_fmt("the certificate was written to %s, but the "
		    "post-hook failed: %s", items[i].out_dir, e.msg);
		note_failure(failed, &items[i], msg != NULL ? msg :
		    "the post-hook failed");
		free(msg);
	}
	return -1;
}

/*
 * The failure-hook: once a run, if a certificate failed in it.  Its own
 * failure is reported; the run has failed already.
 */
static void
run_failure_hook(const struct conf *c, struct hookproc *hooks,
    struct failures *f)
{
	struct err e = { "" };

	if (c->failure_hook == NULL || f == NULL || !failures_any(f))
		return;
	if (hookproc_run(hooks, c->failure_hook, failures_env(f), &e) == -1)
		log_error("failure-hook: %s", e.msg);
}

/* The windows fetched for certificates that were not due. */
static void
save_records(struct renew_item *items, size_t n, const struct config *cfg)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].st_changed)
			record_update(&items[i], cfg, false, NULL, 0);
}

/*
 * Where the run may write once it talks to the CA, and the runner for
 * its hooks; a caller that confined the process (revoke's replacement)
 * has done both.
 */
static int
confine_run(const struct conf *c, const struct renew_item *items, size_t n,
    struct config *cfg, struct confine *conf, struct err *e)
{
	const char **hooks;
	int rc = -1;

	if (cfg->write_dirs != NULL || cfg->hooks != NULL)
		return 0;
	if ((hooks = calloc(n + 2, sizeof(*hooks))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	hooks[0] = c->post_hook;
	hooks[1] = c->failure_hook;
	for (size_t i = 0; i < n; i++) {
		hooks[i + 2] = items[i].spec.deploy_hook;
		if (confine_add_spec(conf, &items[i].spec, e) == -1)
			goto out;
	}
	if ((c->metrics_file == NULL ||
	    confine_add_parent(conf, c->metrics_file, e) == 0) &&
	    confine_start_hooks(conf, cfg, hooks, n + 2, e) == 0) {
		confine_apply(conf, cfg);
		rc = 0;
	}
out:
	free(hooks);
	return rc;
}

static int
renew(struct conf *c, struct config *cfg, const struct renew_args *a)
{
	struct account_options acct = { 0 };
	struct renew_item *items = NULL;
	struct session s;
	struct err e = { "" };
	time_t now = time(NULL);
	struct failures *failed = NULL;
	struct confine conf;
	char *eab_key = NULL;
	size_t n = 0;
	int rc = EXIT_OK;

	renew_apply_conf(c, cfg, &acct);
	if (renew_items_new(c, cfg, a->sections, a->nsections, &items, &n,
	    &e) == -1) {
		renew_items_free(items, n);
		return usage_error("renew", "renew: %s", e.msg);
	}
	/* The EAB key from eab-hmac-key, its file, or the environment. */
	if (c->eab_kid != NULL && eab_key_get(c->eab_hmac_key,
	    c->eab_hmac_key_file, &eab_key, &e) == -1) {
		log_error("renew: %s", e.msg);
		renew_items_free(items, n);
		return EXIT_FAIL;
	}
	if (eab_key != NULL)
		acct.request.eab_hmac_key = eab_key;
	if (c->failure_hook != NULL && (failed = failures_new()) == NULL)
		log_error("failure-hook: out of memory; it will not run");
	confine_init(&conf);
	if (confine_run(c, items, n, cfg, &conf, &e) == -1) {
		log_error("renew: %s", e.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	session_init(&s);
	assess(items, n, &s, cfg, a, now);
	report_assessment(items, n);
	for (size_t i = 0; i < n; i++)
		if (items[i].backed_off)
			rc = EXIT_FAIL;
	if (renew_due(items, n, &s, cfg, &acct, c->parallel, now,
	    failed) == -1)
		rc = EXIT_FAIL;
	session_close(&s);
	save_records(items, n, cfg);
	if (run_post_hook(c, cfg->hooks, items, n, failed) == -1)
		rc = EXIT_FAIL;
	run_failure_hook(c, cfg->hooks, failed);
	if (c->metrics_file != NULL &&
	    metrics_write(c->metrics_file, items, n, time(NULL), &e) == -1)
		log_error("warning: %s", e.msg);
out:
	confine_free(&conf);
	failures_free(failed);
	renew_items_free(items, n);
	eab_key_free(eab_key);
	return rc;
}

int
cmd_renew(const struct config *cfg, int argc, char **argv)
{
	struct renew_args a = { NULL, false, false, NULL, 0 };
	struct config local = *cfg;
	struct conf *c = NULL;
	struct err e = { "" };
	int rc;

	if ((rc = parse_renew_args(argc, argv, &a)) != 0)
		return rc;
	if (a.help) {
		cmd_renew_usage(stdout);
		return EXIT_OK;
	}
	if (conf_load(a.conf_path ? a.conf_path : CONF_DEFAULT_PATH, &c,
	    &e) == -1) {
		log_error("%s", e.msg);
		return EXIT_USAGE;
	}
	rc = renew(c, &local, &a);
	conf_free(c);
	return rc;
}
