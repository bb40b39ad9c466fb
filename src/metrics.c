/*
 * metrics.c - the Prometheus textfile, written atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "metrics.h"
#include "output.h"
#include "store.h"

#define METRICS_MAX	(1024 * 1024)

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
append_label(char *buf, size_t size, const char *value)
{
	size_t used = strlen(buf);

	for (; *value != '\0' && used + 3 < size; value++) {
		if (*value == '\\' || *value == '"' || *value == '\n')
			buf[used++] = '\\';
		buf[used++] = *value == '\n' ? 'n' : *value;
	}
	buf[used] = '\0';
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

int
metrics_write(const char *path, const struct renew_item *items, size_t n,
    time_t now, struct err *e)
{
	char *text = calloc(1, METRICS_MAX), label[256];
	size_t used = 0;
	int rc;

	if (text == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		used += (size_t)snprintf(text + used, METRICS_MAX - used,
		    "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name,
		    gauges[g].help, gauges[g].name);
		for (size_t i = 0; i < n && used < METRICS_MAX - 512; i++) {
			label[0] = '\0';
			append_label(label, sizeof(label), items[i].cc->section);
			used += (size_t)snprintf(text + used, METRICS_MAX - used,
			    "%s{section=\"%s\"} %lld\n", gauges[g].name, label,
			    value_of(&items[i], g));
		}
	}
	used += (size_t)snprintf(text + used, METRICS_MAX - used,
	    "# HELP acmec_last_run_timestamp_seconds when renew last ran\n"
	    "# TYPE acmec_last_run_timestamp_seconds gauge\n"
	    "acmec_last_run_timestamp_seconds %lld\n", (long long)now);
	rc = store_write_atomic(path, text, strlen(text), 0644, e);
	if (rc == -1)
		err_prefix(e, "metrics-file");
	free(text);
	return rc;
}
