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

static const struct command {
	const char	*name;
	int		(*run)(const struct config *, int, char **);
	const char	*summary;
} commands[] = {
	{ "issue",   cmd_issue,   "get a certificate, proving control with "
	    "http-01" },
	{ "account", cmd_account, "show, create, update, roll over or "
	    "deactivate the account" },
	{ "revoke",  cmd_revoke,  "revoke a certificate" },
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: acmec [--directory URL | --staging] [--ca-bundle FILE] "
	    "[--state-dir DIR]\n"
	    "             [--timeout SECONDS] [-v | -q] COMMAND [ARGS]\n\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\n"
	    "  issue -d NAME [-d NAME ...] -w WEBROOT [--agree-tos] "
	    "[--contact mailto:ADDR ...]\n"
	    "        [--key-type ec-256|ec-384|rsa-2048|rsa-3072|rsa-4096] "
	    "[--csr FILE] [--out DIR]\n"
	    "        [--eab-kid ID --eab-hmac-key KEY] "
	    "[--deploy-hook COMMAND]\n"
	    "  account show | new | update | rollover | deactivate "
	    "(see acmec(1))\n"
	    "  revoke CERT [--key CERTKEY] [--reason NAME]\n\n"
	    "exit status: 0 success, 1 failure, 2 usage error; see acmec(1)\n");
}

/* Global options; returns the index of the command in argv, or -1. */
static int
parse_global_options(int argc, char **argv, struct config *cfg)
{
	enum { OPT_DIRECTORY = 256, OPT_STAGING, OPT_CABUNDLE, OPT_STATEDIR,
	    OPT_TIMEOUT, OPT_VERSION };
	static const struct option longopts[] = {
		{ "directory", required_argument, NULL, OPT_DIRECTORY },
		{ "staging",   no_argument,	  NULL, OPT_STAGING },
		{ "ca-bundle", required_argument, NULL, OPT_CABUNDLE },
		{ "state-dir", required_argument, NULL, OPT_STATEDIR },
		{ "timeout",   required_argument, NULL, OPT_TIMEOUT },
		{ "verbose",   no_argument,	  NULL, 'v' },
		{ "quiet",     no_argument,	  NULL, 'q' },
		{ "help",      no_argument,	  NULL, 'h' },
		{ "version",   no_argument,	  NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	/* "+": stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+vqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIRECTORY:
			cfg->directory_url = optarg;
			break;
		case OPT_STAGING:
			cfg->directory_url = CONFIG_LE_STAGING;
			break;
		case OPT_CABUNDLE:
			cfg->ca_bundle = optarg;
			break;
		case OPT_STATEDIR:
			cfg->state_dir = optarg;
			break;
		case OPT_TIMEOUT:
			cfg->timeout = strtol(optarg, &end, 10);
			if (*end != '\0' || cfg->timeout < 1 ||
			    cfg->timeout > 3600) {
				fprintf(stderr, "acmec: --timeout takes 1 to "
				    "3600 seconds\n");
				return -1;
			}
			break;
		case 'v':
			log_set_level(LOG_VERBOSE);
			break;
		case 'q':
			log_set_level(LOG_QUIET);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(EXIT_OK);
		default:
			return -1;
		}
	}
	return optind < argc ? optind : -1;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	int first, rc = EXIT_USAGE;

	config_defaults(&cfg);
	if ((first = parse_global_options(argc, argv, &cfg)) == -1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[first], commands[i].name) != 0)
			continue;
		interrupt_install();
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = commands[i].run(&cfg, argc - first, argv + first);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "acmec: unknown command %s\n", argv[first]);
	usage(stderr);
	return rc;
}
