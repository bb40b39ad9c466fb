/*
 * err.c - filling a struct err.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "err.h"

static void
err_vset(struct err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

static void
append_text(struct err *e, const char *text)
{
	size_t used = strlen(e->msg);

	if (used < sizeof(e->msg) - 1)
		snprintf(e->msg + used, sizeof(e->msg) - used, "%s", text);
}

void
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
}

void
err_errno(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	append_text(e, ": ");
	append_text(e, strerror(saved));
}

void
err_ssl(struct err *e, const char *fmt, ...)
{
	unsigned long code;
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	/* Report the deepest reason OpenSSL gives; drain the rest. */
	while ((code = ERR_get_error()) != 0) {
		ERR_error_string_n(code, buf, sizeof(buf));
		append_text(e, ": ");
		append_text(e, buf);
	}
}

void
err_append(struct err *e, const char *fmt, ...)
{
	char more[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(more, sizeof(more), fmt, ap);
	va_end(ap);
	append_text(e, more);
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;

	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	append_text(e, ": ");
	append_text(e, old);
}
