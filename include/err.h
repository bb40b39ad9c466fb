/*
 * err.h - the one error convention of acmec.
 *
 * Every fallible function returns 0 on success and -1 on failure (or NULL),
 * and writes a message a user can act on into a caller-owned struct err.
 * Callers add context with err_prefix(); tests assert on e->msg.
 */
#ifndef ACMEC_ERR_H
#define ACMEC_ERR_H

#include <stddef.h>

struct err {
	char msg[1024];
};

/* Replace the message. */
void err_set(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Replace the message and append errno's text. */
void err_errno(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Replace the message and append (and drain) OpenSSL's error queue. */
void err_ssl(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Add text at the end of the current message. */
void err_append(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Put "context: " in front of the current message. */
void err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
