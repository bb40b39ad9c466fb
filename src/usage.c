/*
 * usage.c - one-line usage errors.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "usage.h"

int
usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("acmec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (command != NULL)
		fprintf(stderr, "run 'acmec help %s' for usage\n", command);
	else
		fputs("run 'acmec help' for usage\n", stderr);
	return EXIT_USAGE;
}

void
usage_options(FILE *out, const char *title, const struct usage_option *opts)
{
	fprintf(out, "%s:\n", title);
	for (; opts->form != NULL; opts++) {
		/* A long form goes on its own line rather than push the text. */
		if (strlen(opts->form) > 24)
			fprintf(out, "  %s\n  %-25s %s\n", opts->form, "",
			    opts->what);
		else
			fprintf(out, "  %-25s %s\n", opts->form, opts->what);
	}
}

/* The option getopt_long just took with its value, as typed ("--out"). */
static void
option_taken(char *const *argv, char *name, size_t size)
{
	/* "--out=" holds the value; "--out ''" and "-w ''" have it next. */
	const char *arg = optarg == argv[optind - 1] && optind > 1 ?
	    argv[optind - 2] : argv[optind - 1];

	if (strncmp(arg, "--", 2) == 0)
		snprintf(name, size, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, size, "-%c", arg[strlen(arg) - 1]);
}

int
usage_empty_value(const char *command, const char *context, char *const *argv)
{
	char name[64];

	option_taken(argv, name, sizeof(name));
	return usage_error(command, "%s%s%s needs a value, not an empty "
	    "string", context ? context : "", context ? ": " : "", name);
}

int
usage_bad_option(const char *command, const char *context, int c,
    char *const *argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char where[64], name[64];

	snprintf(where, sizeof(where), "%s%s", context ? context : "",
	    context ? ": " : "");
	/*
	 * A long option is named by the argument getopt just took (without
	 * "=value"); a short one by optopt, as it may sit in a cluster.
	 */
	if (strncmp(arg, "--", 2) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="),
		    arg);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (c == ':')
		return usage_error(command, "%s%s needs a value", where, name);
	/* glibc sets optopt for a long option only if it knows the option. */
	if (name[1] == '-' && optopt != 0)
		return usage_error(command, "%s%s takes no value", where, name);
	return usage_error(command, "%sunknown option %s", where, name);
}
