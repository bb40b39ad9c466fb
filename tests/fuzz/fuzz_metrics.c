/*
 * fuzz_metrics.c - the metrics file writer (metrics_write) with hostile
 * section names: the first byte says how many times (1-256) the list is
 * repeated, the rest is the list, names separated by NUL bytes.  A few
 * bytes of quotes and backslashes, repeated, make a file of megabytes,
 * past where the writer once had its cap and overflowed.  The file must
 * hold one line per gauge and section, whatever the names hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"

#define GAUGES		4
#define MAX_SECTIONS	20000

static size_t
lines_of(const char *path)
{
	size_t n = 0;
	FILE *f = fopen(path, "r");
	int c;

	if (f == NULL)
		abort();
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* The NUL-separated names of list (len bytes, NUL-terminated). */
static size_t
split(char *list, size_t len, char **names, size_t max)
{
	size_t n = 0;

	for (char *s = list; s <= list + len && n < max; s += strlen(s) + 1)
		names[n++] = s;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_cert certs[MAX_SECTIONS];
	static struct renew_item items[MAX_SECTIONS];
	static char *names[MAX_SECTIONS];
	const char *path = fuzz_write_file(NULL, 0);
	char *list, none[] = "/nonexistent/acmec-fuzz";
	size_t repeat, nnames, n = 0;
	struct err e;

	if (size == 0)
		return 0;
	repeat = (size_t)data[0] + 1;
	if ((list = fuzz_strndup(data + 1, size - 1)) == NULL)
		return 0;
	nnames = split(list, size - 1, names, MAX_SECTIONS);
	for (size_t r = 0; r < repeat && n < MAX_SECTIONS; r++)
		for (size_t i = 0; i < nnames && n < MAX_SECTIONS; i++, n++) {
			memset(&items[n], 0, sizeof(items[n]));
			certs[n].section = names[i];
			items[n].cc = &certs[n];
			items[n].out_dir = none;
			items[n].st.failures = (int)n;
		}
	if (metrics_write(path, items, n, 1793491200, &e) == -1) {
		fprintf(stderr, "fuzz_metrics: %s\n", e.msg);
		abort();
	}
	/* HELP and TYPE of each gauge and of the last run, and the lines. */
	if (lines_of(path) != 2 * (GAUGES + 1) + GAUGES * n + 1)
		abort();
	free(list);
	return 0;
}
