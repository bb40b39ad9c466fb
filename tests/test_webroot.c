/*
 * test_webroot.c - the webroot challenge sink: where responses go, with
 * which modes (whatever the umask, which stays as it was), which tokens
 * are refused, that links below the webroot are never followed, what a
 * bad webroot is told, and that every file goes away again.
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

#include "challenge.h"
#include "err.h"
#include "testutil.h"
#include "webroot.h"

#define TOKEN1	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define TOKEN2	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define THUMB	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define KA1	TOKEN1 "." THUMB
#define KA2	TOKEN2 "." THUMB

#define HINT	"give -w the directory your web server serves"

struct fixture {
	struct tmpdir	 tmp;	/* the webroot is tmp.path/www */
	char		*www;
	char		*wk;	/* www/.well-known */
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
	    asprintf(&f->wk, "%s/.well-known", f->www) < 0 ||
	    asprintf(&f->chall, "%s/acme-challenge", f->wk) < 0)
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
	free(f->wk);
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

/* A sink on the fixture's webroot. */
static struct challenge_sink *
sink(const struct fixture *f)
{
	struct err e = { "" };
	struct challenge_sink *s = webroot_sink_new(f->www, &e);

	if (s == NULL)
		fail_msg("webroot_sink_new: %s", e.msg);
	return s;
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

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
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

/* e.msg is exactly before, path, after. */
static void
assert_message(const struct err *e, const char *before, const char *path,
    const char *after)
{
	char want[sizeof(e->msg)];

	snprintf(want, sizeof(want), "%s%s%s", before, path, after);
	assert_string_equal(e->msg, want);
}

static void
webroot_sink__puts_the_key_authorization_under_well_known(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char *file = chall_file(f, TOKEN1);

	assert_int_equal(challenge_sink_check(s, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_file_contents(file, KA1);
	assert_int_equal(mode_of(file), 0644);
	assert_int_equal(mode_of(f->wk), 0755);
	assert_int_equal(mode_of(f->chall), 0755);
	/* The response only: no temporary file left next to it. */
	assert_int_equal(count_entries(f->chall), 1);
	challenge_sink_free(s);
	free(file);
}

static void
webroot_sink__gives_0644_and_0755_under_umask_077_and_keeps_the_umask(
    void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char *file = chall_file(f, TOKEN1);
	mode_t after;

	/* cron jobs often run with umask 077; the web server must read. */
	umask(077);
	/* No check first: put creates the directories on its own. */
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	after = umask(077);
	assert_int_equal(after, 077);
	assert_int_equal(mode_of(file), 0644);
	assert_int_equal(mode_of(f->wk), 0755);
	assert_int_equal(mode_of(f->chall), 0755);
	challenge_sink_free(s);
	free(file);
}

static void
webroot_sink_check__creates_the_challenge_directory_0755(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };

	umask(077);
	assert_int_equal(challenge_sink_check(s, &e), 0);
	assert_int_equal(umask(077), 077);
	assert_int_equal(mode_of(f->wk), 0755);
	assert_int_equal(mode_of(f->chall), 0755);
	assert_int_equal(count_entries(f->chall), 0);
	challenge_sink_free(s);
}

static void
webroot_sink__leaves_an_existing_challenge_directory_as_it_is(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char *file = chall_file(f, TOKEN1);

	assert_int_equal(mkdir(f->wk, 0755), 0);
	assert_int_equal(mkdir(f->chall, 0755), 0);
	assert_int_equal(chmod(f->chall, 0775), 0);
	assert_int_equal(challenge_sink_check(s, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_file_contents(file, KA1);
	assert_int_equal(mode_of(f->chall), 0775);
	challenge_sink_free(s);
	/* Ours goes away, the directory stays. */
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(mode_of(f->chall), 0775);
	free(file);
}

static void
webroot_sink__refuses_tokens_that_are_not_base64url(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", "../x", "../../x", "a/b", "/x", "abc.def",
		"abc def", "abc=", "abc+def", "abc\\def", "abc\ndef", "..%2fx",
		"abc\xc3\xa9",
	};
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char long_token[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		if (challenge_put(s, bad[i], KA1, &e) != -1)
			fail_msg("token \"%s\" accepted", bad[i]);
		assert_non_null(strstr(e.msg, "not base64url"));
	}
	memset(long_token, 'a', 256);
	long_token[256] = '\0';
	assert_int_equal(challenge_put(s, long_token, KA1, &e), -1);
	assert_non_null(strstr(e.msg, "too long"));
	/* Nothing was written anywhere, inside the webroot or out of it. */
	assert_int_equal(count_files(f->tmp.path), 0);
	challenge_sink_free(s);
	assert_int_equal(count_files(f->tmp.path), 0);
}

static void
challenge_remove_all__removes_every_response_written_and_only_those(
    void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char *mine1 = chall_file(f, TOKEN1), *mine2 = chall_file(f, TOKEN2);
	char *other = chall_file(f, "unrelated-file");

	assert_int_equal(mkdir(f->wk, 0755), 0);
	assert_int_equal(mkdir(f->chall, 0755), 0);
	write_text(other, "someone else's\n");
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, KA2, &e), 0);
	assert_int_equal(access(mine1, F_OK), 0);
	assert_int_equal(access(mine2, F_OK), 0);

	challenge_remove_all(s);
	assert_int_equal(access(mine1, F_OK), -1);
	assert_int_equal(access(mine2, F_OK), -1);
	assert_file_contents(other, "someone else's\n");
	challenge_remove(s, "unrelated-file");	/* not ours: kept */
	challenge_sink_free(s);
	assert_file_contents(other, "someone else's\n");
	assert_int_equal(count_files(f->tmp.path), 1);
	free(mine1);
	free(mine2);
	free(other);
}

static void
challenge_sink_free__removes_every_response_still_in_place(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char *mine1 = chall_file(f, TOKEN1), *mine2 = chall_file(f, TOKEN2);

	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	challenge_remove(s, TOKEN1);
	assert_int_equal(access(mine1, F_OK), -1);
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, KA2, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, KA2, &e), 0); /* again */
	assert_file_contents(mine2, KA2);
	challenge_sink_free(s);
	assert_int_equal(access(mine1, F_OK), -1);
	assert_int_equal(access(mine2, F_OK), -1);
	assert_int_equal(count_files(f->tmp.path), 0);
	free(mine1);
	free(mine2);
}

/* Link f->chall (or .well-known, if wk) to a directory elsewhere. */
static char *
plant_link(const struct fixture *f, int wk)
{
	char *elsewhere = path_in(f->tmp.path, "elsewhere");

	assert_int_equal(mkdir(elsewhere, 0755), 0);
	if (!wk)
		assert_int_equal(mkdir(f->wk, 0755), 0);
	assert_int_equal(symlink(elsewhere, wk ? f->wk : f->chall), 0);
	return elsewhere;
}

static void
webroot_sink__refuses_a_symlinked_challenge_directory(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	char *elsewhere = plant_link(f, 0);
	struct err e = { "" };
	const char *why = " is a symbolic link; acmec does not follow "
	    "links below the webroot (it may run as root): replace it with "
	    "a directory";

	/* Root must not be made to write wherever the link points. */
	assert_int_equal(challenge_sink_check(s, &e), -1);
	assert_message(&e, "", f->chall, why);
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), -1);
	assert_message(&e, "", f->chall, why);
	assert_int_equal(count_entries(elsewhere), 0);
	challenge_sink_free(s);
	free(elsewhere);
}

static void
webroot_sink__refuses_a_symlinked_well_known(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	char *elsewhere = plant_link(f, 1);
	struct err e = { "" };

	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), -1);
	assert_non_null(strstr(e.msg, f->wk));
	assert_non_null(strstr(e.msg, "is a symbolic link"));
	assert_int_equal(count_entries(elsewhere), 0);
	challenge_sink_free(s);
	free(elsewhere);
}

static void
webroot_sink__replaces_a_link_at_the_token_instead_of_writing_through(
    void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s = sink(f);
	struct err e = { "" };
	char *target = path_in(f->tmp.path, "target");
	char *file = chall_file(f, TOKEN1);

	write_text(target, "precious\n");
	assert_int_equal(challenge_sink_check(s, &e), 0);
	assert_int_equal(symlink(target, file), 0);
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_file_contents(target, "precious\n");
	assert_file_contents(file, KA1);
	assert_int_equal(mode_of(file), 0644);	/* a file, not the link */
	challenge_sink_free(s);
	assert_file_contents(target, "precious\n");
	free(file);
	free(target);
}

static void
webroot_sink_check__says_a_missing_webroot_does_not_exist(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s;
	struct err e = { "" };
	char *missing = path_in(f->tmp.path, "no-such-dir");

	s = webroot_sink_new(missing, &e);
	assert_non_null(s);
	assert_int_equal(challenge_sink_check(s, &e), -1);
	assert_message(&e, "webroot ", missing, " does not exist: No such "
	    "file or directory; " HINT);
	/* Nothing was created in its place. */
	assert_int_equal(access(missing, F_OK), -1);
	challenge_sink_free(s);
	free(missing);
}

static void
webroot_sink_check__says_a_file_is_not_a_directory(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s;
	struct err e = { "" };
	char *file = path_in(f->tmp.path, "file");

	write_text(file, "x");
	s = webroot_sink_new(file, &e);
	assert_non_null(s);
	assert_int_equal(challenge_sink_check(s, &e), -1);
	/* Once ended in ": Success" (err_errno with errno 0). */
	assert_message(&e, "webroot ", file, " is not a directory; " HINT);
	assert_null(strstr(e.msg, "Success"));
	challenge_sink_free(s);
	free(file);
}

static void
webroot_sink_check__refuses_an_unwritable_webroot(void **state)
{
	struct fixture *f = *state;
	struct challenge_sink *s;
	struct err e = { "" };

	/* root may write anywhere: there is nothing to refuse. */
	if (geteuid() == 0)
		skip();
	assert_int_equal(chmod(f->www, 0555), 0);
	s = sink(f);
	assert_int_equal(challenge_sink_check(s, &e), -1);
	assert_non_null(strstr(e.msg, "is not writable by this user"));
	assert_non_null(strstr(e.msg, f->www));
	/* Also when the challenge directory exists but is read-only. */
	assert_int_equal(chmod(f->www, 0755), 0);
	assert_int_equal(mkdir(f->wk, 0755), 0);
	assert_int_equal(mkdir(f->chall, 0555), 0);
	assert_int_equal(challenge_sink_check(s, &e), -1);
	assert_non_null(strstr(e.msg, "is not writable by this user"));
	assert_non_null(strstr(e.msg, f->chall));
	challenge_sink_free(s);
	assert_int_equal(chmod(f->chall, 0755), 0);	/* for teardown */
}

static void
challenge_sink_free__accepts_null(void **state)
{
	(void)state;
	challenge_sink_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(webroot_sink__puts_the_key_authorization_under_well_known),
		T(webroot_sink__gives_0644_and_0755_under_umask_077_and_keeps_the_umask),
		T(webroot_sink_check__creates_the_challenge_directory_0755),
		T(webroot_sink__leaves_an_existing_challenge_directory_as_it_is),
		T(webroot_sink__refuses_tokens_that_are_not_base64url),
		T(challenge_remove_all__removes_every_response_written_and_only_those),
		T(challenge_sink_free__removes_every_response_still_in_place),
		T(webroot_sink__refuses_a_symlinked_challenge_directory),
		T(webroot_sink__refuses_a_symlinked_well_known),
		T(webroot_sink__replaces_a_link_at_the_token_instead_of_writing_through),
		T(webroot_sink_check__says_a_missing_webroot_does_not_exist),
		T(webroot_sink_check__says_a_file_is_not_a_directory),
		T(webroot_sink_check__refuses_an_unwritable_webroot),
		cmocka_unit_test(challenge_sink_free__accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
