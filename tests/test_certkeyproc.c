/*
 * test_certkeyproc.c - the certificate key process: it makes keys and
 * CSRs for the names it was forked with only, reads and writes keys only
 * through descriptors it is handed, and sends back public halves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "b64url.h"
#include "certkeyproc.h"
#include "csr.h"
#include "key.h"
#include "names.h"
#include "sandbox.h"
#include "testutil.h"

struct ctx {
	struct tmpdir		 t;
	struct names		 names;		/* job 0's */
	struct certkeyproc	*p;		/* jobs 0 (names), 1 (none) */
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const struct names *jobs[2];
	struct err e = { "" };

	if (c == NULL || tmpdir_create(&c->t, "certkeyproc") == -1 ||
	    names_add(&c->names, "a.example.org") == -1 ||
	    names_add(&c->names, "b.example.org") == -1)
		return -1;
	jobs[0] = &c->names;
	jobs[1] = NULL;
	/* The sandbox on, as in every run. */
	if ((c->p = certkeyproc_start(jobs, 2, SANDBOX_AUTO, &e)) == NULL) {
		print_error("certkeyproc_start: %s\n", e.msg);
		return -1;
	}
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	certkeyproc_free(c->p);
	names_clear(&c->names);
	tmpdir_remove(&c->t);
	free(c);
	return 0;
}

/* A new empty file in the test directory, open as flags says. */
static int
new_file(struct ctx *c, const char *name, int flags)
{
	char *path = path_in(c->t.path, name);
	int fd = open(path, flags | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	free(path);
	return fd;
}

/* The names of the base64url DER CSR csr. */
static void
assert_csr_names(const char *csr, const struct names *want)
{
	struct names got = { NULL, 0 };
	struct err e = { "" };
	unsigned char *der;
	const unsigned char *p;
	X509_REQ *req;
	size_t len;

	assert_non_null(der = b64url_decode(csr, &len));
	p = der;
	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)len));
	assert_int_equal(csr_names(req, &got, &e), 0);
	assert_true(names_equal(&got, want));
	names_clear(&got);
	X509_REQ_free(req);
	free(der);
}

static void
certkeyproc__runs_in_its_sandbox_holding_no_file(void **state)
{
	(void)state;
	assert_sandboxed(only_child());
}

/*
 * A new key in the sandbox: the CSR is for the job's names, signed by
 * the key whose public half comes back, and the key itself is written
 * only into the file handed over, which then loads as that key.
 */
static void
certkeyproc_open__makes_a_key_and_a_csr_for_the_jobs_names(void **state)
{
	struct ctx *c = *state;
	char *path = path_in(c->t.path, "key.pem"), *csr;
	EVP_PKEY *pub, *written;
	struct err e = { "" };
	int fd;

	assert_int_equal(certkeyproc_open(c->p, 0, -1, "a new key", KEY_EC256,
	    &pub, &csr, &e), 0);
	assert_csr_names(csr, &c->names);
	assert_null(strstr(csr, "PRIVATE"));
	fd = new_file(c, "key.pem", O_WRONLY);
	assert_int_equal(certkeyproc_write(c->p, 0, fd, &e), 0);
	close(fd);
	assert_non_null(written = key_load(path, STORE_PRIVATE, &e));
	assert_true(EVP_PKEY_eq(written, pub) == 1);
	EVP_PKEY_free(written);
	EVP_PKEY_free(pub);
	free(csr);
	free(path);
}

/* A key file handed over is read there, and its CSR made with it. */
static void
certkeyproc_open__reads_the_key_file_it_is_handed(void **state)
{
	struct ctx *c = *state;
	char *path = path_in(c->t.path, "in.pem"), *csr;
	struct err e = { "" };
	EVP_PKEY *key = key_generate(KEY_EC384, &e), *pub;
	int fd;

	assert_int_equal(key_save(key, path, &e), 0);
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(certkeyproc_open(c->p, 0, fd, path, KEY_EC256, &pub,
	    &csr, &e), 0);
	close(fd);
	assert_true(EVP_PKEY_eq(key, pub) == 1);
	assert_string_equal(key_describe(pub), "ec-384");
	/* Peeking gives the public half and keeps nothing. */
	assert_true((fd = open(path, O_RDONLY)) != -1);
	EVP_PKEY_free(pub);
	assert_non_null(pub = certkeyproc_peek(c->p, fd, path, &e));
	close(fd);
	assert_true(EVP_PKEY_eq(key, pub) == 1);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	free(csr);
	free(path);
}

/* A parent taken over cannot get a CSR for names of no job of the run. */
static void
certkeyproc_open__refuses_a_job_without_names(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	EVP_PKEY *pub;
	char *csr;

	assert_int_equal(certkeyproc_open(c->p, 1, -1, "a new key", KEY_EC256,
	    &pub, &csr, &e), -1);
	assert_contains(e.msg, "no job of this run");
	assert_null(pub);
	assert_null(csr);
	assert_int_equal(certkeyproc_open(c->p, 7, -1, "a new key", KEY_EC256,
	    &pub, &csr, &e), -1);
	assert_contains(e.msg, "no job of this run");
}

/* Nothing to write, a file with something in it, a file open to read. */
static void
certkeyproc_write__refuses_what_it_should_not_write(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	EVP_PKEY *pub;
	char *csr;
	int fd;

	fd = new_file(c, "out.pem", O_WRONLY);
	assert_int_equal(certkeyproc_write(c->p, 0, fd, &e), -1);
	assert_contains(e.msg, "holds no key");
	assert_int_equal(certkeyproc_open(c->p, 0, -1, "a new key", KEY_EC256,
	    &pub, &csr, &e), 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(certkeyproc_write(c->p, 0, fd, &e), -1);
	assert_contains(e.msg, "not an empty file open for writing");
	close(fd);
	fd = new_file(c, "ro.pem", O_RDONLY);
	assert_int_equal(certkeyproc_write(c->p, 0, fd, &e), -1);
	assert_contains(e.msg, "not an empty file open for writing");
	close(fd);
	/* Once closed, the job's key is gone. */
	certkeyproc_close(c->p, 0);
	fd = new_file(c, "after.pem", O_WRONLY);
	assert_int_equal(certkeyproc_write(c->p, 0, fd, &e), -1);
	assert_contains(e.msg, "holds no key");
	close(fd);
	EVP_PKEY_free(pub);
	free(csr);
}

/* A key made for the next renewal is written, kept nowhere else. */
static void
certkeyproc_make__writes_a_new_key_of_the_type(void **state)
{
	struct ctx *c = *state;
	char *path = path_in(c->t.path, "next.pem");
	struct err e = { "" };
	EVP_PKEY *pub, *written;
	int fd;

	fd = new_file(c, "next.pem", O_WRONLY);
	assert_non_null(pub = certkeyproc_make(c->p, KEY_RSA2048, fd, &e));
	close(fd);
	assert_non_null(written = key_load(path, STORE_PRIVATE, &e));
	assert_true(EVP_PKEY_eq(written, pub) == 1);
	assert_string_equal(key_describe(pub), "rsa-2048");
	EVP_PKEY_free(written);
	EVP_PKEY_free(pub);
	free(path);
}

/* What is not a key, or not a regular file, is refused with its name. */
static void
certkeyproc_peek__refuses_what_is_not_a_key_file(void **state)
{
	struct ctx *c = *state;
	char *path = path_in(c->t.path, "junk.pem");
	struct err e = { "" };
	int fd, pipefd[2];

	write_text(path, "not a key\n");
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_null(certkeyproc_peek(c->p, fd, path, &e));
	assert_contains(e.msg, path);
	close(fd);
	assert_int_equal(pipe(pipefd), 0);
	assert_null(certkeyproc_peek(c->p, pipefd[0], "the pipe", &e));
	assert_contains(e.msg, "not a regular file");
	close(pipefd[0]);
	close(pipefd[1]);
	free(path);
}

/* A process that died fails each request, saying which process. */
static void
certkeyproc__a_dead_process_fails_every_request(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	EVP_PKEY *pub;
	char *csr;
	int fd;

	assert_int_equal(kill(only_child(), SIGKILL), 0);
	assert_int_equal(certkeyproc_open(c->p, 0, -1, "a new key", KEY_EC256,
	    &pub, &csr, &e), -1);
	assert_contains(e.msg, "the certificate key process");
	fd = new_file(c, "dead.pem", O_WRONLY);
	assert_null(certkeyproc_make(c->p, KEY_EC256, fd, &e));
	assert_contains(e.msg, "the certificate key process");
	close(fd);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(certkeyproc__runs_in_its_sandbox_holding_no_file),
		T(certkeyproc_open__makes_a_key_and_a_csr_for_the_jobs_names),
		T(certkeyproc_open__reads_the_key_file_it_is_handed),
		T(certkeyproc_open__refuses_a_job_without_names),
		T(certkeyproc_write__refuses_what_it_should_not_write),
		T(certkeyproc_make__writes_a_new_key_of_the_type),
		T(certkeyproc_peek__refuses_what_is_not_a_key_file),
		T(certkeyproc__a_dead_process_fails_every_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
