/*
 * test_nextkey.c - the key announced for the next renewal: written 0600
 * in a 0700 directory, read back only as a private file, never through a
 * link, and reading creates nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certkeyproc.h"
#include "err.h"
#include "key.h"
#include "nextkey.h"
#include "testutil.h"

/* nextkey_make through a certificate key process of no jobs. */
static int
make(const char *path, char hex[65], struct err *e)
{
	struct certkeyproc *p = certkeyproc_start(NULL, 0, SANDBOX_OFF, e);
	char ignored[65];
	int rc;

	if (p == NULL)
		fail_msg("certkeyproc_start: %s", e->msg);
	rc = nextkey_make(path, p, KEY_EC256, hex ? hex : ignored, e);
	certkeyproc_free(p);
	return rc;
}

static void
nextkey_read__finds_none_and_creates_nothing(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "next-keys");
	char *path = path_in(dir, "n-1234.pem"), *pem = (char *)"x", hex[65];
	struct err e = { "" };
	size_t len = 1;
	int fd;

	assert_int_equal(nextkey_read(path, &pem, &len, &e), 0);
	assert_null(pem);
	assert_int_equal(len, 0);
	assert_int_equal(nextkey_spki_sha256(path, hex, &e), 1);
	assert_int_equal(nextkey_open(path, &fd, &e), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(access(dir, F_OK), -1);
	free(path);
	free(dir);
}

static void
nextkey_make__writes_a_0600_key_that_reads_back_with_its_spki(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "next-keys");
	char *path = path_in(dir, "n-1234.pem"), *pem, hex[65], want[65];
	char first[65], made[65];
	struct err e = { "" };
	EVP_PKEY *key;
	size_t len;

	assert_int_equal(make(path, made, &e), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(nextkey_read(path, &pem, &len, &e), 0);
	assert_non_null(pem);
	assert_non_null(key = key_from_pem(pem, len, path, &e));
	assert_string_equal(key_describe(key), "ec-256");
	assert_int_equal(key_spki_sha256(key, want, &e), 0);
	assert_int_equal(nextkey_spki_sha256(path, hex, &e), 0);
	assert_string_equal(hex, want);
	assert_string_equal(made, want);
	/* The next one replaces it. */
	strcpy(first, hex);
	assert_int_equal(make(path, NULL, &e), 0);
	assert_int_equal(nextkey_spki_sha256(path, hex, &e), 0);
	assert_string_not_equal(hex, first);
	assert_int_equal(count_entries(dir), 1);
	EVP_PKEY_free(key);
	free(pem);
	free(path);
	free(dir);
}

static void
nextkey_read__refuses_a_link_and_a_file_others_may_read(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "next-keys");
	char *path = path_in(dir, "n-1234.pem"), *other = path_in(t->path,
	    "other.pem"), *pem = NULL;
	struct err e = { "" };
	size_t len;
	int fd;

	assert_int_equal(make(other, NULL, &e), 0);
	assert_int_equal(make(path, NULL, &e), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(nextkey_read(path, &pem, &len, &e), -1);
	assert_null(pem);
	assert_contains(e.msg, path);
	assert_contains(e.msg, "move it away");
	e.msg[0] = '\0';
	assert_int_equal(nextkey_open(path, &fd, &e), -1);
	assert_int_equal(fd, -1);
	assert_contains(e.msg, "symbolic link");

	assert_int_equal(unlink(path), 0);
	assert_int_equal(make(path, NULL, &e), 0);
	assert_int_equal(chmod(path, 0644), 0);
	e.msg[0] = '\0';
	assert_int_equal(nextkey_read(path, &pem, &len, &e), -1);
	assert_null(pem);
	assert_contains(e.msg, path);
	assert_int_equal(nextkey_open(path, &fd, &e), -1);
	free(other);
	free(path);
	free(dir);
}

static int
setup(void **state)
{
	return tmpdir_setup(state, "nextkey");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(nextkey_read__finds_none_and_creates_nothing),
		T(nextkey_make__writes_a_0600_key_that_reads_back_with_its_spki),
		T(nextkey_read__refuses_a_link_and_a_file_others_may_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
