/*
 * test_chain.c - alternate chains: Link header parsing (RFC 8288, as
 * RFC 8555 section 7.4.2 uses it) and the choice of a chain, with a test
 * PKI made here: roots A, B and C, one intermediate key certified by A
 * and by B, and root A cross-signed by B.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chain.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------- Link headers */

/* The alternates of a response with these Link header values. */
static size_t
alternates(const char *base, char ***urls, const char **links, size_t n)
{
	struct http_response r = { .links = (char **)links, .nlinks = n };
	struct err e = { "" };
	size_t got;

	assert_int_equal(chain_links_alternate(&r, base, urls, &got, &e), 0);
	return got;
}

static void
chain_links_alternate__reads_several_links_and_rel_values_per_header(
    void **state)
{
	const char *links[] = {
		"<https://ca.example/cert/1/1>;rel=\"alternate up\", "
		"<https://ca.example/issuer>; rel=up, "
		"<https://ca.example/cert/1/2>; title=\"x, y; rel=alternate\"; "
		"rel=ALTERNATE",
	};
	char **urls;

	(void)state;
	assert_int_equal(alternates(NULL, &urls, links, NITEMS(links)), 2);
	assert_string_equal(urls[0], "https://ca.example/cert/1/1");
	assert_string_equal(urls[1], "https://ca.example/cert/1/2");
	chain_urls_free(urls, 2);
}

static void
chain_links_alternate__keeps_the_cas_order_over_headers_without_duplicates(
    void **state)
{
	const char *links[] = {
		"<https://ca.example/cert/1/2>;rel=\"alternate\"",
		"<https://ca.example/directory>;rel=\"index\"",
		"<https://ca.example/cert/1/1>;rel=\"alternate\"",
		"<https://ca.example/cert/1/2>;rel=\"alternate\"",
		"<https://ca.example/cert/1>;rel=\"alternate\"",
	};
	char **urls;

	(void)state;
	/* The last one is the request's own URL: the default chain. */
	assert_int_equal(alternates("https://ca.example/cert/1", &urls, links,
	    NITEMS(links)), 2);
	assert_string_equal(urls[0], "https://ca.example/cert/1/2");
	assert_string_equal(urls[1], "https://ca.example/cert/1/1");
	chain_urls_free(urls, 2);
}

static void
chain_links_alternate__takes_only_absolute_https_urls(void **state)
{
	const char *links[] = {
		"</cert/1/1>;rel=alternate, <cert/1/2>;rel=alternate",
		"<http://ca.example/cert/1/3>;rel=alternate",
		"<https:///cert/1/4>;rel=alternate",
		"<https://ca.example/a b>;rel=alternate",
		"<HTTPS://ca.example/cert/1/5>;rel=alternate",
	};
	char **urls;

	(void)state;
	assert_int_equal(alternates("https://ca.example/cert/1", &urls, links,
	    NITEMS(links)), 1);
	assert_string_equal(urls[0], "HTTPS://ca.example/cert/1/5");
	chain_urls_free(urls, 1);
}

static void
chain_links_alternate__stops_a_header_at_malformed_text(void **state)
{
	const char *links[] = {
		"<https://ca.example/1>;rel=alternate, garbage, "
		"<https://ca.example/2>;rel=alternate",
		"<https://ca.example/3>;rel=\"alternate",	/* unclosed */
		"<https://ca.example/4;rel=alternate",		/* no '>' */
		"<https://ca.example/5>;rel=alternate",
	};
	char **urls;

	(void)state;
	assert_int_equal(alternates(NULL, &urls, links, NITEMS(links)), 2);
	assert_string_equal(urls[0], "https://ca.example/1");
	assert_string_equal(urls[1], "https://ca.example/5");
	chain_urls_free(urls, 2);
}

static void
chain_links_alternate__takes_at_most_the_maximum(void **state)
{
	char text[2048] = "";
	const char *links[1] = { text };
	char **urls;

	(void)state;
	for (int i = 0; i < CHAIN_ALTERNATES_MAX + 3; i++) {
		char one[64];
		snprintf(one, sizeof(one), "%s<https://ca.example/%d>;"
		    "rel=alternate", i ? "," : "", i);
		strcat(text, one);
	}
	assert_int_equal(alternates(NULL, &urls, links, 1),
	    CHAIN_ALTERNATES_MAX);
	chain_urls_free(urls, CHAIN_ALTERNATES_MAX);
}

static void
chain_links_alternate__gives_none_without_links(void **state)
{
	char **urls;

	(void)state;
	assert_int_equal(alternates(NULL, &urls, NULL, 0), 0);
	assert_null(urls);
}

/* ------------------------------------------------------------ test PKI */

struct pki {
	struct tmpdir	 dir;
	EVP_PKEY	*key_a, *key_b, *key_c, *key_int, *key_leaf;
	X509		*root_a, *root_b, *root_c;
	X509		*int_by_a, *int_by_b, *a_by_b;
	X509		*leaf, *other_leaf, *client_leaf;
	char		*trust_a, *trust_b, *trust_c, *trust_empty;
};

static void
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_true(X509_add_ext(cert, ext, -1));
	X509_EXTENSION_free(ext);
}

/* A certificate for cn's key pub, signed by issuer_key as issuer_cn. */
static X509 *
make_cert(const char *cn, EVP_PKEY *pub, const char *issuer_cn,
    EVP_PKEY *issuer_key, const char *eku)
{
	static long serial = 1;
	X509 *c = X509_new();
	X509_NAME *name;

	assert_non_null(c);
	assert_true(X509_set_version(c, 2));
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	name = X509_get_issuer_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)issuer_cn, -1, -1, 0);
	assert_true(X509_set_pubkey(c, pub));
	if (eku == NULL) {
		add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(c, c, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, c, NID_ext_key_usage, eku);
		add_ext(c, c, NID_subject_alt_name, "DNS:www.example.com");
	}
	assert_true(X509_sign(c, issuer_key, EVP_sha256()) > 0);
	return c;
}

static char *
write_roots(struct pki *p, const char *name, X509 *root)
{
	char *path = path_in(p->dir.path, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (root != NULL)
		assert_true(PEM_write_X509(f, root));
	fclose(f);
	return path;
}

static int
pki_setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	if (p == NULL || tmpdir_create(&p->dir, "chain") == -1)
		return -1;
	p->key_a = EVP_EC_gen("P-256");
	p->key_b = EVP_EC_gen("P-256");
	p->key_c = EVP_EC_gen("P-256");
	p->key_int = EVP_EC_gen("P-256");
	p->key_leaf = EVP_EC_gen("P-256");
	p->root_a = make_cert("Root A", p->key_a, "Root A", p->key_a, NULL);
	p->root_b = make_cert("Root B", p->key_b, "Root B", p->key_b, NULL);
	p->root_c = make_cert("Root C", p->key_c, "Root C", p->key_c, NULL);
	p->int_by_a = make_cert("Int", p->key_int, "Root A", p->key_a, NULL);
	p->int_by_b = make_cert("Int", p->key_int, "Root B", p->key_b, NULL);
	p->a_by_b = make_cert("Root A", p->key_a, "Root B", p->key_b, NULL);
	p->leaf = make_cert("www.example.com", p->key_leaf, "Int",
	    p->key_int, "serverAuth");
	p->other_leaf = make_cert("www.example.com", p->key_leaf, "Int",
	    p->key_int, "serverAuth");
	p->client_leaf = make_cert("www.example.com", p->key_leaf, "Int",
	    p->key_int, "clientAuth");
	p->trust_a = write_roots(p, "a.pem", p->root_a);
	p->trust_b = write_roots(p, "b.pem", p->root_b);
	p->trust_c = write_roots(p, "c.pem", p->root_c);
	p->trust_empty = write_roots(p, "empty.pem", NULL);
	*state = p;
	return 0;
}

static int
pki_teardown(void **state)
{
	struct pki *p = *state;

	EVP_PKEY_free(p->key_a);
	EVP_PKEY_free(p->key_b);
	EVP_PKEY_free(p->key_c);
	EVP_PKEY_free(p->key_int);
	EVP_PKEY_free(p->key_leaf);
	X509_free(p->root_a);
	X509_free(p->root_b);
	X509_free(p->root_c);
	X509_free(p->int_by_a);
	X509_free(p->int_by_b);
	X509_free(p->a_by_b);
	X509_free(p->leaf);
	X509_free(p->other_leaf);
	X509_free(p->client_leaf);
	free(p->trust_a);
	free(p->trust_b);
	free(p->trust_c);
	free(p->trust_empty);
	tmpdir_remove(&p->dir);
	free(p);
	return 0;
}

/* A chain of the given certificates (borrowed: the stack holds them). */
static STACK_OF(X509) *
chain_of(X509 *leaf, X509 *a, X509 *b)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	assert_non_null(s);
	sk_X509_push(s, leaf);
	if (a != NULL)
		sk_X509_push(s, a);
	if (b != NULL)
		sk_X509_push(s, b);
	return s;
}

/* The usual offer: default via A, alternate via B, alternate cross-signed. */
struct offer {
	STACK_OF(X509)	*c[3];
};

static void
offer_make(struct pki *p, struct offer *o)
{
	o->c[0] = chain_of(p->leaf, p->int_by_a, NULL);
	o->c[1] = chain_of(p->leaf, p->int_by_b, NULL);
	o->c[2] = chain_of(p->leaf, p->int_by_a, p->a_by_b);
}

static void
offer_free(struct offer *o)
{
	for (size_t i = 0; i < NITEMS(o->c); i++)
		sk_X509_free(o->c[i]);
}

static void
chain_choose__trusting_the_default_root_picks_the_default(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	struct offer o;
	size_t chosen = 9;

	offer_make(p, &o);
	assert_int_equal(chain_choose(o.c, 3, p->trust_a, NULL, &chosen, &e),
	    0);
	assert_int_equal(chosen, 0);
	offer_free(&o);
}

static void
chain_choose__picks_the_first_alternate_that_verifies(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	struct offer o;
	size_t chosen = 9;

	offer_make(p, &o);
	assert_int_equal(chain_choose(o.c, 3, p->trust_b, NULL, &chosen, &e),
	    0);
	assert_int_equal(chosen, 1);
	offer_free(&o);
}

static void
chain_choose__follows_a_cross_signed_chain(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	struct offer o;
	STACK_OF(X509) *c[2];
	size_t chosen = 9;

	offer_make(p, &o);
	c[0] = o.c[0];
	c[1] = o.c[2];
	assert_int_equal(chain_choose(c, 2, p->trust_b, NULL, &chosen, &e), 0);
	assert_int_equal(chosen, 1);
	offer_free(&o);
}

static void
chain_choose__refuses_when_no_chain_verifies_and_names_each_top(
    void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	struct offer o;
	size_t chosen;

	offer_make(p, &o);
	assert_int_equal(chain_choose(o.c, 3, p->trust_c, NULL, &chosen, &e),
	    -1);
	assert_non_null(strstr(e.msg, "no chain the CA offers verifies"));
	assert_non_null(strstr(e.msg, p->trust_c));
	assert_non_null(strstr(e.msg,
	    "the default chain (top issuer Root A)"));
	assert_non_null(strstr(e.msg, "alternate 1 (top issuer Root B)"));
	assert_non_null(strstr(e.msg, "alternate 2 (top issuer Root B)"));
	offer_free(&o);
}

static void
chain_choose__takes_intermediates_from_the_chain_only(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	STACK_OF(X509) *c[1] = { chain_of(p->leaf, NULL, NULL) };
	size_t chosen;

	assert_int_equal(chain_choose(c, 1, p->trust_a, NULL, &chosen, &e),
	    -1);
	assert_non_null(strstr(e.msg, "unable to get local issuer"));
	sk_X509_free(c[0]);
}

static void
chain_choose__wants_a_leaf_for_servers(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	STACK_OF(X509) *c[1] = { chain_of(p->client_leaf, p->int_by_a,
	    NULL) };
	size_t chosen;

	assert_int_equal(chain_choose(c, 1, p->trust_a, NULL, &chosen, &e),
	    -1);
	assert_non_null(strstr(e.msg, "unsuitable certificate purpose"));
	sk_X509_free(c[0]);
}

static void
chain_choose__never_picks_an_alternate_with_another_leaf(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	STACK_OF(X509) *c[2] = { chain_of(p->leaf, p->int_by_a, NULL),
	    chain_of(p->other_leaf, p->int_by_b, NULL) };
	size_t chosen = 9;

	assert_int_equal(chain_choose(c, 2, p->trust_b, NULL, &chosen, &e),
	    -1);
	assert_non_null(strstr(e.msg, "another leaf certificate"));
	assert_int_equal(chain_choose(c, 2, NULL, "Root B", &chosen, &e), 0);
	assert_int_equal(chosen, 0);
	sk_X509_free(c[0]);
	sk_X509_free(c[1]);
}

static void
chain_choose__picks_by_top_issuer_name_else_the_default(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	struct offer o;
	size_t chosen = 9;

	offer_make(p, &o);
	assert_int_equal(chain_choose(o.c, 3, NULL, "Root B", &chosen, &e), 0);
	assert_int_equal(chosen, 1);
	assert_int_equal(chain_choose(o.c, 3, NULL, "Root A", &chosen, &e), 0);
	assert_int_equal(chosen, 0);
	assert_int_equal(chain_choose(o.c, 3, NULL, "Nobody", &chosen, &e), 0);
	assert_int_equal(chosen, 0);
	assert_int_equal(chain_choose(o.c, 3, NULL, NULL, &chosen, &e), 0);
	assert_int_equal(chosen, 0);
	offer_free(&o);
}

static void
chain_top_issuer__names_the_issuer_of_the_topmost_certificate(void **state)
{
	struct pki *p = *state;
	struct offer o;
	char *s;

	offer_make(p, &o);
	assert_string_equal(s = chain_top_issuer(o.c[0]), "Root A");
	free(s);
	assert_string_equal(s = chain_top_issuer(o.c[2]), "Root B");
	free(s);
	offer_free(&o);
}

static void
chain_trust_check__refuses_a_file_without_certificates(void **state)
{
	struct pki *p = *state;
	struct err e = { "" };
	char *missing = path_in(p->dir.path, "missing.pem");

	assert_int_equal(chain_trust_check(p->trust_a, &e), 0);
	assert_int_equal(chain_trust_check(p->trust_empty, &e), -1);
	assert_non_null(strstr(e.msg, "no certificate or crl found"));
	assert_int_equal(chain_trust_check(missing, &e), -1);
	assert_non_null(strstr(e.msg, "cannot read the trusted roots"));
	free(missing);
}

#define T(f)	cmocka_unit_test(f)
#define P(f)	cmocka_unit_test_setup_teardown(f, pki_setup, pki_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(chain_links_alternate__reads_several_links_and_rel_values_per_header),
		T(chain_links_alternate__keeps_the_cas_order_over_headers_without_duplicates),
		T(chain_links_alternate__takes_only_absolute_https_urls),
		T(chain_links_alternate__stops_a_header_at_malformed_text),
		T(chain_links_alternate__takes_at_most_the_maximum),
		T(chain_links_alternate__gives_none_without_links),
		P(chain_choose__trusting_the_default_root_picks_the_default),
		P(chain_choose__picks_the_first_alternate_that_verifies),
		P(chain_choose__follows_a_cross_signed_chain),
		P(chain_choose__refuses_when_no_chain_verifies_and_names_each_top),
		P(chain_choose__takes_intermediates_from_the_chain_only),
		P(chain_choose__wants_a_leaf_for_servers),
		P(chain_choose__never_picks_an_alternate_with_another_leaf),
		P(chain_choose__picks_by_top_issuer_name_else_the_default),
		P(chain_top_issuer__names_the_issuer_of_the_topmost_certificate),
		P(chain_trust_check__refuses_a_file_without_certificates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
