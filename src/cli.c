/*
 * cli.c - acmec's main: global options, then a table of sub-commands.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "commands.h"
#include "config.h"
#include "interrupt.h"
#include "log.h"
#include "netproc.h"
#include "sandbox.h"
#include "usage.h"

static int cmd_help(const struct config *, int, char **);
static void cmd_help_usage(FILE *);

static const struct command {
	const char	*name;
	int		(*run)(const struct config *, int, char **);
	void		(*usage)(FILE *);
	const char	*summary;
} commands[] = {
	{ "issue",   cmd_issue,   cmd_issue_usage,   "get a certificate, "
	    "proving control with http-01" },
	{ "account", cmd_account, cmd_account_usage, "show, create, update, "
	    "roll over or deactivate the account" },
	{ "revoke",  cmd_revoke,  cmd_revoke_usage,  "revoke a certificate" },
	{ "renew",   cmd_renew,   cmd_renew_usage,   "renew the certificates of "
	    "the config that are due" },
	{ "status",  cmd_status,  cmd_status_usage,  "show the certificates of "
	    "the config and their state" },
	{ "help",    cmd_help,    cmd_help_usage,    "print the usage of acmec "
	    "or of a command" },
};

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: acmec [--directory URL | --staging] [--ca-bundle FILE] "
	    "[--state-dir DIR]\n"
	    "             [--timeout SECONDS] [--sandbox MODE] [-v | -q] COMMAND "
	    "[ARGS]\n"
	    "       acmec help [COMMAND]\n"
	    "       acmec [COMMAND] -h | --help\n"
	    "       acmec --version\n\n");
	usage_options(out, "options", (const struct usage_option[]){
	    { "--directory URL", "the CA's ACME directory (default: Let's "
		"Encrypt)" },
	    { "--staging", "Let's Encrypt's staging directory" },
	    { "--ca-bundle FILE", "also trust these anchors for the CA's TLS" },
	    { "--state-dir DIR", "keep state in DIR (default /etc/acmec)" },
	    { "--timeout SECONDS", "give up on a request after SECONDS "
		"(default 30)" },
	    { "--sandbox MODE", "sandbox layers: auto (default), require or "
		"off" },
	    { "-v, --verbose", "also print each HTTP request" },
	    { "-q, --quiet", "print nothing when all goes well" },
	    { "-h, --help", "print this and exit" },
	    { "--version", "print the version and exit" },
	    { NULL, NULL } });
	fputs("\ncommands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\n"
	    "'acmec help COMMAND' or 'acmec COMMAND --help' shows the options "
	    "of a command.\n"
	    "exit status: 0 success, 1 failure, 2 usage error; see acmec(1)\n");
}

static void
cmd_help_usage(FILE *out)
{
	fprintf(out, "usage: acmec help [COMMAND]\n");
}

/* "acmec help [COMMAND]": the usage on stdout, as asked, so exit 0. */
static int
cmd_help(const struct config *cfg, int argc, char **argv)
{
	const struct command *cmd;

	(void)cfg;
	if (argc == 1) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return usage_error("help", "help takes one command, not %d",
		    argc - 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		cmd = find_command("help");
	else if ((cmd = find_command(argv[1])) == NULL)
		return usage_error(NULL, "unknown command %s", argv[1]);
	cmd->usage(stdout);
	return EXIT_OK;
}

/* The global options without a short form. */
enum { OPT_DIRECTORY = 256, OPT_STAGING, OPT_CABUNDLE, OPT_STATEDIR,
    OPT_TIMEOUT, OPT_SANDBOX, OPT_VERSION };

/* The value of global option c; -1 after a usage error. */
static int
global_option(int c, struct config *cfg)
{
	struct err e = { "" };
	char *end;

	switch (c) {
	case OPT_DIRECTORY:
		cfg->directory_url = optarg;
		cfg->given |= CONFIG_GIVEN_DIRECTORY;
		break;
	case OPT_STAGING:
		cfg->directory_url = CONFIG_LE_STAGING;
		cfg->given |= CONFIG_GIVEN_DIRECTORY;
		break;
	case OPT_CABUNDLE:
		cfg->ca_bundle = optarg;
		cfg->given |= CONFIG_GIVEN_CA_BUNDLE;
		break;
	case OPT_STATEDIR:
		cfg->state_dir = optarg;
		cfg->given |= CONFIG_GIVEN_STATE_DIR;
		break;
	case OPT_TIMEOUT:
		cfg->given |= CONFIG_GIVEN_TIMEOUT;
		cfg->timeout = strtol(optarg, &end, 10);
		if (*end != '\0' || end == optarg || cfg->timeout < 1 ||
		    cfg->timeout > 3600) {
			usage_error(NULL, "--timeout %s: give 1 to 3600 "
			    "seconds", optarg);
			return -1;
		}
		break;
	case OPT_SANDBOX:
		cfg->given |= CONFIG_GIVEN_SANDBOX;
		if (sandbox_mode_parse(optarg, &cfg->sandbox, &e) == -1) {
			usage_error(NULL, "%s", e.msg);
			return -1;
		}
		break;
	case 'v':
		log_set_level(LOG_VERBOSE);
		break;
	case 'q':
		log_set_level(LOG_QUIET);
		break;
	}
	return 0;
}

#define SEEN(opt)	seen[(opt) - OPT_DIRECTORY]

/*
 * Options that contradict each other, or a value given twice, are refused
 * rather than the last one winning: a command line that says both
 * probably means neither.  SEEN(opt) counts the long options, seen_v and
 * seen_q the short ones.
 */
static int
global_conflicts(const int *seen, int seen_v, int seen_q)
{
	static const struct { int opt; const char *name; } values[] = {
		{ OPT_DIRECTORY, "--directory" },
		{ OPT_CABUNDLE, "--ca-bundle" },
		{ OPT_STATEDIR, "--state-dir" },
		{ OPT_TIMEOUT, "--timeout" },
		{ OPT_SANDBOX, "--sandbox" },
	};

	if (SEEN(OPT_STAGING) && SEEN(OPT_DIRECTORY))
		return usage_error(NULL, "--staging and --directory exclude "
		    "each other");
	if (seen_v && seen_q)
		return usage_error(NULL, "-v and -q exclude each other");
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (SEEN(values[i].opt) > 1)
			return usage_error(NULL, "%s given twice; give it "
			    "once", values[i].name);
	return 0;
}

/*
 * Global options; the index of the command in argv (argc if there is
 * none), or -1 after a usage error.  --help and --version exit here.
 */
static int
parse_global_options(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "directory", required_argument, NULL, OPT_DIRECTORY },
		{ "staging",   no_argument,	  NULL, OPT_STAGING },
		{ "ca-bundle", required_argument, NULL, OPT_CABUNDLE },
		{ "state-dir", required_argument, NULL, OPT_STATEDIR },
		{ "timeout",   required_argument, NULL, OPT_TIMEOUT },
		{ "sandbox",   required_argument, NULL, OPT_SANDBOX },
		{ "verbose",   no_argument,	  NULL, 'v' },
		{ "quiet",     no_argument,	  NULL, 'q' },
		{ "help",      no_argument,	  NULL, 'h' },
		{ "version",   no_argument,	  NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	int c, seen[OPT_VERSION - OPT_DIRECTORY] = { 0 }, seen_v = 0;
	int seen_q = 0;

	opterr = 0;	/* our messages, not getopt's */
	/* "+": stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+:vqh", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			usage_bad_option(NULL, NULL, c, argv);
			return -1;
		}
		if (c == 'h') {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (c == OPT_VERSION) {
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(EXIT_OK);
		}
		if (optarg != NULL && optarg[0] == '\0') {
			usage_empty_value(NULL, NULL, argv);
			return -1;
		}
		if (global_option(c, cfg) == -1)
			return -1;
		if (c >= OPT_DIRECTORY && c < OPT_VERSION)
			SEEN(c)++;
		seen_v += c == 'v';
		seen_q += c == 'q';
	}
	opterr = 1;	/* commands that still rely on getopt's messages */
	if (global_conflicts(seen, seen_v, seen_q) != 0)
		return -1;
	return optind;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct config cfg;
	struct err e;
	int first, rc;

	config_defaults(&cfg);
	if ((first = parse_global_options(argc, argv, &cfg)) == -1)
		return EXIT_USAGE;
	if (first == argc)
		return usage_error(NULL, "no command given");
	if ((cmd = find_command(argv[first])) == NULL)
		return usage_error(NULL, "unknown command %s", argv[first]);
	interrupt_install();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* First: the process that talks to the CA must never see a key. */
	if ((cfg.network = netproc_start(&e)) == NULL) {
		log_error("%s", e.msg);
		return EXIT_FAIL;
	}
	rc = cmd->run(&cfg, argc - first, argv + first);
	netproc_free(cfg.network);
	curl_global_cleanup();
	return rc;
}
