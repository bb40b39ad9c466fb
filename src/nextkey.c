/*
 * nextkey.c - the key announced for the next renewal (nextkey.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certkeyproc.h"
#include "nextkey.h"
#include "store.h"

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
nextkey_open(const char *path, int *fd, struct err *e)
{
	const char *name;
	char *dir;
	int dfd, rc = 1;

	*fd = -1;
	if (split(path, &dir, &name, e) == -1)
		return -1;
	/* Opening creates nothing (status reads only). */
	if (!store_exists(dir))
		rc = 1;
	else if ((dfd = store_open_dir(dir, e)) == -1)
		rc = -1;
	else {
		rc = store_open_at(dfd, dir, name, fd, e);
		close(dfd);
	}
	free(dir);
	if (rc == -1)
		err_append(e, "; move it away: the next renewal then keeps the "
		    "key in use and announces a new next key");
	return rc == -1 ? -1 : 0;
}

int
nextkey_spki_sha256(const char *path, struct certkeyproc *p,
    char hex[KEY_ID_LEN + 1], struct err *e)
{
	EVP_PKEY *pub;
	int fd, rc;

	hex[0] = '\0';
	if (nextkey_open(path, &fd, e) == -1)
		return -1;
	if (fd == -1)
		return 1;
	pub = certkeyproc_peek(p, fd, path, e);
	close(fd);
	rc = pub != NULL && key_spki_sha256(pub, hex, e) == 0 ? 0 : -1;
	EVP_PKEY_free(pub);
	return rc;
}

/* What nextkey_make has the key process write: a new key, its id kept. */
struct making {
	struct certkeyproc	*proc;
	enum key_type		 type;
	char			*hex;
};

static int
make_into(void *ctx, int fd, struct err *e)
{
	struct making *m = ctx;
	EVP_PKEY *pub;
	int rc;

	if ((pub = certkeyproc_make(m->proc, m->type, fd, e)) == NULL)
		return -1;
	rc = key_spki_sha256(pub, m->hex, e);
	EVP_PKEY_free(pub);
	return rc;
}

int
nextkey_make(const char *path, struct certkeyproc *p, enum key_type type,
    char hex[KEY_ID_LEN + 1], struct err *e)
{
	struct making m = { p, type, hex };
	const char *name;
	char *dir = NULL;
	int dfd, rc = -1;

	hex[0] = '\0';
	if (split(path, &dir, &name, e) == -1)
		return -1;
	if ((dfd = store_open_dir(dir, e)) != -1) {
		rc = store_fill_at(dfd, dir, name, 0600, make_into, &m, e);
		close(dfd);
	}
	free(dir);
	return rc;
}
