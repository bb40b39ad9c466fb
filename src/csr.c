/*
 * csr.c - PKCS#10 requests: build one for our key, or read the user's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "b64url.h"
#include "csr.h"
#include "key.h"
#include "store.h"

#define CSR_FILE_MAX	(64 * 1024)

/* "DNS:a,IP:192.0.2.1,..." for names; new string. */
static char *
san_value(const struct names *names)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < names->n; i++)
		len += strlen(names->v[i]) + sizeof("DNS:,");
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (size_t i = 0; i < names->n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, names_is_ip(names->v[i]) ? "IP:" : "DNS:");
		strcat(s, names->v[i]);
	}
	return s;
}

static int
add_san(X509_REQ *req, const struct names *names, struct err *e)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	char *value;
	int rc = -1;

	if ((value = san_value(names)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    value)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext) ||
	    !X509_REQ_add_extensions(req, exts)) {
		err_ssl(e, "cannot add subjectAltName %s", value);
		goto out;
	}
	rc = 0;
out:
	sk_X509_EXTENSION_free(exts);
	X509_EXTENSION_free(ext);
	free(value);
	return rc;
}

/*
 * The CN is a courtesy for old software: the first domain name, if it
 * fits in 64 characters (RFC 5280 ub-common-name).  Never an address:
 * CAs want those in the SAN only (RFC 8738 section 7 leaves the CN out).
 */
static const char *
common_name(const struct names *names)
{
	for (size_t i = 0; i < names->n; i++)
		if (!names_is_ip(names->v[i]))
			return strlen(names->v[i]) <= 64 ? names->v[i] : NULL;
	return NULL;
}

X509_REQ *
csr_new(EVP_PKEY *key, const struct names *names, struct err *e)
{
	X509_NAME *subject;
	X509_REQ *req;
	const char *cn;

	if (names->n == 0) {
		err_set(e, "a CSR needs at least one name");
		return NULL;
	}
	cn = common_name(names);
	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, 0) ||
	    (subject = X509_REQ_get_subject_name(req)) == NULL ||
	    (cn != NULL &&
	    !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) ||
	    !X509_REQ_set_pubkey(req, key)) {
		err_ssl(e, "cannot build CSR");
		X509_REQ_free(req);
		return NULL;
	}
	if (add_san(req, names, e) == -1)
		goto fail;
	/* Ed25519 would want a NULL digest; we only have RSA and EC. */
	if (!X509_REQ_sign(req, key, EVP_sha256())) {
		err_ssl(e, "cannot sign CSR");
		goto fail;
	}
	return req;
fail:
	X509_REQ_free(req);
	return NULL;
}

X509_REQ *
csr_load(const char *path, struct err *e)
{
	const unsigned char *p;
	struct err why = { "" };
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
	char *data;
	size_t len;
	BIO *bio;

	if (store_read(path, CSR_FILE_MAX, &data, &len, e) == -1)
		return NULL;
	if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (req == NULL) {
		p = (const unsigned char *)data;
		req = d2i_X509_REQ(NULL, &p, (long)len);
	}
	free(data);
	if (req == NULL) {
		err_ssl(e, "%s is not a PEM or DER certificate signing request",
		    path);
		return NULL;
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pub) != 1) {
		err_ssl(e, "%s: the CSR's signature does not verify", path);
		X509_REQ_free(req);
		return NULL;
	}
	/* Refused here, before anything is sent for a key a CA refuses. */
	if (key_check_supported(pub, &why) == -1) {
		err_set(e, "%s: the CSR's key is %s", path, why.msg);
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

static int
add_common_name(X509_NAME *subject, struct names *out, struct err *e)
{
	char cn[256];
	int len;

	len = X509_NAME_get_text_by_NID(subject, NID_commonName, cn,
	    sizeof(cn));
	if (len <= 0)
		return 0;
	if ((size_t)len != strlen(cn)) {
		err_set(e, "malformed commonName");
		return -1;
	}
	return names_add(out, cn);
}

int
csr_names(X509_REQ *req, struct names *out, struct err *e)
{
	STACK_OF(X509_EXTENSION) *exts;
	STACK_OF(GENERAL_NAME) *gens = NULL;
	int rc = 0;

	if ((exts = X509_REQ_get_extensions(req)) != NULL) {
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	if (gens != NULL) {
		rc = names_add_general(gens, out, e);
		GENERAL_NAMES_free(gens);
	}
	if (rc == 0 && out->n == 0)
		rc = add_common_name(X509_REQ_get_subject_name(req), out, e);
	if (rc == 0 && out->n == 0) {
		err_set(e, "the CSR names no DNS name");
		rc = -1;
	}
	return rc;
}

char *
csr_to_b64url(X509_REQ *req, struct err *e)
{
	unsigned char *der = NULL;
	char *out;
	int len;

	if ((len = i2d_X509_REQ(req, &der)) <= 0) {
		err_ssl(e, "cannot encode CSR");
		return NULL;
	}
	out = b64url_encode(der, (size_t)len);
	OPENSSL_free(der);
	if (out == NULL)
		err_set(e, "out of memory");
	return out;
}
