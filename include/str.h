/*
 * str.h - small string helpers.
 */
#ifndef ACMEC_STR_H
#define ACMEC_STR_H

/* A new string formatted like printf, or NULL on ENOMEM. */
char *str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
