/*
 * usage.h - telling the user that a command line is wrong: one line that
 * says what is wrong, then where the usage is, never the whole usage.
 */
#ifndef ACMEC_USAGE_H
#define ACMEC_USAGE_H

#include <stdio.h>

/* One line of a command's option list: "--out DIR", "where to write". */
struct usage_option {
	const char	*form;
	const char	*what;
};

/*
 * Print title ("options") and one line per entry of opts (ended by a
 * { NULL } entry), the forms in a column wide enough for the usual ones.
 */
void usage_options(FILE *out, const char *title,
    const struct usage_option *opts);

/*
 * Print "acmec: WHAT" and "run 'acmec help COMMAND' for usage" (command
 * NULL: 'acmec help') on stderr.  Returns EXIT_USAGE, so that callers can
 * write "return usage_error(...)".
 */
int usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The usage error for what getopt_long(3) returned, c: '?' (an unknown or
 * ambiguous option, or a value given to an option that takes none) or ':'
 * (a value missing).  It needs opterr = 0 and an optstring that starts
 * with ':', and must be called before the next getopt_long call.  context
 * ("account show", or NULL) starts the message.  Returns EXIT_USAGE.
 */
int usage_bad_option(const char *command, const char *context, int c,
    char *const *argv);

/*
 * The usage error for an option getopt_long(3) has just returned with an
 * empty value (optarg ""): no option means anything by it, and an empty
 * path would name the current or the root directory.  Returns EXIT_USAGE.
 */
int usage_empty_value(const char *command, const char *context,
    char *const *argv);

#endif
