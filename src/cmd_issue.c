/*
 * cmd_issue.c - "acmec issue": fill a certificate spec from the options
 * and hand it to the engine.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "commands.h"
#include "confine.h"
#include "contact.h"
#include "eab.h"
#include "engine.h"
#include "log.h"
#include "mcsink.h"
#include "usage.h"

#define ISSUE_MAX_MEMCACHED	16

struct issue_options {
	struct cert_spec	 spec;
	const char		*contacts[ACCOUNT_MAX_CONTACTS];
	/* --memcached servers, NULL-terminated; spec.memcached once given */
	const char		*memcached[ISSUE_MAX_MEMCACHED + 1];
	size_t			 nmemcached;
	struct account_options	 account;
	const char		*eab_key_file;	/* --eab-hmac-key-file */
	char			*eab_key;	/* the key read; a secret */
	bool			 new_key;	/* --new-key: the default, said */
	bool			 help;
};

void
cmd_issue_usage(FILE *out)
{
	fprintf(out, "usage: acmec [global options] issue -d NAME "
	    "[-d NAME ...] | --csr FILE\n"
	    "           -w WEBROOT | --memcached HOST:PORT "
	    "[--memcached HOST:PORT ...]\n"
	    "           [--agree-tos] [--contact mailto:ADDR ...] "
	    "[--key-type TYPE]\n"
	    "           [--new-key | --reuse-key] [--out DIR] "
	    "[--profile NAME]\n"
	    "           [--deploy-hook COMMAND] "
	    "[--chain-trust FILE | --preferred-chain NAME]\n"
	    "           [--eab-kid ID [--eab-hmac-key-file FILE | "
	    "--eab-hmac-key KEY]]\n");
	usage_options(out, "options", (const struct usage_option[]){
	    { "-d, --domain NAME", "a DNS name or IP address (repeat for more)" },
	    { "-w, --webroot DIR", "put the http-01 files under DIR" },
	    { "--memcached HOST:PORT", "put them into memcached (repeat "
		"for more)" },
	    { "--agree-tos", "agree to the CA's terms (a new account)" },
	    { "--contact mailto:ADDR", "a contact of a new account (repeat "
		"for more)" },
	    { "--key-type TYPE", "the type of a new certificate key" },
	    { "--csr FILE", "send this CSR instead of making one" },
	    { "--new-key", "a new certificate key (the default)" },
	    { "--reuse-key", "keep the key of the certificate in place" },
	    { "--out DIR", "write the files to DIR (default "
		"STATE/live/NAME)" },
	    { "--profile NAME", "ask the CA for this certificate profile" },
	    { "--deploy-hook COMMAND", "run COMMAND after new files are "
		"written" },
	    { "--chain-trust FILE", "install the chain that verifies to a "
		"root in FILE" },
	    { "--preferred-chain NAME", "install the chain whose top issuer "
		"is NAME" },
	    { "--eab-kid ID", "external account binding key identifier" },
	    { "--eab-hmac-key-file FILE", "read its HMAC key from FILE" },
	    { "--eab-hmac-key KEY", "the HMAC key (visible in ps: prefer "
		"the file)" },
	    { "-h, --help", "print this and exit" },
	    { NULL, NULL } });
	fputs("TYPE: ec-256 (the default), ec-384, rsa-2048, rsa-3072, "
	    "rsa-4096\n", out);
}

/* One line saying what is wrong, then where to read more; -1. */
static int
issue_usage_error(const char *what, const char *arg)
{
	(void)usage_error("issue", "issue: %s%s", what, arg ? arg : "");
	return -1;
}

/* An option of one value: given twice, it is a usage error. */
static int
set_once(const char **slot, const char *arg, const char *option)
{
	if (*slot != NULL)
		return issue_usage_error(option, " given twice; give it once");
	*slot = arg;
	return 0;
}

static int
add_domain(struct issue_options *o, const char *name)
{
	if ((!names_is_valid_dns(name) || name[0] == '*') &&
	    !names_is_ip(name))
		return issue_usage_error(name, " is not a domain name http-01 "
		    "can prove (no wildcards; give international names in "
		    "xn-- form)");
	if (names_add(&o->spec.names, name) == -1) {
		fprintf(stderr, "acmec: out of memory\n");
		return -1;
	}
	return 0;
}

static int
add_memcached(struct issue_options *o, const char *arg)
{
	struct err e = { "" };

	if (o->nmemcached == ISSUE_MAX_MEMCACHED)
		return issue_usage_error("too many --memcached options "
		    "(at most 16)", NULL);
	if (mcsink_server_check(arg, &e) == -1)
		return issue_usage_error("--memcached ", e.msg);
	o->memcached[o->nmemcached++] = arg;
	o->spec.memcached = o->memcached;
	return 0;
}

static int
set_chain_trust(struct issue_options *o, const char *arg)
{
	struct err e = { "" };

	if (chain_trust_check(arg, &e) == -1)
		return issue_usage_error("--chain-trust: ", e.msg);
	return set_once(&o->spec.chain_trust, arg, "--chain-trust");
}

/* The options of the account that orders: 1 if c is none of them. */
static int
take_account_option(struct issue_options *o, int c, const char *arg)
{
	struct acme_account_request *req = &o->account.request;

	switch (c) {
	case 'a':
		o->account.create = req->agree_tos = true;
		return 0;
	case 'c':
		if (req->ncontacts == ACCOUNT_MAX_CONTACTS)
			return issue_usage_error("too many --contact options "
			    "(at most 16)", NULL);
		o->contacts[req->ncontacts++] = arg;
		req->contacts = o->contacts;
		return 0;
	case 'i':
		return set_once(&req->eab_kid, arg, "--eab-kid");
	case 'm':
		return set_once(&req->eab_hmac_key, arg, "--eab-hmac-key");
	case 'K':
		return set_once(&o->eab_key_file, arg, "--eab-hmac-key-file");
	default:
		return 1;
	}
}

/* The options of the certificate (the spec), and -h. */
static int
take_option(struct issue_options *o, int c, const char *arg)
{
	switch (c) {
	case 'd':
		return add_domain(o, arg);
	case 'w':
		return set_once(&o->spec.webroot, arg, "-w");
	case 'M':
		return add_memcached(o, arg);
	case 'k':
		if (o->spec.key_type_given)
			return issue_usage_error("--key-type given twice; give "
			    "it once", NULL);
		if (key_type_parse(arg, &o->spec.key_type) == -1)
			return issue_usage_error("unknown --key-type ", arg);
		o->spec.key_type_given = true;
		return 0;
	case 'N':
		o->new_key = true;
		return 0;
	case 'R':
		o->spec.reuse_key = true;
		return 0;
	case 'r':
		return set_once(&o->spec.csr_path, arg, "--csr");
	case 'o':
		return set_once(&o->spec.out_dir, arg, "--out");
	case 'H':
		return set_once(&o->spec.deploy_hook, arg, "--deploy-hook");
	case 'p':
		return set_once(&o->spec.profile, arg, "--profile");
	case 'T':
		return set_chain_trust(o, arg);
	case 'C':
		return set_once(&o->spec.preferred_chain, arg,
		    "--preferred-chain");
	case 'h':
		o->help = true;
		return 0;
	default:
		return take_account_option(o, c, arg) == 0 ? 0 : -1;
	}
}

/* Usage rules getopt cannot express, each with its own message. */
static int
check_options(const struct issue_options *o)
{
	const struct acme_account_request *req = &o->account.request;

	if (o->spec.webroot != NULL && o->spec.memcached != NULL)
		return issue_usage_error("-w and --memcached exclude each "
		    "other: give the webroot or the memcached servers", NULL);
	if (o->spec.webroot == NULL && o->spec.memcached == NULL)
		return issue_usage_error("-w WEBROOT is missing (the directory "
		    "your web server serves; or --memcached HOST:PORT)", NULL);
	if (o->spec.names.n == 0 && o->spec.csr_path == NULL)
		return issue_usage_error("give the names with -d NAME (or a "
		    "request with --csr FILE)", NULL);
	if (o->spec.names.n > 0 && o->spec.csr_path != NULL)
		return issue_usage_error("-d and --csr exclude each other: the "
		    "names come from the CSR", NULL);
	if (o->spec.csr_path != NULL && o->spec.key_type_given)
		return issue_usage_error("--key-type does not apply to --csr "
		    "(the CSR brings its own key)", NULL);
	if (o->new_key && o->spec.reuse_key)
		return issue_usage_error("--new-key and --reuse-key exclude "
		    "each other", NULL);
	if (o->spec.csr_path != NULL && (o->new_key || o->spec.reuse_key))
		return issue_usage_error("--new-key and --reuse-key do not "
		    "apply to --csr (the CSR brings its own key)", NULL);
	if (req->eab_hmac_key != NULL && o->eab_key_file != NULL)
		return issue_usage_error("--eab-hmac-key and --eab-hmac-key-file "
		    "exclude each other", NULL);
	if (req->eab_kid == NULL && (req->eab_hmac_key != NULL ||
	    o->eab_key_file != NULL))
		return issue_usage_error("--eab-kid and --eab-hmac-key go "
		    "together", NULL);
	if (o->spec.chain_trust != NULL && o->spec.preferred_chain != NULL)
		return issue_usage_error("--chain-trust and --preferred-chain "
		    "exclude each other: the chain that verifies is the one "
		    "to install", NULL);
	if (req->eab_kid != NULL && req->eab_hmac_key == NULL &&
	    o->eab_key_file == NULL && getenv(EAB_KEY_ENV) == NULL)
		return issue_usage_error("--eab-kid needs the HMAC key: "
		    "--eab-hmac-key-file FILE, " EAB_KEY_ENV " in the "
		    "environment, or --eab-hmac-key KEY", NULL);
	/* Before anything is written or sent: the CA would refuse it. */
	for (size_t i = 0; i < req->ncontacts; i++) {
		struct err e = { "" };
		if (contact_check(req->contacts[i], &e) == -1)
			return issue_usage_error(e.msg, NULL);
	}
	return 0;
}

static int
parse_issue_options(int argc, char **argv, struct issue_options *o)
{
	static const struct option longopts[] = {
		{ "domain",	  required_argument, NULL, 'd' },
		{ "webroot",	  required_argument, NULL, 'w' },
		{ "memcached",	  required_argument, NULL, 'M' },
		{ "agree-tos",	  no_argument,	     NULL, 'a' },
		{ "contact",	  required_argument, NULL, 'c' },
		{ "key-type",	  required_argument, NULL, 'k' },
		{ "csr",	  required_argument, NULL, 'r' },
		{ "new-key",	  no_argument,	     NULL, 'N' },
		{ "reuse-key",	  no_argument,	     NULL, 'R' },
		{ "out",	  required_argument, NULL, 'o' },
		{ "eab-kid",	  required_argument, NULL, 'i' },
		{ "eab-hmac-key", required_argument, NULL, 'm' },
		{ "eab-hmac-key-file", required_argument, NULL, 'K' },
		{ "deploy-hook",  required_argument, NULL, 'H' },
		{ "profile",	  required_argument, NULL, 'p' },
		{ "chain-trust",  required_argument, NULL, 'T' },
		{ "preferred-chain", required_argument, NULL, 'C' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 0;	/* glibc: also reset its permutation state */
	opterr = 0;	/* usage_bad_option says it in one line */
	/* Short forms only for -d, -w and -h: the rest are long options. */
	while ((c = getopt_long(argc, argv, ":d:w:h", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			(void)usage_bad_option("issue", "issue", c, argv);
			return -1;
		}
		if (optarg != NULL && optarg[0] == '\0') {
			(void)usage_empty_value("issue", "issue", argv);
			return -1;
		}
		if (take_option(o, c, optarg) == -1)
			return -1;
	}
	o->account.request.contacts = o->contacts;
	if (o->help)
		return 0;
	if (optind != argc)
		return issue_usage_error("unexpected argument ", argv[optind]);
	return check_options(o);
}

int
cmd_issue(const struct config *cfg, int argc, char **argv)
{
	struct issue_options o = { .spec = { .key_type = KEY_EC256 } };
	struct engine_result result;
	struct config confined = *cfg;
	struct confine conf;
	struct session s;
	struct err e = { "" };
	int rc = EXIT_USAGE;

	confine_init(&conf);
	if (parse_issue_options(argc, argv, &o) == -1)
		goto out;
	if (o.help) {
		cmd_issue_usage(stdout);
		rc = EXIT_OK;
		goto out;
	}
	/*
	 * A valid command line this build cannot carry out: a failure (1),
	 * not a usage error (2), as for a renewal config asking the same.
	 */
	if (o.spec.memcached != NULL && !mcsink_available()) {
		log_error("%s", MCSINK_UNAVAILABLE);
		rc = EXIT_FAIL;
		goto out;
	}
	if (o.account.request.eab_kid != NULL && eab_key_get(
	    o.account.request.eab_hmac_key, o.eab_key_file, &o.eab_key,
	    &e) == -1) {
		log_error("%s", e.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	if (o.eab_key != NULL)
		o.account.request.eab_hmac_key = o.eab_key;
	if (confine_add_spec(&conf, &o.spec, &e) == -1 ||
	    confine_start_hooks(&conf, cfg, &o.spec.deploy_hook, 1, &e) ==
	    -1) {
		log_error("%s", e.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	confine_apply(&conf, &confined);
	session_init(&s);
	rc = engine_run(&s, &confined, &o.account, 1, &o.spec, 1, &result) ==
	    0 ? EXIT_OK : EXIT_FAIL;
	session_close(&s);
	if (rc != EXIT_OK)
		log_error("%s", result.err.msg);
	engine_result_clear(&result);
out:
	confine_free(&conf);
	eab_key_free(o.eab_key);
	names_clear(&o.spec.names);
	return rc;
}
