/*
 * chain.c - alternate chains: Link header parsing (RFC 8288) and the
 * choice of a chain by verification against a trust file or by the name
 * of its top issuer.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "chain.h"
#include "log.h"
#include "acme.h"

#define CHAIN_URL_MAX	2048

void
chain_urls_free(char **urls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

/* ------------------------------------------------------- Link headers */

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool
is_tchar(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * A parameter value at *pp: token or quoted-string (backslash escapes),
 * copied into out (truncated to outlen - 1).  false if malformed.
 */
static bool
param_value(const char **pp, char *out, size_t outlen)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p == '\0')
				return false;
			if (n + 1 < outlen)
				out[n++] = *p;
		}
		p++;
	} else {
		if (!is_tchar((unsigned char)*p))
			return false;
		for (; is_tchar((unsigned char)*p); p++)
			if (n + 1 < outlen)
				out[n++] = *p;
	}
	out[n] = '\0';
	*pp = p;
	return true;
}

/* rel's value is a space-separated list of relation types. */
static bool
rel_has_alternate(const char *rel)
{
	const char *p = rel;

	while (*p != '\0') {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t");
		if (len == 9 && strncasecmp(p, "alternate", 9) == 0)
			return true;
		p += len;
	}
	return false;
}

/*
 * Only absolute https URLs of printable ASCII, no spaces: a relative one
 * would have to be resolved against the request URL, and checked to stay
 * https on the same host; no CA is known to send one, so it is refused.
 */
static bool
url_is_acceptable(const char *url)
{
	if (strncasecmp(url, "https://", 8) == 0 && url[8] != '\0' &&
	    url[8] != '/' && strlen(url) <= CHAIN_URL_MAX) {
		for (const char *p = url; *p != '\0'; p++)
			if (!isgraph((unsigned char)*p))
				return false;
		return true;
	}
	return false;
}

static int
add_url(char ***urls, size_t *n, const char *base_url, const char *url)
{
	char **grown, *copy;

	if (base_url != NULL && strcmp(url, base_url) == 0)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*urls)[i], url) == 0)
			return 0;
	if (*n >= CHAIN_ALTERNATES_MAX) {
		log_verbose("more than %d alternate chains: ignoring the rest",
		    CHAIN_ALTERNATES_MAX);
		return 0;
	}
	if ((copy = strdup(url)) == NULL ||
	    (grown = realloc(*urls, (*n + 1) * sizeof(**urls))) == NULL) {
		free(copy);
		return -1;
	}
	*urls = grown;
	(*urls)[(*n)++] = copy;
	return 0;
}

/*
 * One Link header value: link-value *( "," link-value ), each
 * "<" URI-Reference ">" *( ";" link-param ).  A malformed value ends the
 * parsing of this header (what came before it is kept).
 */
static int
parse_link_header(const char *value, const char *base_url, char ***urls,
    size_t *n)
{
	const char *p = value, *end;
	char url[CHAIN_URL_MAX + 1], name[32], pval[256];
	size_t len;
	bool alternate;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (*p != '<' || (end = strchr(p + 1, '>')) == NULL)
			return 0;
		len = (size_t)(end - p - 1);
		if (len > CHAIN_URL_MAX)
			return 0;
		memcpy(url, p + 1, len);
		url[len] = '\0';
		p = skip_ws(end + 1);
		alternate = false;
		while (*p == ';') {
			size_t nlen = 0;

			p = skip_ws(p + 1);
			while (is_tchar((unsigned char)*p) && *p != '*') {
				if (nlen + 1 < sizeof(name))
					name[nlen++] = *p;
				p++;
			}
			name[nlen] = '\0';
			if (*p == '*')	/* rel*=: RFC 8187 encoding; not rel */
				p++;
			p = skip_ws(p);
			pval[0] = '\0';
			if (*p == '=') {
				p = skip_ws(p + 1);
				if (!param_value(&p, pval, sizeof(pval)))
					return 0;
			}
			if (strcasecmp(name, "rel") == 0 &&
			    rel_has_alternate(pval))
				alternate = true;
			p = skip_ws(p);
		}
		if (*p != ',' && *p != '\0')
			return 0;
		if (!alternate)
			continue;
		if (!url_is_acceptable(url)) {
			char *shown = acme_sanitize(url);
			log_verbose("ignoring alternate chain %s: only "
			    "absolute https URLs are followed",
			    shown ? shown : "?");
			free(shown);
			continue;
		}
		if (add_url(urls, n, base_url, url) == -1)
			return -1;
	}
}

int
chain_links_alternate(const struct http_response *r, const char *base_url,
    char ***urls, size_t *n, struct err *e)
{
	*urls = NULL;
	*n = 0;
	for (size_t i = 0; i < r->nlinks; i++) {
		if (parse_link_header(r->links[i], base_url, urls, n) == -1) {
			chain_urls_free(*urls, *n);
			*urls = NULL;
			*n = 0;
			err_set(e, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* -------------------------------------------------------------- choice */

char *
chain_top_issuer(STACK_OF(X509) *chain)
{
	X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
	const X509_NAME *issuer = top != NULL ? X509_get_issuer_name(top) :
	    NULL;
	char buf[256] = "?";

	if (issuer == NULL)
		return strdup("?");
	if (X509_NAME_get_text_by_NID((X509_NAME *)issuer, NID_commonName,
	    buf, sizeof(buf)) <= 0)
		X509_NAME_oneline(issuer, buf, sizeof(buf));
	return acme_sanitize(buf);
}

static X509_STORE *
load_trust(const char *trust_file, struct err *e)
{
	X509_STORE *store;
	int count;

	if ((store = X509_STORE_new()) == NULL ||
	    !X509_STORE_load_file(store, trust_file)) {
		err_ssl(e, "cannot read the trusted roots in %s", trust_file);
		X509_STORE_free(store);
		return NULL;
	}
	count = sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
	if (count <= 0) {
		err_set(e, "%s holds no certificate", trust_file);
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

int
chain_trust_check(const char *trust_file, struct err *e)
{
	X509_STORE *store;

	if ((store = load_trust(trust_file, e)) == NULL)
		return -1;
	X509_STORE_free(store);
	return 0;
}

/* 1 if chain verifies against store, 0 if not (*why says why), -1. */
static int
chain_verifies(X509_STORE *store, STACK_OF(X509) *chain, const char **why)
{
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *untrusted;
	int rc = -1;

	*why = "cannot verify";
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    (untrusted = sk_X509_dup(chain)) == NULL) {
		X509_STORE_CTX_free(ctx);
		return -1;
	}
	(void)sk_X509_shift(untrusted);	/* the leaf */
	if (X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0),
	    untrusted) &&
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER)) {
		rc = X509_verify_cert(ctx) == 1;
		if (rc == 0)
			*why = X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(ctx));
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return rc;
}

static const char *
chain_label(size_t i, char *buf, size_t len)
{
	if (i == 0)
		return "the default chain";
	snprintf(buf, len, "alternate %zu", i);
	return buf;
}

static int
choose_by_trust(STACK_OF(X509) *const *chains, size_t n,
    const char *trust_file, size_t *chosen, struct err *e)
{
	X509 *leaf = sk_X509_value(chains[0], 0);
	char why_all[768] = "", item[256], label[32], *issuer;
	X509_STORE *store;
	const char *why;
	int rc = -1, v;

	if ((store = load_trust(trust_file, e)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && X509_cmp(sk_X509_value(chains[i], 0), leaf) != 0) {
			v = 0;
			why = "another leaf certificate than the default's";
		} else if ((v = chain_verifies(store, chains[i], &why)) == -1) {
			err_set(e, "out of memory");
			goto out;
		}
		if (v == 1) {
			*chosen = i;
			rc = 0;
			goto out;
		}
		issuer = chain_top_issuer(chains[i]);
		snprintf(item, sizeof(item), "%s%s (top issuer %s): %s",
		    why_all[0] ? "; " : "", chain_label(i, label,
		    sizeof(label)), issuer ? issuer : "?", why);
		free(issuer);
		if (strlen(why_all) + strlen(item) < sizeof(why_all))
			strcat(why_all, item);
	}
	err_set(e, "no chain the CA offers verifies against the roots in "
	    "%s: %s", trust_file, why_all);
out:
	X509_STORE_free(store);
	return rc;
}

int
chain_choose(STACK_OF(X509) *const *chains, size_t n,
    const char *trust_file, const char *preferred, size_t *chosen,
    struct err *e)
{
	X509 *leaf;

	*chosen = 0;
	if (n == 0 || sk_X509_num(chains[0]) < 1) {
		err_set(e, "no certificate chain to choose from");
		return -1;
	}
	if (trust_file != NULL)
		return choose_by_trust(chains, n, trust_file, chosen, e);
	if (preferred == NULL)
		return 0;
	leaf = sk_X509_value(chains[0], 0);
	for (size_t i = 0; i < n; i++) {
		char *issuer;
		bool match;

		if (X509_cmp(sk_X509_value(chains[i], 0), leaf) != 0)
			continue;
		issuer = chain_top_issuer(chains[i]);
		match = issuer != NULL && strcmp(issuer, preferred) == 0;
		free(issuer);
		if (match) {
			*chosen = i;
			return 0;
		}
	}
	log_verbose("no chain's top issuer is %s: keeping the default chain",
	    preferred);
	return 0;
}
