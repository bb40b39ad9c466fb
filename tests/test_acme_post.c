/*
 * test_acme_post.c - the protocol module against a scripted CA
 * (fake_transport.h): the directory, nonces, badNonce retries, what each
 * answer comes to (done, refused, unknown), orders, challenges and
 * account calls, with hostile values refused.
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

#include <jansson.h>

#include "acme.h"
#include "chain.h"
#include "err.h"
#include "fake_transport.h"
#include "testutil.h"
#include "key.h"
#include "names.h"
#include "signer.h"

#define CA		FAKE_CA_A
#define DIRECTORY_URL	CA "/directory"
#define NEW_NONCE_URL	CA "/new-nonce"
#define NEW_ACCOUNT_URL	CA "/new-account"
#define NEW_ORDER_URL	CA "/new-order"
#define KEY_CHANGE_URL	CA "/key-change"
#define ACCOUNT_URL	CA "/acct/1"
#define ORDER_URL	CA "/order/1"
#define FINALIZE_URL	CA "/order/1/finalize"
#define CERT_URL	CA "/cert/1"
#define AUTHZ_URL	CA "/authz/1"
#define CHALLENGE_URL	CA "/chall/1"
/* RFC 8555 section 8.3: the example token. */
#define TOKEN		"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 8555 section 7.4: the order of the example, at ORDER_URL. */
#define ORDER_JSON(status, extra) \
	"{\"status\":\"" status "\"," \
	"\"expires\":\"2016-01-05T14:09:07.99Z\"," \
	"\"identifiers\":[{\"type\":\"dns\",\"value\":\"www.example.org\"}]," \
	"\"authorizations\":[\"" AUTHZ_URL "\"]," \
	"\"finalize\":\"" FINALIZE_URL "\"" extra "}"

struct ctx {
	struct fake_transport	 ft;
	struct transport	 seam;
	struct signer		*key;
	struct signer		*new_key;
	struct acme		*acme;
	struct acme_who		 who;
	struct acme_outcome	 out;
	struct err		 e;
};

static struct signer *
new_signer(void)
{
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC256, &e);
	struct signer *s = key != NULL ? signer_new(key, &e) : NULL;

	if (s == NULL)
		fail_msg("key: %s", e.msg);
	EVP_PKEY_free(key);
	return s;
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	fake_transport_init(&c->ft);
	c->seam = fake_transport_seam(&c->ft);
	c->key = new_signer();
	c->new_key = new_signer();
	c->who = (struct acme_who){ c->key, ACCOUNT_URL };
	/* Nothing known: a call that fills nothing is caught. */
	memset(&c->out, 0x5a, sizeof(c->out));
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	acme_free(c->acme);
	signer_free(c->key);
	signer_free(c->new_key);
	fake_transport_free(&c->ft);
	free(c);
	return 0;
}

/* Script the directory and the first nonce, then connect. */
static void
connect_ca(struct ctx *c)
{
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		FAKE_NEW_NONCE(CA),
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	if (c->acme == NULL)
		fail_msg("acme_new: %s", c->e.msg);
}

/* A POST-as-GET of the account: the simplest signed request. */
static int
post(struct ctx *c, struct http_response **resp)
{
	const struct acme_request req = { ACCOUNT_URL, NULL, c->who, NULL };

	return acme_post(c->acme, &req, resp, &c->out, &c->e);
}

static void
assert_printable(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail_msg("byte 0x%02x at offset %td of \"%s\"",
			    (unsigned char)*p, p - s, s);
}

/* ------------------------------------------------------------ directory */

static void
acme_new__reads_the_directory_and_asks_for_no_nonce_yet(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = { FAKE_GET_DIRECTORY(CA) };

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_non_null(c->acme);
	assert_string_equal(acme_directory_url(c->acme), DIRECTORY_URL);
	assert_string_equal(acme_terms_of_service(c->acme), CA "/terms");
	assert_false(acme_eab_required(c->acme));
	assert_int_equal(c->ft.nrequests, 1);
	fake_transport_assert_done(&c->ft);
}

static void
acme_new__refuses_a_directory_url_that_is_not_https(void **state)
{
	struct ctx *c = *state;

	c->acme = acme_new(&c->seam, "http://ca-a.test/directory", &c->e);
	assert_null(c->acme);
	assert_contains(c->e.msg, "https");
	assert_int_equal(c->ft.nrequests, 0);
}

static void
acme_new__refuses_a_directory_entry_that_is_not_https(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "GET", .url = DIRECTORY_URL, .status = 200,
		  .body = "{\"newNonce\":\"" CA "/new-nonce\","
		  "\"newAccount\":\"" CA "/new-account\","
		  "\"newOrder\":\"http://ca-a.test/new-order\"}" },
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_null(c->acme);
	assert_contains(c->e.msg, "newOrder is not an https URL");
}

static void
acme_new__refuses_a_directory_without_new_order(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "GET", .url = DIRECTORY_URL, .status = 200,
		  .body = "{\"newNonce\":\"" CA "/new-nonce\","
		  "\"newAccount\":\"" CA "/new-account\"}" },
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_null(c->acme);
	assert_contains(c->e.msg, "is not an ACME directory (no newOrder)");
}

static void
acme_new__refuses_an_answer_that_is_not_a_directory(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "GET", .url = DIRECTORY_URL, .status = 404,
		  .body = "<html>not found</html>" },
		{ .method = "GET", .url = DIRECTORY_URL, .status = 200,
		  .body = "[\"newNonce\"]" },
	};

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_null(acme_new(&c->seam, DIRECTORY_URL, &c->e));
	assert_contains(c->e.msg, "HTTP 404");
	assert_null(acme_new(&c->seam, DIRECTORY_URL, &c->e));
	assert_contains(c->e.msg, "not a JSON object");
	fake_transport_assert_done(&c->ft);
}

static void
acme_new__reports_a_lost_directory_answer(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "GET", .url = DIRECTORY_URL, .lost = true,
		  .lost_msg = "Could not resolve host", .times = 2 },
	};

	/* Asked twice: once, and once more a second later. */
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_null(acme_new(&c->seam, DIRECTORY_URL, &c->e));
	assert_contains(c->e.msg, "Could not resolve host");
	fake_transport_assert_done(&c->ft);
}

static void
acme_new__asks_again_after_one_lost_directory_answer(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "GET", .url = DIRECTORY_URL, .lost = true,
		  .lost_msg = "Connection reset by peer" },
		FAKE_GET_DIRECTORY(CA),
	};
	struct acme *a;

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	a = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_non_null(a);
	fake_transport_assert_done(&c->ft);
	acme_free(a);
}

/* --------------------------------------------------------------- nonces */

static void
acme_post__asks_new_nonce_once_then_uses_nonces_from_answers(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 200,
		  .body = "{\"status\":\"valid\"}", .times = 3,
		  .post_as_get = true, .kid = ACCOUNT_URL },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(post(c, &r), 0);
		assert_int_equal(c->out.verdict, ACME_DONE);
		assert_int_equal(c->out.status, 200);
		assert_string_equal(c->out.problem, "");
		assert_int_equal(c->out.retry_after, -1);
		http_response_free(r);
	}
	/* The fake checks that each nonce was one it gave, used once. */
	assert_int_equal(fake_transport_count(&c->ft, "HEAD", NEW_NONCE_URL),
	    1);
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 3);
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__reports_a_new_nonce_without_replay_nonce(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		{ .method = "HEAD", .url = NEW_NONCE_URL, .status = 200,
		  .no_nonce = true },
	};
	struct http_response *r;

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_non_null(c->acme);
	assert_int_equal(post(c, &r), -1);
	assert_null(r);
	assert_contains(c->e.msg, "no usable Replay-Nonce");
	/* Nothing was signed or sent. */
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 0);
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__answers_bad_nonce_with_the_nonce_it_carries(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 400,
		  .body = FAKE_PROBLEM("badNonce", "JWS has an invalid anti-"
		  "replay nonce"), .replay_nonce = "carriedNonce1" },
		{ .method = "POST", .url = ACCOUNT_URL, .status = 200,
		  .nonce = "carriedNonce1", .body = "{\"status\":\"valid\"}" },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), 0);
	assert_non_null(r);
	assert_int_equal(c->out.verdict, ACME_DONE);
	assert_int_equal(c->out.status, 200);
	/* The badNonce of the first attempt is not left behind. */
	assert_string_equal(c->out.problem, "");
	http_response_free(r);
	assert_int_equal(fake_transport_count(&c->ft, "HEAD", NULL), 1);
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__gives_up_on_endless_bad_nonces_with_the_cas_problem(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 400,
		  .body = FAKE_PROBLEM("badNonce", "nonce never good enough"),
		  .times = FAKE_FOREVER },
	};
	struct http_response *r;
	size_t posts;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), -1);
	assert_null(r);
	posts = fake_transport_count(&c->ft, "POST", NULL);
	assert_true(posts > 1);
	assert_true(posts <= 65);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_int_equal(c->out.status, 400);
	assert_string_equal(c->out.problem, "badNonce");
	assert_contains(c->e.msg, "nonce never good enough");
	assert_contains(c->e.msg, ACCOUNT_URL);
	fake_transport_assert_done(&c->ft);
}

/*
 * Regression: an outcome kept from the first attempt (400 badNonce) said
 * "refused" after the retry's answer was lost, and a rollover the CA had
 * made was undone on our side: the account was lost.
 */
static void
acme_post__keeps_no_stale_status_after_a_lost_answer(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 400,
		  .body = FAKE_PROBLEM("badNonce", "stale nonce") },
		{ .method = "POST", .url = ACCOUNT_URL, .lost = true },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), -1);
	assert_null(r);
	assert_int_equal(c->out.verdict, ACME_UNKNOWN);
	assert_int_equal(c->out.status, 0);
	assert_string_equal(c->out.problem, "");
	assert_false(acme_refused_with(&c->out, "badNonce"));
	assert_contains(c->e.msg, "timed out");
	fake_transport_assert_done(&c->ft);
}

/* The same, where it cost an account: the key change. */
static void
acme_account_key_change__is_unknown_when_the_retry_after_bad_nonce_is_lost(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = KEY_CHANGE_URL, .status = 400,
		  .body = FAKE_PROBLEM("badNonce", "stale nonce") },
		{ .method = "POST", .url = KEY_CHANGE_URL, .lost = true },
	};

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_key_change(c->acme, &c->who,
	    c->new_key, &c->out, &c->e), -1);
	assert_int_equal(c->out.verdict, ACME_UNKNOWN);
	assert_int_equal(c->out.status, 0);
	fake_transport_assert_done(&c->ft);
}

/* ----------------------------------------------------- what answers mean */

static void
acme_post__reports_a_5xx_as_unknown_and_does_not_retry_it(void **state)
{
	struct ctx *c = *state;
	static const long statuses[] = { 500, 502, 503, 504 };
	struct http_response *r;

	connect_ca(c);
	for (size_t i = 0; i < NITEMS(statuses); i++) {
		/* Even a 5xx that says badNonce may come after the CA acted. */
		const struct fake_step steps[] = {
			{ .method = "POST", .url = ACCOUNT_URL,
			  .status = statuses[i],
			  .body = i % 2 ? FAKE_PROBLEM("badNonce", "gateway") :
			  "<html>Service Unavailable</html>" },
		};

		fake_transport_add(&c->ft, steps, NITEMS(steps));
		assert_int_equal(post(c, &r), -1);
		assert_null(r);
		assert_int_equal(c->out.verdict, ACME_UNKNOWN);
		assert_int_equal(c->out.status, statuses[i]);
		assert_int_equal(fake_transport_count(&c->ft, "POST", NULL),
		    i + 1);
	}
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__reports_a_501_as_refused(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 501,
		  .body = "Not Implemented" },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_int_equal(c->out.status, 501);
	assert_string_equal(c->out.problem, "");
	assert_contains(c->e.msg, "HTTP 501 with no ACME problem document");
	fake_transport_assert_done(&c->ft);
}

/*
 * A load balancer or proxy in front of the CA answers its own 404, 429 or
 * 403, without a problem document: that is no word from the CA that it
 * did not act.
 */
static void
acme_post__reports_a_4xx_without_a_problem_document_as_unknown(
    void **state)
{
	struct ctx *c = *state;
	static const long statuses[] = { 403, 404, 429 };
	static const char *const bodies[] = {
		"<html><body>403 Forbidden</body></html>",
		"", "{\"message\":\"Too Many Requests\"}",
	};
	struct http_response *r;

	connect_ca(c);
	for (size_t i = 0; i < NITEMS(statuses); i++) {
		const struct fake_step steps[] = {
			{ .method = "POST", .url = ACCOUNT_URL,
			  .status = statuses[i], .body = bodies[i] },
		};

		fake_transport_add(&c->ft, steps, NITEMS(steps));
		assert_int_equal(post(c, &r), -1);
		assert_null(r);
		assert_int_equal(c->out.verdict, ACME_UNKNOWN);
		assert_int_equal(c->out.status, statuses[i]);
		assert_string_equal(c->out.problem, "");
		assert_contains(c->e.msg, "with no ACME problem document");
	}
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__reports_a_4xx_problem_as_refused_with_its_name(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 403,
		  .body = FAKE_PROBLEM("unauthorized", "Account is not "
		  "valid, has status \\\"deactivated\\\"") },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_int_equal(c->out.status, 403);
	assert_string_equal(c->out.problem, "unauthorized");
	assert_true(acme_refused_with(&c->out, "unauthorized"));
	assert_contains(c->e.msg, "HTTP 403");
	assert_contains(c->e.msg, "has status \"deactivated\"");
	/* Refused once is refused: not sent again. */
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 1);
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__reads_retry_after_into_the_outcome(void **state)
{
	struct ctx *c = *state;
	/* RFC 8555 section 6.6: rateLimited with Retry-After. */
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 429,
		  .retry_after = "120",
		  .body = FAKE_PROBLEM("rateLimited", "too many requests") },
		{ .method = "POST", .url = ACCOUNT_URL, .status = 200,
		  .retry_after = "7", .body = "{}" },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_string_equal(c->out.problem, "rateLimited");
	assert_int_equal(c->out.retry_after, 120);
	assert_int_equal(post(c, &r), 0);
	assert_int_equal(c->out.retry_after, 7);
	http_response_free(r);
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__sanitizes_the_cas_problem_text(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ACCOUNT_URL, .status = 400,
		  .body = "{\"type\":\"urn:ietf:params:acme:error:mal\\u001b"
		  "[31mformed\",\"detail\":\"bad\\u001b]0;owned\\u0007\\r\\n"
		  "line\\u009b2J\"}" },
	};
	struct http_response *r;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(post(c, &r), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_printable(c->e.msg);
	assert_printable(c->out.problem);
	assert_contains(c->e.msg, "bad?]0;owned?");
	assert_null(strchr(c->e.msg, '\n'));
}

/*
 * newNonce changes nothing at the CA: a lost answer is asked again once;
 * if that is lost too, the POST was never sent, and the outcome says so
 * (a caller may send any request again after UNSENT).
 */
static void
acme_post__reports_lost_new_nonces_as_unsent(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		{ .method = "HEAD", .url = NEW_NONCE_URL, .lost = true },
		{ .method = "HEAD", .url = NEW_NONCE_URL, .lost = true },
	};
	struct http_response *r;

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_non_null(c->acme);
	assert_int_equal(post(c, &r), -1);
	assert_int_equal(c->out.status, 0);
	assert_int_equal(c->out.verdict, ACME_UNSENT);
	assert_contains(c->e.msg, NEW_NONCE_URL);
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 0);
	fake_transport_assert_done(&c->ft);
}

static void
acme_post__asks_new_nonce_again_after_a_lost_answer(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		FAKE_GET_DIRECTORY(CA),
		{ .method = "HEAD", .url = NEW_NONCE_URL, .lost = true },
		FAKE_NEW_NONCE(CA),
		{ .method = "POST", .url = ACCOUNT_URL, .status = 200,
		  .body = "{}" },
	};
	struct http_response *r;

	fake_transport_add(&c->ft, steps, NITEMS(steps));
	c->acme = acme_new(&c->seam, DIRECTORY_URL, &c->e);
	assert_non_null(c->acme);
	assert_int_equal(post(c, &r), 0);
	assert_int_equal(c->out.verdict, ACME_DONE);
	http_response_free(r);
	fake_transport_assert_done(&c->ft);
}

/* --------------------------------------------------------------- orders */

static struct acme_order *
order_new(struct ctx *c, const struct fake_step *answer, int want_rc)
{
	struct names names = { NULL, 0 };
	struct acme_order_request req = { &names, NULL, NULL };
	struct acme_order *o = NULL;

	assert_int_equal(names_add(&names, "www.example.org"), 0);
	connect_ca(c);
	fake_transport_add(&c->ft, answer, 1);
	assert_int_equal(acme_order_new(c->acme, &c->who, &req, &o,
	    &c->out, &c->e), want_rc);
	names_clear(&names);
	fake_transport_assert_done(&c->ft);
	if (want_rc == 0)
		assert_non_null(o);
	else
		assert_null(o);
	return o;
}

static void
acme_order_new__reads_the_order_and_its_location(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .kid = ACCOUNT_URL,
	    .payload_has = "{\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"www.example.org\"}]}",
	    .body = ORDER_JSON("pending", "") };
	struct acme_order *o = order_new(c, &answer, 0);

	assert_int_equal(c->out.verdict, ACME_DONE);
	assert_int_equal(c->out.status, 201);
	assert_string_equal(o->url, ORDER_URL);
	assert_string_equal(o->status, "pending");
	assert_string_equal(o->finalize, FINALIZE_URL);
	assert_null(o->certificate);
	assert_null(o->error);
	assert_int_equal(o->nauthorizations, 1);
	assert_string_equal(o->authorizations[0], AUTHZ_URL);
	acme_order_free(o);
}

/* RFC 8738 section 3: addresses are identifiers of type "ip". */
static void
acme_order_new__sends_addresses_as_ip_identifiers(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .kid = ACCOUNT_URL,
	    .payload_has = "{\"identifiers\":[{\"type\":\"ip\","
	    "\"value\":\"192.0.2.10\"},{\"type\":\"dns\","
	    "\"value\":\"www.example.org\"},{\"type\":\"ip\","
	    "\"value\":\"2001:db8::10\"}]}",
	    .body = ORDER_JSON("pending", "") };
	struct names names = { NULL, 0 };
	struct acme_order_request req = { &names, NULL, NULL };
	struct acme_order *o = NULL;

	assert_int_equal(names_add(&names, "192.0.2.10"), 0);
	assert_int_equal(names_add(&names, "www.example.org"), 0);
	assert_int_equal(names_add(&names, "2001:DB8::0:10"), 0);
	connect_ca(c);
	fake_transport_add(&c->ft, &answer, 1);
	assert_int_equal(acme_order_new(c->acme, &c->who, &req, &o,
	    &c->out, &c->e), 0);
	names_clear(&names);
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

static void
acme_order_new__refuses_an_order_url_that_is_not_https(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201,
	    .location = "http://ca-a.test/order/1",
	    .body = ORDER_JSON("pending", "") };

	order_new(c, &answer, -1);
	assert_contains(c->e.msg, "no https order URL");
}

static void
acme_order_new__refuses_a_finalize_url_that_is_not_https(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .body = "{\"status\":\"pending\",\"authorizations\":[\""
	    AUTHZ_URL "\"],\"finalize\":\"file:///etc/passwd\"}" };

	order_new(c, &answer, -1);
	assert_contains(c->e.msg, "finalize \"file:///etc/passwd\", not an "
	    "https URL");
}

static void
acme_order_new__refuses_an_authorization_url_that_is_not_https(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .body = "{\"status\":\"pending\",\"authorizations\":[\""
	    AUTHZ_URL "\",\"https://ca-a.test/authz/\\n2\"],"
	    "\"finalize\":\"" FINALIZE_URL "\"}" };

	order_new(c, &answer, -1);
	assert_contains(c->e.msg, "authorization URL is not https");
}

static void
acme_order_new__refuses_an_order_without_authorizations(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .body = "{\"status\":\"pending\",\"authorizations\":[],"
	    "\"finalize\":\"" FINALIZE_URL "\"}" };

	order_new(c, &answer, -1);
	assert_contains(c->e.msg, "without authorizations");
}

static void
acme_order_new__refuses_an_unknown_status(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .body = ORDER_JSON("issued\\u001b[2J", "") };

	order_new(c, &answer, -1);
	assert_contains(c->e.msg, "unknown order status");
	assert_printable(c->e.msg);
}

static void
acme_order_new__reports_the_cas_refusal(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 400,
	    .body = FAKE_PROBLEM("rejectedIdentifier", "will not issue for "
	    "www.example.org") };

	order_new(c, &answer, -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_string_equal(c->out.problem, "rejectedIdentifier");
	assert_contains(c->e.msg, "will not issue for www.example.org");
}

static void
acme_order_new__is_unknown_when_the_answer_is_not_json(void **state)
{
	struct ctx *c = *state;
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .body = "<html>created</html>" };

	order_new(c, &answer, -1);
	/* The CA acted, but what it made is unknown. */
	assert_int_equal(c->out.verdict, ACME_UNKNOWN);
	assert_contains(c->e.msg, "not a JSON object");
}

/* A new order of status pending, then steps on it. */
static struct acme_order *
pending_order(struct ctx *c, const struct fake_step *then, size_t n)
{
	const struct fake_step answer = { .method = "POST",
	    .url = NEW_ORDER_URL, .status = 201, .location = ORDER_URL,
	    .body = ORDER_JSON("pending", "") };
	struct acme_order *o = order_new(c, &answer, 0);

	fake_transport_add(&c->ft, then, n);
	return o;
}

static void
acme_order_fetch__reads_status_certificate_and_retry_after(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200, .retry_after = "3",
		  .body = ORDER_JSON("processing", "") },
		{ .method = "POST", .url = ORDER_URL, .post_as_get = true,
		  .status = 200,
		  .body = ORDER_JSON("valid", ",\"certificate\":\"" CERT_URL
		  "\"") },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_fetch(c->acme, &c->who, o, &c->out,
	    &c->e), 0);
	assert_string_equal(o->status, "processing");
	assert_int_equal(o->retry_after, 3);
	assert_null(o->certificate);
	assert_int_equal(acme_order_fetch(c->acme, &c->who, o, &c->out,
	    &c->e), 0);
	assert_string_equal(o->status, "valid");
	assert_int_equal(o->retry_after, -1);
	assert_string_equal(o->certificate, CERT_URL);
	/* The authorizations are those of the new order, not repeated. */
	assert_int_equal(o->nauthorizations, 1);
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

static void
acme_order_fetch__refuses_a_certificate_url_that_is_not_https(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("valid", ",\"certificate\":"
		  "\"http://ca-a.test/cert/1\"") },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_fetch(c->acme, &c->who, o, &c->out,
	    &c->e), -1);
	assert_contains(c->e.msg, "certificate \"http://ca-a.test/cert/1\"");
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

static void
acme_order_fetch__refuses_a_valid_order_without_a_certificate_url(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("valid", "") },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_fetch(c->acme, &c->who, o, &c->out,
	    &c->e), -1);
	assert_contains(c->e.msg, "valid order without a certificate URL");
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

static void
acme_order_fetch__describes_the_error_of_an_invalid_order(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = ORDER_URL, .status = 200,
		  .body = ORDER_JSON("invalid", ",\"error\":" FAKE_PROBLEM(
		  "unauthorized", "Error finalizing order")) },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_fetch(c->acme, &c->who, o, &c->out,
	    &c->e), 0);
	assert_string_equal(o->status, "invalid");
	assert_contains(o->error, "unauthorized");
	assert_contains(o->error, "Error finalizing order");
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

static void
acme_order_finalize__sends_the_csr_and_reads_the_answer(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = FINALIZE_URL, .kid = ACCOUNT_URL,
		  .payload_has = "{\"csr\":\"MIIBPTCBxAIBADBFMQ\"}",
		  .status = 200, .retry_after = "2",
		  .body = ORDER_JSON("processing", "") },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_finalize(c->acme, &c->who, o,
	    "MIIBPTCBxAIBADBFMQ", &c->out, &c->e), 0);
	assert_int_equal(c->out.verdict, ACME_DONE);
	assert_string_equal(o->status, "processing");
	assert_int_equal(o->retry_after, 2);
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

static void
acme_order_finalize__refuses_an_unknown_status(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = FINALIZE_URL, .status = 200,
		  .body = ORDER_JSON("done", "") },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_finalize(c->acme, &c->who, o, "MIIB",
	    &c->out, &c->e), -1);
	assert_contains(c->e.msg, "unknown order status");
	/* What the order was is kept. */
	assert_string_equal(o->status, "pending");
	acme_order_free(o);
}

static void
acme_order_finalize__reports_a_refused_csr(void **state)
{
	struct ctx *c = *state;
	/* RFC 8555 section 7.4: badCSR, and the order is not ready. */
	const struct fake_step steps[] = {
		{ .method = "POST", .url = FINALIZE_URL, .status = 403,
		  .body = FAKE_PROBLEM("orderNotReady", "Order's status "
		  "(\\\"pending\\\") is not acceptable for finalization") },
		{ .method = "POST", .url = FINALIZE_URL, .status = 400,
		  .body = FAKE_PROBLEM("badCSR", "CSR contains a name not "
		  "in the order") },
	};
	struct acme_order *o = pending_order(c, steps, NITEMS(steps));

	assert_int_equal(acme_order_finalize(c->acme, &c->who, o, "MIIB",
	    &c->out, &c->e), -1);
	assert_true(acme_refused_with(&c->out, "orderNotReady"));
	assert_int_equal(acme_order_finalize(c->acme, &c->who, o, "MIIB",
	    &c->out, &c->e), -1);
	assert_true(acme_refused_with(&c->out, "badCSR"));
	assert_contains(c->e.msg, "CSR contains a name not in the order");
	fake_transport_assert_done(&c->ft);
	acme_order_free(o);
}

/* ------------------------------------------- authorizations, challenges */

/* RFC 8555 section 7.5: the authorization of the example. */
#define AUTHZ_JSON(status, challenge_status, challenge_extra) \
	"{\"status\":\"" status "\"," \
	"\"identifier\":{\"type\":\"dns\",\"value\":\"www.example.org\"}," \
	"\"challenges\":[" \
	"{\"type\":\"dns-01\",\"url\":\"" CA "/chall/2\",\"status\":\"" \
	challenge_status "\",\"token\":\"DGyRejmCefe7v4NfDGDKfA\"}," \
	"{\"type\":\"http-01\",\"url\":\"" CHALLENGE_URL "\"," \
	"\"status\":\"" challenge_status "\",\"token\":\"" TOKEN "\"" \
	challenge_extra "}]}"

static struct acme_authz *
authz_fetch(struct ctx *c, const char *body, int want_rc)
{
	const struct fake_step steps[] = {
		{ .method = "POST", .url = AUTHZ_URL, .post_as_get = true,
		  .status = 200, .body = body },
	};
	struct acme_authz *z = NULL;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_authz_fetch(c->acme, &c->who, AUTHZ_URL, &z,
	    &c->out, &c->e), want_rc);
	fake_transport_assert_done(&c->ft);
	return z;
}

static void
acme_authz_fetch__takes_the_http01_challenge_of_a_pending_one(void **state)
{
	struct ctx *c = *state;
	struct acme_authz *z = authz_fetch(c, AUTHZ_JSON("pending",
	    "pending", ""), 0);

	assert_non_null(z);
	assert_string_equal(z->identifier, "www.example.org");
	assert_string_equal(z->status, "pending");
	assert_string_equal(z->challenge_url, CHALLENGE_URL);
	assert_string_equal(z->token, TOKEN);
	assert_null(z->error);
	acme_authz_free(z);
}

static void
acme_authz_fetch__refuses_a_token_that_is_not_base64url(void **state)
{
	struct ctx *c = *state;
	const char *body = "{\"status\":\"pending\","
	    "\"identifier\":{\"type\":\"dns\",\"value\":\"www.example.org\"},"
	    "\"challenges\":[{\"type\":\"http-01\",\"url\":\"" CHALLENGE_URL
	    "\",\"status\":\"pending\",\"token\":\"../../etc/passwd\"}]}";

	assert_null(authz_fetch(c, body, -1));
	assert_contains(c->e.msg, "not base64url");
}

static void
acme_authz_fetch__keeps_the_challenge_error_of_an_invalid_one(void **state)
{
	struct ctx *c = *state;
	struct acme_authz *z = authz_fetch(c, AUTHZ_JSON("invalid", "invalid",
	    ",\"error\":" FAKE_PROBLEM("connection", "Fetching http://"
	    "www.example.org/.well-known/acme-challenge/x: Connection "
	    "refused")), 0);

	assert_non_null(z);
	assert_string_equal(z->status, "invalid");
	assert_null(z->challenge_url);
	assert_contains(z->error, "connection");
	assert_contains(z->error, "Connection refused");
	acme_authz_free(z);
}

static struct acme_authz *
pending_authz(struct ctx *c, const struct fake_step *then, size_t n)
{
	struct acme_authz *z = authz_fetch(c, AUTHZ_JSON("pending", "pending",
	    ""), 0);

	fake_transport_add(&c->ft, then, n);
	return z;
}

static void
acme_challenge_respond__returns_pending_with_the_cas_error(void **state)
{
	struct ctx *c = *state;
	/* step-ca answers the POST itself with pending and the error. */
	const struct fake_step steps[] = {
		{ .method = "POST", .url = CHALLENGE_URL, .payload_has = "{}",
		  .status = 200,
		  .body = "{\"type\":\"http-01\",\"status\":\"pending\","
		  "\"url\":\"" CHALLENGE_URL "\",\"token\":\"" TOKEN "\","
		  "\"error\":" FAKE_PROBLEM("connection", "The server could "
		  "not connect to validation target") "}" },
	};
	struct acme_authz *z = pending_authz(c, steps, NITEMS(steps));
	char *status, *error;

	assert_int_equal(acme_challenge_respond(c->acme, &c->who, z, &status,
	    &error, &c->out, &c->e), 0);
	assert_string_equal(status, "pending");
	assert_contains(error, "connection");
	assert_contains(error, "could not connect to validation target");
	/* Section 7.5.1: the payload is the empty object, not POST-as-GET. */
	assert_false(fake_transport_last(&c->ft)->post_as_get);
	fake_transport_assert_done(&c->ft);
	free(status);
	free(error);
	acme_authz_free(z);
}

static void
acme_challenge_respond__returns_processing_without_error(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = CHALLENGE_URL, .status = 200,
		  .body = "{\"type\":\"http-01\",\"status\":\"processing\","
		  "\"url\":\"" CHALLENGE_URL "\",\"token\":\"" TOKEN "\"}" },
	};
	struct acme_authz *z = pending_authz(c, steps, NITEMS(steps));
	char *status, *error;

	assert_int_equal(acme_challenge_respond(c->acme, &c->who, z, &status,
	    &error, &c->out, &c->e), 0);
	assert_string_equal(status, "processing");
	assert_null(error);
	free(status);
	acme_authz_free(z);
}

static void
acme_challenge_respond__refuses_an_unknown_status(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = CHALLENGE_URL, .status = 200,
		  .body = "{\"type\":\"http-01\",\"status\":\"deactivated\"}" },
	};
	struct acme_authz *z = pending_authz(c, steps, NITEMS(steps));
	char *status, *error;

	assert_int_equal(acme_challenge_respond(c->acme, &c->who, z, &status,
	    &error, &c->out, &c->e), -1);
	assert_null(status);
	assert_null(error);
	assert_contains(c->e.msg, "www.example.org");
	assert_contains(c->e.msg, "unknown challenge status");
	acme_authz_free(z);
}

static void
acme_challenge_respond__names_the_identifier_when_refused(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = CHALLENGE_URL, .status = 400,
		  .body = FAKE_PROBLEM("malformed", "challenge is not "
		  "pending") },
	};
	struct acme_authz *z = pending_authz(c, steps, NITEMS(steps));
	char *status, *error;

	assert_int_equal(acme_challenge_respond(c->acme, &c->who, z, &status,
	    &error, &c->out, &c->e), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_contains(c->e.msg, "www.example.org: ");
	assert_contains(c->e.msg, "challenge is not pending");
	acme_authz_free(z);
}

/* --------------------------------------------------------- certificates */

static void
acme_certificate_download__asks_for_a_pem_chain(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = CERT_URL, .post_as_get = true,
		  .status = 200, .body = "-----BEGIN CERTIFICATE-----\n" },
	};
	size_t len;
	char *pem;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_certificate_download(c->acme, &c->who,
	    CERT_URL, &pem, &len, NULL, NULL, &c->out, &c->e), 0);
	assert_string_equal(pem, "-----BEGIN CERTIFICATE-----\n");
	assert_int_equal(len, strlen(pem));
	assert_string_equal(fake_transport_last(&c->ft)->accept,
	    "application/pem-certificate-chain");
	free(pem);
	fake_transport_assert_done(&c->ft);
}

static void
acme_certificate_download__returns_the_alternate_chains(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = CERT_URL, .post_as_get = true,
		  .status = 200, .body = "-----BEGIN CERTIFICATE-----\n",
		  .link = "<https://ca.example/cert/1/1>;rel=\"alternate\", "
		  "<https://ca.example/dir>;rel=\"index\", "
		  "<http://ca.example/cert/1/2>;rel=alternate" },
	};
	char *pem, **alt;
	size_t len, nalt;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_certificate_download(c->acme, &c->who,
	    CERT_URL, &pem, &len, &alt, &nalt, &c->out, &c->e), 0);
	assert_int_equal(nalt, 1);
	assert_string_equal(alt[0], "https://ca.example/cert/1/1");
	chain_urls_free(alt, nalt);
	free(pem);
	fake_transport_assert_done(&c->ft);
}

/* ------------------------------------------------------------- accounts */

static void
acme_account_lookup__returns_1_when_the_account_does_not_exist(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL, .jwk_of = c->key,
		  .payload_has = "{\"onlyReturnExisting\":true}",
		  .status = 400, .body = FAKE_PROBLEM("accountDoesNotExist",
		  "No account exists with the provided key") },
	};
	char *url = (char *)"stale";

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_lookup(c->acme, c->key, &url, &c->out,
	    &c->e), 1);
	assert_null(url);
	assert_true(acme_refused_with(&c->out, "accountDoesNotExist"));
	fake_transport_assert_done(&c->ft);
}

static void
acme_account_lookup__returns_the_url_of_an_existing_account(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL, .jwk_of = c->key,
		  .payload_has = "{\"onlyReturnExisting\":true}",
		  .status = 200, .location = ACCOUNT_URL,
		  .body = "{\"status\":\"valid\"}" },
	};
	char *url;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_lookup(c->acme, c->key, &url, &c->out,
	    &c->e), 0);
	assert_string_equal(url, ACCOUNT_URL);
	free(url);
	fake_transport_assert_done(&c->ft);
}

static void
acme_account_lookup__fails_on_an_account_url_that_is_not_https(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL, .status = 200,
		  .location = "http://ca-a.test/acct/1", .body = "{}" },
	};
	char *url;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_lookup(c->acme, c->key, &url, &c->out,
	    &c->e), -1);
	assert_null(url);
	assert_contains(c->e.msg, "no https account URL");
}

static void
acme_account_lookup__fails_when_the_ca_refuses_otherwise(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = NEW_ACCOUNT_URL, .status = 403,
		  .body = FAKE_PROBLEM("unauthorized", "deactivated") },
	};
	char *url;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_lookup(c->acme, c->key, &url, &c->out,
	    &c->e), -1);
	assert_true(acme_refused_with(&c->out, "unauthorized"));
}

static void
acme_account_key_change__signs_with_the_old_key_and_account_url(void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = KEY_CHANGE_URL, .kid = ACCOUNT_URL,
		  .payload_has = "\"protected\":", .status = 200,
		  .body = "{\"status\":\"valid\"}" },
	};
	json_t *inner_payload;
	const char *inner;

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_key_change(c->acme, &c->who,
	    c->new_key, &c->out, &c->e), 0);
	assert_int_equal(c->out.verdict, ACME_DONE);
	/* Section 7.3.5: the inner JWS names the account. */
	inner = json_dumps(fake_transport_last(&c->ft)->payload, JSON_COMPACT);
	inner_payload = fake_jws_decode(inner, "payload");
	assert_string_equal(json_string_value(json_object_get(inner_payload,
	    "account")), ACCOUNT_URL);
	json_decref(inner_payload);
	free((char *)inner);
	fake_transport_assert_done(&c->ft);
}

static void
acme_account_key_change__says_the_ca_does_not_implement_rollover_on_501(
    void **state)
{
	struct ctx *c = *state;
	const struct fake_step steps[] = {
		{ .method = "POST", .url = KEY_CHANGE_URL, .status = 501,
		  .body = FAKE_PROBLEM("malformed", "not implemented") },
	};

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_key_change(c->acme, &c->who,
	    c->new_key, &c->out, &c->e), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_int_equal(c->out.status, 501);
	assert_contains(c->e.msg, "does not implement account key rollover");
	fake_transport_assert_done(&c->ft);
}

static void
acme_account_key_change__says_the_new_key_has_another_account_on_409(
    void **state)
{
	struct ctx *c = *state;
	/* Section 7.3.5: 409 Conflict with the other account's Location. */
	const struct fake_step steps[] = {
		{ .method = "POST", .url = KEY_CHANGE_URL, .status = 409,
		  .location = CA "/acct/2",
		  .body = FAKE_PROBLEM("malformed", "New key is already in "
		  "use for a different account") },
	};

	connect_ca(c);
	fake_transport_add(&c->ft, steps, NITEMS(steps));
	assert_int_equal(acme_account_key_change(c->acme, &c->who,
	    c->new_key, &c->out, &c->e), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_contains(c->e.msg, "already belongs to another account");
	assert_contains(c->e.msg, "already in use for a different account");
	fake_transport_assert_done(&c->ft);
}

static void
acme_account_key_change__needs_the_account_url(void **state)
{
	struct ctx *c = *state;
	const struct acme_who who = { c->key, NULL };

	connect_ca(c);
	assert_int_equal(acme_account_key_change(c->acme, &who, c->new_key,
	    &c->out, &c->e), -1);
	assert_int_equal(c->out.verdict, ACME_REFUSED);
	assert_int_equal(fake_transport_count(&c->ft, "POST", NULL), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(acme_new__reads_the_directory_and_asks_for_no_nonce_yet),
		T(acme_new__refuses_a_directory_url_that_is_not_https),
		T(acme_new__refuses_a_directory_entry_that_is_not_https),
		T(acme_new__refuses_a_directory_without_new_order),
		T(acme_new__refuses_an_answer_that_is_not_a_directory),
		T(acme_new__reports_a_lost_directory_answer),
		T(acme_new__asks_again_after_one_lost_directory_answer),
		T(acme_post__asks_new_nonce_once_then_uses_nonces_from_answers),
		T(acme_post__reports_a_new_nonce_without_replay_nonce),
		T(acme_post__answers_bad_nonce_with_the_nonce_it_carries),
		T(acme_post__gives_up_on_endless_bad_nonces_with_the_cas_problem),
		T(acme_post__keeps_no_stale_status_after_a_lost_answer),
		T(acme_account_key_change__is_unknown_when_the_retry_after_bad_nonce_is_lost),
		T(acme_post__reports_a_5xx_as_unknown_and_does_not_retry_it),
		T(acme_post__reports_a_501_as_refused),
		T(acme_post__reports_a_4xx_without_a_problem_document_as_unknown),
		T(acme_post__reports_a_4xx_problem_as_refused_with_its_name),
		T(acme_post__reads_retry_after_into_the_outcome),
		T(acme_post__sanitizes_the_cas_problem_text),
		T(acme_post__reports_lost_new_nonces_as_unsent),
		T(acme_post__asks_new_nonce_again_after_a_lost_answer),
		T(acme_order_new__reads_the_order_and_its_location),
		T(acme_order_new__sends_addresses_as_ip_identifiers),
		T(acme_order_new__refuses_an_order_url_that_is_not_https),
		T(acme_order_new__refuses_a_finalize_url_that_is_not_https),
		T(acme_order_new__refuses_an_authorization_url_that_is_not_https),
		T(acme_order_new__refuses_an_order_without_authorizations),
		T(acme_order_new__refuses_an_unknown_status),
		T(acme_order_new__reports_the_cas_refusal),
		T(acme_order_new__is_unknown_when_the_answer_is_not_json),
		T(acme_order_fetch__reads_status_certificate_and_retry_after),
		T(acme_order_fetch__refuses_a_certificate_url_that_is_not_https),
		T(acme_order_fetch__refuses_a_valid_order_without_a_certificate_url),
		T(acme_order_fetch__describes_the_error_of_an_invalid_order),
		T(acme_order_finalize__sends_the_csr_and_reads_the_answer),
		T(acme_order_finalize__refuses_an_unknown_status),
		T(acme_order_finalize__reports_a_refused_csr),
		T(acme_authz_fetch__takes_the_http01_challenge_of_a_pending_one),
		T(acme_authz_fetch__refuses_a_token_that_is_not_base64url),
		T(acme_authz_fetch__keeps_the_challenge_error_of_an_invalid_one),
		T(acme_challenge_respond__returns_pending_with_the_cas_error),
		T(acme_challenge_respond__returns_processing_without_error),
		T(acme_challenge_respond__refuses_an_unknown_status),
		T(acme_challenge_respond__names_the_identifier_when_refused),
		T(acme_certificate_download__asks_for_a_pem_chain),
		T(acme_certificate_download__returns_the_alternate_chains),
		T(acme_account_lookup__returns_1_when_the_account_does_not_exist),
		T(acme_account_lookup__returns_the_url_of_an_existing_account),
		T(acme_account_lookup__fails_on_an_account_url_that_is_not_https),
		T(acme_account_lookup__fails_when_the_ca_refuses_otherwise),
		T(acme_account_key_change__signs_with_the_old_key_and_account_url),
		T(acme_account_key_change__says_the_ca_does_not_implement_rollover_on_501),
		T(acme_account_key_change__says_the_new_key_has_another_account_on_409),
		T(acme_account_key_change__needs_the_account_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
