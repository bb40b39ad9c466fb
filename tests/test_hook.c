/*
 * test_hook.c - the deploy hook: split at spaces, run without a shell,
 * data in the environment, exit status reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "err.h"
#include "hook.h"
#include "testutil.h"

static int
setup(void **state)
{
	return tmpdir_setup(state, "hook");
}

/* A script that records its arguments and environment in DIR/seen. */
static char *
recording_script(const struct tmpdir *t)
{
	char *script = path_in(t->path, "record.sh"), *text;

	if (asprintf(&text, "#!/bin/sh\n"
	    "printf '%%s|%%s|%%s|%%s\\n' \"$ACMEC_OUT\" \"$ACMEC_NAMES\" "
	    "\"$#\" \"$*\" >%s/seen\n", t->path) < 0)
		fail_msg("asprintf");
	write_text(script, text);
	free(text);
	if (chmod(script, 0755) == -1)
		fail_msg("chmod %s", script);
	return script;
}

static void
hook_run__passes_words_and_environment_without_a_shell(void **state)
{
	struct tmpdir *t = *state;
	char *script = recording_script(t), *cmd, *seen, *got;
	struct err e = { "" };

	/* Quotes and $ mean nothing: no shell parses the command. */
	if (asprintf(&cmd, "%s  reload '$HOME' a;b", script) < 0)
		fail_msg("asprintf");
	assert_int_equal(hook_run(cmd, "/etc/acmec/live/x", "x y", 10, &e), 0);
	seen = path_in(t->path, "seen");
	got = read_file(seen, NULL);
	assert_string_equal(got, "/etc/acmec/live/x|x y|3|reload '$HOME' a;b\n");
	free(got);
	free(seen);
	free(cmd);
	free(script);
}

static void
hook_run__reports_a_failing_program(void **state)
{
	struct err e = { "" };

	(void)state;
	assert_int_equal(hook_run("false", "/out", "x", 10, &e), -1);
	assert_non_null(strstr(e.msg, "\"false\" failed"));
}

static void
hook_run__reports_a_missing_program(void **state)
{
	struct err e = { "" };

	(void)state;
	assert_int_equal(hook_run("/nonexistent/reload now", "/out", "x", 10,
	    &e),
	    -1);
	assert_non_null(strstr(e.msg, "/nonexistent/reload now"));
}

static void
hook_run__refuses_an_empty_or_overlong_command(void **state)
{
	struct err e = { "" };
	char many[400] = "true";

	(void)state;
	assert_int_equal(hook_run("   ", "/out", "x", 10, &e), -1);
	assert_non_null(strstr(e.msg, "empty"));
	for (int i = 0; i < 80; i++)
		strcat(many, " w");
	assert_int_equal(hook_run(many, "/out", "x", 10, &e), -1);
	assert_non_null(strstr(e.msg, "too many words"));
}

static void
hook_run__kills_a_hook_that_outlives_its_timeout(void **state)
{
	struct err e = { "" };
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(hook_run("sleep 30", "/out", "x", 1, &e), -1);
	assert_non_null(strstr(e.msg, "did not finish within 1 seconds"));
	assert_true(time(NULL) - start < 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    hook_run__passes_words_and_environment_without_a_shell,
		    setup, tmpdir_teardown),
		cmocka_unit_test(hook_run__reports_a_failing_program),
		cmocka_unit_test(hook_run__reports_a_missing_program),
		cmocka_unit_test(hook_run__refuses_an_empty_or_overlong_command),
		cmocka_unit_test(hook_run__kills_a_hook_that_outlives_its_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
