/*
 * test_resume.c - the record of an order in flight (issue #8): saved,
 * loaded and removed; left alone for other names, another CA or another
 * account; moved aside when it is corrupt, a link, or readable by others.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certkey.h"
#include "config.h"
#include "key.h"
#include "log.h"
#include "resume.h"
#include "spec.h"
#include "store.h"
#include "testutil.h"

#define CA_DIR		"https://ca.test/dir"
#define ORDER_URL	"https://ca.test/order/1"
#define ACCOUNT_URL	"https://ca.test/acct/1"

struct ctx {
	struct tmpdir	 tmp;
	struct config	 cfg;
	char		*state;
	char		*out;
	char		*orders;	/* STATE/orders */
	char		*record;	/* STATE/orders/NAME-HASH.json */
	struct names	 names;
	struct cert_spec spec;
	struct certkey	*key;		/* new: not in the output */
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct err e = { "" };
	char *key_path;

	if (c == NULL || tmpdir_create(&c->tmp, "resume") == -1)
		return -1;
	c->state = path_in(c->tmp.path, "state");
	c->out = path_in(c->tmp.path, "out");
	c->orders = path_in(c->state, "orders");
	if (mkdir(c->state, 0700) == -1)
		return -1;
	config_defaults(&c->cfg);
	c->cfg.directory_url = CA_DIR;
	c->cfg.state_dir = c->state;
	c->record = config_order_record(&c->cfg, c->out);
	if (c->record == NULL || names_add(&c->names, "a.example.org") == -1 ||
	    names_add(&c->names, "b.example.org") == -1)
		return -1;
	c->spec.key_type = KEY_EC256;
	key_path = path_in(c->out, "privkey.pem");
	c->key = certkey_open(NULL, 0, key_path, &c->spec, &c->names, &e);
	free(key_path);
	if (c->key == NULL)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	certkey_free(c->key);
	names_clear(&c->names);
	tmpdir_remove(&c->tmp);
	free(c->state);
	free(c->out);
	free(c->orders);
	free(c->record);
	free(c);
	return 0;
}

static struct resume *
open_ok(struct ctx *c, const struct names *names)
{
	struct err e = { "" };
	struct resume *r = resume_open(&c->cfg, c->out, names, &e);

	if (r == NULL)
		fail_msg("resume_open: %s", e.msg);
	return r;
}

/* A record of ORDER_URL for c->names and c->key, written by resume_save. */
static void
save(struct ctx *c)
{
	struct resume *r = open_ok(c, &c->names);
	struct err e = { "" };

	if (resume_save(r, ORDER_URL, ACCOUNT_URL, c->key, &e) == -1)
		fail_msg("resume_save: %s", e.msg);
	resume_free(r);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---------------------------------------------------------------- tests */

static void
resume_open__finds_nothing_in_a_new_state_dir(void **state)
{
	struct ctx *c = *state;
	struct resume *r = open_ok(c, &c->names);

	assert_null(resume_order_url(r));
	assert_null(resume_key_pem(r));
	assert_string_equal(resume_path(r), c->record);
	resume_free(r);
}

static void
resume_save__writes_0600_in_a_0700_directory_named_like_the_lock(
    void **state)
{
	struct ctx *c = *state;
	char *lock = config_output_lock(&c->cfg, c->out);
	const char *l = strrchr(lock, '/') + 1;
	const char *rec = strrchr(c->record, '/') + 1;

	save(c);
	assert_int_equal(mode_of(c->orders), 0700);
	assert_int_equal(mode_of(c->record), 0600);
	/* STATE/orders/X.json for STATE/locks/X.lock. */
	assert_string_equal(rec + strlen(rec) - 5, ".json");
	assert_int_equal(strlen(l), strlen(rec));
	assert_int_equal(strncmp(l, rec, strlen(l) - 5), 0);
	assert_int_equal(count_entries(c->orders), 1);	/* no temp left */
	free(lock);
}

static void
resume_open__loads_what_resume_save_wrote_with_the_new_key(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	struct certkey *again;
	struct resume *r;
	char *pem = NULL, *text;

	save(c);
	text = read_file(c->record, NULL);
	assert_contains(text, "PRIVATE KEY");
	assert_contains(text, ORDER_URL);
	free(text);
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_true(resume_account_is(r, ACCOUNT_URL));
	assert_non_null(resume_key_pem(r));
	/* The key comes back as the same new key, for the output set. */
	assert_int_equal(certkey_new_pem(c->key, &pem, &e), 0);
	assert_string_equal(resume_key_pem(r), pem);
	again = certkey_from_pem(resume_key_pem(r), resume_path(r), &c->names,
	    &e);
	assert_non_null(again);
	free(pem);
	assert_int_equal(certkey_new_pem(again, &pem, &e), 0);
	assert_string_equal(resume_key_pem(r), pem);
	free(pem);
	certkey_free(again);
	resume_free(r);
}

static void
resume_save__keeps_no_key_that_is_in_the_output_already(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char *key_path = path_in(c->tmp.path, "privkey.pem"), *text;
	EVP_PKEY *pkey = key_generate(KEY_EC256, &e);
	struct certkey *old;
	size_t len = 0;
	struct resume *r;

	assert_int_equal(key_save(pkey, key_path, &e), 0);
	assert_int_equal(store_read(key_path, 65536, &text, &len, &e), 0);
	old = certkey_open(text, len, key_path, &c->spec, &c->names, &e);
	free(text);
	assert_non_null(old);
	r = open_ok(c, &c->names);
	assert_int_equal(resume_save(r, ORDER_URL, ACCOUNT_URL, old, &e), 0);
	resume_free(r);
	text = read_file(c->record, NULL);
	assert_null(strstr(text, "PRIVATE KEY"));
	free(text);
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_null(resume_key_pem(r));
	resume_free(r);
	certkey_free(old);
	EVP_PKEY_free(pkey);
	free(key_path);
}

static void
resume_remove__removes_the_record(void **state)
{
	struct ctx *c = *state;
	struct resume *r;

	save(c);
	r = open_ok(c, &c->names);
	resume_remove(r);
	assert_null(resume_order_url(r));
	assert_false(exists(c->record));
	resume_remove(r);	/* twice: nothing more */
	resume_free(r);
	r = open_ok(c, &c->names);
	assert_null(resume_order_url(r));
	resume_free(r);
}

static void
resume_remove__leaves_a_record_of_other_names_alone(void **state)
{
	struct ctx *c = *state;
	struct names other = { NULL, 0 };
	struct resume *r;

	save(c);
	assert_int_equal(names_add(&other, "a.example.org"), 0);
	r = open_ok(c, &other);
	assert_null(resume_order_url(r));
	resume_remove(r);
	resume_free(r);
	assert_true(exists(c->record));
	names_clear(&other);
}

/* A self-signed certificate for cn; new reference. */
static X509 *
make_cert(const char *cn)
{
	struct err e;
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	X509 *x = X509_new();

	assert_non_null(key);
	assert_non_null(x);
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(x)));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, EVP_sha256()));
	EVP_PKEY_free(key);
	return x;
}

/* OUT/cert.pem is cert, with the mtime now + shift seconds. */
static void
cert_in_place(struct ctx *c, X509 *cert, long shift)
{
	struct timespec then[2] = { { time(NULL) + shift, 0 },
	    { time(NULL) + shift, 0 } };
	char *path = path_in(c->out, "cert.pem");
	FILE *f;

	(void)mkdir(c->out, 0700);
	assert_non_null(f = fopen(path, "w"));
	assert_true(PEM_write_X509(f, cert));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, then, 0), 0);
	free(path);
}

/*
 * A run killed after it wrote the certificate, before the removal: the
 * record names the certificate in place, whatever the times say (here
 * the certificate is older than the record, as after a clock step).
 */
static void
resume_open__removes_a_record_that_names_the_certificate_in_place(
    void **state)
{
	struct ctx *c = *state;
	X509 *cert = make_cert("a.example.org");
	struct err e = { "" };
	struct resume *r;

	save(c);
	r = open_ok(c, &c->names);
	assert_int_equal(resume_written(r, cert, &e), 0);
	resume_free(r);
	cert_in_place(c, cert, -3600);
	r = open_ok(c, &c->names);
	assert_null(resume_order_url(r));
	assert_null(resume_key_pem(r));
	resume_free(r);
	assert_false(exists(c->record));
	X509_free(cert);
}

/*
 * The certificate in place is another (killed before the switch), or the
 * record names none: it is kept, even when cert.pem is newer (a clock
 * step, an NFS server's clock), since it may hold the only copy of a key.
 */
static void
resume_open__keeps_a_record_whose_certificate_is_not_in_place(
    void **state)
{
	struct ctx *c = *state;
	X509 *mine = make_cert("a.example.org"), *old = make_cert("old");
	struct err e = { "" };
	struct resume *r;

	save(c);
	cert_in_place(c, old, 3600);
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_int_equal(resume_written(r, mine, &e), 0);
	resume_free(r);
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_non_null(resume_key_pem(r));
	resume_free(r);
	X509_free(mine);
	X509_free(old);
}

static void
resume_open__ignores_a_record_of_another_ca(void **state)
{
	struct ctx *c = *state;
	struct resume *r;

	save(c);
	c->cfg.directory_url = "https://other-ca.test/dir";
	r = open_ok(c, &c->names);
	assert_null(resume_order_url(r));
	assert_null(resume_key_pem(r));
	resume_free(r);
	assert_true(exists(c->record));
}

static void
resume_account_is__false_for_another_account(void **state)
{
	struct ctx *c = *state;
	struct resume *r;

	save(c);
	r = open_ok(c, &c->names);
	assert_true(resume_account_is(r, ACCOUNT_URL));
	assert_false(resume_account_is(r, "https://ca.test/acct/2"));
	assert_false(resume_account_is(r, NULL));
	resume_free(r);
}

/* Record text written over the record, mode 0600. */
static void
write_record(struct ctx *c, const char *text)
{
	struct err e = { "" };

	assert_int_equal(store_mkdirs(c->orders, 0700, &e), 0);
	write_text(c->record, text);
	assert_int_equal(chmod(c->record, 0600), 0);
}

/* The record is gone, kept as .bad with want in it, and nothing loaded. */
static void
assert_set_aside(struct ctx *c, const char *want)
{
	char *bad = NULL, *text;
	struct resume *r;

	r = open_ok(c, &c->names);
	assert_null(resume_order_url(r));
	assert_null(resume_key_pem(r));
	resume_free(r);
	assert_false(exists(c->record));
	if (asprintf(&bad, "%s.bad", c->record) < 0)
		fail_msg("asprintf");
	assert_true(exists(bad));
	if (want != NULL) {
		text = read_file(bad, NULL);
		assert_contains(text, want);
		free(text);
	}
	free(bad);
}

static void
resume_open__moves_a_record_that_is_not_json_aside(void **state)
{
	struct ctx *c = *state;

	write_record(c, "{\"order\": \"https://ca.test/or");
	assert_set_aside(c, "https://ca.test/or");
}

static void
resume_open__moves_a_record_with_an_http_order_url_aside(void **state)
{
	struct ctx *c = *state;

	write_record(c, "{\"directory\":\"" CA_DIR "\",\"order\":"
	    "\"http://ca.test/order/1\",\"account\":\"" ACCOUNT_URL "\","
	    "\"names\":[\"a.example.org\",\"b.example.org\"]}");
	assert_set_aside(c, "http://ca.test/order/1");
}

static void
resume_open__moves_a_record_whose_key_is_no_key_aside(void **state)
{
	struct ctx *c = *state;

	write_record(c, "{\"directory\":\"" CA_DIR "\",\"order\":\""
	    ORDER_URL "\",\"account\":\"" ACCOUNT_URL "\",\"names\":["
	    "\"a.example.org\",\"b.example.org\"],\"key\":\"-----BEGIN "
	    "PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}");
	assert_set_aside(c, ORDER_URL);
}

static void
resume_open__moves_a_record_others_can_read_aside(void **state)
{
	struct ctx *c = *state;

	save(c);
	assert_int_equal(chmod(c->record, 0644), 0);
	assert_set_aside(c, "PRIVATE KEY");
}

/* A link to a good record elsewhere: never followed, the link set aside. */
static void
resume_open__refuses_a_symbolic_link(void **state)
{
	struct ctx *c = *state;
	char *elsewhere = path_in(c->tmp.path, "planted.json"), *bad = NULL;
	struct stat st;

	save(c);
	assert_int_equal(rename(c->record, elsewhere), 0);
	assert_int_equal(symlink(elsewhere, c->record), 0);
	assert_set_aside(c, NULL);
	if (asprintf(&bad, "%s.bad", c->record) < 0)
		fail_msg("asprintf");
	assert_int_equal(lstat(bad, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(exists(elsewhere));
	free(bad);
	free(elsewhere);
}

static void
resume_open__refuses_an_orders_directory_others_can_write(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };

	save(c);
	assert_int_equal(chmod(c->orders, 0777), 0);
	assert_null(resume_open(&c->cfg, c->out, &c->names, &e));
	assert_contains(e.msg, "chmod 700");
	assert_contains(e.msg, c->orders);
}

static void
resume_open__refuses_an_orders_directory_that_is_a_link(void **state)
{
	struct ctx *c = *state;
	char *elsewhere = path_in(c->tmp.path, "elsewhere");
	struct err e = { "" };

	assert_int_equal(mkdir(elsewhere, 0700), 0);
	assert_int_equal(symlink(elsewhere, c->orders), 0);
	assert_null(resume_open(&c->cfg, c->out, &c->names, &e));
	assert_contains(e.msg, "symbolic link");
	free(elsewhere);
}

static void
resume_explain__says_where_the_order_is_kept(void **state)
{
	struct ctx *c = *state;
	struct err e = { "lost" };
	struct resume *r;

	r = open_ok(c, &c->names);
	resume_explain(r, &e);
	assert_string_equal(e.msg, "lost");	/* no record, nothing said */
	assert_int_equal(resume_save(r, ORDER_URL, ACCOUNT_URL, c->key, &e),
	    0);
	resume_explain(r, &e);
	assert_contains(e.msg, "lost; the order " ORDER_URL " is kept in ");
	assert_contains(e.msg, c->record);
	assert_contains(e.msg, "next run");
	resume_free(r);
}

static void
resume_remove_if_refused__keeps_it_under_a_rate_limit(void **state)
{
	struct ctx *c = *state;
	struct acme_outcome limited = { ACME_REFUSED, 429, "rateLimited", 60 };
	struct acme_outcome lost = { ACME_UNKNOWN, 0, "", -1 };
	struct acme_outcome gone = { ACME_REFUSED, 404, "malformed", -1 };
	struct resume *r;

	save(c);
	r = open_ok(c, &c->names);
	resume_remove_if_refused(r, &limited);
	resume_remove_if_refused(r, &lost);
	assert_true(exists(c->record));
	resume_remove_if_refused(r, &gone);
	assert_false(exists(c->record));
	resume_free(r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(resume_open__finds_nothing_in_a_new_state_dir),
		T(resume_save__writes_0600_in_a_0700_directory_named_like_the_lock),
		T(resume_open__loads_what_resume_save_wrote_with_the_new_key),
		T(resume_save__keeps_no_key_that_is_in_the_output_already),
		T(resume_remove__removes_the_record),
		T(resume_remove__leaves_a_record_of_other_names_alone),
		T(resume_open__removes_a_record_that_names_the_certificate_in_place),
		T(resume_open__keeps_a_record_whose_certificate_is_not_in_place),
		T(resume_open__ignores_a_record_of_another_ca),
		T(resume_account_is__false_for_another_account),
		T(resume_open__moves_a_record_that_is_not_json_aside),
		T(resume_open__moves_a_record_with_an_http_order_url_aside),
		T(resume_open__moves_a_record_whose_key_is_no_key_aside),
		T(resume_open__moves_a_record_others_can_read_aside),
		T(resume_open__refuses_a_symbolic_link),
		T(resume_open__refuses_an_orders_directory_others_can_write),
		T(resume_open__refuses_an_orders_directory_that_is_a_link),
		T(resume_explain__says_where_the_order_is_kept),
		T(resume_remove_if_refused__keeps_it_under_a_rate_limit),
	};

	log_set_level(LOG_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
