/*
 * jws.h - JSON Web Signatures in the flattened JSON form ACME uses
 * (RFC 7515, RFC 8555 section 6.2).
 */
#ifndef ACMEC_JWS_H
#define ACMEC_JWS_H

#include <jansson.h>

#include "err.h"
#include "signer.h"

/*
 * Sign payload for url.  kid: the account URL, or NULL to embed the
 * signer's JWK (newAccount, revocation by certificate key, and the inner
 * JWS of a key change).  nonce may be NULL (inner JWS of a key change).
 * payload NULL means POST-as-GET (empty payload).  New reference.
 */
json_t *jws_new(const struct signer *s, const char *url, const char *kid,
    const char *nonce, const json_t *payload, struct err *e);

/*
 * External account binding (RFC 8555 section 7.3.4): HS256 over the
 * account's JWK with the CA-issued MAC key (hmac_key, base64url).
 */
json_t *jws_eab_new(const json_t *account_jwk, const char *eab_kid,
    const char *hmac_key_b64url, const char *url, struct err *e);

#endif
