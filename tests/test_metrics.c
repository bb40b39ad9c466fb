/*
 * test_metrics.c - the Prometheus textfile: every section gets its line
 * of each gauge, however many sections there are and however much their
 * names grow when escaped (the file once had a 1 MiB cap, and a header
 * written past it overflowed the buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conffile.h"
#include "metrics.h"
#include "renew.h"
#include "testutil.h"

#define NOW	((time_t)1793491200)	/* 2026-11-01T00:00:00Z */
#define NGAUGES	5			/* 4 per section, and the last run */

struct fixture {
	struct tmpdir		 dir;
	struct conf_cert	*certs;
	struct renew_item	*items;
	size_t			 n;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || tmpdir_create(&f->dir, "metrics") == -1) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->n; i++) {
		free(f->certs[i].section);
		free(f->items[i].out_dir);
	}
	free(f->certs);
	free(f->items);
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

/* n sections named by name_of(i), with no certificate in place. */
static void
make_items(struct fixture *f, size_t n, char *(*name_of)(size_t))
{
	f->certs = calloc(n, sizeof(*f->certs));
	f->items = calloc(n, sizeof(*f->items));
	assert_non_null(f->certs);
	assert_non_null(f->items);
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		f->certs[i].section = name_of(i);
		f->items[i].cc = &f->certs[i];
		f->items[i].out_dir = path_in(f->dir.path, "none");
		f->items[i].st.failures = (int)i;
	}
}

/* CONF_SECTION_MAX characters, nearly all of them escaped: 2x longer. */
static char *
hostile_name(size_t i)
{
	char *s = malloc(CONF_SECTION_MAX + 1);

	assert_non_null(s);
	for (size_t k = 0; k < CONF_SECTION_MAX; k++)
		s[k] = k % 2 ? '"' : '\\';
	snprintf(s + CONF_SECTION_MAX - 6, 7, "%06zu", i);
	return s;
}

static char *
plain_name(size_t i)
{
	char *s = malloc(32);

	assert_non_null(s);
	snprintf(s, 32, "%s", i == 0 ? "a\"b\\c" : "www");
	return s;
}

/* The whole file (of any size), NUL-terminated; its length in *len. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long size;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((size = ftell(fp)) >= 0);
	rewind(fp);
	assert_non_null(buf = malloc((size_t)size + 1));
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	buf[size] = '\0';
	fclose(fp);
	*len = (size_t)size;
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
metrics_write__escapes_quotes_and_backslashes_in_section_names(void **state)
{
	struct fixture *f = *state;
	char *path = path_in(f->dir.path, "acmec.prom"), *text;
	struct err e;
	size_t len;

	make_items(f, 1, plain_name);
	assert_int_equal(metrics_write(path, f->items, f->n, NOW, &e), 0);
	text = slurp(path, &len);
	assert_contains(text, "acmec_certificate_consecutive_failures"
	    "{section=\"a\\\"b\\\\c\"} 0\n");
	assert_contains(text, "acmec_last_run_timestamp_seconds 1793491200\n");
	assert_int_equal(count_lines(text), NGAUGES * 2 + 4 + 1);
	free(text);
	free(path);
}

static void
metrics_write__keeps_every_section_past_a_mebibyte_of_escaped_names(
    void **state)
{
	struct fixture *f = *state;
	static const char end[] = "003999\"} 0\n"
	    "# HELP acmec_last_run_timestamp_seconds when renew last ran\n"
	    "# TYPE acmec_last_run_timestamp_seconds gauge\n"
	    "acmec_last_run_timestamp_seconds 1793491200\n";
	char *path = path_in(f->dir.path, "acmec.prom"), *text;
	struct err e;
	size_t len, n = 4000;

	make_items(f, n, hostile_name);
	assert_int_equal(metrics_write(path, f->items, f->n, NOW, &e), 0);
	text = slurp(path, &len);
	assert_true(len > 2 * 1024 * 1024);
	assert_int_equal(count_lines(text), NGAUGES * 2 + 4 * n + 1);
	/* The last section's last gauge, and the run's, are all there. */
	assert_string_equal(text + len - strlen(end), end);
	free(text);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(metrics_write__escapes_quotes_and_backslashes_in_section_names, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_write__keeps_every_section_past_a_mebibyte_of_escaped_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
