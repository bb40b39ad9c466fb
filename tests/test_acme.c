/*
 * test_acme.c - the parts of the protocol module that need no CA: problem
 * documents, server text, Retry-After, key authorizations and the nested
 * JWS of an account key change (RFC 8555 section 7.3.5).
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

#include <jansson.h>
#include <openssl/evp.h>

#include "acme.h"
#include "err.h"
#include "jws.h"
#include "signer.h"
#include "testkeys.h"
#include "testutil.h"

#define KEY_CHANGE_URL	"https://ca.example/acme/key-change"
#define ACCOUNT_URL	"https://ca.example/acme/acct/evOfKhNU60wg"
#define TOKEN		"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

/* RFC 9110 section 5.6.7: this IMF-fixdate is 1445412480 seconds after the epoch. */
#define HTTP_DATE	"Wed, 21 Oct 2015 07:28:00 GMT"
#define HTTP_DATE_T	((time_t)1445412480)

/* Every byte printable ASCII: nothing that could drive a terminal. */
static void
assert_printable(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail_msg("byte 0x%02x at offset %td of \"%s\"",
			    (unsigned char)*p, p - s, s);
}

static json_t *
json_parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (v == NULL)
		fail_msg("test JSON: %s", jerr.text);
	return v;
}

static void
acme_problem_describe__has_type_detail_and_subproblems(void **state)
{
	/* RFC 8555 section 6.7.1, the example with subproblems. */
	json_t *p = json_parse(
	    "{\"type\": \"urn:ietf:params:acme:error:malformed\","
	    " \"detail\": \"Some of the identifiers requested were rejected\","
	    " \"subproblems\": ["
	    "  {\"type\": \"urn:ietf:params:acme:error:malformed\","
	    "   \"detail\": \"Invalid underscore in DNS name \\\"_example.org\\\"\","
	    "   \"identifier\": {\"type\": \"dns\", \"value\": \"_example.org\"}},"
	    "  {\"type\": \"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "   \"detail\": \"This CA will not issue for \\\"example.net\\\"\","
	    "   \"identifier\": {\"type\": \"dns\", \"value\": \"example.net\"}}"
	    "]}");
	char *d = acme_problem_describe(p);

	(void)state;
	assert_non_null(d);
	assert_non_null(strstr(d, "malformed"));
	assert_non_null(strstr(d, "Some of the identifiers requested were rejected"));
	assert_non_null(strstr(d, "_example.org"));
	assert_non_null(strstr(d, "Invalid underscore in DNS name"));
	assert_non_null(strstr(d, "example.net"));
	assert_non_null(strstr(d, "rejectedIdentifier"));
	assert_non_null(strstr(d, "This CA will not issue for"));
	/* One line. */
	assert_null(strchr(d, '\n'));
	assert_printable(d);
	free(d);
	json_decref(p);
}

static void
acme_problem_describe__has_type_and_detail_without_subproblems(void **state)
{
	json_t *p = json_parse(
	    "{\"type\": \"urn:ietf:params:acme:error:rateLimited\","
	    " \"detail\": \"too many certificates already issued\"}");
	char *d = acme_problem_describe(p);

	(void)state;
	assert_non_null(d);
	assert_non_null(strstr(d, "rateLimited"));
	assert_non_null(strstr(d, "too many certificates already issued"));
	assert_null(strchr(d, '\n'));
	free(d);
	json_decref(p);
}

static void
acme_problem_describe__removes_control_characters_from_server_text(void **state)
{
	json_t *p = json_pack("{s:s, s:s, s:[{s:s, s:s, s:{s:s, s:s}}]}",
	    "type", "urn:ietf:params:acme:error:\x1b]0;owned\x07malformed",
	    "detail", "bad\x1b[2J\x1b[31mred\r\nsecond line\x7f\xc2\x9b" "1m",
	    "subproblems",
	    "type", "urn:ietf:params:acme:error:caa\x1b[0m",
	    "detail", "CAA\tforbids\x08\x08",
	    "identifier", "type", "dns", "value", "evil\x1b[1m.example");
	char *d;

	(void)state;
	assert_non_null(p);
	d = acme_problem_describe(p);
	assert_non_null(d);
	assert_printable(d);
	assert_null(strchr(d, '\x1b'));
	assert_null(strchr(d, '\n'));
	assert_null(strchr(d, '\r'));
	/* The readable parts survive. */
	assert_non_null(strstr(d, "second line"));
	assert_non_null(strstr(d, "forbids"));
	free(d);
	json_decref(p);
}

static void
acme_problem_describe__copes_with_missing_and_odd_members(void **state)
{
	static const char *const docs[] = {
		"{}",
		"{\"detail\": \"no type\"}",
		"{\"type\": 42, \"detail\": [1, 2]}",
		"{\"type\": \"t\", \"subproblems\": \"not an array\"}",
		"{\"type\": \"t\", \"subproblems\": [{}, 3, {\"identifier\": 5}]}",
		"[]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *p = json_parse(docs[i]);
		char *d = acme_problem_describe(p);

		assert_non_null(d);
		assert_printable(d);
		free(d);
		json_decref(p);
	}
}

static void
acme_sanitize__keeps_printable_ascii_unchanged(void **state)
{
	static const char text[] =
	    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
	char *s;

	(void)state;
	s = acme_sanitize(text);
	assert_string_equal(s, text);
	free(s);
	s = acme_sanitize("");
	assert_string_equal(s, "");
	free(s);
}

static void
acme_sanitize__leaves_no_control_or_non_ascii_bytes(void **state)
{
	static const char text[] =
	    "a\x01" "b\x1b[31mc\x7f" "d\n\r\t\x9b" "e\xc3\xa9" "f\x07";
	char *s;

	(void)state;
	s = acme_sanitize(text);
	assert_non_null(s);
	assert_printable(s);
	assert_null(strchr(s, '\x1b'));
	/* The printable characters stay, in order. */
	{
		const char *want = "abcdef", *p = s;

		for (; *want != '\0'; want++) {
			p = strchr(p, *want);
			if (p == NULL)
				fail_msg("'%c' lost: \"%s\"", *want, s);
			p++;
		}
	}
	free(s);
}

static void
acme_retry_after_parse__reads_delta_seconds(void **state)
{
	(void)state;
	assert_int_equal(acme_retry_after_parse("120", HTTP_DATE_T), 120);
	assert_int_equal(acme_retry_after_parse("0", HTTP_DATE_T), 0);
	assert_int_equal(acme_retry_after_parse("86400", HTTP_DATE_T), 86400);
}

static void
acme_retry_after_parse__refuses_what_is_not_a_delay(void **state)
{
	static const char *const bad[] = {
		"-5", "abc", "", "12abc", "1.5", "+5", "0x10",
		"Wed, 21 Oct 2015 07:28:00",		/* no GMT */
		"Wed, 32 Oct 2015 07:28:00 GMT",	/* no such day */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long got = acme_retry_after_parse(bad[i], HTTP_DATE_T);

		if (got != -1)
			fail_msg("Retry-After \"%s\" gave %ld, not -1", bad[i],
			    got);
	}
}

static void
acme_retry_after_parse__refuses_a_number_out_of_range(void **state)
{
	long got;

	(void)state;
	/*
	 * strtol saturates at LONG_MAX; the poll loop then computes
	 * secs * 1000 (acme.c), a signed overflow.  Out of range is unparsable.
	 */
	got = acme_retry_after_parse("99999999999999999999", HTTP_DATE_T);
	if (got != -1)
		fail_msg("Retry-After 99999999999999999999 gave %ld, not -1", got);
}

/*
 * In range for strtol but not for the callers' milliseconds: 9223372036854776
 * * 1000 is past LONG_MAX (engine_steps.c poll_later, retry_lost_read).
 * Found by review of the fuzz harness's callers; anything beyond
 * ACME_RETRY_AFTER_MAX is unparsable, an HTTP-date as well.
 */
static void
acme_retry_after_parse__refuses_more_than_a_year(void **state)
{
	(void)state;
	assert_int_equal(acme_retry_after_parse("9223372036854776",
	    HTTP_DATE_T), -1);
	assert_int_equal(acme_retry_after_parse("31622401", HTTP_DATE_T), -1);
	assert_int_equal(acme_retry_after_parse("31622400", HTTP_DATE_T),
	    ACME_RETRY_AFTER_MAX);
	assert_int_equal(acme_retry_after_parse(
	    "Fri, 31 Dec 9999 23:59:59 GMT", HTTP_DATE_T), -1);
}

static void
acme_retry_after_parse__reads_an_http_date(void **state)
{
	(void)state;
	/* 90 s before the date: wait 90 s. */
	assert_int_equal(acme_retry_after_parse(HTTP_DATE, HTTP_DATE_T - 90),
	    90);
	/* Exactly now. */
	assert_int_equal(acme_retry_after_parse(HTTP_DATE, HTTP_DATE_T), 0);
	/* In the past: no wait. */
	assert_int_equal(acme_retry_after_parse(HTTP_DATE, HTTP_DATE_T + 3600),
	    0);
}

static void
acme_key_authorization__is_token_dot_thumbprint(void **state)
{
	EVP_PKEY *key = testkeys_rfc7638_rsa_public();
	EVP_PKEY *ec = testkeys_rfc7515_a3_ec();
	struct err e = { "" };
	struct signer *s = signer_new(key, &e), *sec = signer_new(ec, &e);
	char *ka, *want;

	(void)state;
	assert_non_null(s);
	assert_non_null(sec);
	/* RFC 8555 section 8.1 with the RFC 7638 section 3.1 thumbprint. */
	ka = acme_key_authorization(TOKEN, s);
	assert_string_equal(ka, TOKEN "." RFC7638_THUMBPRINT);
	free(ka);
	ka = acme_key_authorization(TOKEN, sec);
	assert_true(asprintf(&want, "%s.%s", TOKEN, signer_thumbprint(sec)) > 0);
	assert_string_equal(ka, want);
	free(want);
	free(ka);
	signer_free(s);
	signer_free(sec);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ec);
}

struct keypair {
	EVP_PKEY	*old_key;	/* RFC 7515 A.2, RSA */
	EVP_PKEY	*new_key;	/* RFC 7515 A.3, P-256 */
	struct signer	*old_signer;
	struct signer	*new_signer;
};

static int
setup_keys(void **state)
{
	struct keypair *k = calloc(1, sizeof(*k));
	struct err e = { "" };

	if (k == NULL)
		return -1;
	k->old_key = testkeys_rfc7515_a2_rsa();
	k->new_key = testkeys_rfc7515_a3_ec();
	k->old_signer = signer_new(k->old_key, &e);
	k->new_signer = signer_new(k->new_key, &e);
	if (k->old_signer == NULL || k->new_signer == NULL)
		return -1;
	*state = k;
	return 0;
}

static int
teardown_keys(void **state)
{
	struct keypair *k = *state;

	signer_free(k->old_signer);
	signer_free(k->new_signer);
	EVP_PKEY_free(k->old_key);
	EVP_PKEY_free(k->new_key);
	free(k);
	return 0;
}

static json_t *
key_change_body(const struct keypair *k)
{
	struct err e = { "" };
	json_t *body = acme_key_change_body(KEY_CHANGE_URL, ACCOUNT_URL,
	    k->old_signer, k->new_signer, &e);

	if (body == NULL)
		fail_msg("acme_key_change_body: %s", e.msg);
	return body;
}

static void
acme_key_change_body__inner_header_has_new_jwk_url_alg_only(void **state)
{
	struct keypair *k = *state;
	json_t *inner = key_change_body(k);
	json_t *hdr = decode_b64url_json(string_member(inner, "protected"));
	json_t *new_jwk = signer_jwk(k->new_signer);

	/* The body is itself a flattened JWS. */
	assert_int_equal(json_object_size(inner), 3);
	assert_non_null(json_object_get(inner, "signature"));
	/* RFC 8555 section 7.3.5: jwk of the new key, url, alg; no nonce, no kid. */
	assert_int_equal(json_object_size(hdr), 3);
	assert_string_equal(string_member(hdr, "alg"), "ES256");
	assert_string_equal(string_member(hdr, "url"), KEY_CHANGE_URL);
	assert_true(json_equal(json_object_get(hdr, "jwk"), new_jwk));
	assert_null(json_object_get(hdr, "nonce"));
	assert_null(json_object_get(hdr, "kid"));
	json_decref(new_jwk);
	json_decref(hdr);
	json_decref(inner);
}

static void
acme_key_change_body__inner_payload_is_account_and_old_key(void **state)
{
	struct keypair *k = *state;
	json_t *inner = key_change_body(k);
	json_t *payload = decode_b64url_json(string_member(inner, "payload"));
	json_t *old_jwk = signer_jwk(k->old_signer);

	assert_int_equal(json_object_size(payload), 2);
	assert_string_equal(string_member(payload, "account"), ACCOUNT_URL);
	assert_true(json_equal(json_object_get(payload, "oldKey"), old_jwk));
	json_decref(old_jwk);
	json_decref(payload);
	json_decref(inner);
}

static void
acme_key_change_body__inner_signature_verifies_with_the_new_key(void **state)
{
	struct keypair *k = *state;
	json_t *inner = key_change_body(k);
	char *input = signing_input_of(inner);

	assert_true(testkeys_verify_b64url(k->new_key, "ES256", input,
	    string_member(inner, "signature")));
	free(input);
	json_decref(inner);
}

static void
acme_key_change_body__nests_in_an_outer_jws_signed_by_the_old_key(void **state)
{
	struct keypair *k = *state;
	json_t *inner = key_change_body(k), *outer, *payload, *hdr;
	struct err e = { "" };
	char *input;

	/* What acme_account_key_change sends: the body as the outer payload. */
	outer = jws_new(k->old_signer, KEY_CHANGE_URL, ACCOUNT_URL, "nonce1",
	    inner, &e);
	assert_non_null(outer);
	hdr = decode_b64url_json(string_member(outer, "protected"));
	assert_string_equal(string_member(hdr, "kid"), ACCOUNT_URL);
	assert_string_equal(string_member(hdr, "url"), KEY_CHANGE_URL);
	assert_string_equal(string_member(hdr, "alg"), "RS256");
	payload = decode_b64url_json(string_member(outer, "payload"));
	assert_true(json_equal(payload, inner));
	input = signing_input_of(outer);
	assert_true(testkeys_verify_b64url(k->old_key, "RS256", input,
	    string_member(outer, "signature")));
	free(input);
	json_decref(payload);
	json_decref(hdr);
	json_decref(outer);
	json_decref(inner);
}

#define K(name) cmocka_unit_test_setup_teardown(name, setup_keys, teardown_keys)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acme_problem_describe__has_type_detail_and_subproblems),
		cmocka_unit_test(acme_problem_describe__has_type_and_detail_without_subproblems),
		cmocka_unit_test(acme_problem_describe__removes_control_characters_from_server_text),
		cmocka_unit_test(acme_problem_describe__copes_with_missing_and_odd_members),
		cmocka_unit_test(acme_sanitize__keeps_printable_ascii_unchanged),
		cmocka_unit_test(acme_sanitize__leaves_no_control_or_non_ascii_bytes),
		cmocka_unit_test(acme_retry_after_parse__reads_delta_seconds),
		cmocka_unit_test(acme_retry_after_parse__refuses_what_is_not_a_delay),
		cmocka_unit_test(acme_retry_after_parse__refuses_a_number_out_of_range),
		cmocka_unit_test(acme_retry_after_parse__refuses_more_than_a_year),
		cmocka_unit_test(acme_retry_after_parse__reads_an_http_date),
		cmocka_unit_test(acme_key_authorization__is_token_dot_thumbprint),
		K(acme_key_change_body__inner_header_has_new_jwk_url_alg_only),
		K(acme_key_change_body__inner_payload_is_account_and_old_key),
		K(acme_key_change_body__inner_signature_verifies_with_the_new_key),
		K(acme_key_change_body__nests_in_an_outer_jws_signed_by_the_old_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
