/*
 * webroot.h - http-01 challenge files under
 * WEBROOT/.well-known/acme-challenge/, the only module that writes there.
 * It remembers what it wrote so that every file goes away again, on
 * success, failure or interruption.
 */
#ifndef ACMEC_WEBROOT_H
#define ACMEC_WEBROOT_H

#include "err.h"

struct webroot;

struct webroot *webroot_new(const char *dir, struct err *e);
/* Remove every file written, then free. */
void webroot_free(struct webroot *w);

/* Write the key authorization as the response for token (base64url only). */
int webroot_put(struct webroot *w, const char *token,
    const char *key_authorization, struct err *e);

/* Remove every challenge file written so far. */
void webroot_cleanup(struct webroot *w);

#endif
