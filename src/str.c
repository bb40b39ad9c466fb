/*
 * str.c - small string helpers.
 */
#include <stdarg.h>
#include <stdio.h>

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
