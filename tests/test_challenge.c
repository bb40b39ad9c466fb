/*
 * test_challenge.c - the generic part of a challenge sink, with a fake
 * implementation that logs what it is asked: tokens checked before the
 * implementation sees them, every token remembered and removed once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "err.h"

#define TOKEN1	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define TOKEN2	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

/* The fake's state: a log of calls, and whether put or check fail. */
struct fake {
	char	log[1024];
	bool	fail_put;
	bool	fail_check;
};

static void
note(struct fake *f, const char *what, const char *token)
{
	size_t used = strlen(f->log);

	snprintf(f->log + used, sizeof(f->log) - used, "%s%s%s ", what,
	    token ? ":" : "", token ? token : "");
}

static int
fake_check(void *ctx, struct err *e)
{
	struct fake *f = ctx;

	note(f, "check", NULL);
	if (f->fail_check)
		err_set(e, "fake check failed");
	return f->fail_check ? -1 : 0;
}

static int
fake_put(void *ctx, const char *token, const char *ka, struct err *e)
{
	struct fake *f = ctx;

	(void)ka;
	note(f, "put", token);
	if (f->fail_put)
		err_set(e, "fake put failed");
	return f->fail_put ? -1 : 0;
}

static void
fake_remove(void *ctx, const char *token)
{
	note(ctx, "remove", token);
}

/* The fake lives in the test: "free" is only logged. */
static void
fake_free(void *ctx)
{
	note(ctx, "free", NULL);
}

static const struct challenge_sink_ops fake_ops = {
	.kind = "fake",
	.check = fake_check,
	.put = fake_put,
	.remove = fake_remove,
	.free = fake_free,
};

static void
challenge_sink_check__asks_the_implementation(void **state)
{
	struct fake f = { .fail_check = true };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	assert_non_null(s);
	assert_int_equal(challenge_sink_check(s, &e), -1);
	assert_string_equal(e.msg, "fake check failed");
	f.fail_check = false;
	assert_int_equal(challenge_sink_check(s, &e), 0);
	challenge_sink_free(s);
	assert_string_equal(f.log, "check check free ");
}

static void
challenge_put__refuses_tokens_that_are_not_base64url(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", "../x", "a/b", "/x", "abc.def", "abc def",
		"abc=", "abc+def", "abc\\def", "abc\ndef", "abc\xc3\xa9",
	};
	struct fake f = { 0 };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		if (challenge_put(s, bad[i], "ka", &e) != -1)
			fail_msg("token \"%s\" accepted", bad[i]);
		assert_non_null(strstr(e.msg, "not base64url"));
		assert_non_null(strstr(e.msg, "fake"));
	}
	challenge_sink_free(s);
	/* The implementation never saw them, and has nothing to remove. */
	assert_string_equal(f.log, "free ");
}

static void
challenge_put__refuses_tokens_longer_than_255_characters(void **state)
{
	struct fake f = { 0 };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };
	char token[257];

	(void)state;
	memset(token, 'a', 256);
	token[256] = '\0';
	assert_int_equal(challenge_put(s, token, "ka", &e), -1);
	assert_string_equal(e.msg, "the CA sent a challenge token too long "
	    "to be a file name (256 characters, at most 255); refusing to "
	    "put it in the fake");
	assert_string_equal(f.log, "");
	token[255] = '\0';	/* NAME_MAX exactly is fine */
	assert_int_equal(challenge_put(s, token, "ka", &e), 0);
	challenge_sink_free(s);
}

static void
challenge_sink_free__removes_what_is_still_in_place_then_frees(
    void **state)
{
	struct fake f = { 0 };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, "ka2", &e), 0);
	challenge_sink_free(s);
	assert_string_equal(f.log, "put:" TOKEN1 " put:" TOKEN2 " remove:"
	    TOKEN1 " remove:" TOKEN2 " free ");
}

static void
challenge_remove__removes_one_token_and_ignores_unknown_ones(void **state)
{
	struct fake f = { 0 };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, "ka2", &e), 0);
	challenge_remove(s, TOKEN1);
	/* Not ours, or no longer: may be someone else's, left alone. */
	challenge_remove(s, TOKEN1);
	challenge_remove(s, "someone-elses");
	challenge_remove(NULL, TOKEN1);
	challenge_sink_free(s);
	assert_string_equal(f.log, "put:" TOKEN1 " put:" TOKEN2 " remove:"
	    TOKEN1 " remove:" TOKEN2 " free ");
}

static void
challenge_remove_all__removes_every_token_once(void **state)
{
	struct fake f = { 0 };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, "ka2", &e), 0);
	challenge_remove_all(s);
	challenge_remove_all(s);	/* twice is harmless */
	challenge_remove_all(NULL);
	assert_string_equal(f.log, "put:" TOKEN1 " put:" TOKEN2 " remove:"
	    TOKEN1 " remove:" TOKEN2 " ");
	/* A put after remove_all is remembered again. */
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), 0);
	f.log[0] = '\0';
	challenge_sink_free(s);
	assert_string_equal(f.log, "remove:" TOKEN1 " free ");
}

static void
challenge_put__a_failed_put_is_not_remembered(void **state)
{
	struct fake f = { .fail_put = true };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), -1);
	assert_string_equal(e.msg, "fake put failed");
	challenge_sink_free(s);
	assert_string_equal(f.log, "put:" TOKEN1 " free ");
}

static void
challenge_put__the_same_token_twice_is_removed_once(void **state)
{
	struct fake f = { 0 };
	struct challenge_sink *s = challenge_sink_new(&fake_ops, &f);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), 0);
	assert_int_equal(challenge_put(s, TOKEN1, "ka1", &e), 0);
	challenge_sink_free(s);
	assert_string_equal(f.log, "put:" TOKEN1 " put:" TOKEN1 " remove:"
	    TOKEN1 " free ");
}

static void
challenge_sink_free__accepts_null(void **state)
{
	(void)state;
	challenge_sink_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(challenge_sink_check__asks_the_implementation),
		cmocka_unit_test(
		    challenge_put__refuses_tokens_that_are_not_base64url),
		cmocka_unit_test(
		    challenge_put__refuses_tokens_longer_than_255_characters),
		cmocka_unit_test(
		    challenge_sink_free__removes_what_is_still_in_place_then_frees),
		cmocka_unit_test(
		    challenge_remove__removes_one_token_and_ignores_unknown_ones),
		cmocka_unit_test(challenge_remove_all__removes_every_token_once),
		cmocka_unit_test(challenge_put__a_failed_put_is_not_remembered),
		cmocka_unit_test(
		    challenge_put__the_same_token_twice_is_removed_once),
		cmocka_unit_test(challenge_sink_free__accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
