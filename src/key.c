/*
 * key.c - private keys: generation, PEM load and save.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "key.h"
#include "store.h"

#define KEY_FILE_MAX	(64 * 1024)

static const struct {
	const char	*name;
	enum key_type	 type;
	const char	*curve;		/* NULL for RSA */
	unsigned int	 bits;
} key_types[] = {
	{ "ec-256",   KEY_EC256,   "P-256", 256 },
	{ "ec-384",   KEY_EC384,   "P-384", 384 },
	{ "rsa-2048", KEY_RSA2048, NULL,    2048 },
	{ "rsa-3072", KEY_RSA3072, NULL,    3072 },
	{ "rsa-4096", KEY_RSA4096, NULL,    4096 },
};
#define NKEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

int
key_type_parse(const char *name, enum key_type *type)
{
	for (size_t i = 0; i < NKEY_TYPES; i++) {
		if (strcmp(key_types[i].name, name) == 0) {
			*type = key_types[i].type;
			return 0;
		}
	}
	return -1;
}

const char *
key_type_name(enum key_type type)
{
	for (size_t i = 0; i < NKEY_TYPES; i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return "unknown";
}

EVP_PKEY *
key_generate(enum key_type type, struct err *e)
{
	EVP_PKEY *key = NULL;

	for (size_t i = 0; i < NKEY_TYPES; i++) {
		if (key_types[i].type != type)
			continue;
		if (key_types[i].curve != NULL)
			key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
			    key_types[i].curve);
		else
			key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
			    (size_t)key_types[i].bits);
		if (key == NULL)
			err_ssl(e, "cannot generate a %s key",
			    key_types[i].name);
		return key;
	}
	err_set(e, "unknown key type %d", (int)type);
	return NULL;
}

/*
 * The key types ACME CAs accept and signer.c can sign with.  A refusal
 * says what the key is: "a 1024-bit RSA key", "an EC key on secp521r1".
 */
int
key_check_supported(EVP_PKEY *key, struct err *e)
{
	char group[64] = "";

	if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) {
		if (EVP_PKEY_is_a(key, "RSA") &&
		    EVP_PKEY_get_bits(key) >= 2048)
			return 0;
		err_set(e, "a %d-bit %s key", EVP_PKEY_get_bits(key),
		    EVP_PKEY_is_a(key, "RSA") ? "RSA" : "RSA-PSS");
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(key,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
			snprintf(group, sizeof(group), "explicit parameters");
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "secp384r1") == 0)
			return 0;
		err_set(e, "an EC key on %s", group);
	} else {
		const char *type = EVP_PKEY_get0_type_name(key);

		err_set(e, "a key of type %s", type != NULL ? type : "unknown");
	}
	err_append(e, "; only RSA (2048 bits or more) and EC P-256/P-384 "
	    "keys are supported");
	return -1;
}

/* Never prompt on the terminal: cron has none; encrypted keys are refused. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

EVP_PKEY *
key_from_pem(const char *pem, size_t len, const char *what, struct err *e)
{
	EVP_PKEY *key = NULL;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	}
	if (key == NULL) {
		err_ssl(e, "%s holds no unencrypted PEM private key", what);
		return NULL;
	}
	if (key_check_supported(key, e) == 0)
		return key;
	EVP_PKEY_free(key);
	err_prefix(e, "%s", what);
	return NULL;
}

EVP_PKEY *
key_load(const char *path, enum store_access access, struct err *e)
{
	EVP_PKEY *key;
	char *pem = NULL;
	size_t len;

	if (store_read_private(path, KEY_FILE_MAX, access, &pem, &len, e) ==
	    -1)
		return NULL;
	key = key_from_pem(pem, len, path, e);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return key;
}

char *
key_to_pem(EVP_PKEY *key, struct err *e)
{
	char *pem = NULL, *data;
	long len;
	BIO *bio;

	/* A secure-heap BIO: the PEM text is wiped when the BIO is freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		err_ssl(e, "cannot encode private key");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if ((pem = malloc((size_t)len + 1)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
out:
	BIO_free(bio);
	return pem;
}

int
key_save(EVP_PKEY *key, const char *path, struct err *e)
{
	char *pem;
	int rc;

	if ((pem = key_to_pem(key, e)) == NULL)
		return -1;
	rc = store_write_atomic(path, pem, strlen(pem), 0600, e);
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	return rc;
}

int
key_spki_sha256(EVP_PKEY *key, char id[KEY_ID_LEN + 1], struct err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen = 0;
	int len, ok;

	len = i2d_PUBKEY(key, &der);
	ok = len > 0 && EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
	    NULL) && mdlen * 2 == KEY_ID_LEN;
	OPENSSL_free(der);
	if (!ok) {
		err_ssl(e, "cannot hash the public key");
		return -1;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

const char *
key_describe(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "EC"))
		return EVP_PKEY_get_bits(key) > 256 ? "ec-384" : "ec-256";
	switch (EVP_PKEY_get_bits(key)) {
	case 2048:
		return "rsa-2048";
	case 3072:
		return "rsa-3072";
	case 4096:
		return "rsa-4096";
	default:
		return "rsa";
	}
}
