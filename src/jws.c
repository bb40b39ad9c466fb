/*
 * jws.c - flattened JSON JWS (RFC 7515 section 7.2.2) as ACME wants it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "jws.h"
#include "str.h"

/* base64url of the compact JSON text of v; new string. */
static char *
encode_json(const json_t *v)
{
	char *text, *out;

	if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return NULL;
	out = b64url_encode(text, strlen(text));
	free(text);
	return out;
}

/* "protected.payload", the JWS signing input; new string. */
static char *
signing_input(const char *protected, const char *payload)
{
	return str_fmt("%s.%s", protected, payload);
}

/* Assemble the JWS object; takes the three strings. */
static json_t *
assemble(char *protected, char *payload, char *signature, struct err *e)
{
	json_t *jws = NULL;

	if (protected != NULL && payload != NULL && signature != NULL)
		jws = json_pack("{s:s, s:s, s:s}", "protected", protected,
		    "payload", payload, "signature", signature);
	if (jws == NULL)
		err_set(e, "cannot build JWS");
	free(protected);
	free(payload);
	free(signature);
	return jws;
}

json_t *
jws_new(const struct signer *s, const char *url, const char *kid,
    const char *nonce, const json_t *payload, struct err *e)
{
	char *prot = NULL, *pay = NULL, *input = NULL, *sig64 = NULL;
	unsigned char *sig = NULL;
	json_t *header;
	size_t siglen;

	header = json_pack("{s:s, s:s}", "alg", signer_alg(s), "url", url);
	if (header == NULL)
		goto fail;
	if (kid != NULL)
		json_object_set_new(header, "kid", json_string(kid));
	else
		json_object_set_new(header, "jwk", signer_jwk(s));
	if (nonce != NULL)
		json_object_set_new(header, "nonce", json_string(nonce));
	prot = encode_json(header);
	json_decref(header);
	/* POST-as-GET signs an empty payload (RFC 8555 section 6.3). */
	pay = payload != NULL ? encode_json(payload) : strdup("");
	if (prot == NULL || pay == NULL ||
	    (input = signing_input(prot, pay)) == NULL)
		goto fail;
	if (signer_sign(s, input, strlen(input), &sig, &siglen, e) == -1) {
		free(input);
		free(prot);
		free(pay);
		return NULL;
	}
	sig64 = b64url_encode(sig, siglen);
	free(sig);
	free(input);
	return assemble(prot, pay, sig64, e);
fail:
	free(input);
	free(prot);
	free(pay);
	err_set(e, "cannot build JWS for %s", url);
	return NULL;
}

json_t *
jws_eab_new(const json_t *account_jwk, const char *eab_kid,
    const char *hmac_key_b64url, const char *url, struct err *e)
{
	char *prot = NULL, *pay = NULL, *input = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE], *key;
	size_t maclen = 0;
	json_t *header;
	size_t keylen;

	if ((key = b64url_decode(hmac_key_b64url, &keylen)) == NULL ||
	    keylen == 0) {
		free(key);
		err_set(e, "the EAB HMAC key is not base64url: copy it as "
		    "the CA shows it");
		return NULL;
	}
	header = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid,
	    "url", url);
	if (header != NULL)
		prot = encode_json(header);
	json_decref(header);
	pay = encode_json(account_jwk);
	if (prot != NULL && pay != NULL &&
	    (input = signing_input(prot, pay)) != NULL &&
	    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (unsigned char *)input, strlen(input), mac, sizeof(mac),
	    &maclen) == NULL)
		maclen = 0;
	OPENSSL_cleanse(key, keylen);
	free(key);
	free(input);
	if (maclen == 0) {
		free(prot);
		free(pay);
		err_ssl(e, "cannot compute the EAB HMAC");
		return NULL;
	}
	return assemble(prot, pay, b64url_encode(mac, maclen), e);
}
