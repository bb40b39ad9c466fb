/*
 * cmd_issue.c - "acmec issue": order, prove control over http-01, finalize,
 * check, and only then replace the certificate files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "commands.h"
#include "csr.h"
#include "hook.h"
#include "key.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "str.h"
#include "webroot.h"


struct issue_options {
	struct names		 names;
	const char		*webroot;
	const char		*csr_path;
	const char		*out_dir;
	const char		*deploy_hook;
	enum key_type		 key_type;
	bool			 key_type_given;
	const char		*contacts[ACCOUNT_MAX_CONTACTS];
	struct account_options	 account;
};

/* Everything one run holds; freed in one place. */
struct issue_run {
	struct session		 session;
	struct challenge_sink	*webroot;
	struct acme_order	*order;
	EVP_PKEY		*key;		/* NULL with --csr */
	bool			 key_is_new;
	X509_REQ		*csr;
	STACK_OF(X509)		*chain;
	char			*out_dir;
};

static void
issue_usage(void)
{
	fprintf(stderr, "usage: acmec [global options] issue -d NAME "
	    "[-d NAME ...] -w WEBROOT\n"
	    "           [--agree-tos] [--contact mailto:ADDR ...] "
	    "[--key-type TYPE] [--csr FILE]\n"
	    "           [--out DIR] [--eab-kid ID --eab-hmac-key KEY] "
	    "[--deploy-hook COMMAND]\n");
}

static int
parse_issue_options(int argc, char **argv, struct issue_options *o)
{
	enum { OPT_AGREE = 256, OPT_CONTACT, OPT_KEYTYPE, OPT_CSR, OPT_OUT,
	    OPT_EABKID, OPT_EABKEY, OPT_HOOK };
	static const struct option longopts[] = {
		{ "domain",	  required_argument, NULL, 'd' },
		{ "webroot",	  required_argument, NULL, 'w' },
		{ "agree-tos",	  no_argument,	     NULL, OPT_AGREE },
		{ "contact",	  required_argument, NULL, OPT_CONTACT },
		{ "key-type",	  required_argument, NULL, OPT_KEYTYPE },
		{ "csr",	  required_argument, NULL, OPT_CSR },
		{ "out",	  required_argument, NULL, OPT_OUT },
		{ "eab-kid",	  required_argument, NULL, OPT_EABKID },
		{ "eab-hmac-key", required_argument, NULL, OPT_EABKEY },
		{ "deploy-hook",  required_argument, NULL, OPT_HOOK },
		{ NULL, 0, NULL, 0 }
	};
	struct acme_account_request *req = &o->account.request;
	int c;

	optind = 0;	/* glibc: also reset its permutation state */
	while ((c = getopt_long(argc, argv, "d:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!names_is_valid_dns(optarg) || optarg[0] == '*') {
				fprintf(stderr, "acmec: %s is not a domain "
				    "name http-01 can prove (no wildcards; "
				    "give international names in xn-- "
				    "form)\n", optarg);
				return -1;
			}
			if (names_add(&o->names, optarg) == -1)
				return -1;
			break;
		case 'w':
			o->webroot = optarg;
			break;
		case OPT_AGREE:
			o->account.create = req->agree_tos = true;
			break;
		case OPT_CONTACT:
			if (req->ncontacts == ACCOUNT_MAX_CONTACTS) {
				fprintf(stderr, "acmec: at most %d "
				    "--contact options\n",
				    ACCOUNT_MAX_CONTACTS);
				return -1;
			}
			o->contacts[req->ncontacts++] = optarg;
			break;
		case OPT_KEYTYPE:
			if (key_type_parse(optarg, &o->key_type) == -1) {
				fprintf(stderr, "acmec: unknown key type %s\n",
				    optarg);
				return -1;
			}
			o->key_type_given = true;
			break;
		case OPT_CSR:
			o->csr_path = optarg;
			break;
		case OPT_OUT:
			o->out_dir = optarg;
			break;
		case OPT_EABKID:
			req->eab_kid = optarg;
			break;
		case OPT_EABKEY:
			req->eab_hmac_key = optarg;
			break;
		case OPT_HOOK:
			o->deploy_hook = optarg;
			break;
		default:
			return -1;
		}
	}
	req->contacts = o->contacts;
	if (optind != argc || o->webroot == NULL ||
	    (o->names.n == 0 && o->csr_path == NULL) ||
	    (req->eab_kid == NULL) != (req->eab_hmac_key == NULL))
		return -1;
	return 0;
}

/* --csr: the user's request as is; its names become the order's. */
static int
load_user_csr(struct issue_run *run, struct issue_options *o, struct err *e)
{
	struct names from_csr = { 0 };

	if ((run->csr = csr_load(o->csr_path, e)) == NULL ||
	    csr_names(run->csr, &from_csr, e) == -1)
		goto fail;
	if (o->names.n > 0 && !names_equal(&o->names, &from_csr)) {
		err_set(e, "the names given with -d differ from those in %s; "
		    "give one or the other", o->csr_path);
		goto fail;
	}
	names_clear(&o->names);
	o->names = from_csr;
	return 0;
fail:
	names_clear(&from_csr);
	return -1;
}

/* The key in OUT/privkey.pem (renewal keeps it), or a new one; and a CSR. */
static int
prepare_key_and_csr(struct issue_run *run, struct issue_options *o,
    struct err *e)
{
	char *key_path;

	if ((key_path = store_path(run->out_dir, "privkey.pem")) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (store_exists(key_path)) {
		if (o->key_type_given)
			log_info("reusing %s; --key-type applies to new keys "
			    "only (move the file away for a new key)",
			    key_path);
		run->key = key_load(key_path, e);
	} else {
		run->key = key_generate(o->key_type, e);
		run->key_is_new = true;
	}
	free(key_path);
	if (run->key == NULL || (run->csr = csr_new(run->key, &o->names, e)) ==
	    NULL)
		return -1;
	return 0;
}

/* Names, output directory, key and CSR: everything before the CA. */
static int
prepare_request(struct issue_run *run, const struct config *cfg,
    struct issue_options *o, struct err *e)
{
	if (o->csr_path != NULL && load_user_csr(run, o, e) == -1)
		return -1;
	run->out_dir = o->out_dir != NULL ? strdup(o->out_dir) :
	    config_live_dir(cfg, o->names.v[0]);
	if (run->out_dir == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	return o->csr_path != NULL ? 0 : prepare_key_and_csr(run, o, e);
}

/* newOrder, looking the account up again if the CA forgot it. */
static int
order_new(struct issue_run *run, struct issue_options *o, struct err *e)
{
	const char *problem;

	if (acme_order_new(run->session.acme, &o->names, &run->order, e) == 0)
		return 0;
	problem = acme_last_problem(run->session.acme);
	if (problem == NULL || strcmp(problem, "accountDoesNotExist") != 0)
		return -1;
	if (account_recover(run->session.account, run->session.acme,
	    &o->account, e) == -1)
		return -1;
	return acme_order_new(run->session.acme, &o->names, &run->order, e);
}

/* Write the http-01 response of a pending authorization into the webroot. */
static int
place_response(struct issue_run *run, const struct acme_authz *authz,
    struct err *e)
{
	char *keyauth;
	int rc;

	if (authz->challenge_url == NULL) {
		log_info("%s: already authorized", authz->identifier);
		return 0;
	}
	keyauth = acme_key_authorization(authz->token,
	    run->session.account->signer);
	if (keyauth == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = challenge_put(run->webroot, authz->token, keyauth, e);
	free(keyauth);
	if (rc == -1)
		err_prefix(e, "%s", authz->identifier);
	return rc;
}

/*
 * Write every challenge file, answer every challenge, then wait: the CA
 * validates all names in parallel.
 */
static int
authorize(struct issue_run *run, struct issue_options *o, struct err *e)
{
	struct acme *acme = run->session.acme;
	struct acme_authz **authz;
	size_t n = run->order->nauthorizations, i;
	int rc = -1;

	if ((authz = calloc(n + 1, sizeof(*authz))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((run->webroot = webroot_sink_new(o->webroot, e)) == NULL ||
	    challenge_sink_check(run->webroot, e) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (acme_authz_fetch(acme, run->order->authorizations[i],
		    &authz[i], e) == -1 ||
		    place_response(run, authz[i], e) == -1)
			goto out;
	}
	for (i = 0; i < n; i++)
		if (authz[i]->challenge_url != NULL &&
		    acme_challenge_respond(acme, authz[i], e) == -1)
			goto out;
	for (i = 0; i < n; i++) {
		if (authz[i]->challenge_url == NULL)
			continue;
		if (acme_authz_wait(acme, authz[i], e) == -1)
			goto out;
		log_info("%s: validated", authz[i]->identifier);
	}
	rc = 0;
out:
	for (i = 0; authz != NULL && i < n; i++)
		acme_authz_free(authz[i]);
	free(authz);
	challenge_remove_all(run->webroot);
	return rc;
}

static int
finalize_and_download(struct issue_run *run, struct issue_options *o,
    struct err *e)
{
	char *csr64, *pem = NULL;
	EVP_PKEY *pub;
	size_t len;
	int rc;

	if ((csr64 = csr_to_b64url(run->csr, e)) == NULL)
		return -1;
	rc = acme_order_finalize(run->session.acme, run->order, csr64, e);
	free(csr64);
	if (rc == -1 || acme_certificate_download(run->session.acme,
	    run->order->certificate, &pem, &len, e) == -1)
		return -1;
	run->chain = cert_chain_parse(pem, len, e);
	free(pem);
	if (run->chain == NULL)
		return -1;
	pub = run->key ? run->key : X509_REQ_get0_pubkey(run->csr);
	return cert_check(sk_X509_value(run->chain, 0), pub, &o->names, e);
}

/* Add OUT/name to the set of files replaced together. */
static int
add_pem(struct store_set *set, const char *dir, const char *name,
    const char *text, mode_t mode, struct err *e)
{
	char *path = store_path(dir, name);
	int rc;

	if (path == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = store_set_add(set, path, text, strlen(text), mode, e);
	free(path);
	return rc;
}

/*
 * All files are written out before any replaces its old version, so a
 * full disk cannot pair a new key with an old certificate; then key
 * first, fullchain.pem (what servers usually load) last.
 */
static int
write_output(struct issue_run *run, struct err *e)
{
	int n = sk_X509_num(run->chain), rc = -1;
	char *leaf, *rest = NULL, *full = NULL, *keypem = NULL;
	struct store_set *set = NULL;

	leaf = cert_chain_pem(run->chain, 0, 1, e);
	if (leaf != NULL)
		rest = cert_chain_pem(run->chain, 1, n, e);
	if (rest != NULL)
		full = cert_chain_pem(run->chain, 0, n, e);
	if (full == NULL || store_mkdirs(run->out_dir, 0700, e) == -1)
		goto out;
	if ((set = store_set_new()) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (run->key_is_new &&
	    ((keypem = key_to_pem(run->key, e)) == NULL ||
	    add_pem(set, run->out_dir, "privkey.pem", keypem, 0600, e) == -1))
		goto out;
	if (add_pem(set, run->out_dir, "cert.pem", leaf, 0644, e) == -1 ||
	    add_pem(set, run->out_dir, "chain.pem", rest, 0644, e) == -1 ||
	    add_pem(set, run->out_dir, "fullchain.pem", full, 0644, e) == -1 ||
	    store_set_commit(set, e) == -1)
		goto out;
	rc = 0;
out:
	store_set_free(set);
	if (keypem != NULL)
		OPENSSL_cleanse(keypem, strlen(keypem));
	free(keypem);
	free(leaf);
	free(rest);
	free(full);
	return rc;
}

/* Reload the web server (or whatever the user asked for). */
static int
deploy(const char *hook, const char *out_dir, const struct names *names,
    struct err *e)
{
	char *joined, *out_var = NULL, *names_var = NULL;
	int rc = -1;

	if ((joined = names_join(names, "", " ")) != NULL &&
	    (out_var = str_fmt("ACMEC_OUT=%s", out_dir)) != NULL &&
	    (names_var = str_fmt("ACMEC_NAMES=%s", joined)) != NULL) {
		const char *env[] = { out_var, names_var, NULL };

		rc = hook_run(hook, env, HOOK_TIMEOUT, e);
	} else
		err_set(e, "out of memory");
	free(names_var);
	free(out_var);
	free(joined);
	if (rc == -1)
		err_prefix(e, "the certificate was written to %s, but",
		    out_dir);
	return rc;
}

static void
issue_run_free(struct issue_run *run)
{
	challenge_sink_free(run->webroot);
	acme_order_free(run->order);
	EVP_PKEY_free(run->key);
	X509_REQ_free(run->csr);
	if (run->chain != NULL)
		cert_chain_free(run->chain);
	free(run->out_dir);
	session_close(&run->session);
}

static void
log_issued(struct issue_run *run)
{
	time_t expiry;
	char when[32] = "?";

	if (cert_not_after(sk_X509_value(run->chain, 0), &expiry,
	    &(struct err){ 0 }) == 0)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC",
		    gmtime(&expiry));
	log_info("certificate written to %s/fullchain.pem, expires %s",
	    run->out_dir, when);
}

static int
issue(const struct config *cfg, struct issue_options *o, struct err *e)
{
	struct issue_run run = { 0 };
	int rc = -1;

	/*
	 * Locked before privkey.pem is read: an overlapping run may write it.
	 */
	session_init(&run.session);
	if (session_lock(&run.session, cfg, e) == -1 ||
	    prepare_request(&run, cfg, o, e) == -1 ||
	    session_connect(&run.session, cfg, &o->account, e) == -1)
		goto out;
	log_info("ordering a certificate for %zu name(s), first %s",
	    o->names.n, o->names.v[0]);
	if (order_new(&run, o, e) == -1 ||
	    (strcmp(run.order->status, "pending") == 0 &&
	    authorize(&run, o, e) == -1) ||
	    finalize_and_download(&run, o, e) == -1 ||
	    write_output(&run, e) == -1)
		goto out;
	log_issued(&run);
	if (o->deploy_hook != NULL &&
	    deploy(o->deploy_hook, run.out_dir, &o->names, e) == -1)
		goto out;
	rc = 0;
out:
	issue_run_free(&run);
	return rc;
}

int
cmd_issue(const struct config *cfg, int argc, char **argv)
{
	struct issue_options o = { .key_type = KEY_EC256 };
	struct err e = { "" };
	int rc;

	if (parse_issue_options(argc, argv, &o) == -1) {
		issue_usage();
		names_clear(&o.names);
		return EXIT_USAGE;
	}
	rc = issue(cfg, &o, &e);
	if (rc == -1)
		log_error("%s", e.msg);
	names_clear(&o.names);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
