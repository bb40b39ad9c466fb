/*
 * log.h - what acmec tells the user.
 *
 * The log level is the only global in acmec: -q silences progress, -v adds
 * one line per HTTP request.  Secrets are never passed to these functions.
 */
#ifndef ACMEC_LOG_H
#define ACMEC_LOG_H

enum log_level {
	LOG_QUIET = 0,		/* errors only */
	LOG_NORMAL = 1,		/* one line per step a user cares about */
	LOG_VERBOSE = 2,	/* plus one line per request */
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Progress, on stdout; silent under -q. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Request traces, on stderr; only under -v. */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warnings and errors, on stderr; always shown. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
