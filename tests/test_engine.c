/*
 * test_engine.c - whole orders through the engine against a scripted CA
 * (fake_transport.h, plugged in with config.transport): a two-name
 * issuance request by request, a challenge the CA rejects, an invalid
 * order, a finalize whose answer is lost (RFC 8555 section 7.1's order
 * flow), and an order whose every answer after finalize is lost, picked
 * up by the next run (issue #8).  The CA issues a real certificate for
 * the CSR it gets.
 *
 * Polls wait the engine's real delays (75 ms and up, doubling), so each
 * test takes a fraction of a second.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64url.h"
#include "certkey.h"
#include "certkeyproc.h"
#include "config.h"
#include "engine.h"
#include "session.h"
#include "fake_transport.h"
#include "key.h"
#include "log.h"
#include "resume.h"
#include "retired.h"
#include "signer.h"
#include "spec.h"
#include "store.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define CA		FAKE_CA_A
#define DIRECTORY_URL	CA "/directory"
#define NEW_ORDER_URL	CA "/new-order"
#define ACCOUNT_URL	CA "/acct/1"
#define ORDER_URL	CA "/order/1"
#define FINALIZE_URL	CA "/order/1/finalize"
#define CERT_URL	CA "/cert/1"
#define AUTHZ_A		CA "/authz/a"
#define AUTHZ_B		CA "/authz/b"
#define CHALL_A		CA "/chall/a"
#define CHALL_B		CA "/chall/b"
#define NAME_A		"a.example.org"
#define NAME_B		"b.example.org"
/* 43 base64url characters, the length of a real 256-bit token. */
#define TOKEN_A		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaA"
#define TOKEN_B		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbB"

/* RFC 8555 section 7.1.3: an order for both names. */
#define ORDER_JSON(status, extra) \
	"{\"status\":\"" status "\"," \
	"\"identifiers\":[{\"type\":\"dns\",\"value\":\"" NAME_A "\"}," \
	"{\"type\":\"dns\",\"value\":\"" NAME_B "\"}]," \
	"\"authorizations\":[\"" AUTHZ_A "\",\"" AUTHZ_B "\"]," \
	"\"finalize\":\"" FINALIZE_URL "\"" extra "}"
#define ORDER_VALID	ORDER_JSON("valid", ",\"certificate\":\"" CERT_URL "\"")

/* RFC 8555 section 7.1.4: an authorization with its http-01 challenge. */
#define AUTHZ_JSON(name, status, chall, chall_status, token, extra) \
	"{\"status\":\"" status "\"," \
	"\"identifier\":{\"type\":\"dns\",\"value\":\"" name "\"}," \
	"\"challenges\":[{\"type\":\"http-01\",\"url\":\"" chall "\"," \
	"\"status\":\"" chall_status "\",\"token\":\"" token "\"" extra "}]}"

#define CONNECTION_REFUSED \
	FAKE_PROBLEM("connection", "Fetching http://" NAME_B "/.well-known/" \
	"acme-challenge/" TOKEN_B ": Connection refused")

struct ctx {
	struct tmpdir		 tmp;
	char			*state;
	char			*www;
	char			*out;
	struct config		 cfg;
	struct fake_transport	 ft;
	struct transport	 seam;
	struct account_options	 opts;
	struct cert_spec	 spec;
	struct engine_result	 result;
	char			*thumbprint;	/* of the account key */
	EVP_PKEY		*ca_key;
	X509			*ca_cert;
	char			*chain;		/* issued at finalize */
	int			 challenge_files;	/* seen in place */
};

/* ------------------------------------------------------------ the clock */

/* Seconds added to CLOCK_MONOTONIC: the uptime a test pretends. */
static time_t uptime_shift;

int __real_clock_gettime(clockid_t clock, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clock, struct timespec *ts);

int
__wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	int rc = __real_clock_gettime(clock, ts);

	if (rc == 0 && clock == CLOCK_MONOTONIC)
		ts->tv_sec += uptime_shift;
	return rc;
}

/* Set: fork fails, as when a process limit is reached. */
static bool fork_fails;

pid_t __real_fork(void);
pid_t __wrap_fork(void);

pid_t
__wrap_fork(void)
{
	if (!fork_fails)
		return __real_fork();
	errno = EAGAIN;
	return -1;
}

/* ------------------------------------------------------------ the CA */

static X509 *
new_ca_cert(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name;

	assert_non_null(cert);
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"acmec test CA", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400L);
	X509_set_pubkey(cert, key);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	return cert;
}

/* A leaf for the CSR's key and subjectAltName, then the CA; new PEM. */
static char *
issue_chain(const struct ctx *c, X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	X509 *leaf = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long len;

	assert_non_null(leaf);
	assert_non_null(bio);
	X509_set_version(leaf, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(leaf), 2);
	X509_set_issuer_name(leaf, X509_get_subject_name(c->ca_cert));
	X509_set_subject_name(leaf, X509_REQ_get_subject_name(req));
	X509_gmtime_adj(X509_getm_notBefore(leaf), 0);
	X509_gmtime_adj(X509_getm_notAfter(leaf), 90 * 86400L);
	assert_int_equal(X509_set_pubkey(leaf, X509_REQ_get0_pubkey(req)), 1);
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) ==
		    NID_subject_alt_name)
			X509_add_ext(leaf, ext, -1);
	}
	assert_true(X509_sign(leaf, c->ca_key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(bio, leaf), 1);
	assert_int_equal(PEM_write_bio_X509(bio, c->ca_cert), 1);
	len = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)len);
	assert_non_null(pem);
	BIO_free(bio);
	X509_free(leaf);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return pem;
}

/* finalize: issue a certificate for the CSR of the request. */
static int
issue(const struct fake_request *req, struct http_response *resp, void *arg,
    struct err *e)
{
	struct ctx *c = arg;
	const char *csr = json_string_value(json_object_get(req->payload,
	    "csr"));
	const unsigned char *p;
	unsigned char *der;
	X509_REQ *x;
	size_t len;

	(void)resp;
	(void)e;
	if (csr == NULL || (der = b64url_decode(csr, &len)) == NULL)
		fail_msg("finalize without a base64url csr");
	p = der;
	if ((x = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
		fail_msg("finalize: the csr is not DER");
	assert_int_equal(X509_REQ_verify(x, X509_REQ_get0_pubkey(x)), 1);
	free(c->chain);
	c->chain = issue_chain(c, x);
	X509_REQ_free(x);
	free(der);
	return 0;
}

/* finalize: the CA issues, but its answer is lost. */
static int
issue_and_lose_the_answer(const struct fake_request *req,
    struct http_response *resp, void *arg, struct err *e)
{
	issue(req, resp, arg, e);
	err_set(e, "%s: Operation timed out", req->url);
	return -1;
}

/* The certificate URL: the chain issued at finalize. */
static int
download(const struct fake_request *req, struct http_response *resp,
    void *arg, struct err *e)
{
	struct ctx *c = arg;

	(void)req;
	(void)e;
	if (c->chain == NULL)
		fail_msg("download before finalize");
	free(resp->body);
	if ((resp->body = strdup(c->chain)) == NULL)
		fail_msg("out of memory");
	resp->body_len = strlen(resp->body);
	return 0;
}

/* A challenge POST: the response must be in the webroot by now. */
static int
check_challenge_file(const struct fake_request *req,
    struct http_response *resp, void *arg, struct err *e)
{
	struct ctx *c = arg;
	const char *token = strcmp(req->url, CHALL_A) == 0 ? TOKEN_A : TOKEN_B;
	char *path, *text, *want;

	(void)resp;
	(void)e;
	if (asprintf(&path, "%s/.well-known/acme-challenge/%s", c->www,
	    token) < 0 || asprintf(&want, "%s.%s", token, c->thumbprint) < 0)
		fail_msg("asprintf");
	/* Section 8.3: the file holds the key authorization. */
	text = read_file(path, NULL);
	assert_string_equal(text, want);
	assert_int_equal(mode_of(path) & 0444, 0444);
	c->challenge_files++;
	free(text);
	free(want);
	free(path);
	return 0;
}

/* ------------------------------------------------------------ fixtures */

/* An account the CA knows, remembered: no lookup is needed. */
static void
write_account(struct ctx *c)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	struct signer *s = key ? signer_new(key, &e) : NULL;
	char *dir = config_account_dir(&c->cfg), *path;
	json_t *rec;

	if (s == NULL || dir == NULL || store_mkdirs(dir, 0700, &e) == -1)
		fail_msg("account: %s", e.msg);
	path = path_in(dir, "account-key.pem");
	if (key_save(key, path, &e) == -1)
		fail_msg("key_save: %s", e.msg);
	free(path);
	c->thumbprint = strdup(signer_thumbprint(s));
	rec = json_pack("{s:s, s:s, s:s, s:s}", "directory", DIRECTORY_URL,
	    "url", ACCOUNT_URL, "status", "valid", "thumbprint",
	    c->thumbprint);
	path = path_in(dir, "account.json");
	assert_int_equal(json_dump_file(rec, path, 0), 0);
	json_decref(rec);
	free(path);
	free(dir);
	signer_free(s);
	EVP_PKEY_free(key);
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL || tmpdir_create(&c->tmp, "engine") == -1)
		return -1;
	c->state = path_in(c->tmp.path, "state");
	c->www = path_in(c->tmp.path, "www");
	c->out = path_in(c->tmp.path, "out");
	if (mkdir(c->state, 0700) == -1 || mkdir(c->www, 0755) == -1)
		return -1;
	fake_transport_init(&c->ft);
	c->seam = fake_transport_seam(&c->ft);
	config_defaults(&c->cfg);
	c->cfg.directory_url = DIRECTORY_URL;
	c->cfg.state_dir = c->state;
	c->cfg.transport = &c->seam;
	c->opts.create = false;
	if (names_add(&c->spec.names, NAME_A) == -1 ||
	    names_add(&c->spec.names, NAME_B) == -1)
		return -1;
	c->spec.key_type = KEY_EC256;
	c->spec.out_dir = c->out;
	c->spec.webroot = c->www;
	if ((c->ca_key = EVP_EC_gen("P-256")) == NULL)
		return -1;
	c->ca_cert = new_ca_cert(c->ca_key);
	write_account(c);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	engine_result_clear(&c->result);
	names_clear(&c->spec.names);
	fake_transport_free(&c->ft);
	tmpdir_remove(&c->tmp);
	free(c->state);
	free(c->www);
	free(c->out);
	free(c->thumbprint);
	free(c->chain);
	X509_free(c->ca_cert);
	EVP_PKEY_free(c->ca_key);
	free(c);
	uptime_shift = 0;
	return 0;
}

/* The order up to both challenges answered with status pending. */
static void
script_order_until_challenges(struct ctx *c)
{
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ORDER_URL, .kid = ACCOUNT_URL,
		  .payload_has = "{\"identifiers\":[{\"type\":\"dns\","
		  "\"value\":\"" NAME_A "\"},{\"type\":\"dns\",\"value\":\""
		  NAME_B "\"}]}", .status = 201, .location = ORDER_URL,
		  .body = ORDER_JSON("pending", "") },
		{ .method = "POST", .url = AUTHZ_A, .post_as_get = true,
		  .status = 200, .body = AUTHZ_JSON(NAME_A, "pending",
		  CHALL_A, "pending", TOKEN_A, "") },
		{ .method = "POST", .url = AUTHZ_B, .post_as_get = true,
		  .status = 200, .body = AUTHZ_JSON(NAME_B, "pending",
		  CHALL_B, "pending", TOKEN_B, "") },
		{ .method = "POST", .url = CHALL_A, .payload_has = "{}",
		  .status = 200, .respond = check_challenge_file, .arg = c,
		  .body = "{\"type\":\"http-01\",\"status\":\"pending\"}" },
		{ .method = "POST", .url = CHALL_B, .payload_has = "{}",
		  .status = 200, .respond = check_challenge_file, .arg = c,
		  .body = "{\"type\":\"http-01\",\"status\":\"pending\"}" },
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
}

/* The directory, a nonce, then the order up to both challenges. */
static void
script_until_challenges(struct ctx *c)
{
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	script_order_until_challenges(c);
}

static int
run(struct ctx *c)
{
	struct session s;
	int rc;

	session_init(&s);
	rc = engine_run(&s, &c->cfg, &c->opts, 1, &c->spec, 1, &c->result);
	session_close(&s);
	return rc;
}

static void
assert_issued(struct ctx *c, int rc)
{
	char *path, *text;

	if (rc != 0 || !c->result.ok)
		fail_msg("engine_run: %s", c->result.err.msg);
	assert_true(c->result.written);
	assert_string_equal(c->result.out_dir, c->out);
	path = path_in(c->out, "fullchain.pem");
	text = read_file(path, NULL);
	assert_string_equal(text, c->chain);
	free(text);
	free(path);
	/* privkey.pem is a link to current/privkey.pem, the file. */
	path = path_in(c->out, "current/privkey.pem");
	assert_int_equal(mode_of(path), 0600);
	free(path);
}

/* The webroot holds no response any more. */
static void
assert_challenges_removed(const struct ctx *c)
{
	char *dir = path_in(c->www, ".well-known/acme-challenge");

	assert_int_equal(count_entries(dir), 0);
	free(dir);
}

/*
 * A whole issuance from the directory on; ready (when the order is
 * polled ready) may act first.
 */
static void
script_issuance(struct ctx *c, int (*ready)(const struct fake_request *,
    struct http_response *, void *, struct err *))
{
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .respond = ready, .arg = c,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .kid = ACCOUNT_URL,
		  .payload_has = "{\"csr\":\"", .status = 200,
		  .respond = issue, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .post_as_get = true,
		  .status = 200, .respond = download, .arg = c },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
}

/* --------------------------------------------------------------- tests */

static void
engine_run__issues_for_two_names_in_eleven_requests(void **state)
{
	struct ctx *c = *state;
	char *path, *fullchain, *cert, *chain;

	script_issuance(c, NULL);
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	/* Directory, newNonce, then one request per step of the order. */
	assert_true(c->ft.nrequests <= 11);
	assert_int_equal(c->challenge_files, 2);
	assert_challenges_removed(c);
	path = path_in(c->out, "fullchain.pem");
	fullchain = read_file(path, NULL);
	free(path);
	path = path_in(c->out, "cert.pem");
	cert = read_file(path, NULL);
	free(path);
	path = path_in(c->out, "chain.pem");
	chain = read_file(path, NULL);
	free(path);
	/* fullchain is the leaf, then the rest. */
	assert_int_equal(strlen(fullchain), strlen(cert) + strlen(chain));
	assert_int_equal(strncmp(fullchain, cert, strlen(cert)), 0);
	assert_string_equal(fullchain + strlen(cert), chain);
	free(fullchain);
	free(cert);
	free(chain);
}

/*
 * After 24.9 days of uptime, milliseconds of CLOCK_MONOTONIC no longer
 * fit a 32-bit long (armhf, i386): the waits of the order must still be
 * what they are (here: 50 days, past 2^32 ms too).
 */
static void
engine_run__issues_on_a_clock_past_50_days_of_uptime(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("pending", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .post_as_get = true,
		  .status = 200, .respond = download, .arg = c },
	};
	struct timespec t0, t1;

	uptime_shift = 50 * 86400;
	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	clock_gettime(CLOCK_REALTIME, &t0);
	assert_issued(c, run(c));
	clock_gettime(CLOCK_REALTIME, &t1);
	fake_transport_assert_done(&c->ft);
	/* Two polls backing off from 75 ms, not weeks. */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
}

static void
engine_run__fails_with_the_cas_words_when_a_challenge_is_invalid(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ORDER_URL, .status = 201,
		  .location = ORDER_URL, .body = ORDER_JSON("pending", "") },
		{ .method = "POST", .url = AUTHZ_A, .status = 200,
		  .body = AUTHZ_JSON(NAME_A, "pending", CHALL_A, "pending",
		  TOKEN_A, "") },
		{ .method = "POST", .url = AUTHZ_B, .status = 200,
		  .body = AUTHZ_JSON(NAME_B, "pending", CHALL_B, "pending",
		  TOKEN_B, "") },
		{ .method = "POST", .url = CHALL_A, .status = 200,
		  .body = "{\"type\":\"http-01\",\"status\":\"invalid\","
		  "\"error\":" FAKE_PROBLEM("unauthorized", "Invalid response "
		  "from http://" NAME_A "/.well-known/acme-challenge/: 404")
		  "}" },
	};
	time_t start = time(NULL);

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(run(c), -1);
	assert_false(c->result.ok);
	assert_false(c->result.written);
	assert_contains(c->result.err.msg, NAME_A ": validation failed");
	assert_contains(c->result.err.msg, "Invalid response from");
	fake_transport_assert_done(&c->ft);
	assert_true(time(NULL) - start < 5);
	assert_challenges_removed(c);
}

static void
engine_run__names_the_identifier_whose_validation_failed(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("invalid", ",\"error\":" FAKE_PROBLEM(
		  "unauthorized", "an authorization failed")) },
		{ .method = "POST", .url = AUTHZ_A, .post_as_get = true,
		  .status = 200, .body = AUTHZ_JSON(NAME_A, "valid", CHALL_A,
		  "valid", TOKEN_A, "") },
		{ .method = "POST", .url = AUTHZ_B, .post_as_get = true,
		  .status = 200, .body = AUTHZ_JSON(NAME_B, "invalid",
		  CHALL_B, "invalid", TOKEN_B, ",\"error\":"
		  CONNECTION_REFUSED) },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(run(c), -1);
	assert_contains(c->result.err.msg, NAME_B ": validation failed: ");
	assert_contains(c->result.err.msg, "connection");
	assert_contains(c->result.err.msg, "Connection refused");
	fake_transport_assert_done(&c->ft);
	assert_challenges_removed(c);
}

static void
engine_run__finalizes_once_more_when_the_lost_finalize_left_it_ready(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .lost = true },
		/* The lost answer took its nonce with it. */
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, "POST", FINALIZE_URL),
	    2);
}

static void
engine_run__does_not_finalize_again_when_the_lost_finalize_was_taken(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue_and_lose_the_answer, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, "POST", FINALIZE_URL),
	    1);
}

/*
 * A finalize answered "processing" with a Retry-After of a day is a wait
 * past the 300 s acmec gives the CA: it ends now with the CA's words,
 * not after a day's sleep (SIGALRM ends the test if it sleeps), and
 * keeps the order and its key for the next run.
 */
static void
engine_run__fails_at_once_when_finalize_asks_to_wait_past_the_deadline(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c, .retry_after = "86400",
		  .body = ORDER_JSON("processing", "") },
	};
	char *record = config_order_record(&c->cfg, c->out);
	struct timespec t0, t1;

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	alarm(60);
	clock_gettime(CLOCK_REALTIME, &t0);
	assert_int_equal(run(c), -1);
	clock_gettime(CLOCK_REALTIME, &t1);
	alarm(0);
	fake_transport_assert_done(&c->ft);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_contains(c->result.err.msg, "86400 seconds (Retry-After)");
	assert_true(store_exists(record));
	free(record);
}

/*
 * Replica lag (Let's Encrypt reads from replicas): after the CA took the
 * CSR, polls may still show the order ready, even pending.  That is "not
 * yet": neither a second finalize nor a failure.
 */
static void
engine_run__keeps_polling_when_the_order_goes_back_after_finalize(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("pending", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, "POST", FINALIZE_URL),
	    1);
}

/*
 * The finalize was taken but its answer lost; a lagging poll shows the
 * order ready, so acmec finalizes again, and the CA, processing the
 * first, answers orderNotReady: not yet, and the record stays.
 */
static void
engine_run__takes_order_not_ready_after_a_lost_finalize_as_not_yet(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue_and_lose_the_answer, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 403,
		  .body = FAKE_PROBLEM("orderNotReady", "Order's status "
		  "(\\\"processing\\\") is not acceptable for finalization") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	/* Processing, then ready again: no third finalize. */
	assert_int_equal(fake_transport_count(&c->ft, "POST", FINALIZE_URL),
	    2);
}

/*
 * The order polled ready, but the replica that takes the finalize has
 * not seen the last authorization: orderNotReady changed nothing, so
 * acmec polls until the order is ready again and finalizes then.
 */
static void
engine_run__finalizes_again_once_ready_after_order_not_ready(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 403,
		  .body = FAKE_PROBLEM("orderNotReady", "Order's status "
		  "(\\\"pending\\\") is not acceptable for finalization") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("pending", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c,
		  .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};

	script_until_challenges(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
}

static void
engine_run__answers_a_challenge_again_after_a_step_ca_style_rejection(
    void **state)
{
	struct ctx *c = *state;
	/* step-ca: the challenge stays pending, with the error in it. */
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ORDER_URL, .status = 201,
		  .location = ORDER_URL, .body = ORDER_JSON("pending", "") },
		{ .method = "POST", .url = AUTHZ_A, .status = 200,
		  .body = AUTHZ_JSON(NAME_A, "valid", CHALL_A, "valid",
		  TOKEN_A, "") },
		{ .method = "POST", .url = AUTHZ_B, .status = 200,
		  .body = AUTHZ_JSON(NAME_B, "pending", CHALL_B, "pending",
		  TOKEN_B, "") },
		{ .method = "POST", .url = CHALL_B, .status = 200,
		  .body = "{\"type\":\"http-01\",\"status\":\"pending\","
		  "\"error\":" CONNECTION_REFUSED "}" },
		{ .method = "POST", .url = CHALL_B, .status = 200,
		  .respond = check_challenge_file, .arg = c,
		  .body = "{\"type\":\"http-01\",\"status\":\"valid\"}" },
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	/* An authorization already valid needs no challenge. */
	assert_int_equal(fake_transport_count(&c->ft, NULL, CHALL_A), 0);
	assert_challenges_removed(c);
}

/*
 * Orders do not wait for each other's answers: the second order is sent
 * while the first one's answer is still on its way (so it needs a nonce of
 * its own), and both answers are outstanding at once.
 */
static void
engine_run__sends_the_next_order_while_an_answer_is_outstanding(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ORDER_URL, .delay_ms = 100,
		  .payload_has = "\"value\":\"" NAME_A "\"", .status = 400,
		  .body = FAKE_PROBLEM("rejectedIdentifier", "not a") },
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ORDER_URL,
		  .payload_has = "\"value\":\"c.example.org\"", .status = 400,
		  .body = FAKE_PROBLEM("rejectedIdentifier", "not c") },
	};
	struct engine_result results[2];
	struct cert_spec specs[2] = { c->spec, c->spec };
	struct names other = { NULL, 0 };
	struct session s;

	assert_int_equal(names_add(&other, "c.example.org"), 0);
	specs[1].names = other;
	specs[1].out_dir = path_in(c->tmp.path, "out-c");
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	session_init(&s);
	assert_int_equal(engine_run(&s, &c->cfg, &c->opts, 2, specs, 2,
	    results), -1);
	session_close(&s);
	fake_transport_assert_done(&c->ft);
	assert_true(c->ft.answers.most >= 2);
	assert_contains(results[0].err.msg, "not a");
	assert_contains(results[1].err.msg, "not c");
	engine_result_clear(&results[0]);
	engine_result_clear(&results[1]);
	free((char *)specs[1].out_dir);
	names_clear(&other);
}

static void
engine_run__refuses_a_pending_order_without_authorizations(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ORDER_URL, .status = 201,
		  .location = ORDER_URL,
		  .body = "{\"status\":\"pending\",\"authorizations\":[],"
		  "\"finalize\":\"" FINALIZE_URL "\"}" },
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	/* It used to step on authorizations[0] of an empty list. */
	assert_int_equal(run(c), -1);
	assert_contains(c->result.err.msg, "without authorizations");
	fake_transport_assert_done(&c->ft);
}

static void
engine_run__refuses_a_valid_order_without_a_certificate_url(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = NEW_ORDER_URL, .status = 201,
		  .location = ORDER_URL, .body = ORDER_JSON("valid", "") },
	};
	time_t start = time(NULL);

	/*
	 * It used to sign a POST-as-GET for a NULL URL, take that for a
	 * lost answer and ask again three times.
	 */
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(run(c), -1);
	assert_contains(c->result.err.msg, "without a certificate URL");
	fake_transport_assert_done(&c->ft);
	assert_true(time(NULL) - start < 2);
}

/* ------------------------------------------------- issue #8: resuming */

/* A new script for the next run: the old one must be used up. */
static void
next_run(struct ctx *c)
{
	fake_transport_assert_done(&c->ft);
	fake_transport_free(&c->ft);
	fake_transport_init(&c->ft);
	c->seam = fake_transport_seam(&c->ft);
	engine_result_clear(&c->result);
	memset(&c->result, 0, sizeof(c->result));
}

/* The id of the key in place in the output directory. */
static void
key_in_place(const struct ctx *c, char id[KEY_ID_LEN + 1])
{
	char *path = path_in(c->out, "privkey.pem");
	struct err e = { "" };
	EVP_PKEY *key = key_load(path, STORE_GROUP_READ, &e);

	if (key == NULL || key_spki_sha256(key, id, &e) == -1)
		fail_msg("%s: %s", path, e.msg);
	EVP_PKEY_free(key);
	free(path);
}

/* The order is ready: meanwhile, revoke elsewhere retired the key. */
static int
retire_key_in_place(const struct fake_request *req,
    struct http_response *resp, void *arg, struct err *e)
{
	struct ctx *c = arg;
	char id[KEY_ID_LEN + 1];

	(void)req;
	(void)resp;
	key_in_place(c, id);
	return retired_add(c->state, id, "keyCompromise: revoked beside "
	    "this run", e);
}

/*
 * A key checked when the order began, retired before finalize (acmec
 * revoke --reason keyCompromise beside a cron renew that keeps its key):
 * the CSR is made with a new key, and the retired one never comes back.
 */
static void
engine_run__finalizes_with_a_new_key_when_the_key_was_retired_meanwhile(
    void **state)
{
	struct ctx *c = *state;
	char old[KEY_ID_LEN + 1], now[KEY_ID_LEN + 1];

	script_issuance(c, NULL);
	assert_issued(c, run(c));
	next_run(c);
	key_in_place(c, old);
	c->spec.reuse_key = true;
	script_issuance(c, retire_key_in_place);
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	key_in_place(c, now);
	assert_string_not_equal(now, old);
	assert_int_equal(retired_lookup(c->state, old, NULL, NULL), 1);
}

static void
engine_run__keeps_the_order_when_every_poll_after_finalize_is_lost(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step finalize[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue_and_lose_the_answer, .arg = c,
		  .body = ORDER_JSON("processing", "") },
	};
	/* Each lost answer takes its nonce with it. */
	const struct fake_step lost_poll[] = {
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .lost = true },
	};
	const struct fake_step next[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .kid = ACCOUNT_URL, .status = 200, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .post_as_get = true,
		  .status = 200, .respond = download, .arg = c },
	};
	char *record = config_order_record(&c->cfg, c->out), *text;
	char *fullchain = path_in(c->out, "fullchain.pem");

	script_until_challenges(c);
	fake_transport_add(&c->ft, finalize, NITEMS(finalize));
	/* The first poll, then LOST_RETRIES more (engine_steps.c). */
	for (int i = 0; i < 4; i++)
		fake_transport_add(&c->ft, lost_poll, NITEMS(lost_poll));
	assert_int_equal(run(c), -1);
	assert_false(c->result.written);
	assert_contains(c->result.err.msg, "the next run for this "
	    "certificate picks it up");
	assert_false(store_exists(fullchain));
	/* Kept: the order, and the new key its CSR was made with. */
	assert_int_equal(mode_of(record), 0600);
	text = read_file(record, NULL);
	assert_contains(text, ORDER_URL);
	assert_contains(text, ACCOUNT_URL);
	assert_contains(text, "\"key_id\"");
	assert_null(strstr(text, "PRIVATE KEY"));
	free(text);
	/* The key is beside it, written by the certificate key process. */
	memcpy(record + strlen(record) - 5, ".key", 5);
	assert_int_equal(mode_of(record), 0600);
	text = read_file(record, NULL);
	assert_contains(text, "PRIVATE KEY");
	free(text);
	memcpy(record + strlen(record) - 4, "json", 5);

	next_run(c);
	fake_transport_add(&c->ft, next, NITEMS(next));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, NULL, NEW_ORDER_URL), 0);
	assert_int_equal(fake_transport_count(&c->ft, NULL, FINALIZE_URL), 0);
	assert_false(store_exists(record));
	free(fullchain);
	free(record);
}

/* An earlier run's order record for c's names, with a new key kept. */
static void
save_old_order(struct ctx *c)
{
	const struct names *names[] = { &c->spec.names };
	struct certkeyproc *p;
	struct err e = { "" };
	struct certkey *key;
	struct resume *r;

	p = certkeyproc_start(names, 1, SANDBOX_OFF, &e);
	assert_non_null(p);
	key = certkey_new(p, 0, KEY_EC256, &e);
	assert_non_null(key);
	r = resume_open(&c->cfg, c->out, &c->spec.names, &e);
	assert_non_null(r);
	assert_int_equal(resume_save(r, CA "/order/old", ACCOUNT_URL, key,
	    &e), 0);
	resume_free(r);
	certkey_free(key);
	certkeyproc_free(p);
}

/*
 * After the n steps of start, the run makes a new order and issues; the
 * record of the earlier run is gone.
 */
static void
assert_orders_anew(struct ctx *c, const struct fake_step *start, size_t n)
{
	const struct fake_step rest[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("ready", "") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .respond = issue, .arg = c, .body = ORDER_VALID },
		{ .method = "POST", .url = CERT_URL, .status = 200,
		  .respond = download, .arg = c },
	};
	char *record = config_order_record(&c->cfg, c->out);

	fake_transport_add(&c->ft, start, n);
	script_order_until_challenges(c);
	fake_transport_add(&c->ft, rest, NITEMS(rest));
	assert_issued(c, run(c));
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, "POST", NEW_ORDER_URL),
	    1);
	assert_false(store_exists(record));
	free(record);
}

static void
engine_run__orders_anew_when_the_kept_order_is_gone(void **state)
{
	struct ctx *c = *state;
	const struct fake_step gone[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = CA "/order/old", .post_as_get = true,
		  .status = 404, .body = FAKE_PROBLEM("malformed",
		  "No order for ID old") },
	};

	/* An earlier run's record, its new key beside it. */
	save_old_order(c);
	assert_orders_anew(c, gone, NITEMS(gone));
}

/*
 * Killed while a record was replaced: the key beside it is not the one it
 * names.  Its order cannot be finished with that key: it is given up
 * (never asked about), and a new one made.
 */
static void
engine_run__gives_up_a_kept_order_whose_key_file_is_another(void **state)
{
	struct ctx *c = *state;
	const struct fake_step start[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
	};
	char *key_file = config_order_record(&c->cfg, c->out);
	struct err e = { "" };
	EVP_PKEY *other = key_generate(KEY_EC256, &e);

	save_old_order(c);
	memcpy(key_file + strlen(key_file) - 5, ".key", 5);
	assert_int_equal(unlink(key_file), 0);
	assert_int_equal(key_save(other, key_file, &e), 0);
	/* Never asked about: the script has no step for CA "/order/old". */
	assert_orders_anew(c, start, NITEMS(start));
	assert_false(store_exists(key_file));
	EVP_PKEY_free(other);
	free(key_file);
}

/*
 * No certificate key process: every job fails, named, before the CA is
 * asked anything, and the engine still reports each job.
 */
static void
engine_run__fails_every_job_when_the_key_process_cannot_start(void **state)
{
	struct ctx *c = *state;

	fork_fails = true;
	assert_int_equal(run(c), -1);
	fork_fails = false;
	assert_int_equal(fake_transport_count(&c->ft, NULL, NULL), 0);
	assert_contains(c->result.err.msg,
	    "cannot start the certificate key process");
	assert_false(c->result.ok);
	assert_false(c->result.written);
}

/*
 * A bare 404 (a load balancer's, no problem document) to the poll of the
 * order an earlier run left is no word from the CA: the record, with the
 * new key its CSR was made with, stays for the next run.
 */
static void
engine_run__keeps_the_order_record_after_a_bare_404(void **state)
{
	struct ctx *c = *state;
	const struct fake_step start[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
	};
	/* The first ask, then LOST_RETRIES more (engine_steps.c). */
	const struct fake_step bare = { .method = "POST",
	    .url = CA "/order/old", .post_as_get = true, .status = 404,
	    .body = "<html><body>404 Not Found</body></html>",
	    .content_type = "text/html" };
	char *record = config_order_record(&c->cfg, c->out);

	save_old_order(c);

	fake_transport_add(&c->ft, start, NITEMS(start));
	for (int i = 0; i < 4; i++)
		fake_transport_add(&c->ft, &bare, 1);
	assert_int_equal(run(c), -1);
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, NULL, NEW_ORDER_URL), 0);
	assert_contains(c->result.err.msg, "no ACME problem document");
	assert_true(store_exists(record));
	free(record);
}

/*
 * A 200 answer acmec cannot read (a status RFC 8555 does not have) to the
 * poll of the order an earlier run left says nothing of the order: it may
 * be valid, so the record and the key its CSR was made with stay.
 */
static void
engine_run__keeps_the_order_record_when_its_answer_has_an_unknown_status(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = CA "/order/old", .post_as_get = true,
		  .status = 200, .body = ORDER_JSON("issuing", "") },
	};
	char *record = config_order_record(&c->cfg, c->out), *text;

	save_old_order(c);

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(run(c), -1);
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, NULL, NEW_ORDER_URL), 0);
	assert_contains(c->result.err.msg, "unknown order status");
	text = read_file(record, NULL);
	assert_contains(text, CA "/order/old");
	assert_contains(text, "\"key_id\"");
	free(text);
	/* The key its CSR was made with stays beside it. */
	memcpy(record + strlen(record) - 5, ".key", 5);
	assert_true(store_exists(record));
	free(record);
}

/* ------------------------------------------------------------ replaces */

#define REPLACES	"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

/* A CA with renewalInfo (RFC 9773), to which newOrder names "replaces". */
static void
script_ari_directory(struct ctx *c)
{
	const struct fake_step steps[] = {
		{ .method = "GET", .url = DIRECTORY_URL, .status = 200,
		  .no_nonce = true, .body = "{\"newNonce\":\"" CA
		  "/new-nonce\",\"newAccount\":\"" CA "/new-account\","
		  "\"newOrder\":\"" NEW_ORDER_URL "\",\"revokeCert\":\"" CA
		  "/revoke-cert\",\"keyChange\":\"" CA "/key-change\","
		  "\"renewalInfo\":\"" CA "/renewal-info\"}" },
		FAKE_NEW_NONCE(CA),
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->spec.replaces = REPLACES;
}

/* The i-th newOrder named "replaces". */
static bool
order_replaces(const struct ctx *c, size_t nth)
{
	size_t seen = 0;

	for (size_t i = 0; i < c->ft.nrequests; i++) {
		const struct fake_request *r = fake_transport_request(&c->ft, i);

		if (strcmp(r->url, NEW_ORDER_URL) == 0 && seen++ == nth)
			return json_object_get(r->payload, "replaces") != NULL;
	}
	fail_msg("no newOrder number %zu", nth);
	return false;
}

/* A rate limit says nothing about "replaces": no second newOrder. */
static void
engine_run__keeps_replaces_when_the_order_is_rate_limited(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ORDER_URL,
		  .payload_has = "\"replaces\":\"" REPLACES "\"",
		  .status = 429, .retry_after = "3600",
		  .body = FAKE_PROBLEM("rateLimited", "too many new orders") },
	};

	script_ari_directory(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(run(c), -1);
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, "POST", NEW_ORDER_URL),
	    1);
	assert_contains(c->result.err.msg, "too many new orders");
}

/* A refusal of "replaces" itself: once more without it. */
static void
assert_orders_again_without_replaces(struct ctx *c, long status,
    const char *problem)
{
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ORDER_URL,
		  .payload_has = "\"replaces\":\"" REPLACES "\"",
		  .status = status, .body = problem },
		{ .method = "POST", .url = NEW_ORDER_URL, .status = 429,
		  .body = FAKE_PROBLEM("rateLimited", "too many new orders") },
	};

	script_ari_directory(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(run(c), -1);
	fake_transport_assert_done(&c->ft);
	assert_int_equal(fake_transport_count(&c->ft, "POST", NEW_ORDER_URL),
	    2);
	assert_true(order_replaces(c, 0));
	assert_false(order_replaces(c, 1));
}

static void
engine_run__orders_without_replaces_when_it_was_already_replaced(
    void **state)
{
	assert_orders_again_without_replaces(*state, 409,
	    FAKE_PROBLEM("alreadyReplaced", "replaced already"));
}

static void
engine_run__orders_without_replaces_when_the_ca_does_not_know_the_cert(
    void **state)
{
	assert_orders_again_without_replaces(*state, 404,
	    FAKE_PROBLEM("malformed", "no certificate with that ID"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(engine_run__issues_for_two_names_in_eleven_requests),
		T(engine_run__issues_on_a_clock_past_50_days_of_uptime),
		T(engine_run__finalizes_with_a_new_key_when_the_key_was_retired_meanwhile),
		T(engine_run__fails_with_the_cas_words_when_a_challenge_is_invalid),
		T(engine_run__names_the_identifier_whose_validation_failed),
		T(engine_run__finalizes_once_more_when_the_lost_finalize_left_it_ready),
		T(engine_run__does_not_finalize_again_when_the_lost_finalize_was_taken),
		T(engine_run__fails_at_once_when_finalize_asks_to_wait_past_the_deadline),
		T(engine_run__keeps_polling_when_the_order_goes_back_after_finalize),
		T(engine_run__takes_order_not_ready_after_a_lost_finalize_as_not_yet),
		T(engine_run__finalizes_again_once_ready_after_order_not_ready),
		T(engine_run__answers_a_challenge_again_after_a_step_ca_style_rejection),
		T(engine_run__sends_the_next_order_while_an_answer_is_outstanding),
		T(engine_run__refuses_a_pending_order_without_authorizations),
		T(engine_run__refuses_a_valid_order_without_a_certificate_url),
		T(engine_run__keeps_the_order_when_every_poll_after_finalize_is_lost),
		T(engine_run__orders_anew_when_the_kept_order_is_gone),
		T(engine_run__gives_up_a_kept_order_whose_key_file_is_another),
		T(engine_run__fails_every_job_when_the_key_process_cannot_start),
		T(engine_run__keeps_the_order_record_after_a_bare_404),
		T(engine_run__keeps_the_order_record_when_its_answer_has_an_unknown_status),
		T(engine_run__keeps_replaces_when_the_order_is_rate_limited),
		T(engine_run__orders_without_replaces_when_it_was_already_replaced),
		T(engine_run__orders_without_replaces_when_the_ca_does_not_know_the_cert),
	};

	log_set_level(LOG_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
