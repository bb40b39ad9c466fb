/*
 * test_nextkey.c - the key announced for the next renewal: made and
 * written 0600 in a 0700 directory by the certificate key process, opened
 * for it only as a private file, never through a link, and opening
 * creates nothing.
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

struct ctx {
	struct tmpdir		 t;
	struct certkeyproc	*p;	/* of no jobs: makes and peeks only */
	char			*dir;	/* T/next-keys */
	char			*path;	/* T/next-keys/n-1234.pem */
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct err e = { "" };

	if (c == NULL || tmpdir_create(&c->t, "nextkey") == -1 ||
	    (c->p = certkeyproc_start(NULL, 0, SANDBOX_AUTO, &e)) == NULL)
		return -1;
	c->dir = path_in(c->t.path, "next-keys");
	c->path = path_in(c->dir, "n-1234.pem");
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	certkeyproc_free(c->p);
	tmpdir_remove(&c->t);
	free(c->dir);
	free(c->path);
	free(c);
	return 0;
}

static void
nextkey_open__finds_none_and_creates_nothing(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char hex[65];
	int fd = 7;

	assert_int_equal(nextkey_open(c->path, &fd, &e), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(nextkey_spki_sha256(c->path, c->p, hex, &e), 1);
	assert_int_equal(access(c->dir, F_OK), -1);
}

static void
nextkey_make__writes_a_0600_key_that_reads_back_with_its_spki(void **state)
{
	struct ctx *c = *state;
	char hex[65], want[65], made[65], first[65];
	struct err e = { "" };
	EVP_PKEY *key;

	assert_int_equal(nextkey_make(c->path, c->p, KEY_EC256, made, &e), 0);
	assert_int_equal(mode_of(c->path), 0600);
	assert_int_equal(mode_of(c->dir), 0700);
	assert_non_null(key = key_load(c->path, STORE_PRIVATE, &e));
	assert_string_equal(key_describe(key), "ec-256");
	assert_int_equal(key_spki_sha256(key, want, &e), 0);
	assert_string_equal(made, want);
	assert_int_equal(nextkey_spki_sha256(c->path, c->p, hex, &e), 0);
	assert_string_equal(hex, want);
	/* The next one replaces it. */
	strcpy(first, hex);
	assert_int_equal(nextkey_make(c->path, c->p, KEY_EC256, made, &e), 0);
	assert_int_equal(nextkey_spki_sha256(c->path, c->p, hex, &e), 0);
	assert_string_not_equal(hex, first);
	assert_int_equal(count_entries(c->dir), 1);
	EVP_PKEY_free(key);
}

static void
nextkey_open__refuses_a_link_and_a_file_others_may_read(void **state)
{
	struct ctx *c = *state;
	char *other = path_in(c->t.path, "other.pem"), hex[65];
	struct err e = { "" };
	int fd;

	assert_int_equal(nextkey_make(other, c->p, KEY_EC256, hex, &e), 0);
	assert_int_equal(nextkey_make(c->path, c->p, KEY_EC256, hex, &e), 0);
	assert_int_equal(unlink(c->path), 0);
	assert_int_equal(symlink(other, c->path), 0);
	assert_int_equal(nextkey_open(c->path, &fd, &e), -1);
	assert_int_equal(fd, -1);
	assert_contains(e.msg, c->path);
	assert_contains(e.msg, "symbolic link");
	assert_contains(e.msg, "move it away");

	assert_int_equal(unlink(c->path), 0);
	assert_int_equal(nextkey_make(c->path, c->p, KEY_EC256, hex, &e), 0);
	assert_int_equal(chmod(c->path, 0644), 0);
	e.msg[0] = '\0';
	assert_int_equal(nextkey_spki_sha256(c->path, c->p, hex, &e), -1);
	assert_contains(e.msg, c->path);
	assert_contains(e.msg, "other users");
	free(other);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(nextkey_open__finds_none_and_creates_nothing),
		T(nextkey_make__writes_a_0600_key_that_reads_back_with_its_spki),
		T(nextkey_open__refuses_a_link_and_a_file_others_may_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
