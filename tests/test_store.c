/*
 * test_store.c - atomic writes, private directories, bounded reads, the
 * run lock (store_lock_path).
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

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "interrupt.h"
#include "store.h"
#include "testutil.h"

static int
setup(void **state)
{
	return tmpdir_setup(state, "store");
}

static void
store_write_atomic__creates_with_mode_0600_despite_umask_022(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "key.pem");
	struct err e = { "" };
	char *got;
	size_t len;

	assert_int_equal(store_write_atomic(path, "secret\n", 7, 0600, &e), 0);
	assert_int_equal(mode_of(path), 0600);
	got = read_file(path, &len);
	assert_int_equal(len, 7);
	assert_string_equal(got, "secret\n");
	free(got);
	free(path);
}

static void
store_write_atomic__creates_with_mode_0644(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "cert.pem");
	struct err e = { "" };

	assert_int_equal(store_write_atomic(path, "x", 1, 0644, &e), 0);
	assert_int_equal(mode_of(path), 0644);
	free(path);
}

static void
store_write_atomic__gives_the_requested_mode_under_a_strict_umask(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "chain.pem");
	struct err e = { "" };

	umask(077);
	assert_int_equal(store_write_atomic(path, "x", 1, 0640, &e), 0);
	assert_int_equal(mode_of(path), 0640);
	free(path);
}

static void
store_write_atomic__replaces_existing_contents(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "file");
	struct err e = { "" };
	struct stat before, after;
	char *got;
	size_t len;

	assert_int_equal(store_write_atomic(path,
	    "old contents, longer than the new ones\n", 39, 0600, &e), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(store_write_atomic(path, "new\n", 4, 0600, &e), 0);
	assert_int_equal(stat(path, &after), 0);
	got = read_file(path, &len);
	assert_int_equal(len, 4);
	assert_string_equal(got, "new\n");
	/* Replaced by rename, not rewritten in place. */
	assert_int_not_equal(before.st_ino, after.st_ino);
	free(got);
	free(path);
}

static void
store_write_atomic__replaces_a_file_of_another_mode(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "key.pem");
	struct err e = { "" };
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);
	assert_int_equal(mode_of(path), 0644);
	assert_int_equal(store_write_atomic(path, "new", 3, 0600, &e), 0);
	assert_int_equal(mode_of(path), 0600);
	free(path);
}

static void
store_write_atomic__leaves_no_temporary_files(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "file");
	struct err e = { "" };

	for (int i = 0; i < 5; i++)
		assert_int_equal(store_write_atomic(path, "data", 4, 0600, &e),
		    0);
	assert_int_equal(count_entries(t->path), 1);
	free(path);
}

static void
store_write_atomic__writes_empty_and_binary_data(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "bin");
	static const char data[] = { 'a', '\0', 'b', '\n', '\0' };
	struct err e = { "" };
	char *got;
	size_t len;

	assert_int_equal(store_write_atomic(path, "", 0, 0600, &e), 0);
	got = read_file(path, &len);
	assert_int_equal(len, 0);
	free(got);
	assert_int_equal(store_write_atomic(path, data, sizeof(data), 0600,
	    &e), 0);
	got = read_file(path, &len);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	free(got);
	free(path);
}

static void
store_write_atomic__fails_in_a_missing_directory_naming_the_file(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "no/such/dir/file");
	struct err e = { "" };

	assert_int_equal(store_write_atomic(path, "x", 1, 0600, &e), -1);
	assert_non_null(strstr(e.msg, t->path));
	free(path);
}

static void
store_mkdirs__creates_nested_directories_0700(void **state)
{
	struct tmpdir *t = *state;
	char *a = path_in(t->path, "a");
	char *ab = path_in(t->path, "a/b");
	char *abc = path_in(t->path, "a/b/c");
	struct err e = { "" };
	struct stat st;

	assert_int_equal(store_mkdirs(abc, 0700, &e), 0);
	assert_int_equal(stat(abc, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mode_of(a), 0700);
	assert_int_equal(mode_of(ab), 0700);
	assert_int_equal(mode_of(abc), 0700);
	/* Again: nothing to do is not an error. */
	assert_int_equal(store_mkdirs(abc, 0700, &e), 0);
	free(a);
	free(ab);
	free(abc);
}

static void
store_mkdirs__leaves_existing_directories_as_they_are(void **state)
{
	struct tmpdir *t = *state;
	char *a = path_in(t->path, "a");
	char *ab = path_in(t->path, "a/b");
	struct err e = { "" };

	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(store_mkdirs(ab, 0700, &e), 0);
	assert_int_equal(mode_of(a), 0755);
	assert_int_equal(mode_of(ab), 0700);
	free(a);
	free(ab);
}

static void
store_mkdirs__fails_when_a_parent_is_a_file(void **state)
{
	struct tmpdir *t = *state;
	char *file = path_in(t->path, "file");
	char *below = path_in(t->path, "file/sub");
	struct err e = { "" };

	assert_int_equal(store_write_atomic(file, "x", 1, 0600, &e), 0);
	assert_int_equal(store_mkdirs(below, 0700, &e), -1);
	assert_true(strlen(e.msg) > 0);
	free(file);
	free(below);
}

static void
store_mkdirs__fails_when_the_path_is_a_file(void **state)
{
	struct tmpdir *t = *state;
	char *file = path_in(t->path, "file");
	struct err e = { "" };
	int rc;
	bool named;

	/* EEXIST from mkdir(2) does not mean a directory is there. */
	assert_int_equal(store_write_atomic(file, "x", 1, 0600, &e), 0);
	e.msg[0] = '\0';
	rc = store_mkdirs(file, 0700, &e);
	named = strstr(e.msg, file) != NULL;
	free(file);
	assert_int_equal(rc, -1);
	assert_true(named);
}

static void
store_mkdirs__refuses_empty_path(void **state)
{
	struct err e = { "" };

	(void)state;
	/* Used to read past the end of the copy: run this under ASan. */
	assert_int_equal(store_mkdirs("", 0700, &e), -1);
	assert_non_null(strstr(e.msg, "empty name"));
}

static void
store_read__reads_whole_file_nul_terminated(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "file");
	struct err e = { "" };
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(store_write_atomic(path, "0123456789", 10, 0600, &e),
	    0);
	assert_int_equal(store_read(path, 10, &data, &len, &e), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(data, "0123456789", 10);
	assert_int_equal(data[10], '\0');
	free(data);
	free(path);
}

static void
store_read__refuses_a_file_larger_than_max(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "file");
	struct err e = { "" };
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(store_write_atomic(path, "0123456789", 10, 0600, &e),
	    0);
	assert_int_equal(store_read(path, 9, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, path));
	free(path);
}

static void
store_read__reads_an_empty_file(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "empty");
	struct err e = { "" };
	char *data = NULL;
	size_t len = 99;

	assert_int_equal(store_write_atomic(path, "", 0, 0600, &e), 0);
	assert_int_equal(store_read(path, 100, &data, &len, &e), 0);
	assert_non_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(data[0], '\0');
	free(data);
	free(path);
}

static void
store_read__fails_on_a_missing_file_naming_it(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "missing");
	struct err e = { "" };
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(store_read(path, 100, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, path));
	free(path);
}

static void
store_exists__tells_files_and_directories_from_nothing(void **state)
{
	struct tmpdir *t = *state;
	char *file = path_in(t->path, "file");
	char *missing = path_in(t->path, "missing");
	struct err e = { "" };

	assert_int_equal(store_write_atomic(file, "x", 1, 0600, &e), 0);
	assert_true(store_exists(file));
	assert_true(store_exists(t->path));
	assert_false(store_exists(missing));
	free(file);
	free(missing);
}

/* t->path/lock; new string. */
static char *
lock_path(const struct tmpdir *t)
{
	return path_in(t->path, "lock");
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
store_lock_path__creates_the_lock_file_0600(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t);
	struct err e = { "" };
	int fd;

	fd = store_lock_path(path, 0, &e);
	assert_true(fd >= 0);
	assert_int_equal(mode_of(path), 0600);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	store_unlock(fd);
	free(path);
}

static void
store_lock_path__second_lock_on_the_same_path_times_out_with_the_message(
    void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t), *want;
	struct err e = { "" };
	int fd, fd2;
	long t0, waited;

	/* flock locks belong to an open file: a second open conflicts. */
	fd = store_lock_path(path, 0, &e);
	assert_true(fd >= 0);
	t0 = now_ms();
	fd2 = store_lock_path(path, 1, &e);
	waited = now_ms() - t0;
	if (fd2 >= 0)
		store_unlock(fd2);
	assert_int_equal(fd2, -1);
	/* It did wait, but not forever. */
	assert_true(waited >= 900);
	assert_true(waited < 5000);
	if (asprintf(&want, "another acmec run holds %s; try again when it "
	    "has finished", path) < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	store_unlock(fd);
	free(want);
	free(path);
}

static void
store_lock_path__a_released_lock_is_taken(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t);
	struct err e = { "" };
	int fd1, fd2, fd3;

	fd1 = store_lock_path(path, 0, &e);
	assert_true(fd1 >= 0);
	fd2 = store_lock_path(path, 0, &e);
	assert_int_equal(fd2, -1);
	store_unlock(fd1);
	fd3 = store_lock_path(path, 0, &e);
	assert_true(fd3 >= 0);
	store_unlock(fd3);
	store_unlock(-1);	/* harmless */
	free(path);
}

static void
store_lock_path__says_once_that_it_waits(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t), *out = path_in(t->path, "stdout");
	char *got, *p, *want;
	struct err e = { "" };
	int fd, saved, outfd, n = 0;

	fd = store_lock_path(path, 0, &e);
	assert_true(fd >= 0);
	/* log_info writes to stdout: catch it in a file for a second. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && outfd >= 0);
	assert_int_equal(dup2(outfd, STDOUT_FILENO), STDOUT_FILENO);
	close(outfd);
	assert_int_equal(store_lock_path(path, 1, &e), -1);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	got = read_file(out, NULL);
	if (asprintf(&want, "waiting for %s: another acmec run holds it\n",
	    path) < 0)
		fail_msg("asprintf");
	for (p = got; (p = strstr(p, "waiting for")) != NULL; p++)
		n++;
	assert_int_equal(n, 1);		/* not one line per poll */
	assert_string_equal(got, want);
	store_unlock(fd);
	free(want);
	free(got);
	free(out);
	free(path);
}

static void
store_lock_path__refuses_a_symbolic_link(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t), *target = path_in(t->path, "elsewhere");
	struct err e = { "" };

	/* A link planted there must not make us create or lock its target. */
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(store_lock_path(path, 0, &e), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "symbolic link"));
	assert_int_equal(access(target, F_OK), -1);
	free(target);
	free(path);
}

/*
 * Children report over a pipe, not through their exit status: under
 * valgrind --error-exitcode a child's status also reflects leak reports.
 */
static char
read_report(int fd)
{
	char c = '?';

	if (read(fd, &c, 1) != 1)
		c = '?';
	return c;
}

static void
store_lock_path__another_process_cannot_take_a_held_lock(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t);
	struct err e = { "" };
	int pfd[2], fd, status;
	pid_t pid;

	fd = store_lock_path(path, 0, &e);
	assert_true(fd >= 0);
	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		struct err ce = { "" };
		char c = store_lock_path(path, 0, &ce) >= 0 ? 'Y' : 'N';

		close(pfd[0]);
		_exit(write(pfd[1], &c, 1) == 1 ? 0 : 3);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	assert_int_equal(read_report(pfd[0]), 'N');
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	store_unlock(fd);
	free(path);
}

static void
store_lock_path__waits_for_another_process_to_release(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t);
	struct err e = { "" };
	int pfd[2], fd, status;
	pid_t pid;
	long t0;

	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		struct err ce = { "" };
		int cfd = store_lock_path(path, 0, &ce);
		char c = cfd >= 0 ? 'L' : 'N';

		close(pfd[0]);
		if (write(pfd[1], &c, 1) != 1 || cfd < 0)
			_exit(2);
		usleep(300 * 1000);
		store_unlock(cfd);
		_exit(0);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	assert_int_equal(read_report(pfd[0]), 'L');
	close(pfd[0]);
	t0 = now_ms();
	fd = store_lock_path(path, 10, &e);
	assert_true(fd >= 0);
	/* Polled, so taken soon after the release, not after a second. */
	assert_true(now_ms() - t0 < 2000);
	store_unlock(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(path);
}

/*
 * The interrupt flag stays set for the life of a process: the waiting
 * side runs in a child, which SIGINTs itself through a grandchild.
 */
static void
store_lock_path__an_interrupt_ends_the_wait(void **state)
{
	struct tmpdir *t = *state;
	char *path = lock_path(t), *want;
	struct err e = { "" };
	char got[sizeof(e.msg) + 16] = "";
	int pfd[2], fd, status;
	ssize_t n;
	pid_t pid;

	fd = store_lock_path(path, 0, &e);
	assert_true(fd >= 0);
	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		struct err ce = { "" };
		pid_t me = getpid();
		long t0;

		close(pfd[0]);
		interrupt_install();
		if (fork() == 0) {
			usleep(200 * 1000);
			kill(me, SIGINT);
			_exit(0);
		}
		t0 = now_ms();
		if (store_lock_path(path, 60, &ce) >= 0)
			_exit(2);
		/* Far sooner than the 60 seconds it would have waited. */
		if (now_ms() - t0 > 5000)
			strcat(ce.msg, " (too late)");
		_exit(write(pfd[1], ce.msg, strlen(ce.msg)) > 0 ? 0 : 3);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	n = read(pfd[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (asprintf(&want, "interrupted while waiting for %s", path) < 0)
		fail_msg("asprintf");
	assert_string_equal(got, want);
	store_unlock(fd);
	free(want);
	free(path);
}

static void
store_path__joins_with_a_slash(void **state)
{
	char *p;

	(void)state;
	p = store_path("/etc/acmec", "account-key.pem");
	assert_string_equal(p, "/etc/acmec/account-key.pem");
	free(p);
	p = store_path("state", "live");
	assert_string_equal(p, "state/live");
	free(p);
}

/* ---------------------------------------------------------------- regular
 * Files that are not regular, modes and owners (store_read_private,
 * store_check_dir).
 */

/* "WHAT" with every %s replaced by path; new string. */
static char *
msg_for(const char *fmt, const char *path)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	for (const char *p = fmt; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 's') {
			fputs(path, fp);
			p++;
		} else
			fputc(*p, fp);
	}
	fclose(fp);
	return out;
}

static void
assert_msg(const struct err *e, const char *fmt, const char *path)
{
	char *want = msg_for(fmt, path);

	assert_string_equal(e->msg, want);
	free(want);
}

/* A file of mode with text in it; new path. */
static char *
file_with_mode(struct tmpdir *t, const char *name, mode_t mode)
{
	char *path = path_in(t->path, name);

	write_text(path, "secret\n");
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Run store_read_private with stderr caught: *err_out is new. */
static int
read_private_caught(const char *path, enum store_access access,
    char **data, char **err_out, struct err *e)
{
	char errpath[] = "/tmp/acmec-test-stderr-XXXXXX";
	int fd = mkstemp(errpath), saved, rc;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	rc = store_read_private(path, 1024, access, data, NULL, e);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	*err_out = read_file(errpath, NULL);
	unlink(errpath);
	return rc;
}

#define NOT_REGULAR \
	"%s is not a regular file (%s); acmec reads only regular files: " \
	"give the path of one"

static void
store_read__refuses_a_fifo_at_once(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "privkey.pem"), *data = NULL, *want;
	struct err e = { "" };

	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);	/* a hang here is the bug: fail rather than wait */
	assert_int_equal(store_read(path, 1024, &data, NULL, &e), -1);
	alarm(0);
	assert_null(data);
	if (asprintf(&want, NOT_REGULAR, path, "a FIFO") < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	free(want);
	free(path);
}

static void
store_read__refuses_a_directory_and_a_socket(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "dir"), *sock = path_in(t->path, "sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *data = NULL, *want;
	struct err e = { "" };
	int fd;

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(store_read(dir, 1024, &data, NULL, &e), -1);
	if (asprintf(&want, NOT_REGULAR, dir, "a directory") < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	free(want);
	/* open(2) of a socket fails (ENXIO): the message still says what. */
	assert_true(strlen(sock) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(store_read(sock, 1024, &data, NULL, &e), -1);
	if (asprintf(&want, NOT_REGULAR, sock, "a socket") < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	close(fd);
	free(want);
	free(sock);
	free(dir);
}

static void
store_read__refuses_a_character_device(void **state)
{
	char *data = NULL;
	struct err e = { "" };

	(void)state;
	/* /dev/zero would never end: refused before the first read. */
	assert_int_equal(store_read("/dev/zero", 1024, &data, NULL, &e), -1);
	assert_string_equal(e.msg, "/dev/zero is not a regular file (a "
	    "character device); acmec reads only regular files: give the "
	    "path of one");
}

static void
store_read__follows_a_link_to_a_regular_file(void **state)
{
	struct tmpdir *t = *state;
	char *file = file_with_mode(t, "real", 0644);
	char *link = path_in(t->path, "link"), *data = NULL;
	struct err e = { "" };

	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(store_read(link, 1024, &data, NULL, &e), 0);
	assert_string_equal(data, "secret\n");
	free(data);
	free(link);
	free(file);
}

#define OTHERS \
	"%s can be read or written by other users (mode %s); chmod 600 %s"

static void
store_read_private__refuses_what_others_may_read_or_write(void **state)
{
	static const struct {
		mode_t			 mode;
		const char		*octal;
		enum store_access	 access;
	} bad[] = {
		{ 0644, "0644", STORE_GROUP_READ },
		{ 0604, "0604", STORE_GROUP_READ },
		{ 0602, "0602", STORE_GROUP_READ },
		{ 0620, "0620", STORE_GROUP_READ },
		{ 0666, "0666", STORE_PRIVATE },
		{ 0640, "0640", STORE_PRIVATE },
		{ 0440, "0440", STORE_PRIVATE },
	};
	struct tmpdir *t = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = file_with_mode(t, "key.pem", bad[i].mode);
		char *data = NULL, *want;
		struct err e = { "" };

		assert_int_equal(store_read_private(path, 1024, bad[i].access,
		    &data, NULL, &e), -1);
		assert_null(data);
		if (asprintf(&want, OTHERS, path, bad[i].octal, path) < 0)
			fail_msg("asprintf");
		assert_string_equal(e.msg, want);
		free(want);
		free(path);
	}
}

static void
store_read_private__reads_0600_and_0400_without_a_word(void **state)
{
	struct tmpdir *t = *state;
	const mode_t modes[] = { 0600, 0400 };

	for (size_t i = 0; i < 2; i++) {
		char *path = file_with_mode(t, "key.pem", modes[i]);
		char *data = NULL, *err;
		struct err e = { "" };

		assert_int_equal(read_private_caught(path, STORE_PRIVATE,
		    &data, &err, &e), 0);
		assert_string_equal(data, "secret\n");
		assert_string_equal(err, "");
		free(err);
		free(data);
		free(path);
	}
}

static void
store_read_private__warns_of_a_group_readable_certificate_key(void **state)
{
	struct tmpdir *t = *state;
	char *path = file_with_mode(t, "privkey.pem", 0640);
	char *data = NULL, *err, *want;
	struct err e = { "" };

	/* Debian's ssl-cert group: a warning, not a refusal. */
	assert_int_equal(read_private_caught(path, STORE_GROUP_READ, &data,
	    &err, &e), 0);
	assert_string_equal(data, "secret\n");
	if (asprintf(&want, "acmec: warning: %s is readable by its group "
	    "(mode 0640): fine for a group such as ssl-cert that only your "
	    "servers are in, else chmod 600 %s\n", path, path) < 0)
		fail_msg("asprintf");
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(data);
	free(path);
}

static void
store_read_private__store_warn_reads_a_world_readable_file(void **state)
{
	struct tmpdir *t = *state;
	char *path = file_with_mode(t, "eab", 0644);
	char *data = NULL, *err, *want;
	struct err e = { "" };

	assert_int_equal(read_private_caught(path, STORE_WARN, &data, &err,
	    &e), 0);
	assert_string_equal(data, "secret\n");
	if (asprintf(&want, "acmec: warning: " OTHERS "\n", path, "0644",
	    path) < 0)
		fail_msg("asprintf");
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(data);
	free(path);
}

static void
store_read_private__refuses_a_fifo_even_with_store_warn(void **state)
{
	struct tmpdir *t = *state;
	char *path = path_in(t->path, "eab"), *data = NULL;
	struct err e = { "" };
	char *want;

	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(store_read_private(path, 1024, STORE_WARN, &data,
	    NULL, &e), -1);
	alarm(0);
	if (asprintf(&want, NOT_REGULAR, path, "a FIFO") < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	free(want);
	free(path);
}

static void
store_read_private__follows_a_link_to_our_own_key(void **state)
{
	struct tmpdir *t = *state;
	char *file = file_with_mode(t, "real.pem", 0600);
	char *link = path_in(t->path, "privkey.pem"), *data = NULL;
	struct err e = { "" };

	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(store_read_private(link, 1024, STORE_PRIVATE, &data,
	    NULL, &e), 0);
	assert_string_equal(data, "secret\n");
	free(data);
	free(link);
	free(file);
}

/* Root only: no other way to have a file of another user. */
static void
store_read_private__refuses_a_link_to_another_users_file(void **state)
{
	struct tmpdir *t = *state;
	char *file, *link, *data = NULL;
	struct err e = { "" };

	if (geteuid() != 0)
		skip();
	file = file_with_mode(t, "theirs.pem", 0600);
	link = path_in(t->path, "privkey.pem");
	assert_int_equal(chown(file, 4242, 4242), 0);
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(store_read_private(link, 1024, STORE_GROUP_READ,
	    &data, NULL, &e), -1);
	assert_null(data);
	assert_msg(&e, "%s is a symbolic link to a file owned by uid 4242 "
	    "(neither root nor us), who could replace the key; copy the file "
	    "into place or chown it", link);
	/* The same file, not through a link: its owner put it there. */
	assert_int_equal(store_read_private(file, 1024, STORE_GROUP_READ,
	    &data, NULL, &e), 0);
	free(data);
	free(link);
	free(file);
}

static void
store_check_dir__refuses_a_directory_others_can_write(void **state)
{
	static const struct {
		mode_t		 mode;
		const char	*octal;
	} bad[] = {
		{ 0770, "0770" }, { 0702, "0702" }, { 0777, "0777" },
		{ 01777, "1777" },
	};
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "state");
	struct err e = { "" };

	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *want;

		assert_int_equal(chmod(dir, bad[i].mode), 0);
		assert_int_equal(store_check_dir(dir, &e), -1);
		if (asprintf(&want, "%s can be written by other users (mode "
		    "%s), who could replace the keys and records in it; "
		    "chmod 700 %s", dir, bad[i].octal, dir) < 0)
			fail_msg("asprintf");
		assert_string_equal(e.msg, want);
		free(want);
	}
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(store_check_dir(dir, &e), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(store_check_dir(dir, &e), 0);
	free(dir);
}

static void
store_check_dir__refuses_a_directory_of_another_user(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "state");
	struct err e = { "" };

	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, 4242, 4242), 0);
	assert_int_equal(store_check_dir(dir, &e), -1);
	assert_msg(&e, "%s is owned by uid 4242 (neither root nor us), who "
	    "could replace the keys and records in it; chown it to the user "
	    "acmec runs as", dir);
	free(dir);
}

/* ------------------------------------------- relative to a directory */

static void
store_write_at__replaces_a_link_without_following_it(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "d"), *target = path_in(t->path, "t");
	char *name = path_in(dir, "rec"), *got;
	struct err e = { "" };
	struct stat st;
	int dfd;

	write_text(target, "theirs");
	assert_true((dfd = store_open_dir(dir, &e)) >= 0);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(symlink(target, name), 0);
	assert_int_equal(store_write_at(dfd, dir, "rec", "ours", 4, 0600, &e),
	    0);
	close(dfd);
	assert_int_equal(lstat(name, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(mode_of(name), 0600);
	got = read_file(target, NULL);
	assert_string_equal(got, "theirs");
	free(got);
	assert_int_equal(count_entries(dir), 1);
	free(name);
	free(target);
	free(dir);
}

static void
store_read_at__tells_missing_from_refused(void **state)
{
	struct tmpdir *t = *state;
	char *dir = path_in(t->path, "d"), *fifo = path_in(dir, "fifo");
	char *open_file = path_in(dir, "open"), *data = NULL;
	struct err e = { "" };
	size_t len;
	int dfd;

	assert_true((dfd = store_open_dir(dir, &e)) >= 0);
	assert_int_equal(store_read_at(dfd, dir, "none", 100, &data, &len,
	    &e), 1);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(store_read_at(dfd, dir, "fifo", 100, &data, &len,
	    &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file (a FIFO)"));
	write_text(open_file, "x");
	assert_int_equal(chmod(open_file, 0640), 0);
	assert_int_equal(store_read_at(dfd, dir, "open", 100, &data, &len,
	    &e), -1);
	assert_non_null(strstr(e.msg, "mode 0640"));
	assert_int_equal(chmod(open_file, 0600), 0);
	assert_int_equal(store_read_at(dfd, dir, "open", 100, &data, &len,
	    &e), 0);
	assert_string_equal(data, "x");
	free(data);
	close(dfd);
	free(open_file);
	free(fifo);
	free(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(store_write_atomic__creates_with_mode_0600_despite_umask_022),
		T(store_write_atomic__creates_with_mode_0644),
		T(store_write_atomic__gives_the_requested_mode_under_a_strict_umask),
		T(store_write_atomic__replaces_existing_contents),
		T(store_write_atomic__replaces_a_file_of_another_mode),
		T(store_write_atomic__leaves_no_temporary_files),
		T(store_write_atomic__writes_empty_and_binary_data),
		T(store_write_atomic__fails_in_a_missing_directory_naming_the_file),
		T(store_mkdirs__creates_nested_directories_0700),
		T(store_mkdirs__leaves_existing_directories_as_they_are),
		T(store_mkdirs__fails_when_a_parent_is_a_file),
		T(store_mkdirs__fails_when_the_path_is_a_file),
		cmocka_unit_test(store_mkdirs__refuses_empty_path),
		T(store_read__reads_whole_file_nul_terminated),
		T(store_read__refuses_a_file_larger_than_max),
		T(store_read__reads_an_empty_file),
		T(store_read__fails_on_a_missing_file_naming_it),
		T(store_exists__tells_files_and_directories_from_nothing),
		T(store_lock_path__creates_the_lock_file_0600),
		T(store_lock_path__second_lock_on_the_same_path_times_out_with_the_message),
		T(store_lock_path__a_released_lock_is_taken),
		T(store_lock_path__says_once_that_it_waits),
		T(store_lock_path__refuses_a_symbolic_link),
		T(store_lock_path__another_process_cannot_take_a_held_lock),
		T(store_lock_path__waits_for_another_process_to_release),
		T(store_lock_path__an_interrupt_ends_the_wait),
		cmocka_unit_test(store_path__joins_with_a_slash),
		T(store_read__refuses_a_fifo_at_once),
		T(store_read__refuses_a_directory_and_a_socket),
		cmocka_unit_test(store_read__refuses_a_character_device),
		T(store_read__follows_a_link_to_a_regular_file),
		T(store_read_private__refuses_what_others_may_read_or_write),
		T(store_read_private__reads_0600_and_0400_without_a_word),
		T(store_read_private__warns_of_a_group_readable_certificate_key),
		T(store_read_private__store_warn_reads_a_world_readable_file),
		T(store_read_private__refuses_a_fifo_even_with_store_warn),
		T(store_read_private__follows_a_link_to_our_own_key),
		T(store_read_private__refuses_a_link_to_another_users_file),
		T(store_check_dir__refuses_a_directory_others_can_write),
		T(store_check_dir__refuses_a_directory_of_another_user),
		T(store_write_at__replaces_a_link_without_following_it),
		T(store_read_at__tells_missing_from_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
