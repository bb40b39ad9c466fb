/*
 * test_sandbox.c - what a process can still do once it has entered each
 * sandbox profile, and what it cannot.
 *
 * A sandbox cannot be left, so every test that enters one forks a child
 * that enters it and tries things; the parent reads the verdict from the
 * child's exit status (0: every check held; 1: one did not, named on
 * stderr; 2: the sandbox could not be entered) or from the signal that
 * killed it (SIGSYS: the filter's kill list).  Children leave with
 * _exit(): nothing of cmocka's or ASan's exit handlers runs in them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "err.h"
#include "sandbox.h"
#include "testutil.h"

/* In a child: say which check failed (write(2) is allowed), exit 1. */
static int
child_failed(int line, const char *what)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof msg, "test_sandbox.c:%d: in the sandbox, "
	    "not true: %s (errno %d)\n", line, what, errno);
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		return 1;
	return 1;
}
#define CHECK(c) do { if (!(c)) return child_failed(__LINE__, #c); } while (0)

static void
assert_child_passed(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("the child was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) == 2)
		fail_msg("the child could not enter the sandbox (see stderr)");
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
assert_child_killed_by_the_filter(int status)
{
	if (!WIFSIGNALED(status))
		fail_msg("the child was not killed but exited with %d",
		    WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/*
 * Skip a test that needs a layer this kernel lacks, or that enters one
 * under valgrind: valgrind makes the child's system calls itself, with
 * calls of its own that the filter refuses and files Landlock hides (and
 * valgrind 3.19 does not know the Landlock calls).
 */
static void
skip_if_cannot(bool seccomp, bool landlock)
{
	struct sandbox_kernel k;

	sandbox_probe(&k);
	if (k.valgrind) {
		print_message("skipped under valgrind: it runs the child's "
		    "system calls itself, which the sandbox refuses\n");
		skip();
	}
	if ((seccomp && !k.seccomp) || (landlock && k.landlock_abi == 0)) {
		print_message("skipped: this kernel has no %s\n",
		    seccomp && !k.seccomp ? "seccomp" : "Landlock");
		skip();
	}
}

/* In a child: enter p with mode and the layers in k (NULL: the kernel's). */
static int
enter_with(const struct sandbox_kernel *k, enum sandbox_profile p,
    enum sandbox_mode mode, char *report, size_t len)
{
	struct sandbox_spec s = { .profile = p, .mode = mode };
	struct sandbox_kernel probed;
	struct err e = { "" };

	if (k == NULL) {
		sandbox_probe(&probed);
		k = &probed;
	}
	if (sandbox_enter_with(k, &s, report, len, &e) == -1) {
		if (write(2, e.msg, strlen(e.msg)) < 0 || write(2, "\n", 1) < 0)
			return -1;
		return -1;
	}
	return 0;
}

static int
enter(enum sandbox_profile p)
{
	char report[256];

	return enter_with(NULL, p, SANDBOX_AUTO, report, sizeof report);
}

static int
setup(void **state)
{
	return tmpdir_setup(state, "sandbox");
}

static void
sandbox_mode_parse__knows_auto_require_off_and_refuses_others(void **state)
{
	enum sandbox_mode m = SANDBOX_OFF;
	struct err e = { "" };

	(void)state;
	assert_int_equal(sandbox_mode_parse("auto", &m, &e), 0);
	assert_int_equal(m, SANDBOX_AUTO);
	assert_int_equal(sandbox_mode_parse("require", &m, &e), 0);
	assert_int_equal(m, SANDBOX_REQUIRE);
	assert_int_equal(sandbox_mode_parse("off", &m, &e), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_mode_parse("on", &m, &e), -1);
	assert_string_equal(e.msg, "--sandbox: unknown mode 'on'; give "
	    "auto, require or off");
	assert_int_equal(m, SANDBOX_OFF);
}

static int
compute_opens_nothing(void *arg)
{
	(void)arg;
	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	errno = 0;
	CHECK(open("/etc/passwd", O_RDONLY) == -1 && errno == EPERM);
	CHECK(fopen("/etc/hosts", "r") == NULL);
	return 0;
}

static void
sandbox_enter__compute_cannot_open_a_file_even_to_read(void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_passed(in_child(compute_opens_nothing, NULL));
}

/* What a write-open, creat and truncate get: EPERM, from the filter. */
static int
writes_nothing(void *arg)
{
	const struct tmpdir *t = arg;
	char old[128], new[128];

	snprintf(old, sizeof old, "%s/old", t->path);
	snprintf(new, sizeof new, "%s/new", t->path);
	CHECK(open(new, O_WRONLY | O_CREAT | O_EXCL, 0600) == -1 &&
	    errno == EPERM);
	CHECK(open(new, O_RDWR | O_CREAT, 0600) == -1 && errno == EPERM);
	CHECK(open(old, O_WRONLY | O_APPEND) == -1 && errno == EPERM);
	CHECK(open(old, O_RDONLY | O_TRUNC) == -1 && errno == EPERM);
	CHECK(openat(AT_FDCWD, new, O_WRONLY | O_CREAT, 0600) == -1 &&
	    errno == EPERM);
	CHECK(creat(new, 0600) == -1 && errno == EPERM);
	CHECK(truncate(old, 0) == -1 && errno == EPERM);
	return 0;
}

static int
compute_writes_nothing(void *arg)
{
	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	return writes_nothing(arg);
}

static void
assert_untouched(const struct tmpdir *t)
{
	char *old = path_in(t->path, "old"), *new = path_in(t->path, "new");
	char *data = read_file(old, NULL);

	assert_string_equal(data, "old\n");
	assert_int_equal(mode_of(old), 0644);
	assert_false(access(new, F_OK) == 0);
	assert_int_equal(count_entries(t->path), 1);
	free(data);
	free(old);
	free(new);
}

static void
write_old(const struct tmpdir *t)
{
	char *old = path_in(t->path, "old");

	write_text(old, "old\n");
	assert_int_equal(chmod(old, 0644), 0);
	free(old);
}

static void
sandbox_enter__compute_cannot_create_or_write_a_file(void **state)
{
	struct tmpdir *t = *state;

	skip_if_cannot(true, false);
	write_old(t);
	assert_child_passed(in_child(compute_writes_nothing, t));
	assert_untouched(t);
}

static int
compute_changes_no_file(void *arg)
{
	const struct tmpdir *t = arg;
	char old[128], new[128];

	snprintf(old, sizeof old, "%s/old", t->path);
	snprintf(new, sizeof new, "%s/new", t->path);
	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	CHECK(unlink(old) == -1 && errno == EPERM);
	CHECK(unlinkat(AT_FDCWD, old, 0) == -1 && errno == EPERM);
	CHECK(rename(old, new) == -1 && errno == EPERM);
	CHECK(renameat2(AT_FDCWD, old, AT_FDCWD, new, 0) == -1 &&
	    errno == EPERM);
	CHECK(mkdir(new, 0700) == -1 && errno == EPERM);
	CHECK(link(old, new) == -1 && errno == EPERM);
	CHECK(symlink(old, new) == -1 && errno == EPERM);
	CHECK(chmod(old, 0666) == -1 && errno == EPERM);
	CHECK(chown(old, 0, 0) == -1 && errno == EPERM);
	return 0;
}

static void
sandbox_enter__compute_cannot_remove_rename_or_change_a_file(void **state)
{
	struct tmpdir *t = *state;

	skip_if_cannot(true, false);
	write_old(t);
	assert_child_passed(in_child(compute_changes_no_file, t));
	assert_untouched(t);
}

/* Nothing after execve may run: the filter kills the process first. */
static int
execs(void *arg)
{
	char *const argv[] = { "true", NULL };
	const enum sandbox_profile *p = arg;

	if (enter(*p) == -1)
		return 2;
	execve("/bin/true", argv, NULL);
	return child_failed(__LINE__, "execve killed the process");
}

static void
sandbox_enter__compute_is_killed_on_execve(void **state)
{
	enum sandbox_profile p = SANDBOX_COMPUTE;

	(void)state;
	skip_if_cannot(true, false);
	assert_child_killed_by_the_filter(in_child(execs, &p));
}

static int
compute_uses_its_descriptors(void *arg)
{
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd pfd;
	char buf[16] = "";
	int p[2], sv[2];

	(void)arg;
	if (pipe(p) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return child_failed(__LINE__, "pipe and socketpair");
	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	CHECK(write(p[1], "ping", 4) == 4);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	CHECK(poll(&pfd, 1, 1000) == 1);
	CHECK(read(p[0], buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0);
	iov = (struct iovec){ .iov_base = "sign this", .iov_len = 9 };
	CHECK(sendmsg(sv[0], &msg, 0) == 9);
	iov = (struct iovec){ .iov_base = buf, .iov_len = sizeof buf };
	CHECK(recvmsg(sv[1], &msg, 0) == 9 && memcmp(buf, "sign this", 9) == 0);
	CHECK(send(sv[1], "ok", 2, 0) == 2 && recv(sv[0], buf, 2, 0) == 2);
	CHECK(close(p[0]) == 0 && close(sv[0]) == 0);
	return 0;
}

static void
sandbox_enter__compute_reads_and_writes_the_descriptors_it_holds(
    void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_passed(in_child(compute_uses_its_descriptors, NULL));
}

static int
compute_allocates(void *arg)
{
	unsigned char *big, *small[1000];
	size_t i;

	(void)arg;
	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	/* Above malloc's mmap threshold, then grown by mremap. */
	CHECK((big = malloc(8 << 20)) != NULL);
	memset(big, 0xa5, 8 << 20);
	CHECK((big = realloc(big, 16 << 20)) != NULL && big[(8 << 20) - 1] ==
	    0xa5);
	free(big);
	/* Many small ones: the heap grows with brk. */
	for (i = 0; i < 1000; i++) {
		CHECK((small[i] = malloc(4096)) != NULL);
		memset(small[i], (int)i, 4096);
	}
	for (i = 0; i < 1000; i++)
		free(small[i]);
	return 0;
}

static void
sandbox_enter__compute_allocates_megabytes(void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_passed(in_child(compute_allocates, NULL));
}

/*
 * ECDSA P-256 over SHA-256, as the key process will sign a JWS: the key
 * was made before the fork, so OpenSSL also reseeds after it (getrandom).
 */
static int
compute_signs(void *arg)
{
	static const unsigned char data[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	EVP_PKEY *key = arg;
	unsigned char sig[2][128];
	size_t len[2] = { sizeof sig[0], sizeof sig[1] };
	EVP_MD_CTX *md;
	int i;

	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	for (i = 0; i < 2; i++) {
		CHECK((md = EVP_MD_CTX_new()) != NULL);
		CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
		CHECK(EVP_DigestSign(md, sig[i], &len[i], data,
		    sizeof data - 1) == 1);
		EVP_MD_CTX_free(md);
	}
	/* A fresh random k each time: two signatures differ. */
	CHECK(len[0] != len[1] || memcmp(sig[0], sig[1], len[0]) != 0);
	CHECK((md = EVP_MD_CTX_new()) != NULL);
	CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	CHECK(EVP_DigestVerify(md, sig[1], len[1], data, sizeof data - 1) == 1);
	EVP_MD_CTX_free(md);
	return 0;
}

static void
sandbox_enter__compute_signs_with_an_ec_key_loaded_before(void **state)
{
	EVP_PKEY *key;

	(void)state;
	skip_if_cannot(true, false);
	assert_non_null(key = EVP_EC_gen("P-256"));
	assert_child_passed(in_child(compute_signs, key));
	EVP_PKEY_free(key);
}

/* The status read through a descriptor opened before entering. */
static int
compute_shows_in_proc_status(void *arg)
{
	char buf[4096];
	ssize_t n;
	int fd;

	(void)arg;
	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		return child_failed(__LINE__, "open /proc/self/status");
	if (enter(SANDBOX_COMPUTE) == -1)
		return 2;
	CHECK((n = pread(fd, buf, sizeof buf - 1, 0)) > 0);
	buf[n] = '\0';
	CHECK(strstr(buf, "\nNoNewPrivs:\t1\n") != NULL);
	CHECK(strstr(buf, "\nSeccomp:\t2\n") != NULL);
	return 0;
}

static void
sandbox_enter__sets_no_new_privs_and_a_seccomp_filter(void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_passed(in_child(compute_shows_in_proc_status, NULL));
}

static int
network_reads_but_writes_nothing(void *arg)
{
	char buf[64];
	FILE *f;
	int fd;

	if (enter(SANDBOX_NETWORK) == -1)
		return 2;
	CHECK((fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC)) != -1);
	CHECK(read(fd, buf, sizeof buf) > 0);
	CHECK(close(fd) == 0);
	CHECK((f = fopen("/etc/hosts", "re")) != NULL && fclose(f) == 0);
	return writes_nothing(arg);
}

static void
sandbox_enter__network_reads_etc_hosts_and_writes_no_file(void **state)
{
	struct tmpdir *t = *state;

	skip_if_cannot(true, false);
	write_old(t);
	assert_child_passed(in_child(network_reads_but_writes_nothing, t));
	assert_untouched(t);
}

static void
sandbox_enter__network_is_killed_on_execve(void **state)
{
	enum sandbox_profile p = SANDBOX_NETWORK;

	(void)state;
	skip_if_cannot(true, false);
	assert_child_killed_by_the_filter(in_child(execs, &p));
}

static void *
thread_main(void *arg)
{
	return arg;
}

/* libcurl's threaded resolver starts threads; a new process is killed. */
static int
network_threads_but_no_fork(void *arg)
{
	static int answer = 42;
	pthread_t th;
	void *got = NULL;

	(void)arg;
	if (enter(SANDBOX_NETWORK) == -1)
		return 2;
	CHECK(pthread_create(&th, NULL, thread_main, &answer) == 0);
	CHECK(pthread_join(th, &got) == 0 && got == &answer);
	fork();
	return child_failed(__LINE__, "fork killed the process");
}

static void
sandbox_enter__network_starts_threads_and_is_killed_on_fork(void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_killed_by_the_filter(in_child(network_threads_but_no_fork,
	    NULL));
}

/* A thread that waits for a byte on the pipe *arg, then execs. */
static void *
exec_later(void *arg)
{
	char *const argv[] = { "true", NULL };
	const int *p = arg;
	char c;

	if (read(p[0], &c, 1) == 1)
		execve("/bin/true", argv, NULL);
	return NULL;
}

/* The filter holds for a thread started before it was loaded. */
static int
network_filters_older_threads(void *arg)
{
	pthread_t th;
	int p[2];

	(void)arg;
	if (pipe(p) == -1 || pthread_create(&th, NULL, exec_later, p) != 0)
		return child_failed(__LINE__, "pipe and pthread_create");
	if (enter(SANDBOX_NETWORK) == -1)
		return 2;
	CHECK(write(p[1], "x", 1) == 1);
	pthread_join(th, NULL);
	return child_failed(__LINE__, "execve in the older thread killed us");
}

static void
sandbox_enter__network_filters_a_thread_started_before(void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_killed_by_the_filter(in_child(
	    network_filters_older_threads, NULL));
}

/*
 * Landlock alone (a kernel without seccomp, as far as the module
 * knows): the network profile reads its own files and nothing else, even
 * a file its user may read; the compute profile reads nothing.
 */
static int
landlock_limits_reading(void *arg)
{
	const struct tmpdir *t = arg;
	struct sandbox_kernel k;
	char old[128], report[256];
	int fd;

	snprintf(old, sizeof old, "%s/old", t->path);
	sandbox_probe(&k);
	k.seccomp = false;
	if (fork() == 0) {
		if (enter_with(&k, SANDBOX_COMPUTE, SANDBOX_AUTO, report,
		    sizeof report) == -1)
			_exit(2);
		_exit(open("/etc/hosts", O_RDONLY) == -1 && errno == EACCES ?
		    0 : child_failed(__LINE__, "compute cannot read"));
	}
	if (wait(&fd) == -1 || !WIFEXITED(fd) || WEXITSTATUS(fd) != 0)
		return child_failed(__LINE__, "compute reads nothing");
	if (enter_with(&k, SANDBOX_NETWORK, SANDBOX_AUTO, report,
	    sizeof report) == -1)
		return 2;
	CHECK(strstr(report, "seccomp: not offered by this kernel") != NULL);
	CHECK((fd = open("/etc/hosts", O_RDONLY)) != -1 && close(fd) == 0);
	CHECK(open(old, O_RDONLY) == -1 && errno == EACCES);
	CHECK(open(old, O_WRONLY) == -1 && errno == EACCES);
	return 0;
}

static void
sandbox_enter__landlock_keeps_network_to_its_files(void **state)
{
	struct tmpdir *t = *state;

	skip_if_cannot(false, true);
	write_old(t);
	/* Readable by the sandbox user too: only Landlock stands in the way. */
	assert_int_equal(chmod(t->path, 0755), 0);
	assert_child_passed(in_child(landlock_limits_reading, t));
	assert_untouched(t);
}

/* Root only: the drop is the one layer under test (none of the others). */
static int
drops_root(void *arg)
{
	const struct passwd *pw = arg;
	const struct sandbox_kernel none = { .seccomp = false };
	char report[256], want[128];
	gid_t groups[4];

	if (enter_with(&none, SANDBOX_COMPUTE, SANDBOX_AUTO, report,
	    sizeof report) == -1)
		return 2;
	snprintf(want, sizeof want, "user: %s, no_new_privs: yes, ",
	    SANDBOX_DEFAULT_USER);
	CHECK(strncmp(report, want, strlen(want)) == 0);
	CHECK(getuid() == pw->pw_uid && geteuid() == pw->pw_uid);
	CHECK(getgid() == pw->pw_gid && getegid() == pw->pw_gid);
	CHECK(getgroups(4, groups) == 1 && groups[0] == pw->pw_gid);
	CHECK(setuid(0) == -1 && errno == EPERM);
	CHECK(seteuid(0) == -1 && errno == EPERM);
	CHECK(setgid(0) == -1 && errno == EPERM);
	return 0;
}

static void
sandbox_enter__root_becomes_the_sandbox_user_for_good(void **state)
{
	struct passwd *pw;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: only root can drop to another user\n");
		skip();
	}
	if ((pw = getpwnam(SANDBOX_DEFAULT_USER)) == NULL) {
		print_message("skipped: no user %s here\n",
		    SANDBOX_DEFAULT_USER);
		skip();
	}
	assert_child_passed(in_child(drops_root, pw));
}

static int
refuses_a_missing_user(void *arg)
{
	struct sandbox_spec s = { .profile = SANDBOX_COMPUTE,
	    .mode = SANDBOX_AUTO, .user = "acmec-no-such-user" };
	const struct sandbox_kernel none = { .seccomp = false };
	struct err e = { "" };
	char report[256];

	(void)arg;
	CHECK(sandbox_enter_with(&none, &s, report, sizeof report, &e) == -1);
	CHECK(strcmp(e.msg, "sandbox user acmec-no-such-user does not "
	    "exist: create it (useradd --system acmec-no-such-user) or build "
	    "acmec with --with-sandbox-user=NAME") == 0);
	CHECK(geteuid() == 0);
	return 0;
}

static void
sandbox_enter__refuses_a_sandbox_user_that_does_not_exist(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: only root drops to a user\n");
		skip();
	}
	assert_child_passed(in_child(refuses_a_missing_user, NULL));
}

/* The NoNewPrivs and Seccomp lines of /proc/self/status; new string. */
static char *
privs_now(void)
{
	char *status = read_file("/proc/self/status", NULL), *p, *out;

	assert_non_null(out = calloc(1, 128));
	if ((p = strstr(status, "NoNewPrivs:")) != NULL)
		strncat(out, p, strcspn(p, "\n") + 1);
	if ((p = strstr(status, "Seccomp:")) != NULL)
		strncat(out, p, strcspn(p, "\n"));
	free(status);
	return out;
}

/* REQUIRE on a kernel without a layer: refused, and nothing given up. */
static void
assert_required(const struct sandbox_kernel *k, const char *want)
{
	struct sandbox_spec s = { .profile = SANDBOX_NETWORK,
	    .mode = SANDBOX_REQUIRE };
	char report[256], *before = privs_now(), *after;
	struct err e = { "" };
	uid_t uid = getuid();

	assert_int_equal(sandbox_enter_with(k, &s, report, sizeof report, &e),
	    -1);
	assert_string_equal(e.msg, want);
	after = privs_now();
	assert_string_equal(after, before);
	assert_int_equal(getuid(), uid);
	free(before);
	free(after);
}

static void
sandbox_enter__require_names_the_missing_layer_and_gives_up_nothing(
    void **state)
{
	const struct sandbox_kernel no_landlock = { .seccomp = true };
	const struct sandbox_kernel no_seccomp = { .landlock_abi = 2 };

	(void)state;
	assert_required(&no_landlock, "the sandbox needs Landlock, which "
	    "this kernel does not offer (Linux 5.13 or later, with landlock "
	    "in the lsm= boot parameter); --sandbox=auto runs without it");
	assert_required(&no_seccomp, "the sandbox needs seccomp, which this "
	    "kernel does not offer (CONFIG_SECCOMP_FILTER); --sandbox=auto "
	    "runs without it");
}

static void
sandbox_enter__require_refuses_under_valgrind(void **state)
{
	const struct sandbox_kernel valgrind = { .valgrind = true };

	(void)state;
	assert_required(&valgrind, "the sandbox cannot hold under valgrind; "
	    "--sandbox=auto runs without it");
}

static int
auto_reports(void *arg)
{
	const struct sandbox_kernel no_landlock = { .seccomp = true };
	char report[256];

	(void)arg;
	if (enter_with(&no_landlock, SANDBOX_NETWORK, SANDBOX_AUTO, report,
	    sizeof report) == -1)
		return 2;
	CHECK(strstr(report, ", no_new_privs: yes, landlock: not offered by "
	    "this kernel, seccomp: yes") != NULL);
	CHECK(strncmp(report, "user: ", 6) == 0);
	return 0;
}

static void
sandbox_enter__auto_goes_on_without_a_missing_layer_and_says_so(
    void **state)
{
	(void)state;
	skip_if_cannot(true, false);
	assert_child_passed(in_child(auto_reports, NULL));
}

static void
sandbox_enter__off_gives_up_nothing(void **state)
{
	struct sandbox_spec s = { .profile = SANDBOX_COMPUTE,
	    .mode = SANDBOX_OFF };
	char report[64] = "stale", *before = privs_now(), *after;
	struct err e = { "" };
	int fd;

	(void)state;
	assert_int_equal(sandbox_enter(&s, report, sizeof report, &e), 0);
	assert_string_equal(report, "sandbox: off");
	after = privs_now();
	assert_string_equal(after, before);
	assert_true((fd = open("/etc/hosts", O_RDONLY)) != -1);
	close(fd);
	free(before);
	free(after);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    sandbox_mode_parse__knows_auto_require_off_and_refuses_others),
		cmocka_unit_test(
		    sandbox_enter__compute_cannot_open_a_file_even_to_read),
		T(sandbox_enter__compute_cannot_create_or_write_a_file),
		T(sandbox_enter__compute_cannot_remove_rename_or_change_a_file),
		cmocka_unit_test(sandbox_enter__compute_is_killed_on_execve),
		cmocka_unit_test(
		    sandbox_enter__compute_reads_and_writes_the_descriptors_it_holds),
		cmocka_unit_test(sandbox_enter__compute_allocates_megabytes),
		cmocka_unit_test(
		    sandbox_enter__compute_signs_with_an_ec_key_loaded_before),
		cmocka_unit_test(
		    sandbox_enter__sets_no_new_privs_and_a_seccomp_filter),
		T(sandbox_enter__network_reads_etc_hosts_and_writes_no_file),
		cmocka_unit_test(sandbox_enter__network_is_killed_on_execve),
		cmocka_unit_test(
		    sandbox_enter__network_starts_threads_and_is_killed_on_fork),
		cmocka_unit_test(
		    sandbox_enter__network_filters_a_thread_started_before),
		T(sandbox_enter__landlock_keeps_network_to_its_files),
		cmocka_unit_test(
		    sandbox_enter__root_becomes_the_sandbox_user_for_good),
		cmocka_unit_test(
		    sandbox_enter__refuses_a_sandbox_user_that_does_not_exist),
		cmocka_unit_test(
		    sandbox_enter__require_names_the_missing_layer_and_gives_up_nothing),
		cmocka_unit_test(
		    sandbox_enter__auto_goes_on_without_a_missing_layer_and_says_so),
		cmocka_unit_test(sandbox_enter__require_refuses_under_valgrind),
		cmocka_unit_test(sandbox_enter__off_gives_up_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
