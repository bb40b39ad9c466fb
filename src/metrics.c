/*
 * metrics.c - the Prometheus textfile, written atomically.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cert.h"
#include "metrics.h"
#include "output.h"
#include "store.h"

static const struct {
	const char	*name;
	const char	*help;
} gauges[] = {
	{ "acmec_certificate_expiry_timestamp_seconds",
	    "notAfter of the certificate in place (0: none)" },
	{ "acmec_certificate_last_success_timestamp_seconds",
	    "when acmec last renewed it (0: never)" },
	{ "acmec_certificate_consecutive_failures",
	    "failed renewals in a row" },
	{ "acmec_certificate_due",
	    "1 if it is due and was not renewed" },
};

/* A label value with \\, " and newline escaped, as the format wants. */
static void
put_label(FILE *f, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"' || *value == '\n')
			putc('\\', f);
		putc(*value == '\n' ? 'n' : *value, f);
	}
}

/* Expiry of the certificate now in place (renew may have replaced it). */
static long long
expiry_of(const struct renew_item *it)
{
	struct err ignored;
	time_t na = 0;
	X509 *cert = NULL;

	if (output_read_cert(it->out_dir, &cert, NULL, &ignored) == 1)
		(void)cert_not_after(cert, &na, &ignored);
	X509_free(cert);
	return (long long)na;
}

static long long
value_of(const struct renew_item *it, size_t gauge)
{
	switch (gauge) {
	case 0:
		return expiry_of(it);
	case 1:
		return (long long)it->st.last_success;
	case 2:
		return it->st.failures;
	default:
		return it->backed_off || (it->due && !it->st.last_ok);
	}
}

/*
 * The whole text into f.  A memory stream grows as needed: the file has
 * no size cap, so no section is ever cut off (f's error flag tells of
 * running out of memory).
 */
static void
put_metrics(FILE *f, const struct renew_item *items, size_t n, time_t now)
{
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name,
		    gauges[g].help, gauges[g].name);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s{section=\"", gauges[g].name);
			put_label(f, items[i].cc->section);
			fprintf(f, "\"} %lld\n", value_of(&items[i], g));
		}
	}
	fprintf(f, "# HELP acmec_last_run_timestamp_seconds when renew last ran\n"
	    "# TYPE acmec_last_run_timestamp_seconds gauge\n"
	    "acmec_last_run_timestamp_seconds %lld\n", (long long)now);
}

int
metrics_write(const char *path, const struct renew_item *items, size_t n,
    time_t now, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = -1, failed;

	if (f == NULL) {
		err_set(e, "metrics-file: out of memory");
		return -1;
	}
	put_metrics(f, items, n, now);
	failed = ferror(f);
	if (fclose(f) != 0 || failed)
		err_set(e, "metrics-file: out of memory building %s", path);
	else if ((rc = store_write_atomic(path, text, len, 0644, e)) == -1)
		err_prefix(e, "metrics-file");
	free(text);
	return rc;
}
