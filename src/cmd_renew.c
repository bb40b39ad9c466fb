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
#include "due.h"
#include "eab.h"
#include "engine.h"
#include "hook.h"
#include "log.h"
#include "metrics.h"
#include "renew.h"
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
			a->conf_path = optarg;
			break;
		case 'f':
			a->force = true;
			break;
		case 'h':
			a->help = true;
			break;
		default:
			return usage_bad_option("renew", "renew: ", c, argv);
		}
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
		if (s->acme != NULL)
			renew_assess_ari(&items[i], s->acme, now);
		renew_assess_lifetime(&items[i], now);
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

/* Remember what came of an attempt; a failure backs off. */
static void
record_result(struct renew_item *it, const struct engine_result *r,
    time_t now)
{
	struct renewal_state *st = &it->st;
	char when[40];

	st->last_attempt = now;
	st->last_ok = r->written || r->skipped;
	it->st_changed = true;
	free(st->last_error);
	st->last_error = NULL;
	if (st->last_ok) {
		st->failures = 0;
		st->next_attempt = 0;
		if (r->written) {
			st->last_success = now;
			free(st->profile);
			st->profile = it->spec.profile ?
			    strdup(it->spec.profile) : NULL;
			free(st->chain_issuer);
			st->chain_issuer = r->chain_issuer ?
			    strdup(r->chain_issuer) : NULL;
			renewal_forget_ari(st);
		}
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

/* Order every due certificate in one engine run; 0 if all went well. */
static int
renew_due(struct renew_item *items, size_t n, struct session *s,
    const struct config *cfg, const struct account_options *acct,
    int parallel, time_t now, bool *changed)
{
	struct cert_spec *specs = calloc(n + 1, sizeof(*specs));
	struct engine_result *results = calloc(n + 1, sizeof(*results));
	size_t *which = calloc(n + 1, sizeof(*which)), ndue = 0, i;
	int rc = 0;

	if (specs == NULL || results == NULL || which == NULL) {
		log_error("out of memory");
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (items[i].due) {
			specs[ndue] = items[i].spec;
			which[ndue++] = i;
		}
	if (ndue > 0 && engine_run(s, cfg, acct, (size_t)parallel, specs,
	    ndue, results) == -1)
		rc = -1;
	for (i = 0; i < ndue; i++) {
		record_result(&items[which[i]], &results[i], now);
		if (results[i].written && !results[i].ok)
			log_error("%s: %s", items[which[i]].cc->section,
			    results[i].err.msg);
		*changed |= results[i].written;
		engine_result_clear(&results[i]);
	}
out:
	free(specs);
	free(results);
	free(which);
	return rc;
}

/* The post-hook: once a run, and only if a certificate changed. */
static int
run_post_hook(const struct conf *c)
{
	struct err e = { "" };

	if (c->post_hook == NULL)
		return 0;
	if (hook_run(c->post_hook, NULL, HOOK_TIMEOUT, &e) == 0)
		return 0;
	log_error("post-hook: %s", e.msg);
	return -1;
}

static void
save_records(struct renew_item *items, size_t n)
{
	struct err e = { "" };

	for (size_t i = 0; i < n; i++)
		if (items[i].st_changed &&
		    renewal_save(items[i].record_path, &items[i].st, &e) == -1)
			log_error("warning: %s", e.msg);
}

static int
renew(struct conf *c, struct config *cfg, const struct renew_args *a)
{
	struct account_options acct = { 0 };
	struct renew_item *items = NULL;
	struct session s;
	struct err e = { "" };
	time_t now = time(NULL);
	bool changed = false;
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
	session_init(&s);
	assess(items, n, &s, cfg, a, now);
	report_assessment(items, n);
	for (size_t i = 0; i < n; i++)
		if (items[i].backed_off)
			rc = EXIT_FAIL;
	if (renew_due(items, n, &s, cfg, &acct, c->parallel, now,
	    &changed) == -1)
		rc = EXIT_FAIL;
	session_close(&s);
	save_records(items, n);
	if (changed && run_post_hook(c) == -1)
		rc = EXIT_FAIL;
	if (c->metrics_file != NULL &&
	    metrics_write(c->metrics_file, items, n, time(NULL), &e) == -1)
		log_error("warning: %s", e.msg);
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
