/*
 * chain.h - alternate certificate chains (RFC 8555 section 7.4.2): the
 * URLs a CA offers in Link headers, and the choice among the chains, by
 * verifying them against the roots the site's clients trust or by the
 * name of their top issuer.
 *
 * Every chain and URL here comes from the CA and is untrusted.
 */
#ifndef ACMEC_CHAIN_H
#define ACMEC_CHAIN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "err.h"
#include "http.h"

#define CHAIN_ALTERNATES_MAX	8	/* alternates looked at; more ignored */

/*
 * The targets of r's Link headers with relation "alternate" (RFC 8288:
 * several links per header, several relation types per rel, quoted or
 * not), in the CA's order, without duplicates, at most
 * CHAIN_ALTERNATES_MAX.  Only absolute https URLs are taken: a relative
 * or http target is skipped (said with -v), base_url (the request's) is
 * only used to leave out a link to the same chain.  *urls is new (free
 * with chain_urls_free), possibly NULL with *n 0.  -1 only out of memory.
 */
int chain_links_alternate(const struct http_response *r,
    const char *base_url, char ***urls, size_t *n, struct err *e);
void chain_urls_free(char **urls, size_t n);

/*
 * Check that trust_file holds at least one certificate, so a typo fails
 * before an order is placed.
 */
int chain_trust_check(const char *trust_file, struct err *e);

/*
 * Pick one of chains[0..n): chains[0] is the default chain, the others
 * the alternates in the CA's order; each leaf first.  An alternate whose
 * leaf is not the default's is never picked.
 *
 * - trust_file set: the first chain that verifies (OpenSSL
 *   X509_verify_cert, purpose sslserver, now) from its leaf to a root in
 *   trust_file, with intermediates from that chain only.  If none does,
 *   -1, and the message lists each chain's top issuer and why.
 * - else preferred set: the first chain whose topmost certificate's
 *   issuer CN is preferred; the default if none.
 * - else the default.
 *
 * *chosen is the index.  Chains stay the caller's.
 */
int chain_choose(STACK_OF(X509) *const *chains, size_t n,
    const char *trust_file, const char *preferred, size_t *chosen,
    struct err *e);

/*
 * The issuer of the topmost certificate of chain: its CN, or the whole
 * name if it has none, printable ASCII only; new string (NULL out of
 * memory).
 */
char *chain_top_issuer(STACK_OF(X509) *chain);

#endif
