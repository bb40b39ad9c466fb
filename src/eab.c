/*
 * eab.c - where the external account binding's HMAC key comes from.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64url.h"
#include "eab.h"
#include "store.h"

#define EAB_FILE_MAX	4096	/* a key is some 40 to 90 characters */

void
eab_key_free(char *key)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, strlen(key));
	free(key);
}

/* A key a CA gives: base64url.  The message never shows the secret. */
static int
check_key(const char *key, const char *where, struct err *e)
{
	unsigned char *raw;
	size_t len;

	if (*key == '\0') {
		err_set(e, "%s: the EAB HMAC key is empty", where);
		return -1;
	}
	if ((raw = b64url_decode(key, &len)) == NULL) {
		err_set(e, "%s: the EAB HMAC key is not base64url (letters, "
		    "digits, - and _, no padding): give the key the CA gave "
		    "you", where);
		return -1;
	}
	OPENSSL_cleanse(raw, len);
	free(raw);
	return 0;
}

int
eab_key_read_file(const char *path, char **key, struct err *e)
{
	char *text, *nl;
	size_t len;

	*key = NULL;
	if (store_read_private(path, EAB_FILE_MAX, STORE_WARN, &text, &len,
	    e) == -1)
		return -1;
	/* The first line; a CRLF from an editor elsewhere is stripped too. */
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	if ((nl = strchr(text, '\r')) != NULL)
		*nl = '\0';
	if (check_key(text, path, e) == -1) {
		OPENSSL_cleanse(text, len);
		free(text);
		return -1;
	}
	*key = strdup(text);
	OPENSSL_cleanse(text, len);
	free(text);
	if (*key == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	return 0;
}

static int
dup_key(const char *value, const char *where, char **key, struct err *e)
{
	if (check_key(value, where, e) == -1)
		return -1;
	if ((*key = strdup(value)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	return 0;
}

int
eab_key_get(const char *value, const char *file, char **key, struct err *e)
{
	const char *env;

	*key = NULL;
	if (value != NULL)
		return dup_key(value, "--eab-hmac-key", key, e);
	if (file != NULL)
		return eab_key_read_file(file, key, e);
	if ((env = getenv(EAB_KEY_ENV)) != NULL)
		return dup_key(env, EAB_KEY_ENV, key, e);
	return 0;
}
