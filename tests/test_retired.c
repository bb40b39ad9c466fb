/*
 * test_retired.c - the record of retired keys: an added key is found and
 * nothing else is; a damaged, linked or open record is refused on lookup
 * and kept (in place or aside) when a key is added, never emptied.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "retired.h"
#include "testutil.h"

/* Two key ids (test_key checks how they are made). */
#define ID_A "f8666ddb6f38ba6979b6d98779393ad031dc28fdb245e01a28d68ce64e74335d"
#define ID_B "0000000000000000000000000000000000000000000000000000000000000001"

static int
setup(void **state)
{
	return tmpdir_setup(state, "retired");
}

static char *
record_path(const struct tmpdir *t)
{
	return path_in(t->path, RETIRED_FILE);
}

static void
retired_lookup__finds_nothing_without_a_record(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *missing = path_in(t->path, "no-such-dir");

	assert_int_equal(retired_lookup(t->path, ID_A, NULL, &e), 0);
	assert_int_equal(retired_lookup(missing, ID_A, NULL, &e), 0);
	free(missing);
}

static void
retired_add__records_a_key_0600_that_lookup_finds_with_its_note(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = record_path(t), *note = NULL, *text;

	assert_int_equal(retired_add(t->path, ID_A, "keyCompromise: c.pem",
	    &e), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(retired_lookup(t->path, ID_A, &note, &e), 1);
	assert_contains(note, "Z keyCompromise: c.pem");
	assert_int_equal(retired_lookup(t->path, ID_B, NULL, &e), 0);
	text = read_file(path, NULL);
	assert_contains(text, "# Keys acmec has retired");
	free(text);
	free(note);
	free(path);
}

static void
retired_add__keeps_earlier_keys_and_adds_each_once(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = record_path(t), *text, *first;

	assert_int_equal(retired_add(t->path, ID_A, "one", &e), 0);
	assert_int_equal(retired_add(t->path, ID_B, "two", &e), 0);
	assert_int_equal(retired_add(t->path, ID_A, "third", &e), 0);
	text = read_file(path, NULL);
	assert_non_null(first = strstr(text, ID_A " "));
	assert_null(strstr(first + 1, ID_A));
	assert_null(strstr(text, "third"));
	assert_contains(text, ID_B " ");
	assert_int_equal(retired_lookup(t->path, ID_A, NULL, &e), 1);
	assert_int_equal(retired_lookup(t->path, ID_B, NULL, &e), 1);
	free(text);
	free(path);
}

static void
retired_add__turns_control_characters_in_the_note_into_marks(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = record_path(t), *text;

	assert_int_equal(retired_add(t->path, ID_A, "a\n" ID_B " b", &e), 0);
	assert_int_equal(retired_lookup(t->path, ID_B, NULL, &e), 0);
	text = read_file(path, NULL);
	assert_contains(text, "a?" ID_B " b\n");
	free(text);
	free(path);
}

static void
retired_lookup__refuses_a_damaged_line_and_add_keeps_it(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = record_path(t), *text;

	write_text(path, "# comment\n" ID_B " ok\nnot a key\n");
	chmod(path, 0600);
	assert_int_equal(retired_lookup(t->path, ID_A, NULL, &e), -1);
	assert_contains(e.msg, "line 3, is not a key id");
	assert_contains(e.msg, "repair");
	/* A key that is there is still found: it is refused either way. */
	assert_int_equal(retired_lookup(t->path, ID_B, NULL, &e), 1);
	assert_int_equal(retired_add(t->path, ID_A, "new", &e), 0);
	text = read_file(path, NULL);
	assert_contains(text, "not a key\n" ID_A " ");
	free(text);
	free(path);
}

static void
retired_lookup__refuses_a_record_others_may_read(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = record_path(t);

	write_text(path, ID_B " ok\n");
	chmod(path, 0644);
	assert_int_equal(retired_lookup(t->path, ID_A, NULL, &e), -1);
	assert_contains(e.msg, "mode 0644");
	assert_contains(e.msg, "cannot tell which keys it has retired");
	free(path);
}

static void
retired_lookup__refuses_a_link_and_add_moves_it_aside(void **state)
{
	struct tmpdir *t = *state;
	struct err e = { "" };
	char *path = record_path(t), *target = path_in(t->path, "elsewhere");

	write_text(target, ID_B " ok\n");
	chmod(target, 0600);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(retired_lookup(t->path, ID_B, NULL, &e), -1);
	assert_contains(e.msg, RETIRED_FILE);
	assert_int_equal(retired_add(t->path, ID_A, "new", &e), 0);
	/* The link went aside, its target untouched; a new record holds A. */
	assert_int_equal(count_entries(t->path), 4);
	assert_int_equal(mode_of(path) & 0777, 0600);
	assert_int_equal(retired_lookup(t->path, ID_A, NULL, &e), 1);
	assert_int_equal(retired_lookup(t->path, ID_B, NULL, &e), 0);
	free(read_file(target, NULL));
	free(target);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    retired_lookup__finds_nothing_without_a_record, setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    retired_add__records_a_key_0600_that_lookup_finds_with_its_note,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    retired_add__keeps_earlier_keys_and_adds_each_once, setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    retired_add__turns_control_characters_in_the_note_into_marks,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    retired_lookup__refuses_a_damaged_line_and_add_keeps_it,
		    setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    retired_lookup__refuses_a_record_others_may_read, setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(
		    retired_lookup__refuses_a_link_and_add_moves_it_aside, setup,
		    tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
