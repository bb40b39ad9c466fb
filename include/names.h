/*
 * names.h - a small owned list of identifiers: domain names (lower-cased)
 * and IP addresses (RFC 8738), kept as their normalized text
 * (inet_pton + inet_ntop: IPv4 dotted quad, IPv6 compressed and lower
 * case), so that equal addresses compare equal.  names_is_ip() tells
 * the two kinds apart: no domain name http-01 can prove parses as an
 * address.
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

/*
 * Append a copy of name (lower-cased; an IP address normalized);
 * duplicates are ignored.  -1 on ENOMEM.
 */
int names_add(struct names *list, const char *name);
bool names_contains(const struct names *list, const char *name);
/* Same set of names, in any order. */
bool names_equal(const struct names *a, const struct names *b);
/*
 * "PREFIXa SEP PREFIXb ...", e.g. ("DNS:", ",") -> "DNS:a,DNS:b"; new string.
 */
char *names_join(const struct names *list, const char *prefix,
    const char *sep);
/*
 * "added: a, b; dropped: c" (or "none") from from to to, into buf (cut at
 * size): what a change of names changes.
 */
void names_describe_change(const struct names *from, const struct names *to,
    char *buf, size_t size);
/* Frees the strings and the array; the struct itself is the caller's. */
void names_clear(struct names *list);
/*
 * If text is an IPv4 or IPv6 address, its normalized form into out
 * (INET6_ADDRSTRLEN bytes are enough) and true; else false.
 */
bool names_ip_normalize(const char *text, char *out, size_t outlen);
/* True if name is an IP address (in any form inet_pton accepts). */
bool names_is_ip(const char *name);

/* True if name is a syntactically valid DNS name (wildcard allowed). */
bool names_is_valid_dns(const char *name);

/*
 * Refuse the list unless every name is an IP address or a DNS name
 * http-01 can prove: valid (names_is_valid_dns) and no wildcard.  Names may come from a user's CSR
 * and end up in paths: "../../x" or "a/b" never pass.  The message shows
 * the name with non-printable bytes as '?'.  An empty list passes.
 */
int names_check_dns(const struct names *names, struct err *e);

/*
 * Add the dNSName and iPAddress entries of a subjectAltName; a name with
 * an embedded NUL (which could hide one name behind another) or an
 * address of neither 4 nor 16 bytes is an error.
 */
int names_add_general(const STACK_OF(GENERAL_NAME) *gens, struct names *out,
    struct err *e);

#endif
