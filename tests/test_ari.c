/*
 * test_ari.c - ACME Renewal Information (RFC 9773): the certificate
 * identifier against the RFC's own example, the renewalInfo answer as a
 * hostile CA might send it, the time picked in the window, and the URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ari.h"
#include "err.h"

/*
 * RFC 9773 Appendix A, the example certificate.  Section 4.1 works its
 * identifier out: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:
 * A0:AE:2C:DE:01:C8:D4, serial DER content 00:87:65:43:21 (the 0x00 keeps
 * 0x87... positive), so "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".
 */
static const char rfc9773_appendix_a[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt\n"
    "cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS\n"
    "BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu\n"
    "7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf\n"
    "qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B\n"
    "yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb\n"
    "+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK\n"
    "-----END CERTIFICATE-----\n";
#define RFC9773_ID	"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

/* RFC 9773 section 4.2, the example answer. */
#define RFC9773_ANSWER \
    "{\n" \
    "  \"suggestedWindow\": {\n" \
    "    \"start\": \"2021-01-03T00:00:00Z\",\n" \
    "    \"end\": \"2021-01-07T00:00:00Z\"\n" \
    "  },\n" \
    "  \"explanationURL\": \"https://example.com/docs/ari\"\n" \
    "}"
#define RFC9773_START	((time_t)1609632000)	/* 2021-01-03T00:00:00Z */
#define RFC9773_END	((time_t)1609977600)	/* 2021-01-07T00:00:00Z */

#define NO_AKI_MSG	"the certificate has no Authority Key Identifier " \
	"keyIdentifier, which renewal information (RFC 9773 section 4.1) needs"

/* ------------------------------------------------------------- helpers */

static X509 *
pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;

	assert_non_null(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	return x;
}

enum aki { AKI_NONE, AKI_EMPTY, AKI_KEYID };

/*
 * A self-signed certificate with the given serial and Authority Key
 * Identifier, read back from DER as a certificate from disk would be.
 */
static X509 *
make_cert(const unsigned char *serial, size_t nserial, enum aki aki,
    const unsigned char *keyid, size_t nkeyid)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new(), *back;
	BIGNUM *bn = BN_bin2bn(serial, (int)nserial, NULL);
	AUTHORITY_KEYID *akid = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	assert_non_null(key);
	assert_non_null(x);
	assert_non_null(bn);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"ari.test", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(x)));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	if (aki != AKI_NONE) {
		/* AKI_EMPTY: the extension, but none of its three fields. */
		assert_non_null(akid = AUTHORITY_KEYID_new());
		if (aki == AKI_KEYID) {
			assert_non_null(akid->keyid = ASN1_OCTET_STRING_new());
			assert_true(ASN1_OCTET_STRING_set(akid->keyid, keyid,
			    (int)nkeyid));
		}
		assert_true(X509_add1_ext_i2d(x, NID_authority_key_identifier,
		    akid, 0, X509V3_ADD_DEFAULT));
		AUTHORITY_KEYID_free(akid);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_true((len = i2d_X509(x, &der)) > 0);
	p = der;
	assert_non_null(back = d2i_X509(NULL, &p, len));
	OPENSSL_free(der);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	return back;
}

/* ari_cert_id of a made certificate must be want. */
static void
assert_id(const unsigned char *serial, size_t nserial,
    const unsigned char *keyid, size_t nkeyid, const char *want)
{
	X509 *x = make_cert(serial, nserial, AKI_KEYID, keyid, nkeyid);
	struct err e = { "" };
	char *id = ari_cert_id(x, &e);

	assert_non_null(id);
	assert_string_equal(id, want);
	free(id);
	X509_free(x);
}

static int
parse_str(const char *json, struct ari_window *w, struct err *e)
{
	return ari_parse(json, strlen(json), w, e);
}

/* json is refused with exactly the message want, and w left zeroed. */
static void
assert_refused(const char *json, const char *want)
{
	struct ari_window w;
	struct err e = { "" };

	assert_int_equal(parse_str(json, &w, &e), -1);
	assert_string_equal(e.msg, want);
	assert_int_equal(w.start, 0);
	assert_int_equal(w.end, 0);
	assert_null(w.explanation_url);
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return false;
	return true;
}

/* A window answer with explanationURL set to the JSON text url_json. */
static char *
answer_with_url(const char *url_json)
{
	static const char head[] = "{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\",\"end\":\"2021-01-07T00:00:00Z\"},"
	    "\"explanationURL\":";
	size_t n = strlen(head) + strlen(url_json) + 2;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s}", head, url_json);
	return s;
}

/* The explanationURL kept from an answer whose URL is url_json. */
static char *
kept_url(const char *url_json)
{
	struct ari_window w;
	struct err e = { "" };
	char *body = answer_with_url(url_json), *url;

	assert_int_equal(parse_str(body, &w, &e), 0);
	/* A dropped URL never costs the window. */
	assert_int_equal(w.start, RFC9773_START);
	assert_int_equal(w.end, RFC9773_END);
	url = w.explanation_url;
	w.explanation_url = NULL;
	free(body);
	return url;
}

/* SplitMix64: a fixed, reproducible stream of 64-bit values. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ------------------------------------------------ certificate identifier */

static void
ari_cert_id__matches_rfc9773_appendix_a(void **state)
{
	X509 *x = pem_cert(rfc9773_appendix_a);
	struct err e = { "" };
	char *id;

	(void)state;
	assert_non_null(id = ari_cert_id(x, &e));
	assert_string_equal(id, RFC9773_ID);
	free(id);
	X509_free(x);
}

static void
ari_cert_id__keeps_the_leading_zero_of_a_serial_with_the_high_bit_set(
    void **state)
{
	static const unsigned char keyid[] = { 0x69, 0x88, 0x5b, 0x6b };
	static const unsigned char high[] = { 0x80, 0x01, 0x02 };
	static const unsigned char low[] = { 0x7f };

	(void)state;
	/* DER content 00 80 01 02: base64url "AIABAg". */
	assert_id(high, sizeof(high), keyid, sizeof(keyid), "aYhbaw.AIABAg");
	/* DER content 7f, no sign octet: "fw". */
	assert_id(low, sizeof(low), keyid, sizeof(keyid), "aYhbaw.fw");
}

static void
ari_cert_id__uses_the_url_safe_alphabet_without_padding(void **state)
{
	/* fb ff bf would be "+/+/" in standard base64. */
	static const unsigned char keyid[20] = {
		0xfb, 0xff, 0xbf, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11
	};
	static const unsigned char serial[] = { 0x01 };

	(void)state;
	assert_id(serial, sizeof(serial), keyid, sizeof(keyid),
	    "-_-_AQIDBAUGBwgJCgsMDQ4PEBE.AQ");
}

static void
ari_cert_id__without_an_authority_key_identifier_says_so(void **state)
{
	static const unsigned char serial[] = { 0x01 };
	struct err e = { "" };
	X509 *x;

	(void)state;
	x = make_cert(serial, sizeof(serial), AKI_NONE, NULL, 0);
	assert_null(ari_cert_id(x, &e));
	assert_string_equal(e.msg, NO_AKI_MSG);
	X509_free(x);

	/* The extension without its keyIdentifier field is no better. */
	e.msg[0] = '\0';
	x = make_cert(serial, sizeof(serial), AKI_EMPTY, NULL, 0);
	assert_null(ari_cert_id(x, &e));
	assert_string_equal(e.msg, NO_AKI_MSG);
	X509_free(x);
}

/* ------------------------------------------------------------ ari_parse */

static void
ari_parse__reads_the_rfc9773_example_answer(void **state)
{
	struct ari_window w;
	struct err e = { "" };

	(void)state;
	assert_int_equal(parse_str(RFC9773_ANSWER, &w, &e), 0);
	assert_int_equal(w.start, RFC9773_START);
	assert_int_equal(w.end, RFC9773_END);
	assert_string_equal(w.explanation_url, "https://example.com/docs/ari");
	assert_string_equal(e.msg, "");
	ari_window_clear(&w);
	assert_null(w.explanation_url);
	ari_window_clear(NULL);
}

static void
ari_parse__reads_no_further_than_len(void **state)
{
	size_t len = strlen(RFC9773_ANSWER);
	struct ari_window w;
	struct err e = { "" };
	char *body;

	(void)state;
	/* Exactly len bytes, no NUL after them: ASan sees any overread. */
	assert_non_null(body = malloc(len));
	memcpy(body, RFC9773_ANSWER, len);
	assert_int_equal(ari_parse(body, len, &w, &e), 0);
	assert_int_equal(w.end, RFC9773_END);
	ari_window_clear(&w);
	/* One byte short, the closing brace is outside: not JSON. */
	assert_int_equal(ari_parse(body, len - 1, &w, &e), -1);
	assert_non_null(strstr(e.msg, "the renewalInfo answer is not JSON: "));
	free(body);
}

static void
ari_parse__without_a_window_fails(void **state)
{
	(void)state;
	assert_refused("{}", "the renewalInfo answer has no suggestedWindow "
	    "object");
	assert_refused("[]", "the renewalInfo answer has no suggestedWindow "
	    "object");
	assert_refused("{\"suggestedWindow\":\"2021-01-03T00:00:00Z\"}",
	    "the renewalInfo answer has no suggestedWindow object");
	assert_refused("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\"}}", "the renewalInfo suggestedWindow "
	    "has no end string");
	assert_refused("{\"suggestedWindow\":{}}", "the renewalInfo "
	    "suggestedWindow has no start string");
}

static void
ari_parse__refuses_a_window_that_does_not_end_after_it_starts(void **state)
{
	(void)state;
	/* RFC 9773 section 4.2: such an answer counts as none. */
	assert_refused("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-07T00:00:00Z\",\"end\":\"2021-01-03T00:00:00Z\"}}",
	    "the renewalInfo suggestedWindow does not end after it starts");
	assert_refused("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\",\"end\":\"2021-01-03T00:00:00Z\"}}",
	    "the renewalInfo suggestedWindow does not end after it starts");
	/* Equal instants written in two offsets are still equal. */
	assert_refused("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\",\"end\":\"2021-01-02T19:00:00-05:00\"}}",
	    "the renewalInfo suggestedWindow does not end after it starts");
}

static void
ari_parse__refuses_times_that_are_not_rfc3339_strings(void **state)
{
	(void)state;
	assert_refused("{\"suggestedWindow\":{\"start\":1609632000,"
	    "\"end\":\"2021-01-07T00:00:00Z\"}}", "the renewalInfo "
	    "suggestedWindow has no start string");
	assert_refused("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\",\"end\":null}}", "the renewalInfo "
	    "suggestedWindow has no end string");
	assert_refused("{\"suggestedWindow\":{\"start\":\"2021-01-03\","
	    "\"end\":\"2021-01-07T00:00:00Z\"}}", "the renewalInfo "
	    "suggestedWindow start \"2021-01-03\" is not an RFC 3339 time");
	/* An embedded NUL must not cut the string to a good prefix. */
	assert_refused("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\",\"end\":\"2021-01-07T00:00:00Z\\u0000"
	    "x\"}}", "the renewalInfo suggestedWindow end "
	    "\"2021-01-07T00:00:00Z\" is not an RFC 3339 time");
	/* Server text in the message: printable, and cut short. */
	assert_refused("{\"suggestedWindow\":{\"start\":\"\\u001b[2J"
	    "0123456789012345678901234567890123456789012345678901234567890\","
	    "\"end\":\"2021-01-07T00:00:00Z\"}}", "the renewalInfo "
	    "suggestedWindow start \"?[2J012345678901234567890123456789012345"
	    "678901234567890123456789\" is not an RFC 3339 time");
}

static void
ari_parse__accepts_fractional_seconds_and_offsets(void **state)
{
	struct ari_window w;
	struct err e = { "" };

	(void)state;
	/* The RFC example window, written another way. */
	assert_int_equal(parse_str("{\"suggestedWindow\":{"
	    "\"start\":\"2021-01-03T01:00:00.123456+01:00\","
	    "\"end\":\"2021-01-06T19:00:00.5-05:00\"}}", &w, &e), 0);
	assert_int_equal(w.start, RFC9773_START);
	assert_int_equal(w.end, RFC9773_END);
	assert_null(w.explanation_url);
	ari_window_clear(&w);
}

static void
ari_parse__refuses_garbage_and_huge_answers(void **state)
{
	static const char garbage[] = "\x1b[2J\xff\xfe<html>";
	struct ari_window w;
	struct err e = { "" };
	char *big;

	(void)state;
	assert_int_equal(ari_parse(garbage, sizeof(garbage) - 1, &w, &e), -1);
	assert_non_null(strstr(e.msg, "the renewalInfo answer is not JSON: "));
	assert_true(printable(e.msg));
	assert_int_equal(ari_parse("", 0, &w, &e), -1);
	assert_string_equal(e.msg, "the renewalInfo answer is empty");
	assert_int_equal(ari_parse(NULL, 5, &w, &e), -1);
	assert_string_equal(e.msg, "the renewalInfo answer is empty");
	/* Duplicate members would let two parsers read two windows. */
	assert_int_equal(parse_str("{\"suggestedWindow\":{\"start\":"
	    "\"2021-01-03T00:00:00Z\",\"end\":\"2021-01-07T00:00:00Z\","
	    "\"end\":\"2031-01-07T00:00:00Z\"}}", &w, &e), -1);
	assert_non_null(strstr(e.msg, "the renewalInfo answer is not JSON: "));

	/* The example padded with spaces to the limit passes, one more not. */
	assert_non_null(big = malloc(ARI_BODY_MAX + 1));
	memset(big, ' ', ARI_BODY_MAX + 1);
	memcpy(big, RFC9773_ANSWER, strlen(RFC9773_ANSWER));
	assert_int_equal(ari_parse(big, ARI_BODY_MAX, &w, &e), 0);
	ari_window_clear(&w);
	assert_int_equal(ari_parse(big, ARI_BODY_MAX + 1, &w, &e), -1);
	assert_string_equal(e.msg, "the renewalInfo answer is too large "
	    "(65537 bytes, at most 65536)");
	free(big);
}

/*
 * Every byte of the example answer replaced by each of the 256 values:
 * no crash, no overread (the buffer has no NUL), and whatever passes is
 * a real window with a safe URL.
 */
static void
ari_parse__survives_every_single_byte_change(void **state)
{
	size_t len = strlen(RFC9773_ANSWER), i;
	struct ari_window w;
	struct err e;
	char *body;
	int b;

	(void)state;
	assert_non_null(body = malloc(len));
	for (i = 0; i < len; i++) {
		for (b = 0; b < 256; b++) {
			memcpy(body, RFC9773_ANSWER, len);
			body[i] = (char)b;
			e.msg[0] = '\0';
			if (ari_parse(body, len, &w, &e) == -1) {
				assert_true(printable(e.msg));
				continue;
			}
			assert_true(w.end > w.start);
			assert_true(w.explanation_url == NULL ||
			    printable(w.explanation_url));
			ari_window_clear(&w);
		}
	}
	free(body);
}

static void
ari_parse__drops_an_explanation_url_that_is_not_plain_https(void **state)
{
	char long_url[ARI_URL_MAX + 8], *url;
	size_t n;

	(void)state;
	assert_null(kept_url("\"http://example.com/docs/ari\""));
	assert_null(kept_url("\"https://\""));
	assert_null(kept_url("\"HTTPS://example.com/\""));
	assert_null(kept_url("\"https://example.com/\\u001b[2J\""));
	assert_null(kept_url("\"https://example.com/a b\""));
	assert_null(kept_url("\"https://example.com/\\r\\nX: y\""));
	assert_null(kept_url("\"https://ex\\u00e4mple.com/\""));
	assert_null(kept_url("\"https://example.com/\\u0000evil\""));
	assert_null(kept_url("42"));
	assert_null(kept_url("null"));

	/* ARI_URL_MAX bytes are kept, one more are not. */
	n = ARI_URL_MAX - strlen("https://");
	snprintf(long_url, sizeof(long_url), "\"https://%0*d\"", (int)n, 0);
	assert_non_null(url = kept_url(long_url));
	assert_int_equal(strlen(url), ARI_URL_MAX);
	free(url);
	snprintf(long_url, sizeof(long_url), "\"https://%0*d\"", (int)n + 1, 0);
	assert_null(kept_url(long_url));
}

/* --------------------------------------------------------- ari_pick_time */

static void
ari_pick_time__r_zero_gives_the_start_and_r_max_the_last_second(
    void **state)
{
	(void)state;
	assert_int_equal(ari_pick_time(RFC9773_START, RFC9773_END, 0),
	    RFC9773_START);
	assert_int_equal(ari_pick_time(RFC9773_START, RFC9773_END, UINT64_MAX),
	    RFC9773_END - 1);
	/* A one-second window has one choice. */
	assert_int_equal(ari_pick_time(100, 101, UINT64_MAX), 100);
	/* The widest window time_t allows: no overflow on the way. */
	assert_true(ari_pick_time(INT64_MIN, INT64_MAX, 0) == INT64_MIN);
	assert_true(ari_pick_time(INT64_MIN, INT64_MAX, UINT64_MAX) ==
	    INT64_MAX - 1);
	assert_true(ari_pick_time(INT64_MIN, INT64_MAX, 1ULL << 63) == -1);
}

static void
ari_pick_time__an_empty_or_inverted_window_gives_the_start(void **state)
{
	(void)state;
	assert_int_equal(ari_pick_time(500, 500, UINT64_MAX), 500);
	assert_int_equal(ari_pick_time(500, 400, 12345), 500);
}

static void
ari_pick_time__spreads_evenly_across_the_window(void **state)
{
	uint64_t seed = 9773, k;
	int count[10] = { 0 }, i;
	time_t t;

	(void)state;
	/* r in k/4 of its range lands in second k of a 4-second window. */
	for (k = 0; k < 4; k++) {
		assert_int_equal(ari_pick_time(0, 4, k << 62), k);
		assert_int_equal(ari_pick_time(0, 4, (k << 62) | ((1ULL << 62)
		    - 1)), k);
	}
	/* Half the range: half the RFC example's four days. */
	assert_int_equal(ari_pick_time(RFC9773_START, RFC9773_END, 1ULL << 63),
	    RFC9773_START + 2 * 86400);
	/* 10000 draws over 10 seconds: each near 1000 (sd 30). */
	for (i = 0; i < 10000; i++) {
		t = ari_pick_time(1000, 1010, splitmix64(&seed));
		assert_true(t >= 1000 && t < 1010);
		count[t - 1000]++;
	}
	for (i = 0; i < 10; i++)
		if (count[i] < 850 || count[i] > 1150)
			fail_msg("second %d drawn %d times of 10000", i,
			    count[i]);
}

/* ----------------------------------------------------- recheck, URL */

static void
ari_recheck_after__keeps_retry_after_between_a_minute_and_a_day(
    void **state)
{
	(void)state;
	/* The RFC 9773 section 4.2 example sends 21600. */
	assert_int_equal(ari_recheck_after(21600), 21600);
	assert_int_equal(ari_recheck_after(0), 60);
	assert_int_equal(ari_recheck_after(59), 60);
	assert_int_equal(ari_recheck_after(86400), 86400);
	assert_int_equal(ari_recheck_after(86401), 86400);
	assert_int_equal(ari_recheck_after(LONG_MAX), 86400);
	/* None or invalid: six hours (RFC 9773 section 4.3.3). */
	assert_int_equal(ari_recheck_after(-1), 21600);
}

static void
ari_url__joins_the_base_and_the_id_with_one_slash(void **state)
{
	char *url;

	(void)state;
	/* RFC 9773 section 4.1, the example request. */
	assert_non_null(url = ari_url("https://example.com/acme/renewal-info",
	    RFC9773_ID));
	assert_string_equal(url, "https://example.com/acme/renewal-info/"
	    RFC9773_ID);
	free(url);
	assert_non_null(url = ari_url("https://example.com/acme/renewal-info/",
	    RFC9773_ID));
	assert_string_equal(url, "https://example.com/acme/renewal-info/"
	    RFC9773_ID);
	free(url);
	assert_null(ari_url(NULL, RFC9773_ID));
	assert_null(ari_url("", RFC9773_ID));
	assert_null(ari_url("https://example.com/acme/renewal-info", NULL));
	assert_null(ari_url("https://example.com/acme/renewal-info", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ari_cert_id__matches_rfc9773_appendix_a),
		cmocka_unit_test(ari_cert_id__keeps_the_leading_zero_of_a_serial_with_the_high_bit_set),
		cmocka_unit_test(ari_cert_id__uses_the_url_safe_alphabet_without_padding),
		cmocka_unit_test(ari_cert_id__without_an_authority_key_identifier_says_so),
		cmocka_unit_test(ari_parse__reads_the_rfc9773_example_answer),
		cmocka_unit_test(ari_parse__reads_no_further_than_len),
		cmocka_unit_test(ari_parse__without_a_window_fails),
		cmocka_unit_test(ari_parse__refuses_a_window_that_does_not_end_after_it_starts),
		cmocka_unit_test(ari_parse__refuses_times_that_are_not_rfc3339_strings),
		cmocka_unit_test(ari_parse__accepts_fractional_seconds_and_offsets),
		cmocka_unit_test(ari_parse__refuses_garbage_and_huge_answers),
		cmocka_unit_test(ari_parse__survives_every_single_byte_change),
		cmocka_unit_test(ari_parse__drops_an_explanation_url_that_is_not_plain_https),
		cmocka_unit_test(ari_pick_time__r_zero_gives_the_start_and_r_max_the_last_second),
		cmocka_unit_test(ari_pick_time__an_empty_or_inverted_window_gives_the_start),
		cmocka_unit_test(ari_pick_time__spreads_evenly_across_the_window),
		cmocka_unit_test(ari_recheck_after__keeps_retry_after_between_a_minute_and_a_day),
		cmocka_unit_test(ari_url__joins_the_base_and_the_id_with_one_slash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
