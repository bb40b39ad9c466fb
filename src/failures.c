/*
 * failures.c - the failure-hook's environment, built in two buffers of
 * fixed size: a run in which a thousand certificates failed (the CA was
 * down) must still be able to start the hook that says so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "failures.h"

/* Kept free at the end of lines for the count of those left out. */
#define OMITTED_ROOM	64

struct failures *
failures_new(void)
{
	struct failures *f = malloc(sizeof(*f));

	if (f == NULL)
		return NULL;
	f->nfailed = (size_t)snprintf(f->failed, sizeof(f->failed),
	    "ACMEC_FAILED=");
	f->nlines = (size_t)snprintf(f->lines, sizeof(f->lines),
	    "ACMEC_FAILURES=");
	f->listed = f->omitted = 0;
	return f;
}

void
failures_free(struct failures *f)
{
	free(f);
}

/* Append to buf (len of size used) if it fits whole; its length or 0. */
static size_t __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - len) {
		buf[len] = '\0';
		return 0;
	}
	return (size_t)n;
}

/*
 * A variable is read line by line: one line per failure, and no other
 * control character (the hook runner refuses them).
 */
static void
flatten(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			s[i] = ' ';
}

void
failures_add(struct failures *f, const char *section, const char *names,
    const char *error)
{
	size_t a, b;

	a = append(f->failed, sizeof(f->failed), f->nfailed, "%s%s",
	    f->listed > 0 ? " " : "", section);
	b = append(f->lines, sizeof(f->lines) - OMITTED_ROOM, f->nlines,
	    "%s (%s): %s", section, names != NULL && *names != '\0' ?
	    names : "the names of its CSR", error);
	if (a == 0 || b == 0 || b + 1 >= sizeof(f->lines) - OMITTED_ROOM -
	    f->nlines) {
		f->failed[f->nfailed] = '\0';
		f->lines[f->nlines] = '\0';
		f->omitted++;
		return;
	}
	flatten(f->lines + f->nlines, b);
	f->nfailed += a;
	f->nlines += b;
	f->lines[f->nlines++] = '\n';
	f->lines[f->nlines] = '\0';
	f->listed++;
}

bool
failures_any(const struct failures *f)
{
	return f->listed > 0 || f->omitted > 0;
}

const char *const *
failures_env(struct failures *f)
{
	/* Written after the end, so that asking twice says it once. */
	if (f->omitted > 0)
		(void)snprintf(f->lines + f->nlines,
		    sizeof(f->lines) - f->nlines,
		    "%zu more failed: see acmec status\n", f->omitted);
	f->env[0] = f->failed;
	f->env[1] = f->lines;
	f->env[2] = NULL;
	return f->env;
}
