/*
 * signer.c - the account or certificate key behind a narrow interface:
 * sign bytes, describe the public half.  Nothing else reads the key.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "child.h"
#include "ipc.h"
#include "key.h"
#include "signer.h"

struct signer {
	EVP_PKEY	*key;		/* NULL: the key is in another process */
	int		 fd;		/* ... reached here (-1 for a local key) */
	pid_t		 pid;
	char		*key_type;	/* remote only; local keys describe */
	const char	*alg;		/* JWS "alg" */
	const EVP_MD	*md;
	size_t		 coord_len;	/* EC: bytes per coordinate; RSA: 0 */
	json_t		*jwk;
	char		*thumbprint;
	char		 key_id[KEY_ID_LEN + 1];
};

/* A big-number parameter of key as unpadded (RSA) or padded (EC) base64url. */
static char *
param_b64url(EVP_PKEY *key, const char *param, size_t pad, struct err *e)
{
	unsigned char *buf = NULL;
	BIGNUM *bn = NULL;
	char *out = NULL;
	int len;

	if (!EVP_PKEY_get_bn_param(key, param, &bn)) {
		err_ssl(e, "cannot read key parameter %s", param);
		return NULL;
	}
	len = pad ? (int)pad : BN_num_bytes(bn);
	if ((buf = malloc((size_t)len + 1)) != NULL &&
	    BN_bn2binpad(bn, buf, len) == len)
		out = b64url_encode(buf, (size_t)len);
	if (out == NULL)
		err_set(e, "cannot encode key parameter %s", param);
	free(buf);
	BN_free(bn);
	return out;
}

/* RFC 7518 section 6.2.1 (EC) and 6.3.1 (RSA) public JWK members. */
static json_t *
make_jwk(struct signer *s, const char *crv, struct err *e)
{
	char *a = NULL, *b = NULL;
	json_t *jwk = NULL;

	if (s->coord_len != 0) {
		a = param_b64url(s->key, OSSL_PKEY_PARAM_EC_PUB_X,
		    s->coord_len, e);
		b = param_b64url(s->key, OSSL_PKEY_PARAM_EC_PUB_Y,
		    s->coord_len, e);
		if (a != NULL && b != NULL)
			jwk = json_pack("{s:s, s:s, s:s, s:s}", "crv", crv,
			    "kty", "EC", "x", a, "y", b);
	} else {
		a = param_b64url(s->key, OSSL_PKEY_PARAM_RSA_E, 0, e);
		b = param_b64url(s->key, OSSL_PKEY_PARAM_RSA_N, 0, e);
		if (a != NULL && b != NULL)
			jwk = json_pack("{s:s, s:s, s:s}", "e", a, "kty", "RSA",
			    "n", b);
	}
	free(a);
	free(b);
	return jwk;
}

/* RFC 7638 section 3: SHA-256 over the required members, sorted, no spaces. */
static char *
make_thumbprint(const json_t *jwk, struct err *e)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	char *canon, *out = NULL;

	if ((canon = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		err_set(e, "cannot serialize JWK");
		return NULL;
	}
	if (EVP_Digest(canon, strlen(canon), digest, &dlen, EVP_sha256(), NULL))
		out = b64url_encode(digest, dlen);
	else
		err_ssl(e, "cannot hash JWK");
	free(canon);
	return out;
}

static int
choose_algorithm(struct signer *s, const char **crv, struct err *e)
{
	char group[64];

	if (EVP_PKEY_is_a(s->key, "RSA")) {
		if (EVP_PKEY_get_bits(s->key) < 2048) {
			err_set(e, "RSA keys shorter than 2048 bits are "
			    "refused");
			return -1;
		}
		s->alg = "RS256";
		s->md = EVP_sha256();
		return 0;
	}
	if (!EVP_PKEY_is_a(s->key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(s->key,
	    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL)) {
		err_set(e, "unsupported key: use RSA (2048-4096) or EC "
		    "P-256/P-384");
		return -1;
	}
	if (strcmp(group, "prime256v1") == 0) {
		s->alg = "ES256", *crv = "P-256", s->md = EVP_sha256();
		s->coord_len = 32;
	} else if (strcmp(group, "secp384r1") == 0) {
		s->alg = "ES384", *crv = "P-384", s->md = EVP_sha384();
		s->coord_len = 48;
	} else {
		err_set(e, "unsupported EC curve %s: use P-256 or P-384",
		    group);
		return -1;
	}
	return 0;
}

struct signer *
signer_new(EVP_PKEY *key, struct err *e)
{
	struct signer *s;
	const char *crv = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->key = key;
	EVP_PKEY_up_ref(key);
	if (choose_algorithm(s, &crv, e) == -1 ||
	    (s->jwk = make_jwk(s, crv, e)) == NULL ||
	    (s->thumbprint = make_thumbprint(s->jwk, e)) == NULL ||
	    key_spki_sha256(key, s->key_id, e) == -1) {
		signer_free(s);
		return NULL;
	}
	return s;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		child_end(s->fd, s->pid);
	free(s->key_type);
	EVP_PKEY_free(s->key);
	json_decref(s->jwk);
	free(s->thumbprint);
	free(s);
}

const char *
signer_alg(const struct signer *s)
{
	return s->alg;
}

json_t *
signer_jwk(const struct signer *s)
{
	return json_deep_copy(s->jwk);
}

const char *
signer_thumbprint(const struct signer *s)
{
	return s->thumbprint;
}

const char *
signer_key_id(const struct signer *s)
{
	return s->key_id;
}

/* DER ECDSA-Sig-Value to the fixed-size r||s of RFC 7518 section 3.4. */
static int
ecdsa_der_to_jws(const unsigned char *der, size_t derlen, size_t coord_len,
    unsigned char **sig, size_t *siglen, struct err *e)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	unsigned char *out;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL) {
		err_ssl(e, "cannot decode ECDSA signature");
		return -1;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if ((out = malloc(2 * coord_len)) == NULL ||
	    BN_bn2binpad(r, out, (int)coord_len) < 0 ||
	    BN_bn2binpad(s, out + coord_len, (int)coord_len) < 0) {
		free(out);
		ECDSA_SIG_free(es);
		err_set(e, "cannot encode ECDSA signature");
		return -1;
	}
	ECDSA_SIG_free(es);
	*sig = out;
	*siglen = 2 * coord_len;
	return 0;
}

/* The algorithm names a remote signer may claim, as constants. */
static const char *
known_alg(const char *alg)
{
	static const char *const algs[] = { "ES256", "ES384", "RS256" };
	size_t i;

	for (i = 0; alg != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i]) == 0)
			return algs[i];
	return NULL;
}

struct signer *
signer_remote_new(int fd, pid_t pid, const json_t *jwk, const char *alg,
    const char *key_type, const char *key_id, struct err *e)
{
	struct signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	s->fd = fd;
	s->pid = pid;
	if ((s->alg = known_alg(alg)) == NULL || !json_is_object(jwk) ||
	    key_type == NULL || key_id == NULL ||
	    strlen(key_id) != KEY_ID_LEN) {
		err_set(e, "the key process described its key incompletely");
		signer_free(s);
		return NULL;
	}
	memcpy(s->key_id, key_id, KEY_ID_LEN + 1);
	if ((s->key_type = strdup(key_type)) == NULL ||
	    (s->jwk = json_deep_copy(jwk)) == NULL)
		err_set(e, "out of memory");
	else if ((s->thumbprint = make_thumbprint(s->jwk, e)) != NULL)
		return s;
	signer_free(s);
	return NULL;
}

/*
 * Ask the key process; its refusal ("refused to sign ...") says why.  It
 * signs in milliseconds: one that does not answer is stuck, and its late
 * answer must not be taken for the next request's.
 */
static int
remote_sign(const struct signer *s, const void *data, size_t len,
    unsigned char **sig, size_t *siglen, struct err *e)
{
	struct ipc_msg *m;
	int rc = -1;

	if ((m = ipc_call(s->fd, "the key process", IPC_SIGN, data, len, -1,
	    SIGNER_REMOTE_TIMEOUT, e)) == NULL)
		return -1;
	if (m->type == IPC_REFUSED)
		err_set(e, "the key process %s", m->body);
	else if (m->type != IPC_SIGNATURE || m->len == 0)
		err_set(e, "the key process answered a signing request with "
		    "message type %d", (int)m->type);
	else if ((*sig = malloc(m->len)) == NULL)
		err_set(e, "out of memory");
	else {
		memcpy(*sig, m->body, m->len);
		*siglen = m->len;
		rc = 0;
	}
	ipc_msg_free(m);
	return rc;
}

int
signer_sign(const struct signer *s, const void *data, size_t len,
    unsigned char **sig, size_t *siglen, struct err *e)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int rc = -1;

	if (s->key == NULL)
		return remote_sign(s, data, len, sig, siglen, e);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestSignInit(ctx, NULL, s->md, NULL, s->key) ||
	    !EVP_DigestSign(ctx, NULL, &rawlen, data, len) ||
	    (raw = malloc(rawlen)) == NULL ||
	    !EVP_DigestSign(ctx, raw, &rawlen, data, len)) {
		err_ssl(e, "cannot sign with the %s key", s->alg);
		goto out;
	}
	if (s->coord_len != 0) {
		rc = ecdsa_der_to_jws(raw, rawlen, s->coord_len,
		    sig, siglen, e);
	} else {
		*sig = raw;
		*siglen = rawlen;
		raw = NULL;
		rc = 0;
	}
out:
	free(raw);
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *
signer_key_type(const struct signer *s)
{
	return s->key != NULL ? key_describe(s->key) : s->key_type;
}
