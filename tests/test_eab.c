/*
 * test_eab.c - where the EAB HMAC key comes from: --eab-hmac-key, a file
 * (its first line), or ACMEC_EAB_HMAC_KEY.
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
#include <sys/stat.h>
#include <unistd.h>

#include "eab.h"
#include "err.h"
#include "testutil.h"

static int
setup(void **state)
{
	unsetenv(EAB_KEY_ENV);
	return tmpdir_setup(state, "eab");
}

static char *
key_file(struct tmpdir *t, const char *text, mode_t mode)
{
	char *path = path_in(t->path, "eab.key");

	write_text(path, text);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
eab_key_read_file__takes_the_first_line_without_its_newline(void **state)
{
	static const char *const texts[] = {
		"c2VjcmV0\n", "c2VjcmV0", "c2VjcmV0\r\n",
		"c2VjcmV0\nsecond line\n",
	};
	struct tmpdir *t = *state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *path = key_file(t, texts[i], 0600), *key;
		struct err e = { "" };

		assert_int_equal(eab_key_read_file(path, &key, &e), 0);
		assert_string_equal(key, "c2VjcmV0");
		eab_key_free(key);
		free(path);
	}
}

static void
eab_key_read_file__refuses_what_is_not_base64url(void **state)
{
	static const char *const texts[] = { "\n", "", "not base64!\n",
	    "c2VjcmV0=\n", " c2VjcmV0\n" };
	struct tmpdir *t = *state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *path = key_file(t, texts[i], 0600), *key = NULL;
		struct err e = { "" };

		assert_int_equal(eab_key_read_file(path, &key, &e), -1);
		assert_null(key);
		if (strncmp(e.msg, path, strlen(path)) != 0 ||
		    strstr(e.msg, "the EAB HMAC key is") == NULL)
			fail_msg("\"%s\": %s", texts[i], e.msg);
		free(path);
	}
}

static void
eab_key_read_file__refuses_a_fifo(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "fifo"), *key = NULL, *want;
	struct err e = { "" };

	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(eab_key_read_file(path, &key, &e), -1);
	alarm(0);
	if (asprintf(&want, "%s is not a regular file (a FIFO); acmec reads "
	    "only regular files: give the path of one", path) < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	free(want);
	free(path);
}

/* Readable by others: used, with the warning (store_read_private). */
static void
eab_key_read_file__reads_a_world_readable_file(void **state)
{
	struct tmpdir *t = *state;
	char *path = key_file(t, "c2VjcmV0\n", 0644), *key;
	struct err e = { "" };

	assert_int_equal(eab_key_read_file(path, &key, &e), 0);
	assert_string_equal(key, "c2VjcmV0");
	eab_key_free(key);
	free(path);
}

static void
eab_key_get__takes_value_then_file_then_environment(void **state)
{
	struct tmpdir *t = *state;
	char *path = key_file(t, "ZmlsZQ\n", 0600), *key;
	struct err e = { "" };

	assert_int_equal(setenv(EAB_KEY_ENV, "ZW52", 1), 0);
	assert_int_equal(eab_key_get("dmFsdWU", path, &key, &e), 0);
	assert_string_equal(key, "dmFsdWU");
	eab_key_free(key);
	assert_int_equal(eab_key_get(NULL, path, &key, &e), 0);
	assert_string_equal(key, "ZmlsZQ");
	eab_key_free(key);
	assert_int_equal(eab_key_get(NULL, NULL, &key, &e), 0);
	assert_string_equal(key, "ZW52");
	eab_key_free(key);
	assert_int_equal(unsetenv(EAB_KEY_ENV), 0);
	assert_int_equal(eab_key_get(NULL, NULL, &key, &e), 0);
	assert_null(key);
	free(path);
}

static void
eab_key_get__names_the_source_of_a_bad_key_never_the_key(void **state)
{
	struct err e = { "" };
	char *key = NULL;

	(void)state;
	assert_int_equal(eab_key_get("bad key!", NULL, &key, &e), -1);
	assert_string_equal(e.msg, "--eab-hmac-key: the EAB HMAC key is not "
	    "base64url (letters, digits, - and _, no padding): give the key "
	    "the CA gave you");
	assert_int_equal(setenv(EAB_KEY_ENV, "bad key!", 1), 0);
	assert_int_equal(eab_key_get(NULL, NULL, &key, &e), -1);
	assert_string_equal(e.msg, "ACMEC_EAB_HMAC_KEY: the EAB HMAC key is "
	    "not base64url (letters, digits, - and _, no padding): give the "
	    "key the CA gave you");
	assert_null(key);
	unsetenv(EAB_KEY_ENV);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(eab_key_read_file__takes_the_first_line_without_its_newline),
		T(eab_key_read_file__refuses_what_is_not_base64url),
		T(eab_key_read_file__refuses_a_fifo),
		T(eab_key_read_file__reads_a_world_readable_file),
		T(eab_key_get__takes_value_then_file_then_environment),
		T(eab_key_get__names_the_source_of_a_bad_key_never_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
