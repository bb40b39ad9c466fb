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

#include <jansson.h>

#include "certkey.h"
#include "certkeyproc.h"
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
	struct certkeyproc *proc;	/* holds the keys of job 0: names */
	struct certkey	*key;		/* new: not in the output */
	char		*key_file;	/* STATE/orders/NAME-HASH.key */
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const struct names *names[1];
	struct err e = { "" };

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
	names[0] = &c->names;
	if ((c->proc = certkeyproc_start(names, 1, SANDBOX_OFF, &e)) == NULL ||
	    (c->key = certkey_new(c->proc, 0, KEY_EC256, &e)) == NULL)
		return -1;
	c->key_file = strdup(c->record);
	memcpy(c->key_file + strlen(c->key_file) - 5, ".key", 5);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	certkey_free(c->key);
	certkeyproc_free(c->proc);
	free(c->key_file);
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

/* A record of ORDER_URL for c->names and key, written by resume_save. */
static void
save_with(struct ctx *c, const struct certkey *key)
{
	struct resume *r = open_ok(c, &c->names);
	struct err e = { "" };

	if (resume_save(r, ORDER_URL, ACCOUNT_URL, key, &e) == -1)
		fail_msg("resume_save: %s", e.msg);
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

static void
save(struct ctx *c)
{
	save_with(c, c->key);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Whether r keeps a key; with one, it is loaded as job 0's into *ck. */
static bool
keeps_key(struct ctx *c, const struct resume *r, struct certkey **ck)
{
	struct err e = { "" };
	int fd;

	if (resume_open_key(r, &fd, &e) == -1)
		fail_msg("resume_open_key: %s", e.msg);
	if (fd == -1)
		return false;
	if (ck != NULL && (*ck = certkey_load(c->proc, 0, fd, resume_path(r),
	    true, &e)) == NULL)
		fail_msg("certkey_load: %s", e.msg);
	close(fd);
	return true;
}

/* ---------------------------------------------------------------- tests */

static void
resume_open__finds_nothing_in_a_new_state_dir(void **state)
{
	struct ctx *c = *state;
	struct resume *r = open_ok(c, &c->names);

	assert_null(resume_order_url(r));
	assert_false(keeps_key(c, r, NULL));
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
	/* The record and its key beside it, no temporary file left. */
	assert_int_equal(mode_of(c->key_file), 0600);
	assert_int_equal(count_entries(c->orders), 2);
	free(lock);
}

static void
resume_open__loads_what_resume_save_wrote_with_the_new_key(void **state)
{
	struct ctx *c = *state;
	struct certkey *again = NULL;
	struct resume *r;
	char *text;

	save(c);
	text = read_file(c->record, NULL);
	assert_null(strstr(text, "PRIVATE KEY"));
	assert_contains(text, "\"key_id\"");
	assert_contains(text, ORDER_URL);
	free(text);
	text = read_file(c->key_file, NULL);
	assert_contains(text, "PRIVATE KEY");
	free(text);
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_true(resume_account_is(r, ACCOUNT_URL));
	/* The key comes back as the same new key, for the output set. */
	assert_true(keeps_key(c, r, &again));
	assert_true(certkey_is_new(again));
	assert_true(EVP_PKEY_eq(certkey_public(again),
	    certkey_public(c->key)) == 1);
	assert_true(resume_key_is(r, certkey_public(again)));
	certkey_free(again);
	resume_free(r);
}

/*
 * Killed between the new key and its record: a record naming another
 * key (an earlier order's) is not taken with this key.
 */
static void
resume_key_is__false_for_a_key_file_the_record_does_not_name(void **state)
{
	struct ctx *c = *state;
	struct certkey *other, *loaded = NULL;
	struct err e = { "" };
	struct resume *r;
	char *text;

	save(c);
	text = read_file(c->record, NULL);
	/* Another key written over the key file, the record as it was. */
	other = certkey_new(c->proc, 0, KEY_EC256, &e);
	assert_non_null(other);
	save_with(c, other);
	write_record(c, text);
	free(text);
	r = open_ok(c, &c->names);
	assert_true(keeps_key(c, r, &loaded));
	assert_false(resume_key_is(r, certkey_public(loaded)));
	certkey_free(loaded);
	certkey_free(other);
	resume_free(r);
}

/* Killed after the new key, before its record: the key goes. */
static void
resume_open__removes_a_key_file_without_a_record(void **state)
{
	struct ctx *c = *state;
	struct resume *r;

	save(c);
	assert_int_equal(unlink(c->record), 0);
	assert_true(exists(c->key_file));
	r = open_ok(c, &c->names);
	assert_null(resume_order_url(r));
	resume_free(r);
	assert_false(exists(c->key_file));
}

/* An older acmec kept the key inside the record: it moves beside it. */
static void
resume_open__moves_the_key_of_an_older_record_beside_it(void **state)
{
	struct ctx *c = *state;
	struct certkey *loaded = NULL;
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	char *pem = key_to_pem(key, &e);
	json_t *rec;
	char *text;
	struct resume *r;

	rec = json_pack("{s:s, s:s, s:s, s:[s, s], s:s}", "directory", CA_DIR,
	    "order", ORDER_URL, "account", ACCOUNT_URL, "names",
	    "a.example.org", "b.example.org", "key", pem);
	text = json_dumps(rec, 0);
	write_record(c, text);
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_int_equal(mode_of(c->key_file), 0600);
	assert_true(keeps_key(c, r, &loaded));
	assert_true(EVP_PKEY_eq(certkey_public(loaded), key) == 1);
	assert_true(resume_key_is(r, certkey_public(loaded)));
	certkey_free(loaded);
	resume_free(r);
	json_decref(rec);
	free(text);
	free(pem);
	EVP_PKEY_free(key);
}

static void
resume_save__keeps_no_key_that_is_in_the_output_already(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char *key_path = path_in(c->tmp.path, "privkey.pem"), *text;
	EVP_PKEY *pkey = key_generate(KEY_EC256, &e);
	struct certkey *old;
	struct resume *r;
	int fd;

	assert_int_equal(key_save(pkey, key_path, &e), 0);
	assert_true((fd = open(key_path, O_RDONLY)) != -1);
	old = certkey_load(c->proc, 0, fd, key_path, false, &e);
	close(fd);
	assert_non_null(old);
	save_with(c, old);
	text = read_file(c->record, NULL);
	assert_null(strstr(text, "key_id"));
	free(text);
	assert_false(exists(c->key_file));
	r = open_ok(c, &c->names);
	assert_string_equal(resume_order_url(r), ORDER_URL);
	assert_false(keeps_key(c, r, NULL));
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
	assert_false(keeps_key(c, r, NULL));
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
	assert_true(keeps_key(c, r, NULL));
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
	assert_false(keeps_key(c, r, NULL));
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

/* The record is gone, kept as .bad with want in it, and nothing loaded. */
static void
assert_set_aside(struct ctx *c, const char *want)
{
	char *bad = NULL, *text;
	struct resume *r;

	r = open_ok(c, &c->names);
	assert_null(resume_order_url(r));
	assert_false(keeps_key(c, r, NULL));
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
	assert_set_aside(c, "key_id");
}

static void
resume_open_key__refuses_a_key_file_others_can_read(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	struct resume *r;
	int fd;

	save(c);
	assert_int_equal(chmod(c->key_file, 0644), 0);
	r = open_ok(c, &c->names);
	assert_int_equal(resume_open_key(r, &fd, &e), -1);
	assert_int_equal(fd, -1);
	assert_contains(e.msg, "can be read or written by other users");
	resume_free(r);
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
		T(resume_key_is__false_for_a_key_file_the_record_does_not_name),
		T(resume_open__removes_a_key_file_without_a_record),
		T(resume_open__moves_the_key_of_an_older_record_beside_it),
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
		T(resume_open_key__refuses_a_key_file_others_can_read),
		T(resume_open__refuses_a_symbolic_link),
		T(resume_open__refuses_an_orders_directory_others_can_write),
		T(resume_open__refuses_an_orders_directory_that_is_a_link),
		T(resume_explain__says_where_the_order_is_kept),
		T(resume_remove_if_refused__keeps_it_under_a_rate_limit),
	};

	log_set_level(LOG_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
