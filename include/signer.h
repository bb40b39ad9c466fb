/*
 * signer.h - the narrow interface to an account or certificate key.
 *
 * The rest of acmec can only ask a signer to sign bytes and to describe its
 * public half (JWK, thumbprint, JWS algorithm), so the key could later live
 * in a separate, sandboxed process without changing callers.
 */
#ifndef ACMEC_SIGNER_H
#define ACMEC_SIGNER_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "err.h"

struct signer;

/* A signer over key (ES256, ES384 or RS256); takes its own reference. */
struct signer *signer_new(EVP_PKEY *key, struct err *e);

/*
 * A signer whose key lives in another process (keyproc.h) that answers
 * IPC_SIGN messages on fd, each within SIGNER_REMOTE_TIMEOUT seconds.
 * Takes fd and the child pid, on failure too: signer_free closes the one,
 * which ends the child, and reaps the other.  jwk (borrowed, and copied),
 * alg, key_type and key_id are the public half the child sent; the
 * thumbprint is computed here from jwk.
 */
#define SIGNER_REMOTE_TIMEOUT	30
struct signer *signer_remote_new(int fd, pid_t pid, const json_t *jwk,
    const char *alg, const char *key_type, const char *key_id,
    struct err *e);
void signer_free(struct signer *s);

/* "ES256", "ES384" or "RS256" (borrowed). */
const char *signer_alg(const struct signer *s);

/*
 * Sign data with the JWS algorithm; *sig is new memory.  EC signatures come
 * in the JWS form r||s (RFC 7518 section 3.4), not DER.
 */
int signer_sign(const struct signer *s, const void *data, size_t len,
    unsigned char **sig, size_t *siglen, struct err *e);

/* The public JWK (RFC 7517), new reference. */
json_t *signer_jwk(const struct signer *s);

/* "ec-256", "rsa-2048", ... (borrowed), for humans. */
const char *signer_key_type(const struct signer *s);

/* JWK thumbprint, base64url of SHA-256 (RFC 7638), borrowed. */
const char *signer_thumbprint(const struct signer *s);

/* The key's hex SHA-256 of its SubjectPublicKeyInfo (key.h), borrowed. */
const char *signer_key_id(const struct signer *s);

#endif
