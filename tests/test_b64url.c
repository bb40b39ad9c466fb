/*
 * test_b64url.c - base64url without padding (RFC 4648 section 5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "b64url.h"

/*
 * RFC 4648 section 10 test vectors, with the padding of the base64 form
 * removed (base64url as RFC 7515 section 2 uses it).
 */
static const struct {
	const char *plain;
	const char *encoded;
} rfc4648_vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

#define NVECTORS (sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]))

static void
b64url_encode__matches_rfc4648_section10(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECTORS; i++) {
		const char *plain = rfc4648_vectors[i].plain;
		char *got = b64url_encode(plain, strlen(plain));

		assert_non_null(got);
		assert_string_equal(got, rfc4648_vectors[i].encoded);
		free(got);
	}
}

static void
b64url_decode__matches_rfc4648_section10(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECTORS; i++) {
		const char *plain = rfc4648_vectors[i].plain;
		size_t len = 12345;
		unsigned char *got = b64url_decode(rfc4648_vectors[i].encoded,
		    &len);

		/* "" is the valid encoding of zero bytes (POST-as-GET payload). */
		assert_non_null(got);
		assert_int_equal(len, strlen(plain));
		assert_memory_equal(got, plain, len);
		free(got);
	}
}

static void
b64url_encode__uses_dash_and_underscore(void **state)
{
	/* 0xfb 0xff is "+/8=" in base64, "-_8" in base64url. */
	static const unsigned char minus_underscore[] = { 0xfb, 0xff };
	/* 111110 x4 = 62 x4, and 111111 x4 = 63 x4. */
	static const unsigned char all62[] = { 0xfb, 0xef, 0xbe };
	static const unsigned char all63[] = { 0xff, 0xff, 0xff };
	char *got;

	(void)state;
	got = b64url_encode(minus_underscore, sizeof(minus_underscore));
	assert_string_equal(got, "-_8");
	free(got);
	got = b64url_encode(all62, sizeof(all62));
	assert_string_equal(got, "----");
	free(got);
	got = b64url_encode(all63, sizeof(all63));
	assert_string_equal(got, "____");
	free(got);
}

static void
b64url_decode__reads_dash_and_underscore(void **state)
{
	static const unsigned char want[] = { 0xfb, 0xff };
	unsigned char *got;
	size_t len;

	(void)state;
	got = b64url_decode("-_8", &len);
	assert_non_null(got);
	assert_int_equal(len, 2);
	assert_memory_equal(got, want, 2);
	free(got);
}

static void
b64url__round_trips_every_byte_value_and_length(void **state)
{
	unsigned char data[300];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= sizeof(data); len++) {
		char *text = b64url_encode(data, len);
		unsigned char *back;
		size_t backlen;

		assert_non_null(text);
		/* No padding: ceil(8 * len / 6) characters. */
		assert_int_equal(strlen(text), (len * 8 + 5) / 6);
		assert_null(strchr(text, '='));
		assert_null(strchr(text, '+'));
		assert_null(strchr(text, '/'));
		back = b64url_decode(text, &backlen);
		assert_non_null(back);
		assert_int_equal(backlen, len);
		if (len > 0)
			assert_memory_equal(back, data, len);
		free(back);
		free(text);
	}
}

static void
b64url_decode__refuses_what_is_not_base64url(void **state)
{
	static const char *const bad[] = {
		"Zg==",		/* padding */
		"Zm8=",		/* padding */
		"Zm9vYg=",	/* partial padding */
		"+/8",		/* base64 alphabet, not base64url */
		"Zm9+",
		"Zm9/",
		"Zm9 v",	/* whitespace */
		" Zm9v",
		"Zm9v ",
		"Zm9v\n",
		"Zm\r\n9v",
		"Zm9\tv",
		"Z",		/* length 1 mod 4 is impossible */
		"Zm9vY",
		"Zm9vYmFyZ",
		"Zm9v.YmFy",	/* a JWS separator */
		"Zm9v\xc3\xa9",	/* non-ASCII */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = 0;
		unsigned char *got = b64url_decode(bad[i], &len);

		if (got != NULL)
			fail_msg("b64url_decode(\"%s\") accepted invalid input",
			    bad[i]);
	}
}

static void
b64url_is_valid__accepts_only_nonempty_base64url(void **state)
{
	(void)state;
	assert_true(b64url_is_valid("Zm9vYmFy"));
	assert_true(b64url_is_valid("-_"));
	assert_true(b64url_is_valid("ABCXYZabcxyz0189-_"));
	assert_true(b64url_is_valid("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));
	assert_false(b64url_is_valid(""));
	assert_false(b64url_is_valid("Zg=="));
	assert_false(b64url_is_valid("a+b"));
	assert_false(b64url_is_valid("a/b"));
	assert_false(b64url_is_valid("a b"));
	assert_false(b64url_is_valid("a.b"));
	assert_false(b64url_is_valid(".."));
	assert_false(b64url_is_valid("abc\n"));
	assert_false(b64url_is_valid("\xc3\xa9"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64url_encode__matches_rfc4648_section10),
		cmocka_unit_test(b64url_decode__matches_rfc4648_section10),
		cmocka_unit_test(b64url_encode__uses_dash_and_underscore),
		cmocka_unit_test(b64url_decode__reads_dash_and_underscore),
		cmocka_unit_test(b64url__round_trips_every_byte_value_and_length),
		cmocka_unit_test(b64url_decode__refuses_what_is_not_base64url),
		cmocka_unit_test(b64url_is_valid__accepts_only_nonempty_base64url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
