/*
 * cert.c - the issued chain: parse it, split it, and check it is the
 * certificate we asked for before it replaces a working one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "store.h"

#define CERT_FILE_MAX	(1024 * 1024)

void
cert_chain_free(STACK_OF(X509) *chain)
{
	sk_X509_pop_free(chain, X509_free);
}

STACK_OF(X509) *
cert_chain_parse(const char *pem, size_t len, struct err *e)
{
	STACK_OF(X509) *chain;
	unsigned long code;
	X509 *x;
	BIO *bio;

	if ((chain = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sk_X509_free(chain);
		err_set(e, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			break;
		}
	}
	BIO_free(bio);
	/* The loop ends on "no start line" after the last certificate. */
	code = ERR_peek_last_error();
	if (code != 0 && !(ERR_GET_LIB(code) == ERR_LIB_PEM &&
	    ERR_GET_REASON(code) == PEM_R_NO_START_LINE)) {
		err_ssl(e, "the CA's answer holds a malformed certificate");
		cert_chain_free(chain);
		return NULL;
	}
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		err_set(e, "the CA's answer holds no PEM certificate");
		cert_chain_free(chain);
		return NULL;
	}
	return chain;
}

char *
cert_chain_pem(STACK_OF(X509) *chain, int from, int to, struct err *e)
{
	char *out = NULL, *data;
	long len;
	BIO *bio;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto fail;
	for (int i = from; i < to; i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(chain, i)))
			goto fail;
	len = BIO_get_mem_data(bio, &data);
	if ((out = malloc((size_t)len + 1)) == NULL)
		goto fail;
	if (len > 0)	/* an empty range (a chain of one) has no data */
		memcpy(out, data, (size_t)len);
	out[len] = '\0';
	BIO_free(bio);
	return out;
fail:
	BIO_free(bio);
	err_ssl(e, "cannot encode certificates as PEM");
	return NULL;
}

int
cert_names(X509 *cert, struct names *out, struct err *e)
{
	STACK_OF(GENERAL_NAME) *gens;
	int rc;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL) {
		err_set(e, "the certificate has no subjectAltName");
		return -1;
	}
	rc = names_add_general(gens, out, e);
	GENERAL_NAMES_free(gens);
	return rc;
}

static const char *
first_extra(const struct names *got, const struct names *asked)
{
	for (size_t i = 0; i < got->n; i++)
		if (!names_contains(asked, got->v[i]))
			return got->v[i];
	return "a name";
}

int
cert_check(X509 *leaf, EVP_PKEY *pubkey, const struct names *names,
    struct err *e)
{
	struct names got = { 0 };
	int rc = -1;

	if (EVP_PKEY_eq(X509_get0_pubkey(leaf), pubkey) != 1) {
		err_set(e, "the issued certificate is not for our key; "
		    "refusing it, the old files stay in place");
		return -1;
	}
	if (cert_names(leaf, &got, e) == -1)
		goto out;
	if (!names_equal(&got, names)) {
		const char *odd = NULL;

		for (size_t i = 0; odd == NULL && i < names->n; i++)
			if (!names_contains(&got, names->v[i]))
				odd = names->v[i];
		err_set(e, "the issued certificate %s %s; refusing it, the "
		    "old files stay in place", odd ? "lacks" : "adds",
		    odd ? odd : got.n ? first_extra(&got, names) : "nothing");
		goto out;
	}
	rc = 0;
out:
	names_clear(&got);
	return rc;
}

X509 *
cert_load(const char *path, struct err *e)
{
	STACK_OF(X509) *chain;
	char *pem;
	size_t len;
	X509 *x;

	if (store_read(path, CERT_FILE_MAX, &pem, &len, e) == -1)
		return NULL;
	chain = cert_chain_parse(pem, len, e);
	free(pem);
	if (chain == NULL) {
		err_set(e, "%s holds no PEM certificate", path);
		return NULL;
	}
	x = sk_X509_shift(chain);
	cert_chain_free(chain);
	return x;
}

int
cert_not_after(X509 *cert, time_t *when, struct err *e)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm)) {
		err_ssl(e, "cannot read the certificate's expiry");
		return -1;
	}
	*when = timegm(&tm);
	return 0;
}

/* BN_bn2hex pads to whole bytes and writes upper case. */
char *
cert_serial_hex(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL, *out;

	BN_free(bn);
	if (hex == NULL)
		return NULL;
	for (char *p = hex; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	out = strdup(hex[0] == '0' && hex[1] != '\0' ? hex + 1 : hex);
	OPENSSL_free(hex);
	return out;
}
