/*
 * str.c - small string helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

char *
str_fmt(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

void
str_append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 < size)
		snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
		    text);
}
