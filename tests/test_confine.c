/*
 * test_confine.c - the main process's confinement: which directories it
 * keeps, and, in a child that enters it, that files change only beneath
 * them, that no program starts and that no file's mode changes by name.
 * Children leave with _exit() (see test_sandbox.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "sandbox.h"
#include "testutil.h"

static int
setup(void **state)
{
	return tmpdir_setup(state, "confine");
}

static void
confine_add__keeps_each_directory_once(void **state)
{
	struct cert_spec spec = { .out_dir = "/srv/out", .webroot = "/var/www" };
	const char *const memcached[] = { "127.0.0.1:11211", NULL };
	struct confine c;
	struct err e = { "" };

	(void)state;
	confine_init(&c);
	assert_int_equal(confine_add_dir(&c, NULL, &e), 0);
	assert_int_equal(confine_add_spec(&c, &spec, &e), 0);
	assert_int_equal(confine_add_dir(&c, "/var/www", &e), 0);
	assert_int_equal(confine_add_parent(&c, "/var/lib/m/acmec.prom", &e),
	    0);
	assert_int_equal(confine_add_parent(&c, "/top", &e), 0);
	assert_int_equal(confine_add_parent(&c, "here.prom", &e), 0);
	/* A memcached sink writes no file; the default out dir is state's. */
	spec.memcached = memcached;
	spec.out_dir = NULL;
	spec.webroot = "/var/www/other";
	assert_int_equal(confine_add_spec(&c, &spec, &e), 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.dirs[0], "/srv/out");
	assert_string_equal(c.dirs[1], "/var/www");
	assert_string_equal(c.dirs[2], "/var/lib/m");
	assert_string_equal(c.dirs[3], "/");
	assert_string_equal(c.dirs[4], ".");
	assert_null(c.dirs[5]);
	confine_free(&c);
	assert_int_equal(c.n, 0);
}

static void
confine__keeps_everything_without_a_network_process_or_sandbox(void **state)
{
	struct config cfg;
	struct confine c;
	const char *hooks[] = { "/bin/true" };
	struct err e = { "" };

	(void)state;
	config_defaults(&cfg);
	confine_init(&c);
	/* Tests talk to a fake CA in this process: nothing is given up. */
	assert_int_equal(confine_start_hooks(&c, &cfg, hooks, 1, &e), 0);
	assert_null(c.hooks);
	assert_int_equal(confine_enter(&cfg, &e), 0);
	assert_int_equal(proc_status_field(getpid(), "NoNewPrivs"), 0);
	confine_free(&c);
}

static int
child_failed(int line, const char *what)
{
	dprintf(2, "test_confine.c:%d: confined, not true: %s (errno %d)\n",
	    line, what, errno);
	return 1;
}
#define CHECK(c) do { if (!(c)) return child_failed(__LINE__, #c); } while (0)

/* confine_enter as session_connect calls it, keeping state and out. */
static int
enter(char *state, char *out)
{
	static int network;	/* confine_enter only asks whether there is one */
	const char *dirs[] = { out, NULL };
	struct config cfg;
	struct err e = { "" };

	config_defaults(&cfg);
	cfg.state_dir = state;
	cfg.network = (struct netproc *)&network;
	cfg.write_dirs = dirs;
	if (confine_enter(&cfg, &e) == -1) {
		dprintf(2, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

static int
writes_only_where_it_may(void *arg)
{
	const struct tmpdir *t = arg;
	char state[128], out[128], path[256];
	int fd, status;
	pid_t pid;

	/* Made, and only it kept, not t/state. */
	snprintf(state, sizeof state, "%s/state/made", t->path);
	/* Not made yet: allowed through t/parent, where it will be. */
	snprintf(out, sizeof out, "%s/parent/out/site", t->path);
	if (enter(state, out) == -1)
		return 2;
	CHECK(mode_of(state) == 0700);
	snprintf(path, sizeof path, "%s/state/beside", t->path);
	CHECK(open(path, O_WRONLY | O_CREAT, 0600) == -1 && errno == EACCES);
	snprintf(path, sizeof path, "%s/record.json", state);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	CHECK(fchmod(fd, 0640) == 0);
	close(fd);
	CHECK(rename(path, path) == 0 && unlink(path) == 0);
	snprintf(path, sizeof path, "%s/parent/out", t->path);
	CHECK(mkdir(path, 0700) == 0 && mkdir(out, 0700) == 0);
	/* Beside them, and anywhere else: refused. */
	snprintf(path, sizeof path, "%s/other", t->path);
	CHECK(open(path, O_WRONLY | O_CREAT, 0600) == -1 && errno == EACCES);
	CHECK(mkdir(path, 0700) == -1 && errno == EACCES);
	CHECK(symlink("/etc/passwd", path) == -1 && errno == EACCES);
	snprintf(path, sizeof path, "%s/old", t->path);
	CHECK(open(path, O_WRONLY) == -1 && errno == EACCES);
	CHECK(unlink(path) == -1 && errno == EACCES);
	CHECK((fd = open(path, O_RDONLY)) != -1);
	close(fd);
	/* A mode or owner changes only through a descriptor. */
	CHECK(chmod(path, 0666) == -1 && errno == EPERM);
	CHECK(chown(path, 0, 0) == -1 && errno == EPERM);
	/* It still starts the key processes. */
	CHECK((pid = fork()) != -1);
	if (pid == 0)
		_exit(0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	return 0;
}

static int
starts_no_program(void *arg)
{
	const struct tmpdir *t = arg;
	char state[128];

	snprintf(state, sizeof state, "%s/state", t->path);
	if (enter(state, state) == -1)
		return 2;
	execl("/bin/true", "true", (char *)NULL);
	return child_failed(__LINE__, "execl returned");
}

/* Skip where the kernel lacks a layer, or under valgrind (test_sandbox.c). */
static void
skip_unless_confinable(void)
{
	struct sandbox_kernel k;

	sandbox_probe(&k);
	if (k.valgrind || !k.seccomp || k.landlock_abi == 0) {
		print_message("skipped: %s\n", k.valgrind ? "under valgrind" :
		    "this kernel lacks seccomp or Landlock");
		skip();
	}
}

/* t/state, t/parent, and t/old (0644) that no confined child may change. */
static void
make_tree(const struct tmpdir *t)
{
	char *state = path_in(t->path, "state");
	char *parent = path_in(t->path, "parent");
	char *old = path_in(t->path, "old");

	assert_int_equal(mkdir(state, 0700), 0);
	assert_int_equal(mkdir(parent, 0700), 0);
	write_text(old, "old\n");
	assert_int_equal(chmod(old, 0644), 0);
	free(state);
	free(parent);
	free(old);
}

static void
confine_enter__changes_files_only_beneath_its_directories(void **state)
{
	struct tmpdir *t = *state;
	char *old = path_in(t->path, "old"), *text;
	int status;

	skip_unless_confinable();
	make_tree(t);
	status = in_child(writes_only_where_it_may, t);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(mode_of(old), 0644);
	assert_string_equal(text = read_file(old, NULL), "old\n");
	free(text);
	free(old);
}

static void
confine_enter__kills_the_process_that_starts_a_program(void **state)
{
	struct tmpdir *t = *state;
	int status;

	skip_unless_confinable();
	make_tree(t);
	status = in_child(starts_no_program, t);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(confine_add__keeps_each_directory_once),
		cmocka_unit_test(
		    confine__keeps_everything_without_a_network_process_or_sandbox),
		cmocka_unit_test_setup_teardown(
		    confine_enter__changes_files_only_beneath_its_directories,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    confine_enter__kills_the_process_that_starts_a_program,
		    setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
