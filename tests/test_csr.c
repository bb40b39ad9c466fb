/*
 * test_csr.c - certificate signing requests: built for our key, read from
 * the user's file, encoded for finalize.
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
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64url.h"
#include "csr.h"
#include "err.h"
#include "names.h"
#include "testutil.h"

struct fixture {
	struct tmpdir	 tmp;
	EVP_PKEY	*key;
	struct names	 names;		/* a.example.com, b.example.com */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tmpdir_create(&f->tmp, "csr") == -1)
		return -1;
	if ((f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
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
	EVP_PKEY_free(f->key);
	names_clear(&f->names);
	free(f);
	return 0;
}

static X509_REQ *
make_csr(EVP_PKEY *key, const struct names *names)
{
	struct err e = { "" };
	X509_REQ *req = csr_new(key, names, &e);

	if (req == NULL)
		fail_msg("csr_new: %s", e.msg);
	return req;
}

/* The dNSNames of the subjectAltName, read with OpenSSL alone. */
static void
san_of(X509_REQ *req, struct names *out)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	STACK_OF(GENERAL_NAME) *gens;

	assert_non_null(exts);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_non_null(gens);
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char *s;

		assert_int_equal(g->type, GEN_DNS);
		s = strndup((const char *)ASN1_STRING_get0_data(g->d.dNSName),
		    (size_t)ASN1_STRING_length(g->d.dNSName));
		assert_int_equal(names_add(out, s), 0);
		free(s);
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

static void
csr_new__names_read_back_by_csr_names(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names);
	struct names back = { 0 };
	struct err e = { "" };

	assert_int_equal(csr_names(req, &back, &e), 0);
	assert_int_equal(back.n, 2);
	assert_true(names_equal(&back, &f->names));
	names_clear(&back);
	X509_REQ_free(req);
}

static void
csr_new__puts_every_name_in_san_and_the_first_in_cn(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names);
	struct names san = { 0 };
	char cn[256] = "";

	san_of(req, &san);
	assert_true(names_equal(&san, &f->names));
	assert_true(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
	    NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "a.example.com");
	names_clear(&san);
	X509_REQ_free(req);
}

static void
csr_new__puts_addresses_in_ip_sans_and_never_in_cn(void **state)
{
	struct fixture *f = *state;
	struct names ips = { 0 }, back = { 0 };
	STACK_OF(X509_EXTENSION) *exts;
	STACK_OF(GENERAL_NAME) *gens;
	struct err e = { "" };
	X509_REQ *req;
	char cn[256] = "";

	names_add(&ips, "192.0.2.10");
	names_add(&ips, "2001:DB8::10");
	req = make_csr(f->key, &ips);
	assert_int_equal(X509_NAME_get_text_by_NID(
	    X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof(cn)),
	    -1);
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sk_GENERAL_NAME_value(gens, i)->type,
		    GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(
	    sk_GENERAL_NAME_value(gens, 1)->d.iPAddress), 16);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_int_equal(csr_names(req, &back, &e), 0);
	assert_true(names_equal(&back, &ips));
	assert_true(names_contains(&back, "2001:db8::10"));
	names_clear(&back);
	names_clear(&ips);
	X509_REQ_free(req);
}

static void
csr_new__takes_the_first_domain_name_for_cn_among_addresses(void **state)
{
	struct fixture *f = *state;
	struct names mixed = { 0 };
	X509_REQ *req;
	char cn[256] = "";

	names_add(&mixed, "127.0.0.1");
	names_add(&mixed, "www.example.com");
	req = make_csr(f->key, &mixed);
	assert_true(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
	    NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "www.example.com");
	names_clear(&mixed);
	X509_REQ_free(req);
}

static void
csr_new__signature_verifies(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_int_equal(X509_REQ_verify(req, f->key), 1);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), f->key), 1);
	assert_int_not_equal(X509_REQ_verify(req, other), 1);
	ERR_clear_error();
	EVP_PKEY_free(other);
	X509_REQ_free(req);
}

static void
csr_new__works_with_an_rsa_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509_REQ *req;
	struct names back = { 0 };
	struct err e = { "" };

	assert_non_null(rsa);
	req = make_csr(rsa, &f->names);
	assert_int_equal(X509_REQ_verify(req, rsa), 1);
	assert_int_equal(csr_names(req, &back, &e), 0);
	assert_true(names_equal(&back, &f->names));
	names_clear(&back);
	X509_REQ_free(req);
	EVP_PKEY_free(rsa);
}

static void
csr_new__carries_a_wildcard(void **state)
{
	struct fixture *f = *state;
	struct names n = { 0 }, back = { 0 };
	struct err e = { "" };
	X509_REQ *req;

	names_add(&n, "*.example.com");
	names_add(&n, "example.com");
	req = make_csr(f->key, &n);
	assert_int_equal(csr_names(req, &back, &e), 0);
	assert_true(names_equal(&back, &n));
	names_clear(&back);
	names_clear(&n);
	X509_REQ_free(req);
}

static void
csr_new__accepts_a_first_name_longer_than_64_characters(void **state)
{
	struct fixture *f = *state;
	/* A valid DNS name of 73 characters; CN is limited to 64 (RFC 5280). */
	static const char longname[] =
	    "a123456789012345678901234567890123456789.b1234567890123456789"
	    ".example.com";
	struct names n = { 0 }, back = { 0 };
	struct err e = { "" };
	X509_REQ *req;

	assert_true(strlen(longname) > 64);
	names_add(&n, longname);
	names_add(&n, "b.example.com");
	req = csr_new(f->key, &n, &e);
	if (req == NULL) {
		names_clear(&n);
		fail_msg("csr_new refused a %zu-character name: %s",
		    strlen(longname), e.msg);
	}
	assert_int_equal(csr_names(req, &back, &e), 0);
	assert_true(names_equal(&back, &n));
	names_clear(&back);
	names_clear(&n);
	X509_REQ_free(req);
}

static void
csr_new__refuses_an_empty_name_list(void **state)
{
	struct fixture *f = *state;
	struct names none = { 0 };
	struct err e = { "" };

	assert_null(csr_new(f->key, &none, &e));
	assert_true(strlen(e.msg) > 0);
}

static void
csr_to_b64url__decodes_to_der_that_parses(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names), *back;
	struct names san = { 0 };
	struct err e = { "" };
	unsigned char *der, *mine = NULL;
	const unsigned char *p;
	size_t len;
	char *text;
	int minelen;

	text = csr_to_b64url(req, &e);
	assert_non_null(text);
	assert_true(b64url_is_valid(text));
	der = b64url_decode(text, &len);
	assert_non_null(der);
	/* Exactly the DER of the request. */
	minelen = i2d_X509_REQ(req, &mine);
	assert_int_equal(len, (size_t)minelen);
	assert_memory_equal(der, mine, len);
	p = der;
	back = d2i_X509_REQ(NULL, &p, (long)len);
	assert_non_null(back);
	assert_ptr_equal(p, der + len);
	assert_int_equal(X509_REQ_verify(back, f->key), 1);
	san_of(back, &san);
	assert_true(names_equal(&san, &f->names));
	names_clear(&san);
	X509_REQ_free(back);
	OPENSSL_free(mine);
	free(der);
	free(text);
	X509_REQ_free(req);
}

static void
csr_load__reads_a_pem_file(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names), *back;
	char *path = path_in(f->tmp.path, "req.pem");
	struct names n = { 0 };
	struct err e = { "" };
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_X509_REQ(fp, req), 1);
	fclose(fp);
	back = csr_load(path, &e);
	if (back == NULL)
		fail_msg("csr_load: %s", e.msg);
	assert_int_equal(X509_REQ_verify(back, f->key), 1);
	assert_int_equal(csr_names(back, &n, &e), 0);
	assert_true(names_equal(&n, &f->names));
	names_clear(&n);
	X509_REQ_free(back);
	X509_REQ_free(req);
	free(path);
}

static void
csr_load__reads_a_der_file(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names), *back;
	char *path = path_in(f->tmp.path, "req.der");
	struct names n = { 0 };
	struct err e = { "" };
	unsigned char *der = NULL;
	int len;

	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	write_file(path, der, (size_t)len);
	back = csr_load(path, &e);
	if (back == NULL)
		fail_msg("csr_load: %s", e.msg);
	assert_int_equal(csr_names(back, &n, &e), 0);
	assert_true(names_equal(&n, &f->names));
	names_clear(&n);
	OPENSSL_free(der);
	X509_REQ_free(back);
	X509_REQ_free(req);
	free(path);
}

static void
csr_load__refuses_garbage_naming_the_file(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->tmp.path, "garbage.csr");
	static const char garbage[] =
	    "-----BEGIN CERTIFICATE REQUEST-----\n"
	    "bm90IGEgcmVxdWVzdA==\n"
	    "-----END CERTIFICATE REQUEST-----\n";
	struct err e = { "" };

	write_file(path, garbage, strlen(garbage));
	assert_null(csr_load(path, &e));
	if (strstr(e.msg, path) == NULL)
		fail_msg("message does not name %s: %s", path, e.msg);
	write_file(path, "\x30\x03\x02\x01\x00", 5);
	assert_null(csr_load(path, &e));
	assert_non_null(strstr(e.msg, path));
	free(path);
}

static void
csr_load__refuses_a_missing_file_naming_it(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->tmp.path, "missing.csr");
	struct err e = { "" };

	assert_null(csr_load(path, &e));
	assert_non_null(strstr(e.msg, path));
	free(path);
}

static void
csr_load__refuses_a_request_whose_signature_does_not_verify(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = make_csr(f->key, &f->names);
	char *path = path_in(f->tmp.path, "forged.der");
	struct err e = { "" };
	unsigned char *der = NULL;
	int len;

	len = i2d_X509_REQ(req, &der);
	assert_true(len > 10);
	/*
	 * The signature BIT STRING ends the DER; flipping a bit of its last
	 * byte changes s, so the DER still parses but does not verify.
	 */
	der[len - 1] ^= 0x01;
	write_file(path, der, (size_t)len);
	assert_null(csr_load(path, &e));
	assert_non_null(strstr(e.msg, path));
	OPENSSL_free(der);
	X509_REQ_free(req);
	free(path);
}

static void
csr_names__falls_back_to_the_common_name(void **state)
{
	struct fixture *f = *state;
	X509_REQ *req = X509_REQ_new();
	struct names n = { 0 };
	struct err e = { "" };

	/* A request with a CN and no subjectAltName, built with OpenSSL. */
	assert_non_null(req);
	assert_int_equal(X509_NAME_add_entry_by_txt(
	    X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Only.Example.com", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, f->key), 1);
	assert_true(X509_REQ_sign(req, f->key, EVP_sha256()) > 0);
	assert_int_equal(csr_names(req, &n, &e), 0);
	assert_int_equal(n.n, 1);
	assert_string_equal(n.v[0], "only.example.com");
	names_clear(&n);
	X509_REQ_free(req);
}

/* A request for a.example.com signed by key (any type); PEM in path. */
static void
write_csr_of(const char *path, EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subject;
	FILE *fp;

	assert_non_null(req);
	subject = X509_REQ_get_subject_name(req);
	assert_int_equal(X509_NAME_add_entry_by_txt(subject, "CN",
	    MBSTRING_UTF8, (const unsigned char *)"a.example.com", -1, -1, 0),
	    1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	/* Ed25519 signs without a separate digest. */
	assert_true(X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ?
	    NULL : EVP_sha256()) > 0);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_X509_REQ(fp, req), 1);
	fclose(fp);
	X509_REQ_free(req);
}

static void
csr_load__refuses_weak_and_unsupported_keys_naming_them(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->tmp.path, "user.csr");
	struct {
		EVP_PKEY	*key;
		const char	*what;
	} bad[] = {
		{ EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024),
		    "a 1024-bit RSA key" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"),
		    "an EC key on secp521r1" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"),
		    "an EC key on secp256k1" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-224"),
		    "an EC key on secp224r1" },
		{ EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
		    "a key of type ED25519" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { "" };
		X509_REQ *req;
		char *want;

		if (bad[i].key == NULL)
			fail_msg("cannot make the key for \"%s\"", bad[i].what);
		write_csr_of(path, bad[i].key);
		req = csr_load(path, &e);
		if (req != NULL)
			fail_msg("a CSR with %s was loaded", bad[i].what);
		if (asprintf(&want, "%s: the CSR's key is %s; only RSA (2048 "
		    "bits or more) and EC P-256/P-384 keys are supported",
		    path, bad[i].what) < 0)
			fail_msg("asprintf");
		assert_string_equal(e.msg, want);
		free(want);
		EVP_PKEY_free(bad[i].key);
	}
	free(path);
}

static void
csr_load__accepts_rsa_2048_and_ec_p384(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->tmp.path, "user.csr");
	EVP_PKEY *good[] = {
		EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
		EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"),
	};

	for (size_t i = 0; i < 2; i++) {
		struct err e = { "" };
		X509_REQ *req;

		assert_non_null(good[i]);
		write_csr_of(path, good[i]);
		if ((req = csr_load(path, &e)) == NULL)
			fail_msg("csr_load: %s", e.msg);
		X509_REQ_free(req);
		EVP_PKEY_free(good[i]);
	}
	free(path);
}

static void
csr_load__refuses_a_fifo_at_once(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->tmp.path, "fifo.csr"), *want;
	struct err e = { "" };

	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);	/* a hang is the bug */
	assert_null(csr_load(path, &e));
	alarm(0);
	if (asprintf(&want, "%s is not a regular file (a FIFO); acmec reads "
	    "only regular files: give the path of one", path) < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	free(want);
	free(path);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(csr_new__names_read_back_by_csr_names),
		T(csr_new__puts_every_name_in_san_and_the_first_in_cn),
		T(csr_new__puts_addresses_in_ip_sans_and_never_in_cn),
		T(csr_new__takes_the_first_domain_name_for_cn_among_addresses),
		T(csr_new__signature_verifies),
		T(csr_new__works_with_an_rsa_key),
		T(csr_new__carries_a_wildcard),
		T(csr_new__accepts_a_first_name_longer_than_64_characters),
		T(csr_new__refuses_an_empty_name_list),
		T(csr_to_b64url__decodes_to_der_that_parses),
		T(csr_load__reads_a_pem_file),
		T(csr_load__reads_a_der_file),
		T(csr_load__refuses_garbage_naming_the_file),
		T(csr_load__refuses_a_missing_file_naming_it),
		T(csr_load__refuses_a_request_whose_signature_does_not_verify),
		T(csr_names__falls_back_to_the_common_name),
		T(csr_load__refuses_weak_and_unsupported_keys_naming_them),
		T(csr_load__accepts_rsa_2048_and_ec_p384),
		T(csr_load__refuses_a_fifo_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
