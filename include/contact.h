/*
 * contact.h - the contact URLs of an ACME account (RFC 8555 section 7.3):
 * what acmec accepts from --contact, and what the CA answered with.
 */
#ifndef ACMEC_CONTACT_H
#define ACMEC_CONTACT_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

#define CONTACT_MAX_LEN		256	/* bytes, "mailto:" included */

/*
 * Check one --contact value before anything is written or sent: a
 * "mailto:" URL of exactly one address, NAME@DOMAIN, both non-empty; valid
 * UTF-8 (Jansson would silently drop it otherwise) without control
 * characters, spaces, commas or "?" header fields; at most
 * CONTACT_MAX_LEN bytes.  The message names the contact, with
 * non-printable bytes shown as '?', and says what to give instead.
 */
int contact_check(const char *contact, struct err *e);

/*
 * Compare the contacts the CA answered with (the "contact" member of an
 * account object, borrowed; NULL when absent) with those asked for, as
 * sets.  NULL when they match; otherwise a one-line warning without the
 * "warning: " prefix, CA text sanitized; new string (NULL too when out of
 * memory: the warning is advice, the update happened either way).
 */
char *contact_answer_mismatch(const char *const *asked, size_t nasked,
    const json_t *answer);

#endif
