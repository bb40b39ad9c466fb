/*
 * test_account.c - the account module against a scripted CA
 * (fake_transport.h) in a temporary state directory: where the key and
 * record live per CA, key rollover (RFC 8555 section 7.3.5) and what each
 * of its answers does to the pending key, settling an interrupted
 * rollover, two CAs side by side, and the files of an older acmec.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "account.h"
#include "acme.h"
#include "config.h"
#include "err.h"
#include "fake_transport.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "retired.h"
#include "signer.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define CA		FAKE_CA_A
#define DIRECTORY_URL	CA "/directory"
#define NEW_ACCOUNT_URL	CA "/new-account"
#define KEY_CHANGE_URL	CA "/key-change"
#define ACCOUNT_URL	CA "/acct/1"

#define ACCOUNT_JSON	"{\"status\":\"valid\",\"contact\":[]}"
#define NO_ACCOUNT	FAKE_PROBLEM("accountDoesNotExist", "No account " \
			"exists with the provided key")

struct ctx {
	struct tmpdir		 tmp;
	struct config		 cfg;
	struct fake_transport	 ft;
	struct transport	 seam;
	struct acme		*acme;
	struct account		*acct;
	struct account_options	 opts;
	char			*dir;		/* STATE/accounts/CA */
	char			*key_path;
	char			*pending_path;
	char			*record_path;
	int			 new_keys;	/* --new-key files written */
	struct err		 e;
};

/*
 * STATE/accounts/SLUG-HASH, computed here without config.c: the URL
 * without "https://", [A-Za-z0-9.-] kept and the rest '_', then the first
 * four bytes of the SHA-256 of the whole URL in hex.
 */
static char *
expected_account_dir(const char *state, const char *url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char slug[256], *dir;
	size_t n = 0;

	assert_true(EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(),
	    NULL));
	for (const char *p = url + strlen("https://"); *p != '\0'; p++)
		slug[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' &&
		    *p <= '9') || *p == '.' || *p == '-' ? *p : '_';
	slug[n] = '\0';
	if (asprintf(&dir, "%s/accounts/%s-%02x%02x%02x%02x", state, slug,
	    md[0], md[1], md[2], md[3]) < 0)
		fail_msg("asprintf");
	return dir;
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL || tmpdir_create(&c->tmp, "account") == -1)
		return -1;
	c->cfg.directory_url = DIRECTORY_URL;
	c->cfg.state_dir = c->tmp.path;
	c->cfg.timeout = 30;
	c->opts.create = true;
	c->opts.request.agree_tos = true;
	/* What "account rollover" lets its key process sign. */
	c->opts.sign_policy = KEYPROC_ALLOW_KEY_CHANGE;
	fake_transport_init(&c->ft);
	c->seam = fake_transport_seam(&c->ft);
	c->dir = expected_account_dir(c->tmp.path, DIRECTORY_URL);
	c->key_path = path_in(c->dir, "account-key.pem");
	c->pending_path = path_in(c->dir, "account-key.pem.new");
	c->record_path = path_in(c->dir, "account.json");
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	account_free(c->acct);
	acme_free(c->acme);
	fake_transport_free(&c->ft);
	tmpdir_remove(&c->tmp);
	free(c->dir);
	free(c->key_path);
	free(c->pending_path);
	free(c->record_path);
	free(c);
	return 0;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The thumbprint of a key (RFC 7638); new string. */
static char *
thumbprint_of_key(EVP_PKEY *key)
{
	struct err e = { "" };
	struct signer *s = signer_new(key, &e);
	char *thumb;

	if (s == NULL)
		fail_msg("signer_new: %s", e.msg);
	thumb = strdup(signer_thumbprint(s));
	signer_free(s);
	return thumb;
}

/* The thumbprint of the key in a PEM file, read with OpenSSL; new. */
static char *
thumbprint_of_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *key;
	char *thumb;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (key == NULL)
		fail_msg("%s holds no private key", path);
	thumb = thumbprint_of_key(key);
	EVP_PKEY_free(key);
	return thumb;
}

static void
assert_key_file_is(const char *path, EVP_PKEY *key)
{
	char *want = thumbprint_of_key(key), *got = thumbprint_of_file(path);

	assert_string_equal(got, want);
	free(want);
	free(got);
}

static EVP_PKEY *
new_key(void)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);

	if (key == NULL)
		fail_msg("key_generate: %s", e.msg);
	return key;
}

/* The key in a PEM file, read with OpenSSL; new. */
static EVP_PKEY *
key_of_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *key;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (key == NULL)
		fail_msg("%s holds no private key", path);
	return key;
}

/*
 * key saved as a --new-key file of its own outside the account's
 * directory (STATE/new-key-N.pem); new path.  The rollover's key process
 * loads it from there.
 */
static char *
new_key_file(struct ctx *c, EVP_PKEY *key)
{
	struct err e = { "" };
	char name[32], *path;

	snprintf(name, sizeof(name), "new-key-%d.pem", ++c->new_keys);
	path = path_in(c->tmp.path, name);
	if (key_save(key, path, &e) == -1)
		fail_msg("key_save: %s", e.msg);
	return path;
}

/* The account record, parsed; new reference. */
static json_t *
record_of(const char *path)
{
	char *text = read_file(path, NULL);
	json_t *rec = json_loads(text, 0, NULL);

	if (!json_is_object(rec))
		fail_msg("%s is not a JSON object: %s", path, text);
	free(text);
	return rec;
}

/*
 * The names in dir of old keys kept by a rollover, account-key.*.pem
 * (not account-key.pem itself); returns how many, up to max.
 */
static size_t
backups_in(const char *dir, char names[][128], size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, len;

	if (d == NULL)
		fail_msg("opendir %s", dir);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "account-key.", 12) != 0 || len < 16 ||
		    strcmp(de->d_name + len - 4, ".pem") != 0 ||
		    strcmp(de->d_name, "account-key.pem") == 0)
			continue;
		if (n < max)
			snprintf(names[n], sizeof(names[n]), "%.127s",
			    de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Fetch the directory of the CA at base. */
static struct acme *
connect_ca(struct ctx *c, const char *directory_url,
    const struct fake_step *directory)
{
	struct acme *acme;

	fake_transport_add(&c->ft, directory, 1);
	if ((acme = acme_new(&c->seam, directory_url, &c->e)) == NULL)
		fail_msg("acme_new: %s", c->e.msg);
	return acme;
}

static void
connect_ca_a(struct ctx *c)
{
	const struct fake_step directory = FAKE_GET_DIRECTORY(CA);

	c->acme = connect_ca(c, DIRECTORY_URL, &directory);
}

/* account_open of c's CA, expecting rc. */
static void
open_account(struct ctx *c, int want_rc)
{
	int rc = account_open(&c->cfg, c->acme, &c->opts, &c->acct, &c->e);

	if (rc != want_rc)
		fail_msg("account_open gave %d, not %d: %s", rc, want_rc,
		    c->e.msg);
}

/* A new account at CA A: a lookup that finds none, then newAccount. */
static void
create_account(struct ctx *c)
{
	const struct fake_step steps[] = {
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ACCOUNT_URL,
		  .payload_has = "\"onlyReturnExisting\":true",
		  .status = 400, .body = NO_ACCOUNT },
		{ .method = "POST", .url = NEW_ACCOUNT_URL,
		  .payload_has = "\"termsOfServiceAgreed\":true",
		  .status = 201, .location = ACCOUNT_URL,
		  .body = ACCOUNT_JSON },
	};

	connect_ca_a(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	open_account(c, 0);
	fake_transport_assert_done(&c->ft);
}

/*
 * Roll the account over to key, the CA answering keyChange with answer;
 * first comes the lookup that makes sure no account has the new key.
 */
static int
rollover(struct ctx *c, EVP_PKEY *key, const struct fake_step *answer)
{
	struct err e = { "" };
	struct signer *s = signer_new(key, &e);
	const struct fake_step lookup = { .method = "POST",
	    .url = NEW_ACCOUNT_URL, .jwk_of = s,
	    .payload_has = "\"onlyReturnExisting\":true", .status = 400,
	    .body = NO_ACCOUNT };
	struct fake_step change = *answer;
	char *path = new_key_file(c, key);
	int rc;

	assert_non_null(s);
	change.method = "POST";
	change.url = KEY_CHANGE_URL;
	change.kid = ACCOUNT_URL;
	fake_transport_add(&c->ft, &lookup, 1);
	fake_transport_add(&c->ft, &change, 1);
	rc = account_rollover(c->acct, c->acme, path, KEY_EC256, &c->e);
	fake_transport_assert_done(&c->ft);
	/* The --new-key file is left as it was. */
	assert_key_file_is(path, key);
	free(path);
	signer_free(s);
	return rc;
}

/*
 * A rollover to a new key whose answer is lost: the pending key stays.
 * No nonce came back, so the next request starts with newNonce.
 */
static EVP_PKEY *
rollover_lost(struct ctx *c)
{
	const struct fake_step lost = { .lost = true };
	EVP_PKEY *key = new_key();

	assert_int_equal(rollover(c, key, &lost), -1);
	assert_true(exists(c->pending_path));
	return key;
}

/* Close the account and open it again, with steps for the CA. */
static void
reopen(struct ctx *c, const struct fake_step *steps, size_t n, int want_rc)
{
	account_free(c->acct);
	c->acct = NULL;
	fake_transport_add(&c->ft, steps, n);
	open_account(c, want_rc);
	fake_transport_assert_done(&c->ft);
}

/* ------------------------------------------------------------ opening */

static void
account_open__creates_a_private_key_and_record_per_ca(void **state)
{
	struct ctx *c = *state;
	json_t *rec;

	create_account(c);
	assert_non_null(c->acct);
	assert_string_equal(c->acct->dir, c->dir);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	assert_int_equal(mode_of(c->dir), 0700);
	assert_int_equal(mode_of(c->key_path), 0600);
	assert_int_equal(mode_of(c->record_path), 0600);
	rec = record_of(c->record_path);
	assert_string_equal(string_member(rec, "url"), ACCOUNT_URL);
	assert_string_equal(string_member(rec, "directory"), DIRECTORY_URL);
	assert_string_equal(string_member(rec, "status"), "valid");
	assert_string_equal(string_member(rec, "thumbprint"),
	    signer_thumbprint(c->acct->signer));
	json_decref(rec);
	/* The lookup and the creation were signed with the new key. */
	for (size_t i = 2; i < c->ft.nrequests; i++) {
		json_t *jwk = signer_jwk(c->acct->signer);
		assert_true(json_equal(jwk, json_object_get(
		    fake_transport_request(&c->ft, i)->protected, "jwk")));
		json_decref(jwk);
	}
	assert_false(exists(c->pending_path));
}

static void
account_open__uses_the_remembered_url_without_asking_the_ca(void **state)
{
	struct ctx *c = *state;
	size_t before;

	create_account(c);
	before = c->ft.nrequests;
	reopen(c, NULL, 0, 0);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	assert_int_equal(c->ft.nrequests, before);
}

static void
account_open__without_create_needs_a_key(void **state)
{
	struct ctx *c = *state;

	connect_ca_a(c);
	c->opts.create = false;
	open_account(c, -1);
	assert_contains(c->e.msg, "no account key");
	assert_contains(c->e.msg, "--agree-tos");
	assert_contains(c->e.msg, CA "/terms");
	assert_false(exists(c->key_path));
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 0);
}

static void
account_open__sets_a_corrupt_record_aside_and_looks_the_account_up(
    void **state)
{
	struct ctx *c = *state;
	char *bad = path_in(c->dir, "account.json.bad"), *text;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL,
		  .payload_has = "\"onlyReturnExisting\":true",
		  .status = 200, .location = ACCOUNT_URL,
		  .body = ACCOUNT_JSON },
	};
	json_t *rec;

	create_account(c);
	write_text(c->record_path, "{\"url\": \"https://ca-a.test/ac");
	reopen(c, steps, NITEMS(steps), 0);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	text = read_file(bad, NULL);
	assert_string_equal(text, "{\"url\": \"https://ca-a.test/ac");
	rec = record_of(c->record_path);
	assert_string_equal(string_member(rec, "url"), ACCOUNT_URL);
	json_decref(rec);
	free(text);
	free(bad);
}

static void
account_open__refuses_a_deactivated_account(void **state)
{
	struct ctx *c = *state;
	json_t *rec;

	create_account(c);
	rec = record_of(c->record_path);
	json_object_set_new(rec, "status", json_string("deactivated"));
	assert_int_equal(json_dump_file(rec, c->record_path, 0), 0);
	json_decref(rec);
	reopen(c, NULL, 0, -1);
	assert_contains(c->e.msg, "deactivated");
	assert_contains(c->e.msg, c->dir);
}

/* ----------------------------------------------------------- rollover */


/*
 * Another run rolled the key over while this one ordered: recovery after
 * a failed newOrder must not ask the CA about (nor create an account
 * for) the retired key this run still signs with.
 */
static void
account_recover__refuses_when_another_run_replaced_the_key(void **state)
{
	struct ctx *c = *state;
	const struct acme_outcome why = { .status = 500, .retry_after = -1 };
	struct err e = { "newOrder: HTTP 500" };
	EVP_PKEY *other = new_key();
	size_t before;

	create_account(c);
	account_unlock(c->acct);	/* as the engine does before orders */
	if (key_save(other, c->key_path, &c->e) == -1)
		fail_msg("key_save: %s", c->e.msg);
	before = c->ft.nrequests;
	assert_int_equal(account_recover(c->acct, c->acme, &c->opts, &why,
	    &e), -1);
	assert_int_equal(c->ft.nrequests, before);
	assert_non_null(strstr(e.msg, "newOrder: HTTP 500; cannot ask the CA "
	    "for this key's account: "));
	assert_non_null(strstr(e.msg, "account-key.pem was replaced by "
	    "another acmec run (account rollover) while this one ran: run it "
	    "again"));
	assert_key_file_is(c->key_path, other);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	assert_int_equal(c->acct->lock, -1);	/* given back */
	EVP_PKEY_free(other);
}

static void
account_rollover__moves_the_new_key_in_and_keeps_the_old_one(void **state)
{
	struct ctx *c = *state;
	const struct fake_step ok = { .status = 200, .body = ACCOUNT_JSON };
	EVP_PKEY *old, *key = new_key();
	char names[4][128], *backup;
	json_t *rec;

	create_account(c);
	old = key_of_file(c->key_path);
	assert_int_equal(rollover(c, key, &ok), 0);
	assert_key_file_is(c->key_path, key);
	assert_int_equal(mode_of(c->key_path), 0600);
	assert_false(exists(c->pending_path));
	assert_key_file_is(c->key_path, key);
	assert_int_equal(backups_in(c->dir, names, 4), 1);
	backup = path_in(c->dir, names[0]);
	assert_key_file_is(backup, old);
	assert_int_equal(mode_of(backup), 0600);
	rec = record_of(c->record_path);
	assert_string_equal(string_member(rec, "url"), ACCOUNT_URL);
	assert_string_equal(string_member(rec, "thumbprint"),
	    signer_thumbprint(c->acct->signer));
	json_decref(rec);
	free(backup);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

static void
account_rollover__keeps_two_backups_for_two_rollovers_in_one_second(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step ok = { .status = 200, .body = ACCOUNT_JSON };
	EVP_PKEY *old, *first = new_key(), *second = new_key();
	char names[4][128], *a, *b, *ta, *tb, *told, *tfirst;

	create_account(c);
	old = key_of_file(c->key_path);
	assert_int_equal(rollover(c, first, &ok), 0);
	assert_int_equal(rollover(c, second, &ok), 0);
	assert_key_file_is(c->key_path, second);
	assert_int_equal(backups_in(c->dir, names, 4), 2);
	a = path_in(c->dir, names[0]);
	b = path_in(c->dir, names[1]);
	ta = thumbprint_of_file(a);
	tb = thumbprint_of_file(b);
	told = thumbprint_of_key(old);
	tfirst = thumbprint_of_key(first);
	/* One holds the first key, the other the second, in any order. */
	assert_true((strcmp(ta, told) == 0 && strcmp(tb, tfirst) == 0) ||
	    (strcmp(ta, tfirst) == 0 && strcmp(tb, told) == 0));
	free(a);
	free(b);
	free(ta);
	free(tb);
	free(told);
	free(tfirst);
	EVP_PKEY_free(old);
	EVP_PKEY_free(first);
	EVP_PKEY_free(second);
}

static void
account_rollover__keeps_the_pending_key_when_the_answer_is_lost(
    void **state)
{
	struct ctx *c = *state;
	char *before, *after;
	EVP_PKEY *key;

	create_account(c);
	before = read_file(c->key_path, NULL);
	key = rollover_lost(c);
	after = read_file(c->key_path, NULL);
	assert_string_equal(after, before);
	assert_key_file_is(c->pending_path, key);
	assert_int_equal(mode_of(c->pending_path), 0600);
	assert_contains(c->e.msg, "timed out");
	assert_contains(c->e.msg, "unknown");
	assert_contains(c->e.msg, "next acmec run");
	assert_contains(c->e.msg, c->pending_path);
	assert_int_equal(fake_transport_count(&c->ft, "POST", KEY_CHANGE_URL),
	    1);
	free(before);
	free(after);
	EVP_PKEY_free(key);
}

static void
account_rollover__keeps_the_pending_key_after_a_5xx_sent_once(void **state)
{
	struct ctx *c = *state;
	static const long statuses[] = { 504, 500, 503 };
	char *before;

	create_account(c);
	before = read_file(c->key_path, NULL);
	for (size_t i = 0; i < NITEMS(statuses); i++) {
		const struct fake_step answer = { .status = statuses[i],
		    .body = i == 0 ? "<html>Gateway Timeout</html>" :
		    FAKE_PROBLEM("serverInternal", "try again later") };
		EVP_PKEY *key = new_key();
		char *after;

		assert_int_equal(rollover(c, key, &answer), -1);
		/* Exactly one keyChange per rollover: never repeated. */
		assert_int_equal(fake_transport_count(&c->ft, "POST",
		    KEY_CHANGE_URL), i + 1);
		assert_key_file_is(c->pending_path, key);
		after = read_file(c->key_path, NULL);
		assert_string_equal(after, before);
		assert_contains(c->e.msg, "unknown");
		/*
		 * The next run settles it first; here it goes by hand, as a
		 * rollover never replaces a pending key (whose fate is
		 * unknown: the CA may hold it).
		 */
		assert_int_equal(unlink(c->pending_path), 0);
		free(after);
		EVP_PKEY_free(key);
	}
	free(before);
}

/* keyChange refused with answer: the pending key goes, the old stays. */
static void
assert_refused_rollover_keeps_the_old_key(struct ctx *c,
    const struct fake_step *answer)
{
	EVP_PKEY *key = new_key();
	char *before, *after;

	create_account(c);
	before = read_file(c->key_path, NULL);
	assert_int_equal(rollover(c, key, answer), -1);
	after = read_file(c->key_path, NULL);
	assert_string_equal(after, before);
	assert_false(exists(c->pending_path));
	assert_int_equal(backups_in(c->dir, NULL, 0), 0);
	assert_contains(c->e.msg, "stays in use");
	free(before);
	free(after);
	EVP_PKEY_free(key);
}

static void
account_rollover__removes_the_pending_key_when_refused(void **state)
{
	struct ctx *c = *state;
	const struct fake_step refused = { .status = 400,
	    .body = FAKE_PROBLEM("malformed", "Inner JWS is not valid") };

	assert_refused_rollover_keeps_the_old_key(c, &refused);
	assert_contains(c->e.msg, "Inner JWS is not valid");
}

static void
account_rollover__removes_the_pending_key_on_501(void **state)
{
	struct ctx *c = *state;
	const struct fake_step refused = { .status = 501,
	    .body = "Not Implemented" };

	assert_refused_rollover_keeps_the_old_key(c, &refused);
	assert_contains(c->e.msg, "does not implement");
}

static void
account_rollover__removes_the_pending_key_on_409(void **state)
{
	struct ctx *c = *state;
	const struct fake_step refused = { .status = 409,
	    .location = CA "/acct/2",
	    .body = FAKE_PROBLEM("malformed", "key in use") };

	assert_refused_rollover_keeps_the_old_key(c, &refused);
	assert_contains(c->e.msg, "already belongs to another account");
}

/* A command that only orders opens a key process that refuses keyChange. */
static void
account_rollover__is_refused_by_the_key_process_of_an_ordering_command(
    void **state)
{
	struct ctx *c = *state;
	EVP_PKEY *key = new_key();
	struct err e = { "" };
	struct signer *s = signer_new(key, &e);
	const struct fake_step lookup = { .method = "POST",
	    .url = NEW_ACCOUNT_URL, .jwk_of = s,
	    .payload_has = "\"onlyReturnExisting\":true", .status = 400,
	    .body = NO_ACCOUNT };
	char *before, *after, *path = new_key_file(c, key);

	c->opts.sign_policy = KEYPROC_POLICY_ORDER;
	create_account(c);
	before = read_file(c->key_path, NULL);
	fake_transport_add(&c->ft, &lookup, 1);
	assert_int_equal(account_rollover(c->acct, c->acme, path, KEY_EC256,
	    &c->e), -1);
	fake_transport_assert_done(&c->ft);
	assert_contains(c->e.msg, "the key process refused to sign a key "
	    "change (a JWS) for " KEY_CHANGE_URL);
	assert_contains(c->e.msg, "stays in use");
	after = read_file(c->key_path, NULL);
	assert_string_equal(after, before);
	assert_false(exists(c->pending_path));
	free(before);
	free(after);
	free(path);
	signer_free(s);
	EVP_PKEY_free(key);
}

static void
account_rollover__refuses_a_key_that_has_an_account_without_sending_it(
    void **state)
{
	struct ctx *c = *state;
	EVP_PKEY *key = new_key();
	struct err e = { "" };
	struct signer *s = signer_new(key, &e);
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL, .jwk_of = s,
		  .payload_has = "\"onlyReturnExisting\":true",
		  .status = 200, .location = CA "/acct/2",
		  .body = ACCOUNT_JSON },
	};
	char *path = new_key_file(c, key);

	create_account(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(account_rollover(c->acct, c->acme, path, KEY_EC256,
	    &c->e), -1);
	assert_contains(c->e.msg, "already belongs to account " CA "/acct/2");
	/* The key process saved it; it goes, as the CA never took it. */
	assert_false(exists(c->pending_path));
	assert_int_equal(fake_transport_count(&c->ft, NULL, KEY_CHANGE_URL),
	    0);
	fake_transport_assert_done(&c->ft);
	free(path);
	signer_free(s);
	EVP_PKEY_free(key);
}

/*
 * Without --new-key the new key's process makes one of the type asked
 * for and saves it itself; it ends up in place, and this process never
 * had it to compare with: the account's signer is what the file holds.
 */
static void
account_rollover__makes_a_new_key_of_the_type_in_its_own_process(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL,
		  .payload_has = "\"onlyReturnExisting\":true",
		  .status = 400, .body = NO_ACCOUNT },
		{ .method = "POST", .url = KEY_CHANGE_URL, .kid = ACCOUNT_URL,
		  .status = 200, .body = ACCOUNT_JSON },
	};
	char *old_thumb, *thumb;
	EVP_PKEY *key;

	create_account(c);
	old_thumb = thumbprint_of_file(c->key_path);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(account_rollover(c->acct, c->acme, NULL, KEY_EC384,
	    &c->e), 0);
	fake_transport_assert_done(&c->ft);
	assert_false(exists(c->pending_path));
	assert_int_equal(mode_of(c->key_path), 0600);
	key = key_of_file(c->key_path);
	assert_string_equal(key_describe(key), "ec-384");
	thumb = thumbprint_of_file(c->key_path);
	assert_string_equal(thumb, signer_thumbprint(c->acct->signer));
	assert_string_not_equal(thumb, old_thumb);
	assert_int_equal(backups_in(c->dir, NULL, 0), 1);
	free(old_thumb);
	free(thumb);
	EVP_PKEY_free(key);
}

/* A retired new key is refused before the CA hears of it, and goes. */
static void
account_rollover__refuses_a_retired_new_key_and_removes_its_copy(
    void **state)
{
	struct ctx *c = *state;
	EVP_PKEY *key = new_key();
	char id[KEY_ID_LEN + 1], *path = new_key_file(c, key);
	size_t before;

	create_account(c);
	assert_int_equal(key_spki_sha256(key, id, &c->e), 0);
	assert_int_equal(retired_add(c->tmp.path, id, "a test", &c->e), 0);
	before = c->ft.nrequests;
	assert_int_equal(account_rollover(c->acct, c->acme, path, KEY_EC256,
	    &c->e), -1);
	assert_contains(c->e.msg, "the new key is a retired key (");
	assert_contains(c->e.msg, " a test)");
	assert_int_equal(c->ft.nrequests, before);
	assert_false(exists(c->pending_path));
	assert_key_file_is(path, key);
	free(path);
	EVP_PKEY_free(key);
}

/* A pending key in the way is never overwritten by another rollover. */
static void
account_rollover__refuses_to_replace_a_pending_key_file(void **state)
{
	struct ctx *c = *state;
	char *before, *after;

	create_account(c);
	write_text(c->pending_path, "not mine");
	before = read_file(c->key_path, NULL);
	assert_int_equal(account_rollover(c->acct, c->acme, NULL, KEY_EC256,
	    &c->e), -1);
	assert_contains(c->e.msg, "refused to make the key file");
	assert_contains(c->e.msg, c->pending_path);
	after = read_file(c->pending_path, NULL);
	assert_string_equal(after, "not mine");
	free(after);
	after = read_file(c->key_path, NULL);
	assert_string_equal(after, before);
	free(before);
	free(after);
}

/* -------------------------------------------- settling a rollover later */

/* A lookup of the account of key s at CA base, found or not. */
#define LOOKUP(base, s, found) \
	{ .method = "POST", .url = base "/new-account", .jwk_of = (s), \
	  .payload_has = "\"onlyReturnExisting\":true", \
	  .status = (found) ? 200 : 400, \
	  .location = (found) ? base "/acct/1" : NULL, \
	  .body = (found) ? ACCOUNT_JSON : NO_ACCOUNT }

/* The signer of key (new), to say which key signs a request. */
static struct signer *
signer_of(EVP_PKEY *key)
{
	struct err e = { "" };
	struct signer *s = signer_new(key, &e);

	if (s == NULL)
		fail_msg("signer_new: %s", e.msg);
	return s;
}

static void
account_open__completes_a_rollover_the_ca_made(void **state)
{
	struct ctx *c = *state;
	EVP_PKEY *old, *key;
	struct signer *old_s, *new_s;
	char names[4][128], *backup;
	json_t *rec;

	create_account(c);
	old = key_of_file(c->key_path);
	key = rollover_lost(c);
	old_s = signer_of(old);
	new_s = signer_of(key);
	{
		const struct fake_step steps[] = {
			FAKE_NEW_NONCE(CA),
			LOOKUP(CA, old_s, false),
			LOOKUP(CA, new_s, true),
		};

		c->opts.create = false;
		reopen(c, steps, NITEMS(steps), 0);
	}
	assert_key_file_is(c->key_path, key);
	assert_false(exists(c->pending_path));
	assert_int_equal(backups_in(c->dir, names, 4), 1);
	backup = path_in(c->dir, names[0]);
	assert_key_file_is(backup, old);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	assert_string_equal(signer_thumbprint(c->acct->signer),
	    signer_thumbprint(new_s));
	rec = record_of(c->record_path);
	assert_string_equal(string_member(rec, "thumbprint"),
	    signer_thumbprint(new_s));
	json_decref(rec);
	free(backup);
	signer_free(old_s);
	signer_free(new_s);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

static void
account_open__discards_a_pending_key_the_ca_never_took(void **state)
{
	struct ctx *c = *state;
	EVP_PKEY *old, *key;
	struct signer *old_s;
	char *before, *after;

	create_account(c);
	before = read_file(c->key_path, NULL);
	old = key_of_file(c->key_path);
	key = rollover_lost(c);
	old_s = signer_of(old);
	{
		const struct fake_step steps[] = {
			FAKE_NEW_NONCE(CA),
			LOOKUP(CA, old_s, true),
		};

		reopen(c, steps, NITEMS(steps), 0);
	}
	after = read_file(c->key_path, NULL);
	assert_string_equal(after, before);
	assert_false(exists(c->pending_path));
	assert_int_equal(backups_in(c->dir, NULL, 0), 0);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	free(before);
	free(after);
	signer_free(old_s);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

static void
account_open__keeps_both_keys_when_the_ca_knows_neither(void **state)
{
	struct ctx *c = *state;
	EVP_PKEY *old, *key;
	struct signer *old_s, *new_s;

	create_account(c);
	old = key_of_file(c->key_path);
	key = rollover_lost(c);
	old_s = signer_of(old);
	new_s = signer_of(key);
	{
		const struct fake_step steps[] = {
			FAKE_NEW_NONCE(CA),
			LOOKUP(CA, old_s, false),
			LOOKUP(CA, new_s, false),
		};

		reopen(c, steps, NITEMS(steps), -1);
	}
	assert_contains(c->e.msg, "knows neither");
	assert_key_file_is(c->key_path, old);
	assert_key_file_is(c->pending_path, key);
	signer_free(old_s);
	signer_free(new_s);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

static void
account_open__keeps_both_keys_when_the_lookup_is_lost(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ACCOUNT_URL, .lost = true },
	};
	EVP_PKEY *old, *key;

	create_account(c);
	old = key_of_file(c->key_path);
	key = rollover_lost(c);
	reopen(c, steps, NITEMS(steps), -1);
	assert_contains(c->e.msg, "settling the interrupted rollover");
	assert_key_file_is(c->key_path, old);
	assert_key_file_is(c->pending_path, key);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

/* ------------------------------------------------------------ two CAs */

/* Fail if any request from the first one on is signed with key's jwk. */
static void
assert_never_signed_with(const struct fake_transport *ft, size_t first,
    EVP_PKEY *key)
{
	struct signer *s = signer_of(key);
	json_t *jwk = signer_jwk(s);

	for (size_t i = first; i < ft->nrequests; i++)
		if (json_equal(jwk, json_object_get(
		    fake_transport_request(ft, i)->protected, "jwk")))
			fail_msg("request %zu (%s) is signed with the wrong "
			    "CA's key", i, fake_transport_request(ft, i)->url);
	json_decref(jwk);
	signer_free(s);
}

static void
account_open__leaves_a_pending_rollover_at_another_ca_alone(void **state)
{
	struct ctx *c = *state;
	const struct fake_step directory_b = FAKE_GET_DIRECTORY(FAKE_CA_B);
	const struct fake_step steps_b[] = {
		FAKE_NEW_NONCE(FAKE_CA_B),
		{ .method = "POST", .url = FAKE_CA_B "/new-account",
		  .payload_has = "\"onlyReturnExisting\":true",
		  .status = 400, .body = NO_ACCOUNT },
		{ .method = "POST", .url = FAKE_CA_B "/new-account",
		  .payload_has = "\"termsOfServiceAgreed\":true",
		  .status = 201, .location = FAKE_CA_B "/acct/1",
		  .body = ACCOUNT_JSON },
	};
	struct config cfg_b = c->cfg;
	struct account *acct_b = NULL;
	struct acme *acme_b;
	EVP_PKEY *old, *key;
	char *dir_b, *before, *after;
	size_t first_b;

	create_account(c);
	old = key_of_file(c->key_path);
	before = read_file(c->key_path, NULL);
	key = rollover_lost(c);
	account_free(c->acct);
	c->acct = NULL;

	cfg_b.directory_url = FAKE_CA_B "/directory";
	first_b = c->ft.nrequests;
	acme_b = connect_ca(c, cfg_b.directory_url, &directory_b);
	fake_transport_add(&c->ft, steps_b, NITEMS(steps_b));
	assert_int_equal(account_open(&cfg_b, acme_b, &c->opts, &acct_b,
	    &c->e), 0);
	fake_transport_assert_done(&c->ft);
	dir_b = expected_account_dir(c->tmp.path, cfg_b.directory_url);
	assert_string_equal(acct_b->dir, dir_b);
	assert_string_not_equal(dir_b, c->dir);
	assert_string_equal(acct_b->url, FAKE_CA_B "/acct/1");
	/* CA A's files are as they were, and B never saw A's keys. */
	assert_key_file_is(c->pending_path, key);
	after = read_file(c->key_path, NULL);
	assert_string_equal(after, before);
	assert_never_signed_with(&c->ft, first_b, old);
	assert_never_signed_with(&c->ft, first_b, key);
	account_free(acct_b);
	acme_free(acme_b);
	free(dir_b);
	free(before);
	free(after);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

/* ------------------------------------------------ files of acmec < 0.2 */

/*
 * What acmec before 0.2 left: STATE/account-key.pem for every CA and
 * STATE/accounts/HOST_PATH.json, one record per CA (its URL with "https://"
 * left out, [A-Za-z0-9.-] kept and the rest '_').
 */
static void
write_legacy_record(const char *state, const char *directory_url,
    const char *account_url, const char *thumbprint)
{
	char *accounts = path_in(state, "accounts"), *path, slug[256];
	size_t n = 0;
	json_t *rec;

	for (const char *p = directory_url + 8; *p != '\0'; p++)
		slug[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' &&
		    *p <= '9') || *p == '.' || *p == '-' ? *p : '_';
	slug[n] = '\0';
	(void)mkdir(accounts, 0700);
	if (asprintf(&path, "%s/%s.json", accounts, slug) < 0)
		fail_msg("asprintf");
	rec = json_pack("{s:s, s:s, s:s, s:s}", "directory", directory_url,
	    "url", account_url, "status", "valid", "thumbprint", thumbprint);
	assert_int_equal(json_dump_file(rec, path, JSON_INDENT(2)), 0);
	json_decref(rec);
	free(path);
	free(accounts);
}

static EVP_PKEY *
write_legacy_key(struct ctx *c, const char *name)
{
	EVP_PKEY *key = new_key();
	char *path = path_in(c->tmp.path, name);
	struct err e = { "" };

	if (key_save(key, path, &e) == -1)
		fail_msg("key_save: %s", e.msg);
	free(path);
	return key;
}

static void
account_open__takes_over_the_key_and_record_of_an_older_acmec(void **state)
{
	struct ctx *c = *state;
	char *legacy_key = path_in(c->tmp.path, "account-key.pem");
	char *legacy_rec = path_in(c->tmp.path,
	    "accounts/ca-a.test_directory.json");
	EVP_PKEY *key = write_legacy_key(c, "account-key.pem");
	char *thumb = thumbprint_of_key(key);
	struct stat a, b;
	json_t *rec;

	write_legacy_record(c->tmp.path, DIRECTORY_URL, ACCOUNT_URL, thumb);
	assert_true(exists(legacy_rec));
	connect_ca_a(c);
	c->opts.create = false;
	open_account(c, 0);
	/* The record says it all: nothing to ask the CA. */
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 0);
	assert_string_equal(c->acct->url, ACCOUNT_URL);
	assert_string_equal(signer_thumbprint(c->acct->signer), thumb);
	/* The key is the same file (a hard link), so it stays 0600. */
	assert_int_equal(stat(legacy_key, &a), 0);
	assert_int_equal(stat(c->key_path, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_int_equal(mode_of(c->key_path), 0600);
	/* The record moved. */
	assert_false(exists(legacy_rec));
	rec = record_of(c->record_path);
	assert_string_equal(string_member(rec, "url"), ACCOUNT_URL);
	json_decref(rec);
	free(legacy_key);
	free(legacy_rec);
	free(thumb);
	EVP_PKEY_free(key);
}

/*
 * acmec before 0.2 kept one pending key, STATE/account-key.pem.new, for a
 * rollover at one of the CAs that shared the old key, and which one is not
 * written anywhere.  Here the rollover was made at CA A; CA B still has
 * the old key.  Opening B first must not throw away the key A now holds.
 */
static void
account_open__leaves_a_legacy_pending_key_to_the_ca_that_took_it(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step directory_b = FAKE_GET_DIRECTORY(FAKE_CA_B);
	struct config cfg_b = c->cfg;
	struct account *acct_b = NULL;
	struct acme *acme_b;
	EVP_PKEY *old = write_legacy_key(c, "account-key.pem");
	EVP_PKEY *key = write_legacy_key(c, "account-key.pem.new");
	struct signer *old_s = signer_of(old), *new_s = signer_of(key);
	char *thumb = thumbprint_of_key(old), *pending_b;

	cfg_b.directory_url = FAKE_CA_B "/directory";
	write_legacy_record(c->tmp.path, DIRECTORY_URL, ACCOUNT_URL, thumb);
	write_legacy_record(c->tmp.path, cfg_b.directory_url,
	    FAKE_CA_B "/acct/1", thumb);
	c->opts.create = false;
	/* B first: it still knows the old key, so nothing changed there. */
	acme_b = connect_ca(c, cfg_b.directory_url, &directory_b);
	{
		const struct fake_step steps[] = {
			FAKE_NEW_NONCE(FAKE_CA_B),
			LOOKUP(FAKE_CA_B, old_s, true),
		};

		fake_transport_add(&c->ft, steps, NITEMS(steps));
	}
	assert_int_equal(account_open(&cfg_b, acme_b, &c->opts, &acct_b,
	    &c->e), 0);
	fake_transport_assert_done(&c->ft);
	assert_string_equal(signer_thumbprint(acct_b->signer), thumb);
	pending_b = path_in(acct_b->dir, "account-key.pem.new");
	assert_false(exists(pending_b));
	/* Then A, which took the new key: the rollover completes there. */
	connect_ca_a(c);
	{
		const struct fake_step steps[] = {
			FAKE_NEW_NONCE(CA),
			LOOKUP(CA, old_s, false),
			LOOKUP(CA, new_s, true),
		};

		fake_transport_add(&c->ft, steps, NITEMS(steps));
	}
	open_account(c, 0);
	fake_transport_assert_done(&c->ft);
	assert_key_file_is(c->key_path, key);
	assert_string_equal(signer_thumbprint(c->acct->signer),
	    signer_thumbprint(new_s));
	assert_false(exists(c->pending_path));
	account_free(acct_b);
	acme_free(acme_b);
	free(pending_b);
	signer_free(old_s);
	signer_free(new_s);
	free(thumb);
	EVP_PKEY_free(old);
	EVP_PKEY_free(key);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(account_open__creates_a_private_key_and_record_per_ca),
		T(account_open__uses_the_remembered_url_without_asking_the_ca),
		T(account_open__without_create_needs_a_key),
		T(account_open__sets_a_corrupt_record_aside_and_looks_the_account_up),
		T(account_open__refuses_a_deactivated_account),
		T(account_recover__refuses_when_another_run_replaced_the_key),
		T(account_rollover__moves_the_new_key_in_and_keeps_the_old_one),
		T(account_rollover__keeps_two_backups_for_two_rollovers_in_one_second),
		T(account_rollover__keeps_the_pending_key_when_the_answer_is_lost),
		T(account_rollover__keeps_the_pending_key_after_a_5xx_sent_once),
		T(account_rollover__removes_the_pending_key_when_refused),
		T(account_rollover__removes_the_pending_key_on_501),
		T(account_rollover__removes_the_pending_key_on_409),
		T(account_rollover__refuses_a_key_that_has_an_account_without_sending_it),
		T(account_rollover__is_refused_by_the_key_process_of_an_ordering_command),
		T(account_rollover__makes_a_new_key_of_the_type_in_its_own_process),
		T(account_rollover__refuses_a_retired_new_key_and_removes_its_copy),
		T(account_rollover__refuses_to_replace_a_pending_key_file),
		T(account_open__completes_a_rollover_the_ca_made),
		T(account_open__discards_a_pending_key_the_ca_never_took),
		T(account_open__keeps_both_keys_when_the_ca_knows_neither),
		T(account_open__keeps_both_keys_when_the_lookup_is_lost),
		T(account_open__leaves_a_pending_rollover_at_another_ca_alone),
		T(account_open__takes_over_the_key_and_record_of_an_older_acmec),
		T(account_open__leaves_a_legacy_pending_key_to_the_ca_that_took_it),
	};

	log_set_level(LOG_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
