/*
 * nextkey.c - the key announced for the next renewal (nextkey.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "nextkey.h"
#include "store.h"

#define NEXTKEY_MAX	(16 * 1024)	/* an rsa-4096 key takes 3.3 KiB */

/* The directory of path and its last component (new strings). */
static int
split(const char *path, char **dir, const char **name, struct err *e)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		err_set(e, "%s: not a path", path);
		return -1;
	}
	if ((*dir = strndup(path, (size_t)(slash - path))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	*name = slash + 1;
	return 0;
}

int
nextkey_read(const char *path, char **pem, size_t *len, struct err *e)
{
	const char *name;
	char *dir;
	int dfd, rc = -1;

	*pem = NULL;
	*len = 0;
	if (split(path, &dir, &name, e) == -1)
		return -1;
	/* Reading creates nothing (status reads only). */
	if (!store_exists(dir))
		rc = 1;
	else if ((dfd = store_open_dir(dir, e)) != -1) {
		rc = store_read_at(dfd, dir, name, NEXTKEY_MAX, pem, len, e);
		close(dfd);
	}
	free(dir);
	if (rc == -1)
		err_append(e, "; move it away: the next renewal then keeps the "
		    "key in use and announces a new next key");
	return rc == -1 ? -1 : 0;
}

int
nextkey_spki_sha256(const char *path, char hex[KEY_ID_LEN + 1],
    struct err *e)
{
	EVP_PKEY *key = NULL;
	char *pem;
	size_t len;
	int rc;

	hex[0] = '\0';
	if (nextkey_read(path, &pem, &len, e) == -1)
		return -1;
	if (pem == NULL)
		return 1;
	key = key_from_pem(pem, len, path, e);
	rc = key != NULL && key_spki_sha256(key, hex, e) == 0 ? 0 : -1;
	EVP_PKEY_free(key);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

int
nextkey_make(const char *path, enum key_type type, struct err *e)
{
	EVP_PKEY *key = key_generate(type, e);
	char *pem = key ? key_to_pem(key, e) : NULL, *dir = NULL;
	const char *name;
	int dfd, rc = -1;

	EVP_PKEY_free(key);
	if (pem == NULL || split(path, &dir, &name, e) == -1)
		goto out;
	if ((dfd = store_open_dir(dir, e)) != -1) {
		rc = store_write_at(dfd, dir, name, pem, strlen(pem), 0600, e);
		close(dfd);
	}
out:
	if (pem != NULL)
		OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	free(dir);
	return rc;
}
