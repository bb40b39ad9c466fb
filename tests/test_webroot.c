/*
 * test_webroot.c - http-01 challenge files: where they go, with which
 * modes, which tokens are refused, and that every file goes away again.
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
#include <sys/types.h>
#include <unistd.h>

#include "err.h"
#include "testutil.h"
#include "webroot.h"

#define TOKEN1	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define TOKEN2	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define THUMB	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define KA1	TOKEN1 "." THUMB
#define KA2	TOKEN2 "." THUMB

struct fixture {
	struct tmpdir	 tmp;	/* the webroot is tmp.path/www */
	char		*www;
	char		*chall;	/* www/.well-known/acme-challenge */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tmpdir_create(&f->tmp, "webroot") == -1)
		return -1;
	if (asprintf(&f->www, "%s/www", f->tmp.path) < 0 ||
	    asprintf(&f->chall, "%s/.well-known/acme-challenge", f->www) < 0)
		return -1;
	if (mkdir(f->www, 0755) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(&f->tmp);
	free(f->www);
	free(f->chall);
	free(f);
	return 0;
}

/* The path of challenge file name; new string. */
static char *
chall_file(const struct fixture *f, const char *name)
{
	return path_in(f->chall, name);
}

static void
assert_file_contents(const char *path, const char *want)
{
	size_t len;
	char *got = read_file(path, &len);

	/* Exactly the key authorization: no newline, nothing else. */
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	free(got);
}

/* Non-directories anywhere under dir (lstat: links count, not followed). */
static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = path_in(dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(p);
		else
			n++;
		free(p);
	}
	closedir(d);
	return n;
}

static void
webroot_put__writes_the_key_authorization_under_well_known(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;
	char *file = chall_file(f, TOKEN1);
	char *wk;

	w = webroot_new(f->www, &e);
	assert_non_null(w);
	assert_int_equal(webroot_put(w, TOKEN1, KA1, &e), 0);
	assert_file_contents(file, KA1);
	assert_int_equal(mode_of(file), 0644);
	assert_int_equal(asprintf(&wk, "%s/.well-known", f->www) > 0, 1);
	assert_int_equal(mode_of(wk), 0755);
	assert_int_equal(mode_of(f->chall), 0755);
	webroot_free(w);
	free(wk);
	free(file);
}

static void
webroot_put__is_world_readable_under_a_strict_umask(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;
	char *file = chall_file(f, TOKEN1);
	char *wk;

	/* cron jobs often run with umask 077; the web server must read it. */
	umask(077);
	w = webroot_new(f->www, &e);
	assert_non_null(w);
	assert_int_equal(webroot_put(w, TOKEN1, KA1, &e), 0);
	assert_int_equal(mode_of(file), 0644);
	assert_int_equal(asprintf(&wk, "%s/.well-known", f->www) > 0, 1);
	assert_int_equal(mode_of(wk), 0755);
	assert_int_equal(mode_of(f->chall), 0755);
	webroot_free(w);
	free(wk);
	free(file);
}

static void
webroot_put__uses_an_existing_challenge_directory(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;
	char *wk, *file = chall_file(f, TOKEN1);

	assert_int_equal(asprintf(&wk, "%s/.well-known", f->www) > 0, 1);
	assert_int_equal(mkdir(wk, 0755), 0);
	assert_int_equal(mkdir(f->chall, 0755), 0);
	w = webroot_new(f->www, &e);
	assert_non_null(w);
	assert_int_equal(webroot_put(w, TOKEN1, KA1, &e), 0);
	assert_file_contents(file, KA1);
	webroot_free(w);
	free(wk);
	free(file);
}

static void
webroot_put__refuses_tokens_that_are_not_base64url(void **state)
{
	static const char *const bad[] = {
		"",
		".",
		"..",
		"../x",
		"../../x",
		"a/b",
		"/x",
		"abc.def",
		"abc def",
		"abc=",
		"abc+def",
		"abc\\def",
		"abc\ndef",
		"..%2fx",
		"abc\xc3\xa9",
	};
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;

	w = webroot_new(f->www, &e);
	assert_non_null(w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		if (webroot_put(w, bad[i], KA1, &e) != -1)
			fail_msg("token \"%s\" accepted", bad[i]);
		assert_true(strlen(e.msg) > 0);
	}
	/* Nothing was written anywhere, inside the webroot or out of it. */
	assert_int_equal(count_files(f->tmp.path), 0);
	webroot_free(w);
	assert_int_equal(count_files(f->tmp.path), 0);
}

static void
webroot_cleanup__removes_every_file_written_and_only_those(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;
	char *wk, *mine1 = chall_file(f, TOKEN1), *mine2 = chall_file(f, TOKEN2);
	char *other = chall_file(f, "unrelated-file");

	assert_int_equal(asprintf(&wk, "%s/.well-known", f->www) > 0, 1);
	assert_int_equal(mkdir(wk, 0755), 0);
	assert_int_equal(mkdir(f->chall, 0755), 0);
	write_text(other, "someone else's\n");

	w = webroot_new(f->www, &e);
	assert_non_null(w);
	assert_int_equal(webroot_put(w, TOKEN1, KA1, &e), 0);
	assert_int_equal(webroot_put(w, TOKEN2, KA2, &e), 0);
	assert_int_equal(access(mine1, F_OK), 0);
	assert_int_equal(access(mine2, F_OK), 0);

	webroot_cleanup(w);
	assert_int_equal(access(mine1, F_OK), -1);
	assert_int_equal(access(mine2, F_OK), -1);
	assert_file_contents(other, "someone else's\n");
	/* Twice is harmless. */
	webroot_cleanup(w);
	webroot_free(w);
	assert_file_contents(other, "someone else's\n");
	assert_int_equal(count_files(f->tmp.path), 1);
	free(wk);
	free(mine1);
	free(mine2);
	free(other);
}

static void
webroot_free__removes_every_file_written(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;
	char *mine1 = chall_file(f, TOKEN1), *mine2 = chall_file(f, TOKEN2);

	w = webroot_new(f->www, &e);
	assert_non_null(w);
	assert_int_equal(webroot_put(w, TOKEN1, KA1, &e), 0);
	assert_int_equal(webroot_put(w, TOKEN2, KA2, &e), 0);
	webroot_free(w);
	assert_int_equal(access(mine1, F_OK), -1);
	assert_int_equal(access(mine2, F_OK), -1);
	assert_int_equal(count_files(f->tmp.path), 0);
	free(mine1);
	free(mine2);
}

static void
webroot_free__removes_files_written_after_a_cleanup(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct webroot *w;
	char *mine1 = chall_file(f, TOKEN1), *mine2 = chall_file(f, TOKEN2);

	w = webroot_new(f->www, &e);
	assert_non_null(w);
	assert_int_equal(webroot_put(w, TOKEN1, KA1, &e), 0);
	webroot_cleanup(w);
	assert_int_equal(webroot_put(w, TOKEN2, KA2, &e), 0);
	assert_file_contents(mine2, KA2);
	webroot_free(w);
	assert_int_equal(access(mine1, F_OK), -1);
	assert_int_equal(access(mine2, F_OK), -1);
	free(mine1);
	free(mine2);
}

static void
webroot_new__refuses_a_missing_directory_naming_it(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *missing;

	assert_true(asprintf(&missing, "%s/no-such-dir", f->tmp.path) > 0);
	assert_null(webroot_new(missing, &e));
	if (strstr(e.msg, missing) == NULL)
		fail_msg("message does not name %s: %s", missing, e.msg);
	free(missing);
}

static void
webroot_free__accepts_null(void **state)
{
	(void)state;
	webroot_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(webroot_put__writes_the_key_authorization_under_well_known),
		T(webroot_put__is_world_readable_under_a_strict_umask),
		T(webroot_put__uses_an_existing_challenge_directory),
		T(webroot_put__refuses_tokens_that_are_not_base64url),
		T(webroot_cleanup__removes_every_file_written_and_only_those),
		T(webroot_free__removes_every_file_written),
		T(webroot_free__removes_files_written_after_a_cleanup),
		T(webroot_new__refuses_a_missing_directory_naming_it),
		cmocka_unit_test(webroot_free__accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
