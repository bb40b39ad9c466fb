/*
 * testkeys.c - the RFC example keys as EVP_PKEYs, and a JWS signature
 * verifier written independently of src/ (r || s -> DER for ECDSA).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "testkeys.h"

/*
 * RFC 7515 Appendix A.2.1: the private members of the RS256 example key
 * (n and e are in testkeys.h).
 */
static const char rfc7515_a2_d[] =
	"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_G"
	"Q5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKV"
	"RUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9J"
	"YanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoF"
	"aFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjn"
	"czT0QU91p1DhOVRuOopznQ";
static const char rfc7515_a2_p[] =
	"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBds"
	"s1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ"
	"5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
static const char rfc7515_a2_q[] =
	"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHA"
	"jLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLt"
	"XlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
static const char rfc7515_a2_dp[] =
	"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE"
	"2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_"
	"YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0";
static const char rfc7515_a2_dq[] =
	"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDo"
	"RwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGN"
	"pmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU";
static const char rfc7515_a2_qi[] =
	"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0Em"
	"pScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1c"
	"q9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U";

/* RFC 7515 Appendix A.3.1: the private member of the ES256 example key. */
static const char rfc7515_a3_d[] =
	"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

static void
die(const char *what)
{
	fprintf(stderr, "testkeys: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	abort();
}

/* A base64url member as a BIGNUM (big-endian, RFC 7518 section 6.3). */
static BIGNUM *
b64url_bn(const char *text)
{
	unsigned char *buf;
	size_t len;
	BIGNUM *bn;

	if ((buf = b64url_decode(text, &len)) == NULL)
		die("b64url_decode");
	if ((bn = BN_bin2bn(buf, (int)len, NULL)) == NULL)
		die("BN_bin2bn");
	free(buf);
	return bn;
}

static EVP_PKEY *
from_params(const char *type, int selection, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		die("OSSL_PARAM_BLD_to_param");
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL)
		die("EVP_PKEY_CTX_new_from_name");
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0)
		die("EVP_PKEY_fromdata");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
rsa_key(const char *const names[], const char *const values[], size_t n,
    int selection)
{
	OSSL_PARAM_BLD *bld;
	BIGNUM *bns[8] = { NULL };
	EVP_PKEY *pkey;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		die("OSSL_PARAM_BLD_new");
	for (size_t i = 0; i < n; i++) {
		bns[i] = b64url_bn(values[i]);
		if (!OSSL_PARAM_BLD_push_BN(bld, names[i], bns[i]))
			die("OSSL_PARAM_BLD_push_BN");
	}
	pkey = from_params("RSA", selection, bld);
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < n; i++)
		BN_clear_free(bns[i]);
	return pkey;
}

EVP_PKEY *
testkeys_rfc7515_a2_rsa(void)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	static const char *const values[] = {
		RFC7515_A2_N, RFC7515_A2_E, rfc7515_a2_d, rfc7515_a2_p,
		rfc7515_a2_q, rfc7515_a2_dp, rfc7515_a2_dq, rfc7515_a2_qi,
	};

	return rsa_key(names, values, 8, EVP_PKEY_KEYPAIR);
}

EVP_PKEY *
testkeys_rfc7638_rsa_public(void)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
	};
	static const char *const values[] = { RFC7638_N, RFC7638_E };

	return rsa_key(names, values, 2, EVP_PKEY_PUBLIC_KEY);
}

EVP_PKEY *
testkeys_rfc7515_a3_ec(void)
{
	unsigned char point[65], *x, *y;
	size_t xlen, ylen;
	OSSL_PARAM_BLD *bld;
	BIGNUM *d;
	EVP_PKEY *pkey;

	/* Uncompressed point (SEC 1 section 2.3.3): 0x04 || x || y. */
	x = b64url_decode(RFC7515_A3_X, &xlen);
	y = b64url_decode(RFC7515_A3_Y, &ylen);
	if (x == NULL || y == NULL || xlen != 32 || ylen != 32)
		die("decoding the A.3 coordinates");
	point[0] = 0x04;
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	free(x);
	free(y);
	d = b64url_bn(rfc7515_a3_d);

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		die("OSSL_PARAM_BLD_new");
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    point, sizeof(point)) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
		die("OSSL_PARAM_BLD_push");
	pkey = from_params("EC", EVP_PKEY_KEYPAIR, bld);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return pkey;
}

/* r || s (RFC 7518 section 3.4) -> DER ECDSA-Sig-Value; new buffer. */
static unsigned char *
rs_to_der(const unsigned char *sig, size_t siglen, int *derlen)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	size_t half = siglen / 2;

	if ((es = ECDSA_SIG_new()) == NULL)
		return NULL;
	r = BN_bin2bn(sig, (int)half, NULL);
	s = BN_bin2bn(sig + half, (int)half, NULL);
	if (r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	*derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (*derlen <= 0)
		return NULL;
	return der;
}

bool
testkeys_verify(EVP_PKEY *key, const char *alg, const void *data, size_t len,
    const unsigned char *sig, size_t siglen)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *vsig = sig;
	size_t vlen = siglen;
	bool ok = false;
	int derlen;

	if (strcmp(alg, "RS256") == 0) {
		if (!EVP_PKEY_is_a(key, "RSA"))
			goto out;
		md = EVP_sha256();
	} else if (strcmp(alg, "ES256") == 0 || strcmp(alg, "ES384") == 0) {
		size_t want = strcmp(alg, "ES256") == 0 ? 64 : 96;

		if (!EVP_PKEY_is_a(key, "EC") || siglen != want)
			goto out;
		md = want == 64 ? EVP_sha256() : EVP_sha384();
		if ((der = rs_to_der(sig, siglen, &derlen)) == NULL)
			goto out;
		vsig = der;
		vlen = (size_t)derlen;
	} else
		goto out;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, vsig, vlen, data, len) == 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

bool
testkeys_verify_b64url(EVP_PKEY *key, const char *alg, const char *data,
    const char *sig_b64url)
{
	unsigned char *sig;
	size_t siglen;
	bool ok;

	if ((sig = b64url_decode(sig_b64url, &siglen)) == NULL)
		return false;
	ok = testkeys_verify(key, alg, data, strlen(data), sig, siglen);
	free(sig);
	return ok;
}

char *
testkeys_sha256_b64url(const char *s)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1)
		die("EVP_Digest");
	return b64url_encode(md, mdlen);
}
