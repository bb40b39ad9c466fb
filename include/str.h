/*
 * str.h - small string helpers.
 */
#ifndef ACMEC_STR_H
#define ACMEC_STR_H

#include <stddef.h>

/* A new string formatted like printf, or NULL on ENOMEM. */
char *str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append text to the NUL-terminated buf, after ", " unless buf is empty. */
void str_append(char *buf, size_t size, const char *text);

#endif
