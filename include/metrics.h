/*
 * metrics.h - a Prometheus text-format file for node_exporter's textfile
 * collector, written after each renew run: since CAs send no expiry mail
 * any more, this is how monitoring learns of a certificate in trouble.
 */
#ifndef ACMEC_METRICS_H
#define ACMEC_METRICS_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "renew.h"

/* Per certificate: expiry, last success, failures in a row, still due. */
int metrics_write(const char *path, const struct renew_item *items, size_t n,
    time_t now, struct err *e);

#endif
