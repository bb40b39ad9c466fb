/*
 * b64url.h - base64url without padding (RFC 4648 section 5, RFC 7515
 * section 2).
 */
#ifndef ACMEC_B64URL_H
#define ACMEC_B64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Encode len bytes; returns a new NUL-terminated string, NULL on ENOMEM. */
char *b64url_encode(const void *data, size_t len);

/*
 * Decode a base64url string (no padding, no whitespace).  Returns a new
 * buffer and its length in *len, or NULL if the text is not base64url.
 */
unsigned char *b64url_decode(const char *text, size_t *len);

/* True if s is a non-empty string of base64url characters only. */
bool b64url_is_valid(const char *s);

#endif
