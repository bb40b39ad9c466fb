/*
 * names.h - a small owned list of domain names.
 */
#ifndef ACMEC_NAMES_H
#define ACMEC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509v3.h>

#include "err.h"

struct names {
	char	**v;
	size_t	  n;
};

/* Append a copy of name (lower-cased); duplicates are ignored. -1 on ENOMEM. */
int names_add(struct names *list, const char *name);
bool names_contains(const struct names *list, const char *name);
/* Same set of names, in any order. */
bool names_equal(const struct names *a, const struct names *b);
/*
 * "PREFIXa SEP PREFIXb ...", e.g. ("DNS:", ",") -> "DNS:a,DNS:b"; new string.
 */
char *names_join(const struct names *list, const char *prefix,
    const char *sep);
/* Frees the strings and the array; the struct itself is the caller's. */
void names_clear(struct names *list);
/* True if name is a syntactically valid DNS name (wildcard allowed). */
bool names_is_valid_dns(const char *name);

/*
 * Refuse the list unless every name is a DNS name http-01 can prove: valid
 * (names_is_valid_dns) and no wildcard.  Names may come from a user's CSR
 * and end up in paths: "../../x" or "a/b" never pass.  The message shows
 * the name with non-printable bytes as '?'.  An empty list passes.
 */
int names_check_dns(const struct names *names, struct err *e);

/*
 * Add the dNSName entries of a subjectAltName; a name with an embedded NUL
 * (which could hide one name behind another) is an error.
 */
int names_add_general(const STACK_OF(GENERAL_NAME) *gens, struct names *out,
    struct err *e);

#endif
