/*
 * test_hook.c - hooks: split at spaces, run without a shell, data in the
 * environment, nothing inherited but 0, 1 and 2, exit status reported,
 * killed with their children after the timeout, which a step of the wall
 * clock does not shorten.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eab.h"
#include "err.h"
#include "hook.h"
#include "testutil.h"

/*
 * time() as a wall clock that steps a year ahead after its first call
 * once wall_step is set (an NTP correction, a clock set by hand).
 */
static bool wall_step;
static int wall_calls;

time_t __real_time(time_t *t);
time_t __wrap_time(time_t *t);

time_t
__wrap_time(time_t *t)
{
	time_t now = __real_time(NULL);

	if (wall_step && wall_calls++ > 0)
		now += 365 * 86400L;
	if (t != NULL)
		*t = now;
	return now;
}

static const char *const deploy_env[] = {
	"ACMEC_OUT=/etc/acmec/live/x",
	"ACMEC_NAMES=x y",
	NULL
};

static int
setup(void **state)
{
	return tmpdir_setup(state, "hook");
}

/* A script that records its arguments and environment in DIR/seen. */
static char *
recording_script(const struct tmpdir *t)
{
	char *body, *path;

	if (asprintf(&body, "printf '%%s|%%s|%%s|%%s\\n' \"$ACMEC_OUT\" "
	    "\"$ACMEC_NAMES\" \"$#\" \"$*\" >%s/seen\n", t->path) < 0)
		fail_msg("asprintf");
	path = script_in(t->path, "record.sh", body);
	free(body);
	return path;
}

/* What the recording script saw; new string. */
static char *
seen(const struct tmpdir *t)
{
	char *path = path_in(t->path, "seen"), *got;

	got = read_file(path, NULL);
	free(path);
	return got;
}

static void
hook_run__passes_words_and_environment_without_a_shell(void **state)
{
	struct tmpdir *t = *state;
	char *rec = recording_script(t), *cmd, *got;
	struct err e = { "" };

	/* Quotes and $ mean nothing: no shell parses the command. */
	if (asprintf(&cmd, "%s  reload '$HOME' a;b", rec) < 0)
		fail_msg("asprintf");
	assert_int_equal(hook_run(cmd, deploy_env, 10, &e), 0);
	got = seen(t);
	assert_string_equal(got, "/etc/acmec/live/x|x y|3|reload '$HOME' a;b\n");
	free(got);
	free(cmd);
	free(rec);
}

static void
hook_run__env_values_arrive_as_given_and_replace_inherited_ones(
    void **state)
{
	static const char *const env[] = {
		"ACMEC_OUT=/out/with = sign",
		"ACMEC_NAMES=",
		NULL
	};
	struct tmpdir *t = *state;
	char *rec = recording_script(t), *got;
	struct err e = { "" };

	/* A stale value in our own environment must not win. */
	assert_int_equal(setenv("ACMEC_OUT", "stale", 1), 0);
	assert_int_equal(hook_run(rec, env, 10, &e), 0);
	unsetenv("ACMEC_OUT");
	got = seen(t);
	assert_string_equal(got, "/out/with = sign||0|\n");
	free(got);
	free(rec);
}

static void
hook_run__passes_our_environment_and_accepts_no_additions(void **state)
{
	struct tmpdir *t = *state;
	char *rec = recording_script(t), *got;
	struct err e = { "" };

	assert_int_equal(setenv("ACMEC_NAMES", "inherited", 1), 0);
	assert_int_equal(hook_run(rec, NULL, 10, &e), 0);
	unsetenv("ACMEC_NAMES");
	got = seen(t);
	assert_string_equal(got, "|inherited|0|\n");
	free(got);
	free(rec);
}

/* ACMEC_EAB_HMAC_KEY is a secret for acmec alone. */
static void
hook_run__keeps_the_eab_key_out_of_the_hook(void **state)
{
	struct tmpdir *t = *state;
	char *body, *rec, *got;
	struct err e = { "" };

	if (asprintf(&body, "printf '%%s|%%s\\n' \"${%s-unset}\" "
	    "\"$ACMEC_NAMES\" >%s/seen\n", EAB_KEY_ENV, t->path) < 0)
		fail_msg("asprintf");
	rec = script_in(t->path, "record.sh", body);
	assert_int_equal(setenv(EAB_KEY_ENV, "c2VjcmV0", 1), 0);
	assert_int_equal(setenv("ACMEC_NAMES", "inherited", 1), 0);
	assert_int_equal(hook_run(rec, NULL, 10, &e), 0);
	unsetenv(EAB_KEY_ENV);
	unsetenv("ACMEC_NAMES");
	got = seen(t);
	assert_string_equal(got, "unset|inherited\n");
	free(got);
	free(rec);
	free(body);
}

static void
hook_run__refuses_an_env_entry_without_a_name(void **state)
{
	static const char *const no_equals[] = { "ACMEC_OUT", NULL };
	static const char *const no_name[] = { "=x", NULL };
	struct err e = { "" };

	(void)state;
	assert_int_equal(hook_run("true", no_equals, 10, &e), -1);
	assert_non_null(strstr(e.msg, "\"ACMEC_OUT\" is not NAME=value"));
	assert_int_equal(hook_run("true", no_name, 10, &e), -1);
	assert_non_null(strstr(e.msg, "\"=x\" is not NAME=value"));
}

/*
 * The hook's shell lists which of 0..9 it has open.  dash and bash keep
 * the script itself open at 10 or above, so 3..9 are ours to test with.
 */
static void
hook_run__the_hook_sees_only_descriptors_0_1_and_2(void **state)
{
	struct tmpdir *t = *state;
	char *lister, *body, *got, want[32] = "fds:";
	struct err e = { "" };
	int extra, nine;

	if (access("/proc/self/fd", F_OK) == -1)
		skip();
	if (asprintf(&body, "seen=\n"
	    "for n in 0 1 2 3 4 5 6 7 8 9; do\n"
	    "\t[ -e /proc/$$/fd/$n ] && seen=\"$seen $n\"\n"
	    "done\n"
	    "printf 'fds:%%s\\n' \"$seen\" >%s/seen\n", t->path) < 0)
		fail_msg("asprintf");
	lister = script_in(t->path, "fds.sh", body);
	/* Like the CA socket and the lock file: open, no FD_CLOEXEC. */
	extra = open(lister, O_RDONLY);
	assert_true(extra >= 3);
	nine = dup2(extra, 9);
	assert_int_equal(nine, 9);
	assert_int_equal(hook_run(lister, NULL, 10, &e), 0);
	for (int fd = 0; fd <= 2; fd++) {
		size_t used = strlen(want);

		if (fcntl(fd, F_GETFD) != -1)
			snprintf(want + used, sizeof(want) - used, " %d", fd);
	}
	strcat(want, "\n");
	got = seen(t);
	assert_string_equal(got, want);
	close(nine);
	close(extra);
	free(got);
	free(body);
	free(lister);
}

static void
hook_run__reports_the_exit_status_of_a_failing_program(void **state)
{
	struct tmpdir *t = *state;
	char *three = script_in(t->path, "three.sh", "exit 3\n");
	struct err e = { "" };
	char *want;

	assert_int_equal(hook_run("false", NULL, 10, &e), -1);
	assert_string_equal(e.msg, "hook \"false\" failed (exit status 1)");
	assert_int_equal(hook_run(three, deploy_env, 10, &e), -1);
	if (asprintf(&want, "hook \"%s\" failed (exit status 3)", three) < 0)
		fail_msg("asprintf");
	assert_string_equal(e.msg, want);
	/* Not tied to one option: a config key may name the hook too. */
	assert_null(strstr(e.msg, "--deploy-hook"));
	free(want);
	free(three);
}

static void
hook_run__reports_the_signal_that_killed_the_program(void **state)
{
	struct tmpdir *t = *state;
	char *term = script_in(t->path, "term.sh", "kill -TERM $$\nsleep 5\n");
	struct err e = { "" };

	assert_int_equal(hook_run(term, NULL, 10, &e), -1);
	assert_non_null(strstr(e.msg, "failed (killed by signal 15)"));
	assert_non_null(strstr(e.msg, term));
	free(term);
}

static void
hook_run__a_step_of_the_wall_clock_does_not_end_the_hook(void **state)
{
	struct tmpdir *t = *state;
	char *slow = script_in(t->path, "slow.sh", "sleep 0.3\n");
	struct err e = { "" };
	int rc;

	wall_step = true;
	wall_calls = 0;
	rc = hook_run(slow, deploy_env, 10, &e);
	wall_step = false;
	if (rc != 0)
		fail_msg("hook_run: %s", e.msg);
	free(slow);
}

static void
hook_run__reports_a_missing_program(void **state)
{
	struct err e = { "" };

	(void)state;
	assert_int_equal(hook_run("/nonexistent/reload now", deploy_env, 10,
	    &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/reload now"));
	assert_non_null(strstr(e.msg, "exit status 127"));
}

static void
hook_run__refuses_an_empty_or_overlong_command(void **state)
{
	struct err e = { "" };
	char many[400] = "true";

	(void)state;
	assert_int_equal(hook_run("   ", deploy_env, 10, &e), -1);
	assert_non_null(strstr(e.msg, "empty"));
	for (int i = 0; i < 80; i++)
		strcat(many, " w");
	assert_int_equal(hook_run(many, deploy_env, 10, &e), -1);
	assert_non_null(strstr(e.msg, "too many words"));
}

/* Gone, or a zombie nobody reaped yet (pid 1 may be slow to). */
static int
is_dead(pid_t pid)
{
	char path[64], *stat, *close_paren;
	int dead;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (access(path, R_OK) == -1)
		return 0;
	stat = read_file(path, NULL);
	close_paren = strrchr(stat, ')');
	dead = close_paren != NULL && close_paren[1] == ' ' &&
	    close_paren[2] == 'Z';
	free(stat);
	return dead;
}

static void
hook_run__kills_a_hook_that_outlives_its_timeout_with_its_children(
    void **state)
{
	struct tmpdir *t = *state;
	char *body, *slow, *pidfile, *text;
	struct err e = { "" };
	time_t start = time(NULL);
	pid_t child;
	int i;

	pidfile = path_in(t->path, "child.pid");
	if (asprintf(&body, "sleep 30 &\necho $! >%s\nsleep 30\n",
	    pidfile) < 0)
		fail_msg("asprintf");
	slow = script_in(t->path, "slow.sh", body);
	assert_int_equal(hook_run(slow, deploy_env, 1, &e), -1);
	assert_non_null(strstr(e.msg, "did not finish within 1 seconds"));
	assert_non_null(strstr(e.msg, slow));
	assert_true(time(NULL) - start < 10);
	text = read_file(pidfile, NULL);
	child = (pid_t)atol(text);
	assert_true(child > 0);
	for (i = 0; i < 40 && !is_dead(child); i++)
		usleep(50 * 1000);
	if (!is_dead(child)) {
		kill(child, SIGKILL);
		fail_msg("the hook's child %ld outlived it", (long)child);
	}
	free(text);
	free(slow);
	free(body);
	free(pidfile);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(hook_run__passes_words_and_environment_without_a_shell),
		T(hook_run__env_values_arrive_as_given_and_replace_inherited_ones),
		T(hook_run__passes_our_environment_and_accepts_no_additions),
		T(hook_run__keeps_the_eab_key_out_of_the_hook),
		cmocka_unit_test(hook_run__refuses_an_env_entry_without_a_name),
		T(hook_run__the_hook_sees_only_descriptors_0_1_and_2),
		T(hook_run__reports_the_exit_status_of_a_failing_program),
		T(hook_run__reports_the_signal_that_killed_the_program),
		cmocka_unit_test(hook_run__reports_a_missing_program),
		cmocka_unit_test(hook_run__refuses_an_empty_or_overlong_command),
		T(hook_run__kills_a_hook_that_outlives_its_timeout_with_its_children),
		T(hook_run__a_step_of_the_wall_clock_does_not_end_the_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
