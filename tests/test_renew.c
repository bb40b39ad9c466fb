/*
 * test_renew.c - what renew finds changed in the config since the
 * certificate in place was issued: every change at once, so that one
 * order takes the new names and the new key type together (it once
 * stopped at the first, and renewed with the old key, then again).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "key.h"
#include "renew.h"
#include "testutil.h"

#define NOW	((time_t)1793491200)	/* 2026-11-01T00:00:00Z */

struct ctx {
	struct tmpdir		tmp;
	struct config		cfg;
	struct conf_cert	cc;
	struct renew_item	it;
};

/* out/cert.pem: an EC P-256 certificate for a and b, issued now. */
static void
write_cert(const char *out)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	X509 *cert = X509_new();
	X509_EXTENSION *san;
	char *path = path_in(out, "cert.pem");
	FILE *f;

	assert_non_null(key);
	assert_non_null(cert);
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 90 * 86400L);
	X509_set_pubkey(cert, key);
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:a.example.org,DNS:b.example.org");
	assert_non_null(san);
	X509_add_ext(cert, san, -1);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	assert_int_equal(mkdir(out, 0755), 0);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, cert), 1);
	fclose(f);
	X509_EXTENSION_free(san);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(path);
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL || tmpdir_create(&c->tmp, "renew") == -1)
		return -1;
	config_defaults(&c->cfg);
	c->cfg.state_dir = c->tmp.path;
	c->cc.section = "web";
	c->it.cc = &c->cc;
	c->it.out_dir = path_in(c->tmp.path, "live");
	write_cert(c->it.out_dir);
	/* The config now: a and c, RSA. */
	if (names_add(&c->it.spec.names, "a.example.org") == -1 ||
	    names_add(&c->it.spec.names, "c.example.org") == -1)
		return -1;
	c->it.spec.key_type = KEY_RSA2048;
	c->it.spec.key_type_given = true;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	names_clear(&c->it.spec.names);
	free(c->it.out_dir);
	renewal_clear(&c->it.st);
	X509_free(c->it.cert);
	tmpdir_remove(&c->tmp);
	free(c);
	return 0;
}

static void
renew_assess_local__takes_new_names_and_key_type_at_once(void **state)
{
	struct ctx *c = *state;

	renew_assess_local(&c->it, &c->cfg, NOW, false);
	assert_true(c->it.due);
	assert_contains(c->it.why, "names changed");
	assert_contains(c->it.why, "key type changed to rsa");
	/* The order makes a key of the new type, for the new names. */
	assert_true(c->it.spec.new_key);
}

static void
renew_assess_local__takes_a_new_key_type_when_forced(void **state)
{
	struct ctx *c = *state;

	renew_assess_local(&c->it, &c->cfg, NOW, true);
	assert_true(c->it.due);
	assert_true(c->it.spec.new_key);
}

static void
renew_assess_local__finds_nothing_changed_when_the_config_matches(
    void **state)
{
	struct ctx *c = *state;

	names_clear(&c->it.spec.names);
	assert_int_equal(names_add(&c->it.spec.names, "a.example.org"), 0);
	assert_int_equal(names_add(&c->it.spec.names, "b.example.org"), 0);
	c->it.spec.key_type = KEY_EC256;
	renew_assess_local(&c->it, &c->cfg, NOW, false);
	assert_false(c->it.due);
	assert_false(c->it.spec.new_key);
}

/* The config's sandbox is taken unless --sandbox said otherwise. */
static void
renew_apply_conf__takes_the_sandbox_unless_the_command_line_gave_one(
    void **state)
{
	struct conf conf = { .sandbox = SANDBOX_OFF };
	struct account_options acct = { .create = false };
	struct config cfg;

	(void)state;
	config_defaults(&cfg);
	renew_apply_conf(&conf, &cfg, &acct);
	assert_int_equal(cfg.sandbox, SANDBOX_OFF);

	config_defaults(&cfg);
	cfg.sandbox = SANDBOX_REQUIRE;
	cfg.given |= CONFIG_GIVEN_SANDBOX;
	renew_apply_conf(&conf, &cfg, &acct);
	assert_int_equal(cfg.sandbox, SANDBOX_REQUIRE);

	/* --sandbox=auto wins too, over a config that says off. */
	config_defaults(&cfg);
	cfg.given |= CONFIG_GIVEN_SANDBOX;
	renew_apply_conf(&conf, &cfg, &acct);
	assert_int_equal(cfg.sandbox, SANDBOX_AUTO);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(renew_assess_local__takes_new_names_and_key_type_at_once),
		T(renew_assess_local__takes_a_new_key_type_when_forced),
		T(renew_assess_local__finds_nothing_changed_when_the_config_matches),
		cmocka_unit_test(
		    renew_apply_conf__takes_the_sandbox_unless_the_command_line_gave_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
