/*
 * test_cert.c - the issued chain: parse, split, check against our key and
 * names.  The chain is built here with OpenSSL: a self-signed CA and a
 * leaf for a.example.com and b.example.com signed by it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "err.h"
#include "names.h"
#include "testutil.h"

/* 2030-01-01T00:00:00Z, the leaf's notAfter. */
#define LEAF_NOT_AFTER	((time_t)1893456000)

struct fixture {
	struct tmpdir	 tmp;
	EVP_PKEY	*ca_key;
	EVP_PKEY	*leaf_key;
	X509		*ca;
	X509		*leaf;
	char		*pem;		/* leaf then CA */
	struct names	 names;		/* a.example.com, b.example.com */
};

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key, signed by issuer_key (self-signed if issuer NULL). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, long serial, X509 *issuer,
    EVP_PKEY *issuer_key, const char *san, time_t not_after)
{
	X509 *x = X509_new();

	if (x == NULL ||
	    !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : X509_get_subject_name(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL ||
	    !X509_set_pubkey(x, key))
		goto fail;
	if (issuer == NULL) {
		if (!add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(x, x, NID_key_usage, "critical,keyCertSign"))
			goto fail;
	} else {
		if (!add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") ||
		    (san != NULL &&
		    !add_ext(x, issuer, NID_subject_alt_name, san)))
			goto fail;
	}
	if (!X509_sign(x, issuer_key, EVP_sha256()))
		goto fail;
	return x;
fail:
	ERR_print_errors_fp(stderr);
	X509_free(x);
	return NULL;
}

/* PEM text of the given certificates; new string. */
static char *
pem_of(X509 *const *certs, size_t n)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	if (bio == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!PEM_write_bio_X509(bio, certs[i]))
			return NULL;
	len = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)len);
	BIO_free(bio);
	return out;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	X509 *both[2];

	if (f == NULL)
		return -1;
	if (tmpdir_create(&f->tmp, "cert") == -1)
		return -1;
	f->ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (f->ca_key == NULL || f->leaf_key == NULL)
		return -1;
	f->ca = make_cert(f->ca_key, "acmec test CA", 1, NULL, f->ca_key, NULL,
	    time(NULL) + 86400);
	if (f->ca == NULL)
		return -1;
	f->leaf = make_cert(f->leaf_key, "a.example.com", 2, f->ca, f->ca_key,
	    "DNS:a.example.com,DNS:b.example.com", LEAF_NOT_AFTER);
	if (f->leaf == NULL)
		return -1;
	both[0] = f->leaf;
	both[1] = f->ca;
	if ((f->pem = pem_of(both, 2)) == NULL)
		return -1;
	if (names_add(&f->names, "a.example.com") == -1 ||
	    names_add(&f->names, "b.example.com") == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(&f->tmp);
	X509_free(f->ca);
	X509_free(f->leaf);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->leaf_key);
	free(f->pem);
	names_clear(&f->names);
	free(f);
	return 0;
}

static STACK_OF(X509) *
parse(const char *pem)
{
	struct err e = { "" };
	STACK_OF(X509) *chain = cert_chain_parse(pem, strlen(pem), &e);

	if (chain == NULL)
		fail_msg("cert_chain_parse: %s", e.msg);
	return chain;
}

static void
cert_chain_parse__returns_leaf_first_and_both_certificates(void **state)
{
	struct fixture *f = *state;
	STACK_OF(X509) *chain = parse(f->pem);

	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), f->leaf), 0);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 1), f->ca), 0);
	cert_chain_free(chain);
}

static void
cert_chain_parse__reads_a_single_certificate(void **state)
{
	struct fixture *f = *state;
	char *one = pem_of(&f->leaf, 1);
	STACK_OF(X509) *chain = parse(one);

	assert_int_equal(sk_X509_num(chain), 1);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), f->leaf), 0);
	cert_chain_free(chain);
	free(one);
}

static void
cert_chain_parse__refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"not a certificate\n",
		"-----BEGIN CERTIFICATE-----\n"
		"bm90IGEgY2VydGlmaWNhdGU=\n"
		"-----END CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\n"
		"MIIB\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { "" };
		STACK_OF(X509) *chain = cert_chain_parse(bad[i],
		    strlen(bad[i]), &e);

		if (chain != NULL) {
			cert_chain_free(chain);
			fail_msg("garbage %zu accepted", i);
		}
		assert_true(strlen(e.msg) > 0);
	}
	/* Nothing left behind in OpenSSL's error queue. */
	assert_int_equal(ERR_peek_error(), 0);
}

static void
cert_chain_parse__refuses_a_chain_with_a_corrupt_certificate(void **state)
{
	struct fixture *f = *state;
	static const char corrupt[] =
	    "-----BEGIN CERTIFICATE-----\n"
	    "bm90IGEgY2VydGlmaWNhdGU=\n"
	    "-----END CERTIFICATE-----\n";
	struct err e = { "" };
	STACK_OF(X509) *chain;
	char *leaf = pem_of(&f->leaf, 1), *text;

	/*
	 * A good leaf followed by a broken intermediate must not pass as a
	 * chain of one: the server would then send an incomplete chain.
	 */
	assert_true(asprintf(&text, "%s%s", leaf, corrupt) > 0);
	chain = cert_chain_parse(text, strlen(text), &e);
	free(text);
	free(leaf);
	if (chain != NULL) {
		int n = sk_X509_num(chain);

		cert_chain_free(chain);
		fail_msg("leaf + corrupt certificate parsed as a chain of %d", n);
	}
}

static void
cert_chain_parse__ignores_text_around_the_pem_blocks(void **state)
{
	struct fixture *f = *state;
	STACK_OF(X509) *chain;
	char *text;

	/* Blank lines and comments (as "openssl pkcs12" writes) are no error. */
	assert_true(asprintf(&text, "subject=CN = a.example.com\n\n%s\n\n",
	    f->pem) > 0);
	chain = parse(text);
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), f->leaf), 0);
	cert_chain_free(chain);
	free(text);
}

static void
cert_chain_pem__round_trips(void **state)
{
	struct fixture *f = *state;
	STACK_OF(X509) *chain = parse(f->pem), *again;
	struct err e = { "" };
	char *all, *leaf, *rest, *want;

	all = cert_chain_pem(chain, 0, 2, &e);
	assert_non_null(all);
	assert_string_equal(all, f->pem);
	again = parse(all);
	assert_int_equal(sk_X509_num(again), 2);
	assert_int_equal(X509_cmp(sk_X509_value(again, 0), f->leaf), 0);
	assert_int_equal(X509_cmp(sk_X509_value(again, 1), f->ca), 0);
	cert_chain_free(again);

	/* The split issue writes: cert.pem = [0,1), chain.pem = [1,n). */
	leaf = cert_chain_pem(chain, 0, 1, &e);
	want = pem_of(&f->leaf, 1);
	assert_string_equal(leaf, want);
	free(want);
	rest = cert_chain_pem(chain, 1, 2, &e);
	want = pem_of(&f->ca, 1);
	assert_string_equal(rest, want);
	free(want);
	free(leaf);
	free(rest);
	free(all);
	cert_chain_free(chain);
}

static void
cert_chain_pem__of_an_empty_range_is_empty(void **state)
{
	struct fixture *f = *state;
	STACK_OF(X509) *chain = parse(f->pem);
	struct err e = { "" };
	char *none = cert_chain_pem(chain, 2, 2, &e);

	assert_non_null(none);
	assert_string_equal(none, "");
	free(none);
	cert_chain_free(chain);
}

static void
cert_names__reads_the_subject_alt_names(void **state)
{
	struct fixture *f = *state;
	struct names got = { 0 };
	struct err e = { "" };

	assert_int_equal(cert_names(f->leaf, &got, &e), 0);
	assert_true(names_equal(&got, &f->names));
	names_clear(&got);
}

static void
cert_check__accepts_the_right_key_and_names(void **state)
{
	struct fixture *f = *state;
	struct names reordered = { 0 };
	struct err e = { "" };

	if (cert_check(f->leaf, f->leaf_key, &f->names, &e) != 0)
		fail_msg("cert_check: %s", e.msg);
	names_add(&reordered, "B.example.com");
	names_add(&reordered, "a.example.com");
	assert_int_equal(cert_check(f->leaf, f->leaf_key, &reordered, &e), 0);
	names_clear(&reordered);
}

static void
cert_check__refuses_another_key_saying_so(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };

	assert_int_equal(cert_check(f->leaf, f->ca_key, &f->names, &e), -1);
	if (strstr(e.msg, "key") == NULL)
		fail_msg("message does not mention the key: %s", e.msg);
}

/* cert_check refuses leaf for names, and the message names the odd name out. */
static void
assert_refused_naming(struct fixture *f, const char *const *asked, size_t n,
    const char *odd1, const char *odd2)
{
	struct names want = { 0 };
	struct err e = { "" };

	for (size_t i = 0; i < n; i++)
		names_add(&want, asked[i]);
	assert_int_equal(cert_check(f->leaf, f->leaf_key, &want, &e), -1);
	if (strstr(e.msg, odd1) == NULL &&
	    (odd2 == NULL || strstr(e.msg, odd2) == NULL))
		fail_msg("message names neither %s nor %s: %s", odd1,
		    odd2 ? odd2 : "-", e.msg);
	/* It is about the names, not the key. */
	assert_null(strstr(e.msg, "key"));
	names_clear(&want);
}

static void
cert_check__refuses_fewer_names_naming_the_extra_one(void **state)
{
	static const char *const asked[] = { "a.example.com" };

	assert_refused_naming(*state, asked, 1, "b.example.com", NULL);
}

static void
cert_check__refuses_more_names_naming_the_missing_one(void **state)
{
	static const char *const asked[] = { "a.example.com", "b.example.com",
	    "c.example.com" };

	assert_refused_naming(*state, asked, 3, "c.example.com", NULL);
}

static void
cert_check__refuses_other_names_naming_one_that_differs(void **state)
{
	/* Same count, one name swapped. */
	static const char *const asked[] = { "a.example.com", "c.example.com" };

	assert_refused_naming(*state, asked, 2, "b.example.com",
	    "c.example.com");
}

static void
cert_check__refuses_a_leaf_without_subject_alt_names(void **state)
{
	struct fixture *f = *state;
	X509 *bare = make_cert(f->leaf_key, "a.example.com", 3, f->ca,
	    f->ca_key, NULL, LEAF_NOT_AFTER);
	struct err e = { "" };

	assert_non_null(bare);
	assert_int_equal(cert_check(bare, f->leaf_key, &f->names, &e), -1);
	assert_true(strlen(e.msg) > 0);
	X509_free(bare);
}

static void
cert_load__reads_the_first_certificate_of_a_file(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *path;
	X509 *x;

	path = path_in(f->tmp.path, "fullchain.pem");
	write_text(path, f->pem);
	x = cert_load(path, &e);
	if (x == NULL)
		fail_msg("cert_load: %s", e.msg);
	assert_int_equal(X509_cmp(x, f->leaf), 0);
	X509_free(x);
	free(path);
}

static void
cert_load__fails_on_garbage_or_missing_file_naming_it(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *path;

	path = path_in(f->tmp.path, "cert.pem");
	assert_null(cert_load(path, &e));
	if (strstr(e.msg, path) == NULL)
		fail_msg("message does not name %s: %s", path, e.msg);
	write_text(path, "garbage\n");
	e.msg[0] = '\0';
	assert_null(cert_load(path, &e));
	if (strstr(e.msg, path) == NULL)
		fail_msg("message does not name %s: %s", path, e.msg);
	free(path);
}

static void
cert_not_after__is_the_certificates_expiry(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	time_t when = 0;

	assert_int_equal(cert_not_after(f->leaf, &when, &e), 0);
	assert_int_equal((long long)when, (long long)LEAF_NOT_AFTER);
}

/* iPAddress SANs count as names, compared in their normalized form. */
static void
cert_check__compares_ip_address_sans(void **state)
{
	struct fixture *f = *state;
	X509 *ip = make_cert(f->leaf_key, "ip", 4, f->ca, f->ca_key,
	    "IP:192.0.2.10,IP:2001:db8:0:0:0:0:0:10,DNS:a.example.com",
	    LEAF_NOT_AFTER);
	struct names want = { 0 }, fewer = { 0 };
	struct err e = { "" };

	assert_non_null(ip);
	names_add(&want, "a.example.com");
	names_add(&want, "2001:DB8::10");
	names_add(&want, "192.0.2.10");
	if (cert_check(ip, f->leaf_key, &want, &e) != 0)
		fail_msg("cert_check: %s", e.msg);
	names_add(&fewer, "a.example.com");
	names_add(&fewer, "192.0.2.10");
	assert_int_equal(cert_check(ip, f->leaf_key, &fewer, &e), -1);
	assert_non_null(strstr(e.msg, "2001:db8::10"));
	names_clear(&want);
	names_clear(&fewer);
	X509_free(ip);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(cert_chain_parse__returns_leaf_first_and_both_certificates),
		T(cert_chain_parse__reads_a_single_certificate),
		T(cert_chain_parse__refuses_garbage),
		T(cert_chain_parse__refuses_a_chain_with_a_corrupt_certificate),
		T(cert_chain_parse__ignores_text_around_the_pem_blocks),
		T(cert_chain_pem__round_trips),
		T(cert_chain_pem__of_an_empty_range_is_empty),
		T(cert_names__reads_the_subject_alt_names),
		T(cert_check__accepts_the_right_key_and_names),
		T(cert_check__refuses_another_key_saying_so),
		T(cert_check__refuses_fewer_names_naming_the_extra_one),
		T(cert_check__refuses_more_names_naming_the_missing_one),
		T(cert_check__refuses_other_names_naming_one_that_differs),
		T(cert_check__refuses_a_leaf_without_subject_alt_names),
		T(cert_check__compares_ip_address_sans),
		T(cert_load__reads_the_first_certificate_of_a_file),
		T(cert_load__fails_on_garbage_or_missing_file_naming_it),
		T(cert_not_after__is_the_certificates_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
