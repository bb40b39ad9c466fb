/*
 * test_keyproc.c - the key process: it signs what a run at its CA needs,
 * with the key it loaded itself, and refuses the rest by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64url.h"
#include "jws.h"
#include "key.h"
#include "keyproc.h"
#include "log.h"
#include "sandbox.h"
#include "testkeys.h"
#include "testutil.h"

#define CA	"https://ca.test/dir"
#define ACCT	"https://ca.test/acct/1"

/*
 * The kernel the key process believes it runs on; NULL: the real one.
 * sandbox_enter is wrapped (-Wl,--wrap, Makefile.am) because keyproc
 * has no seam of its own for it: the pretence goes through the
 * sandbox's own, sandbox_enter_with.
 */
static const struct sandbox_kernel *pretend_kernel;

int __real_sandbox_enter(const struct sandbox_spec *s, char *report,
    size_t len, struct err *e);
int __wrap_sandbox_enter(const struct sandbox_spec *s, char *report,
    size_t len, struct err *e);

int
__wrap_sandbox_enter(const struct sandbox_spec *s, char *report, size_t len,
    struct err *e)
{
	if (pretend_kernel == NULL)
		return __real_sandbox_enter(s, report, len, e);
	return sandbox_enter_with(pretend_kernel, s, report, len, e);
}

/* No child left: the key process that refused to start was reaped. */
static void
assert_no_child(void)
{
	char path[64], *children;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	assert_non_null(children = read_file(path, NULL));
	assert_string_equal(children, "");
	free(children);
}

struct fixture {
	struct tmpdir	 t;
	EVP_PKEY	*key;
	char		*path;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err e = { "" };

	if (f == NULL || tmpdir_create(&f->t, "keyproc") == -1)
		return -1;
	f->path = path_in(f->t.path, "account-key.pem");
	if ((f->key = key_generate(KEY_EC256, &e)) == NULL ||
	    key_save(f->key, f->path, &e) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->key);
	free(f->path);
	tmpdir_remove(&f->t);
	free(f);
	return 0;
}

static struct signer *
start(const struct fixture *f, unsigned policy)
{
	struct err e = { "" };
	struct signer *s = keyproc_start(f->path, CA, policy, SANDBOX_AUTO,
	    &e);

	if (s == NULL)
		fail_msg("keyproc_start: %s", e.msg);
	return s;
}

/* jws_new over payload (JSON text, NULL: POST-as-GET); NULL if refused. */
static json_t *
sign(const struct signer *s, const char *url, const char *payload,
    struct err *e)
{
	json_t *p = payload != NULL ? json_loads(payload, 0, NULL) : NULL;
	json_t *jws;

	if (payload != NULL)
		assert_non_null(p);
	jws = jws_new(s, url, ACCT, "nonce", p, e);
	json_decref(p);
	return jws;
}

static void
assert_refused(const struct signer *s, const char *url, const char *payload,
    const char *part)
{
	struct err e = { "" };

	assert_null(sign(s, url, payload, &e));
	assert_contains(e.msg, "the key process refused to sign");
	assert_contains(e.msg, part);
}

static void
keyproc__signs_a_post_to_the_ca_that_verifies_with_its_jwk(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ORDER);
	struct signer *local;
	struct err e = { "" };
	json_t *jws, *jwk, *want;
	char *input;

	local = signer_new(f->key, &e);
	assert_non_null(local);
	jwk = signer_jwk(s);
	want = signer_jwk(local);
	assert_true(json_equal(jwk, want));
	assert_string_equal(signer_alg(s), "ES256");
	assert_string_equal(signer_key_type(s), "ec-256");
	assert_string_equal(signer_thumbprint(s), signer_thumbprint(local));
	assert_string_equal(signer_key_id(s), signer_key_id(local));
	jws = sign(s, "https://CA.test:443/new-order",
	    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}", &e);
	if (jws == NULL)
		fail_msg("%s", e.msg);
	input = signing_input_of(jws);
	assert_true(testkeys_verify_b64url(f->key, "ES256", input,
	    string_member(jws, "signature")));
	free(input);
	json_decref(jws);
	/* POST-as-GET and a newAccount lookup are what every run needs. */
	assert_non_null(jws = sign(s, "https://ca.test/order/7", NULL, &e));
	json_decref(jws);
	assert_non_null(jws = sign(s, "https://ca.test/new-acct",
	    "{\"onlyReturnExisting\":true}", &e));
	json_decref(jws);
	json_decref(jwk);
	json_decref(want);
	signer_free(local);
	signer_free(s);
}

static void
keyproc__refuses_a_url_on_another_origin(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ACCOUNT |
	    KEYPROC_POLICY_REVOKE);

	assert_refused(s, "https://evil.test/new-order", "{}",
	    "for https://evil.test/new-order: not on https://ca.test, the CA "
	    "this run talks to");
	assert_refused(s, "https://ca.test:8443/x", NULL, "not on");
	assert_refused(s, "http://ca.test/x", NULL, "not on");
	assert_refused(s, "https://ca.test@evil.test/x", NULL, "not on");
	assert_refused(s, "https://ca.test.evil.test/x", NULL, "not on");
	signer_free(s);
}

static void
keyproc__refuses_key_change_deactivation_and_revocation_to_renew(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ORDER);

	assert_refused(s, "https://ca.test/key-change",
	    "{\"protected\":\"e30\",\"payload\":\"e30\",\"signature\":\"AA\"}",
	    "a key change (a JWS) for https://ca.test/key-change: this command "
	    "may not make one");
	assert_refused(s, "https://ca.test/key-change",
	    "{\"account\":\"" ACCT "\",\"oldKey\":{}}", "a key change");
	assert_refused(s, ACCT, "{\"status\":\"deactivated\"}",
	    "a deactivation for " ACCT ": this command deactivates nothing");
	assert_refused(s, "https://ca.test/revoke-cert",
	    "{\"certificate\":\"MIIB\",\"reason\":1}", "a revocation");
	assert_refused(s, ACCT, "{\"contact\":[\"mailto:a@b.test\"]}",
	    "a contact change");
	signer_free(s);
}

static void
keyproc__signs_what_the_policy_of_the_command_allows(void **state)
{
	struct fixture *f = *state;
	struct signer *acct = start(f, KEYPROC_POLICY_ACCOUNT);
	struct signer *revoke = start(f, KEYPROC_POLICY_REVOKE);
	struct err e = { "" };
	json_t *jws;

	assert_non_null(jws = sign(acct, ACCT, "{\"status\":\"deactivated\"}",
	    &e));
	json_decref(jws);
	assert_non_null(jws = sign(acct, "https://ca.test/key-change",
	    "{\"protected\":\"e30\",\"payload\":\"e30\",\"signature\":\"AA\"}",
	    &e));
	json_decref(jws);
	assert_refused(acct, "https://ca.test/revoke-cert",
	    "{\"certificate\":\"MIIB\"}", "a revocation");
	assert_non_null(jws = sign(revoke, "https://ca.test/revoke-cert",
	    "{\"certificate\":\"MIIB\"}", &e));
	json_decref(jws);
	assert_refused(revoke, ACCT, "{\"status\":\"deactivated\"}",
	    "deactivation");
	signer_free(acct);
	signer_free(revoke);
}

/* base64url of text, for signing inputs made by hand. */
static char *
b64(const char *text)
{
	return b64url_encode(text, strlen(text));
}

static void
keyproc_check__refuses_malformed_signing_inputs(void **state)
{
	char *hdr = b64("{\"alg\":\"ES256\",\"url\":\"https://ca.test/x\"}");
	char *rs = b64("{\"alg\":\"RS256\",\"url\":\"https://ca.test/x\"}");
	char *dup = b64("{\"status\":\"valid\",\"status\":\"deactivated\"}");
	char *arr = b64("[1]"), in[512];
	struct err e = { "" };

	(void)state;
	assert_int_equal(keyproc_check("abc", 3, "ES256", CA, 0, &e), -1);
	assert_contains(e.msg, "not a JWS signing input");
	snprintf(in, sizeof(in), "%s.", rs);
	assert_int_equal(keyproc_check(in, strlen(in), "ES256", CA, 0, &e), -1);
	assert_contains(e.msg, "alg is not the key's ES256");
	snprintf(in, sizeof(in), "%s.%s", hdr, dup);
	assert_int_equal(keyproc_check(in, strlen(in), "ES256", CA, 0, &e), -1);
	assert_contains(e.msg, "the payload is not a JSON object");
	snprintf(in, sizeof(in), "%s.%s", hdr, arr);
	assert_int_equal(keyproc_check(in, strlen(in), "ES256", CA, 0, &e), -1);
	snprintf(in, sizeof(in), "%s.", hdr);
	assert_int_equal(keyproc_check(in, strlen(in), "ES256", CA, 0, &e), 0);
	assert_int_equal(keyproc_check(in, strlen(in), "ES256",
	    "http://ca.test/dir", 0, &e), -1);
	assert_contains(e.msg, "is not an https URL");
	free(hdr);
	free(rs);
	free(dup);
	free(arr);
}

static void
keyproc__a_dead_key_process_fails_signing_cleanly(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ORDER);
	struct err e = { "" };

	assert_int_equal(kill(only_child(), SIGKILL), 0);
	assert_null(sign(s, "https://ca.test/order/7", NULL, &e));
	assert_string_equal(e.msg, "the key process ended");
	signer_free(s);
}

/*
 * A SIGTERM for the whole process group (systemd, timeout) leaves the key
 * process to the parent, which may still sign while it unwinds.
 */
static void
keyproc__outlives_a_sigterm_to_the_group(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ORDER);
	struct err e = { "" };
	json_t *jws;

	assert_int_equal(kill(only_child(), SIGTERM), 0);
	assert_non_null(jws = sign(s, "https://ca.test/order/7", NULL, &e));
	json_decref(jws);
	signer_free(s);
}

static void
keyproc__keeps_only_its_socket_and_stderr_open(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ORDER);
	struct dirent *d;
	char path[64], open_fds[64] = "";
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)only_child());
	assert_non_null(dir = opendir(path));
	/* Below 100: valgrind keeps descriptors of its own at the top. */
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.' && atoi(d->d_name) < 100)
			snprintf(open_fds + strlen(open_fds), sizeof(open_fds) -
			    strlen(open_fds), "%d ", atoi(d->d_name));
	closedir(dir);
	assert_string_equal(open_fds, "2 3 ");
	signer_free(s);
}

/*
 * Seen from outside, as the issue asks: no_new_privs, a seccomp filter
 * (mode 2) where the kernel has it and valgrind is not in the way, and
 * no longer root when started as root.
 */
static void
keyproc__runs_in_its_sandbox(void **state)
{
	struct fixture *f = *state;
	struct signer *s = start(f, KEYPROC_POLICY_ORDER);
	struct sandbox_kernel k;
	pid_t child = only_child();

	sandbox_probe(&k);
	assert_int_equal(proc_status_field(child, "NoNewPrivs"), 1);
	if (k.seccomp)
		assert_int_equal(proc_status_field(child, "Seccomp"), 2);
	if (geteuid() == 0)
		assert_int_not_equal(proc_status_field(child, "Uid"), 0);
	signer_free(s);
}

/*
 * --sandbox=require on a kernel without one of the layers: no signer,
 * the sandbox's own message naming the layer and the way out, and no
 * key process left behind.
 */
static void
keyproc_start__with_require_refuses_a_kernel_that_lacks_a_layer(void **state)
{
	static const struct {
		struct sandbox_kernel	 kernel;
		const char		*layer;
	} kernels[] = {
		{ { .seccomp = true, .landlock_abi = 0 }, "needs Landlock" },
		{ { .seccomp = false, .landlock_abi = 3 }, "needs seccomp" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		struct err e = { "" };

		pretend_kernel = &kernels[i].kernel;
		assert_null(keyproc_start(f->path, CA, KEYPROC_POLICY_ORDER,
		    SANDBOX_REQUIRE, &e));
		pretend_kernel = NULL;
		assert_contains(e.msg, "the key process cannot enter its "
		    "sandbox: the sandbox ");
		assert_contains(e.msg, kernels[i].layer);
		assert_contains(e.msg, "; --sandbox=auto runs without it");
		assert_no_child();
	}
}

/* Where every layer is there, require is auto that checked first. */
static void
keyproc_start__with_require_runs_where_every_layer_is_there(void **state)
{
	struct fixture *f = *state;
	struct sandbox_kernel k;
	struct signer *s;
	struct err e = { "" };

	sandbox_probe(&k);
	if (k.valgrind || !k.seccomp || k.landlock_abi == 0)
		skip();
	s = keyproc_start(f->path, CA, KEYPROC_POLICY_ORDER, SANDBOX_REQUIRE,
	    &e);
	if (s == NULL)
		fail_msg("keyproc_start: %s", e.msg);
	assert_int_equal(proc_status_field(only_child(), "Seccomp"), 2);
	signer_free(s);
}

/*
 * --sandbox=off: the key process keeps what it was started with (no
 * no_new_privs, no filter, the same user), still signs, and -v says so.
 */
static void
keyproc__with_sandbox_off_gives_up_nothing_and_says_so(void **state)
{
	struct fixture *f = *state;
	char *log_path = path_in(f->t.path, "stderr.log"), *logged;
	int saved = dup(STDERR_FILENO), fd;
	enum log_level level = log_get_level();
	struct signer *s;
	struct err e = { "" };
	json_t *jws;

	assert_true(saved != -1);
	assert_true((fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_true(dup2(fd, STDERR_FILENO) != -1);
	close(fd);
	log_set_level(LOG_VERBOSE);
	s = keyproc_start(f->path, CA, KEYPROC_POLICY_ORDER, SANDBOX_OFF, &e);
	log_set_level(level);
	assert_true(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	if (s == NULL)
		fail_msg("keyproc_start: %s", e.msg);
	assert_non_null(logged = read_file(log_path, NULL));
	assert_string_equal(logged, "acmec: key process: sandbox: off\n");
	assert_int_equal(proc_status_field(only_child(), "NoNewPrivs"), 0);
	assert_int_equal(proc_status_field(only_child(), "Seccomp"), 0);
	assert_int_equal(proc_status_field(only_child(), "Uid"), (long)getuid());
	assert_non_null(jws = sign(s, "https://ca.test/order/7", NULL, &e));
	json_decref(jws);
	signer_free(s);
	free(logged);
	free(log_path);
}

static void
keyproc_start__says_why_the_key_cannot_be_loaded(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *missing = path_in(f->t.path, "none.pem");

	assert_null(keyproc_start(missing, CA, 0, SANDBOX_AUTO, &e));
	assert_contains(e.msg, missing);
	free(missing);
}

/* ------------------------------------------- where the key comes from */

static struct signer *
start_key(const struct keyproc_key *k, const char *directory_url,
    unsigned policy)
{
	struct err e = { "" };
	struct signer *s = keyproc_start_key(k, directory_url, policy,
	    SANDBOX_AUTO, &e);

	if (s == NULL)
		fail_msg("keyproc_start_key: %s", e.msg);
	return s;
}

/* The id (key_spki_sha256) of the key file at path, loaded here. */
static void
assert_file_has_key_id(const char *path, enum store_access access,
    const char *want)
{
	struct err e = { "" };
	char id[KEY_ID_LEN + 1];
	EVP_PKEY *key = key_load(path, access, &e);

	if (key == NULL)
		fail_msg("key_load: %s", e.msg);
	assert_int_equal(key_spki_sha256(key, id, &e), 0);
	assert_string_equal(id, want);
	EVP_PKEY_free(key);
}

static bool
file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * A missing account key is made by the key process, after the fork: the
 * file did not exist before, so this process never had the key; what the
 * process signs with is what it saved (0600).
 */
static void
keyproc_start_key__makes_a_missing_key_file_only_it_ever_had(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->t.path, "new-account-key.pem"), *input;
	const struct keyproc_key k = { .path = path, .access = STORE_PRIVATE,
	    .create = true, .type = KEY_EC256 };
	struct signer *s;
	struct err e = { "" };
	EVP_PKEY *key;
	json_t *jws;

	assert_false(file_exists(path));
	s = start_key(&k, CA, KEYPROC_POLICY_ORDER);
	assert_int_equal(mode_of(path), 0600);
	assert_file_has_key_id(path, STORE_PRIVATE, signer_key_id(s));
	assert_string_equal(signer_key_type(s), "ec-256");
	assert_non_null(jws = sign(s, "https://ca.test/order/7", NULL, &e));
	input = signing_input_of(jws);
	assert_non_null(key = key_load(path, STORE_PRIVATE, &e));
	assert_true(testkeys_verify_b64url(key, "ES256", input,
	    string_member(jws, "signature")));
	EVP_PKEY_free(key);
	free(input);
	json_decref(jws);
	signer_free(s);
	free(path);
}

/* A key file in the way stays as it is, to make or to save as. */
static void
keyproc_start_key__never_replaces_an_existing_key_file(void **state)
{
	struct fixture *f = *state;
	char *other = path_in(f->t.path, "other.pem");
	const struct keyproc_key make = { .path = f->path,
	    .access = STORE_PRIVATE, .create = true, .type = KEY_EC256 };
	const struct keyproc_key copy = { .path = f->path,
	    .access = STORE_PRIVATE, .save_as = other };
	char *before = read_file(f->path, NULL), *after;
	struct err e = { "" };

	assert_null(keyproc_start_key(&make, CA, 0, SANDBOX_AUTO, &e));
	assert_contains(e.msg, "refused to make the key file");
	assert_contains(e.msg, f->path);
	assert_contains(e.msg, "move it away");
	assert_no_child();
	after = read_file(f->path, NULL);
	assert_string_equal(after, before);
	free(after);
	write_text(other, "not a key");
	assert_null(keyproc_start_key(&copy, CA, 0, SANDBOX_AUTO, &e));
	assert_contains(e.msg, other);
	after = read_file(other, NULL);
	assert_string_equal(after, "not a key");
	assert_no_child();
	free(after);
	free(before);
	free(other);
}

/*
 * A key made for a process that then cannot start (--sandbox=require on
 * a kernel without Landlock) is removed: nobody will ever use it.
 */
static void
keyproc_start_key__removes_a_key_it_made_when_it_cannot_start(void **state)
{
	static const struct sandbox_kernel no_landlock = { .seccomp = true,
	    .landlock_abi = 0 };
	struct fixture *f = *state;
	char *path = path_in(f->t.path, "made.pem");
	const struct keyproc_key k = { .path = path, .access = STORE_PRIVATE,
	    .create = true, .type = KEY_EC256 };
	struct err e = { "" };

	pretend_kernel = &no_landlock;
	assert_null(keyproc_start_key(&k, CA, 0, SANDBOX_REQUIRE, &e));
	pretend_kernel = NULL;
	assert_contains(e.msg, "needs Landlock");
	assert_false(file_exists(path));
	assert_no_child();
	free(path);
}

/* jws_new without a kid (the jwk in the header) and without a nonce. */
static json_t *
sign_as_key(const struct signer *s, const char *url, const char *payload,
    const char *nonce, struct err *e)
{
	json_t *p = payload != NULL ? json_loads(payload, 0, NULL) : NULL;
	json_t *jws;

	jws = jws_new(s, url, NULL, nonce, p, e);
	json_decref(p);
	return jws;
}

/*
 * The new key of a rollover (--new-key FILE) is loaded and saved as the
 * pending key by its own process, which signs the inner keyChange JWS and
 * the lookup of its account, and nothing an account does.
 */
static void
keyproc__the_new_key_of_a_rollover_signs_only_its_key_change(void **state)
{
	struct fixture *f = *state;
	char *pending = path_in(f->t.path, "account-key.pem.new");
	const struct keyproc_key k = { .path = f->path,
	    .access = STORE_PRIVATE, .save_as = pending };
	struct signer *s;
	struct err e = { "" };
	char id[KEY_ID_LEN + 1];
	json_t *jws;

	s = start_key(&k, CA, KEYPROC_POLICY_NEW_KEY);
	assert_int_equal(key_spki_sha256(f->key, id, &e), 0);
	assert_string_equal(signer_key_id(s), id);
	assert_int_equal(mode_of(pending), 0600);
	assert_file_has_key_id(pending, STORE_PRIVATE, id);
	assert_non_null(jws = sign_as_key(s, "https://ca.test/key-change",
	    "{\"account\":\"" ACCT "\",\"oldKey\":{\"kty\":\"EC\"}}", NULL,
	    &e));
	json_decref(jws);
	assert_non_null(jws = sign_as_key(s, "https://ca.test/new-acct",
	    "{\"onlyReturnExisting\":true}", "nonce", &e));
	json_decref(jws);
	assert_null(sign_as_key(s, "https://ca.test/new-order",
	    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}",
	    "nonce", &e));
	assert_contains(e.msg, "refused to sign for https://ca.test/new-order:"
	    " the new key of a rollover signs only the key change and the "
	    "lookup of its account");
	assert_null(sign_as_key(s, "https://ca.test/revoke-cert",
	    "{\"certificate\":\"MIIB\"}", "nonce", &e));
	assert_contains(e.msg, "signs only the key change");
	assert_null(sign_as_key(s, "https://ca.test/new-acct",
	    "{\"termsOfServiceAgreed\":true}", "nonce", &e));
	assert_null(sign_as_key(s, "https://ca.test/key-change",
	    "{\"protected\":\"e30\",\"payload\":\"e30\",\"signature\":\"AA\"}",
	    "nonce", &e));
	/* As an account (kid): not even the key change's own shape. */
	assert_refused(s, "https://ca.test/key-change",
	    "{\"account\":\"" ACCT "\",\"oldKey\":{\"kty\":\"EC\"}}",
	    "as an account: this is the new key of a rollover");
	assert_refused(s, "https://ca.test/order/7", NULL, "as an account");
	assert_refused(s, "https://evil.test/key-change", "{\"account\":\""
	    ACCT "\",\"oldKey\":{}}", "not on https://ca.test");
	signer_free(s);
	free(pending);
}

/*
 * A certificate key may be readable by its group (ssl-cert): its process
 * loads it with STORE_GROUP_READ and signs a revocation, not an account's
 * requests; an account key of that mode is refused.
 */
static void
keyproc__a_certificate_key_readable_by_its_group_signs_revocations(
    void **state)
{
	struct fixture *f = *state;
	const struct keyproc_key k = { .path = f->path,
	    .access = STORE_GROUP_READ };
	struct signer *s;
	struct err e = { "" };
	char id[KEY_ID_LEN + 1];
	enum log_level level = log_get_level();
	json_t *jws;

	assert_int_equal(chmod(f->path, 0640), 0);
	assert_null(keyproc_start(f->path, CA, KEYPROC_POLICY_REVOKE,
	    SANDBOX_AUTO, &e));
	assert_contains(e.msg, "chmod 600");
	/* Its warning about the group is what an operator expects. */
	log_set_level(LOG_QUIET);
	s = start_key(&k, CA, KEYPROC_POLICY_REVOKE);
	log_set_level(level);
	assert_int_equal(key_spki_sha256(f->key, id, &e), 0);
	assert_string_equal(signer_key_id(s), id);
	assert_non_null(jws = sign_as_key(s, "https://ca.test/revoke-cert",
	    "{\"certificate\":\"MIIB\",\"reason\":1}", "nonce", &e));
	json_decref(jws);
	assert_refused(s, "https://ca.test/key-change",
	    "{\"protected\":\"e30\",\"payload\":\"e30\",\"signature\":\"AA\"}",
	    "a key change");
	assert_refused(s, ACCT, "{\"status\":\"deactivated\"}",
	    "deactivation");
	assert_refused(s, ACCT, "{\"contact\":[]}", "a contact change");
	signer_free(s);
}

/* Asked only for the key's id, a key process signs nothing at all. */
static void
keyproc_key_id__tells_the_id_and_the_process_signs_nothing(void **state)
{
	struct fixture *f = *state;
	const struct keyproc_key k = { .path = f->path,
	    .access = STORE_GROUP_READ };
	char id[KEY_ID_LEN + 1], want[KEY_ID_LEN + 1];
	struct err e = { "" };
	struct signer *s;

	assert_int_equal(keyproc_key_id(&k, SANDBOX_AUTO, id, &e), 0);
	assert_int_equal(key_spki_sha256(f->key, want, &e), 0);
	assert_string_equal(id, want);
	assert_no_child();
	s = start_key(&k, NULL, KEYPROC_POLICY_REVOKE);
	assert_refused(s, "https://ca.test/revoke-cert",
	    "{\"certificate\":\"MIIB\"}", "this key process only tells its "
	    "public key");
	assert_refused(s, "https://ca.test/order/7", NULL, "only tells");
	signer_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    keyproc__signs_a_post_to_the_ca_that_verifies_with_its_jwk,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__refuses_a_url_on_another_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__refuses_key_change_deactivation_and_revocation_to_renew,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__signs_what_the_policy_of_the_command_allows,
		    setup, teardown),
		cmocka_unit_test(keyproc_check__refuses_malformed_signing_inputs),
		cmocka_unit_test_setup_teardown(
		    keyproc__a_dead_key_process_fails_signing_cleanly,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__keeps_only_its_socket_and_stderr_open,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__outlives_a_sigterm_to_the_group,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__runs_in_its_sandbox,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_start__with_require_refuses_a_kernel_that_lacks_a_layer,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_start__with_require_runs_where_every_layer_is_there,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__with_sandbox_off_gives_up_nothing_and_says_so,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_start__says_why_the_key_cannot_be_loaded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_start_key__makes_a_missing_key_file_only_it_ever_had,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_start_key__never_replaces_an_existing_key_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_start_key__removes_a_key_it_made_when_it_cannot_start,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__the_new_key_of_a_rollover_signs_only_its_key_change,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc__a_certificate_key_readable_by_its_group_signs_revocations,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    keyproc_key_id__tells_the_id_and_the_process_signs_nothing,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
