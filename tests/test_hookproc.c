/*
 * test_hookproc.c - the hook runner: it runs the hooks it was started
 * with, with only the ACMEC_ variables, as the user acmec runs as, and
 * refuses any other command, variable or message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hookproc.h"
#include "ipc.h"
#include "str.h"
#include "testutil.h"

struct ctx {
	struct tmpdir	 t;
	char		*record;	/* a hook that writes DIR/seen */
	char		*failing;	/* one that exits 3 */
	char		*out;		/* T/out, with a/ in it */
	char		*state;		/* T/state, with live/a/ */
	char		*later;		/* T/gone/../later, none yet */
	struct hookproc	*hp;		/* both hooks; the three dirs */
};

/* dir, then dir/sub (one or two levels). */
static int
make_dirs(const char *dir, const char *sub)
{
	char *path = path_in(dir, sub), *slash;
	int rc = mkdir(dir, 0700);

	if ((slash = strchr(path + strlen(dir) + 1, '/')) != NULL) {
		*slash = '\0';
		rc |= mkdir(path, 0700);
		*slash = '/';
	}
	rc |= mkdir(path, 0700);
	free(path);
	return rc;
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct err e = { "" };
	char *body;

	if (c == NULL || tmpdir_create(&c->t, "hookproc") == -1)
		return -1;
	if (asprintf(&body, "printf '%%s|%%s|%%s|%%s\\n' \"$ACMEC_NAME\" "
	    "\"$ACMEC_OUT\" \"$*\" \"$(id -u)\" >%s/seen\n", c->t.path) < 0)
		return -1;
	c->record = script_in(c->t.path, "record.sh", body);
	free(body);
	c->failing = script_in(c->t.path, "fail.sh", "exit 3\n");
	c->out = path_in(c->t.path, "out");
	c->state = path_in(c->t.path, "state");
	c->later = path_in(c->t.path, "gone/../later");
	if (make_dirs(c->out, "a") == -1 || make_dirs(c->state, "live/a") == -1)
		return -1;
	{
		const char *const commands[] = { c->record, NULL, c->failing };
		const char *const dirs[] = { c->state, c->out, c->later,
		    NULL };

		if ((c->hp = hookproc_start(commands, 3, dirs, &e)) == NULL) {
			print_error("hookproc_start: %s\n", e.msg);
			return -1;
		}
	}
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	hookproc_free(c->hp);
	free(c->out);
	free(c->state);
	free(c->later);
	free(c->record);
	free(c->failing);
	tmpdir_remove(&c->t);
	free(c);
	return 0;
}

/* What the recording hook saw, or NULL if it did not run; new string. */
static char *
seen(const struct ctx *c)
{
	char *path = path_in(c->t.path, "seen"), *got = NULL;

	if (access(path, F_OK) == 0)
		got = read_file(path, NULL);
	free(path);
	return got;
}

static void
hookproc_run__runs_a_configured_hook_with_its_variables(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char *got, *out = str_fmt("ACMEC_OUT=%s/a", c->out), *want;
	const char *const env[] = { "ACMEC_NAME=a.example", out, NULL };

	assert_int_equal(hookproc_run(c->hp, c->record, env, &e), 0);
	got = seen(c);
	want = str_fmt("a.example|%s/a||%u\n", c->out, (unsigned)getuid());
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(out);
	/* The runner is not sandboxed: hooks run as acmec was started. */
	assert_int_equal(proc_status_field(only_child(), "NoNewPrivs"), 0);
}

static void
hookproc_run__refuses_a_command_it_was_not_started_with(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char *other;

	if (asprintf(&other, "%s extra", c->record) < 0)
		fail_msg("asprintf");
	assert_int_equal(hookproc_run(c->hp, other, NULL, &e), -1);
	assert_string_equal(e.msg, "the hook runner refused a command that "
	    "is not one of the configured hooks");
	assert_int_equal(hookproc_run(c->hp, "/bin/touch /tmp/x", NULL, &e),
	    -1);
	assert_null(seen(c));
	free(other);
}

static void
hookproc_run__refuses_variables_hooks_do_not_get(void **state)
{
	static const char *const preload[] = { "ACMEC_NAME=a",
	    "LD_PRELOAD=/tmp/evil.so", NULL };
	static const char *const path[] = { "PATH=/tmp", NULL };
	static const char *const prefix[] = { "ACMEC_NAMEX=a", NULL };
	static const char *const twice[] = { "ACMEC_NAME=a.example",
	    "ACMEC_NAME=b.example", NULL };
	struct ctx *c = *state;
	struct err e = { "" };

	assert_int_equal(hookproc_run(c->hp, c->record, preload, &e), -1);
	assert_string_equal(e.msg, "the hook runner refused a variable "
	    "hooks do not get");
	assert_int_equal(hookproc_run(c->hp, c->record, path, &e), -1);
	assert_int_equal(hookproc_run(c->hp, c->record, prefix, &e), -1);
	assert_int_equal(hookproc_run(c->hp, c->record, twice, &e), -1);
	assert_string_equal(e.msg, "the hook runner refused ACMEC_NAME: "
	    "given twice");
	assert_null(seen(c));
}

/* One variable, NAME=value, to the recording hook: its outcome. */
static int
run_with(struct ctx *c, const char *variable, struct err *e)
{
	const char *const env[] = { variable, NULL };

	return hookproc_run(c->hp, c->record, env, e);
}

static void
hookproc_run__refuses_values_acmec_does_not_give(void **state)
{
	static const char *const refused[] = {
		"ACMEC_OUT=/tmp/evil", "ACMEC_OUT=/", "ACMEC_OUT=",
		"ACMEC_NAME=a.example; reboot",
		"ACMEC_NAME=a.example b.example",
		"ACMEC_NAME=", "ACMEC_NAMES=a.example\nb.example",
		"ACMEC_NAMES=a.example  b.example", "ACMEC_NAMES=a.example ",
		"ACMEC_FAILED=a  b", "ACMEC_FAILED= a", "ACMEC_FAILED=a\tb",
		"ACMEC_FAILURES=a (a.example): \033[2J",
	};
	struct ctx *c = *state;
	struct err e = { "" };
	char *out[4], *link = path_in(c->out, "link");

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		assert_int_equal(run_with(c, refused[i], &e), -1);
		assert_contains(e.msg, "the hook runner refused ACMEC_");
	}
	/* A sibling: the same first bytes, another directory. */
	out[0] = str_fmt("ACMEC_OUT=%sx", c->out);
	assert_int_equal(run_with(c, out[0], &e), -1);
	assert_string_equal(e.msg, "the hook runner refused ACMEC_OUT: not "
	    "a directory acmec writes");
	/* Beneath, as a string, but not on the way there. */
	out[1] = str_fmt("ACMEC_OUT=%s/../etc", c->out);
	out[2] = str_fmt("ACMEC_OUT=%s/..", c->state);
	out[3] = str_fmt("ACMEC_OUT=%s", link);
	/* A link the main process made in its directory, to elsewhere. */
	assert_int_equal(symlink(c->t.path, link), 0);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(run_with(c, out[i], &e), -1);
		assert_string_equal(e.msg, "the hook runner refused "
		    "ACMEC_OUT: it leads outside the directories acmec writes");
	}
	assert_null(seen(c));
	for (size_t i = 0; i < 4; i++)
		free(out[i]);
	free(link);
}

static void
hookproc_run__takes_the_values_acmec_gives(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char *out = str_fmt("ACMEC_OUT=%s", c->out);
	char *live = str_fmt("ACMEC_OUT=%s/live/a/", c->state), *got;
	/* As given: --out /etc/ssl/../acmec/a is a directory all the same. */
	char *dotted = str_fmt("ACMEC_OUT=%s/a/../a", c->out);
	/* Made since the runner started, as mkdir -p makes it. */
	char *made = str_fmt("ACMEC_OUT=%s", c->later), *dir;
	const char *const taken[] = {
		out, live, dotted, made,
		"ACMEC_NAME=*.a.example", "ACMEC_NAME=2001:db8::1",
		"ACMEC_NAMES=a.example www.a.example 192.0.2.1",
		"ACMEC_FAILED=a b[1]", "ACMEC_FAILED=",
		"ACMEC_FAILURES=a (a.example): no\n"
		    "b[1] (b.example): \xc3\xa9t\xc3\xa9",
	};

	assert_int_equal(mkdir(dir = path_in(c->t.path, "gone"), 0700), 0);
	free(dir);
	assert_int_equal(mkdir(dir = path_in(c->t.path, "later"), 0700), 0);
	free(dir);
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
		if (run_with(c, taken[i], &e) == -1)
			fail_msg("%s: %s", taken[i], e.msg);
		assert_non_null(got = seen(c));
		free(got);
	}
	free(out);
	free(live);
	free(dotted);
	free(made);
}

static void
hookproc_run__reports_how_a_hook_failed(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char want[512];

	assert_int_equal(hookproc_run(c->hp, c->failing, NULL, &e), -1);
	snprintf(want, sizeof want, "hook \"%s\" failed (exit status 3)",
	    c->failing);
	assert_string_equal(e.msg, want);
	/* And the runner goes on. */
	assert_int_equal(hookproc_run(c->hp, c->record, NULL, &e), 0);
}

static void
hookproc_run__fails_naming_a_runner_that_ended(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };

	assert_int_equal(kill(only_child(), SIGKILL), 0);
	assert_int_equal(hookproc_run(c->hp, c->record, NULL, &e), -1);
	assert_contains(e.msg, "the hook runner");
	assert_null(seen(c));
}

static void
hookproc_run__without_a_runner_runs_the_hook_here(void **state)
{
	struct ctx *c = *state;
	struct err e = { "" };
	char *got;

	assert_int_equal(hookproc_run(NULL, c->record, NULL, &e), 0);
	assert_non_null(got = seen(c));
	free(got);
}

/* A message of type with len bytes of body; new. */
static struct ipc_msg *
message(enum ipc_type type, const char *body, size_t len)
{
	struct ipc_msg *m = calloc(1, sizeof(*m) + len + 1);

	assert_non_null(m);
	m->type = type;
	m->len = len;
	memcpy(m->body, body, len);
	return m;
}

static void
hookproc_check__refuses_malformed_requests(void **state)
{
	static const char *const commands[] = { "/bin/true" };
	static const char *const dirs[] = { "/x", NULL };
	static const char ok[] = "/bin/true\0ACMEC_OUT=/x";
	const char *command, *env[HOOKPROC_ENV_MAX + 1];
	struct ipc_msg *m;
	struct err e = { "" };

	(void)state;
	/* Every string ends in a NUL; the last one is missing here. */
	m = message(IPC_HOOK_RUN, ok, sizeof ok - 1);
	assert_int_equal(hookproc_check(m, commands, 1, dirs, &command, env,
	    &e), -1);
	assert_string_equal(e.msg, "the hook runner refused a message that "
	    "is not a hook request");
	ipc_msg_free(m);
	m = message(IPC_HOOK_RUN, ok, sizeof ok);
	assert_int_equal(hookproc_check(m, commands, 1, dirs, &command, env,
	    &e), 0);
	assert_string_equal(command, "/bin/true");
	assert_string_equal(env[0], "ACMEC_OUT=/x");
	assert_null(env[1]);
	ipc_msg_free(m);
	m = message(IPC_SIGN, ok, sizeof ok);
	assert_int_equal(hookproc_check(m, commands, 1, dirs, &command, env,
	    &e), -1);
	ipc_msg_free(m);
	m = message(IPC_HOOK_RUN, "", 0);
	assert_int_equal(hookproc_check(m, commands, 1, dirs, &command, env,
	    &e), -1);
	ipc_msg_free(m);
	/* A variable without "=" is no variable. */
	m = message(IPC_HOOK_RUN, "/bin/true\0ACMEC_OUT", 20);
	assert_int_equal(hookproc_check(m, commands, 1, dirs, &command, env,
	    &e), -1);
	ipc_msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    hookproc_run__runs_a_configured_hook_with_its_variables,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__refuses_a_command_it_was_not_started_with,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__refuses_variables_hooks_do_not_get,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__refuses_values_acmec_does_not_give,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__takes_the_values_acmec_gives,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__reports_how_a_hook_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__fails_naming_a_runner_that_ended,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    hookproc_run__without_a_runner_runs_the_hook_here,
		    setup, teardown),
		cmocka_unit_test(hookproc_check__refuses_malformed_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
