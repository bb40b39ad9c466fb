/*
 * webroot.c - http-01 challenge files.  The token comes from the CA and is
 * untrusted: only base64url tokens become file names, so no path can leave
 * WEBROOT/.well-known/acme-challenge/.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64url.h"
#include "store.h"
#include "webroot.h"

#define CHALLENGE_DIR ".well-known/acme-challenge"

struct webroot {
	char	 *dir;		/* WEBROOT/.well-known/acme-challenge */
	char	**written;	/* full paths, removed by cleanup */
	size_t	  nwritten;
};

struct webroot *
webroot_new(const char *dir, struct err *e)
{
	struct webroot *w;
	struct stat st;

	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_errno(e, "webroot %s is not a directory", dir);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->dir = store_path(dir, CHALLENGE_DIR)) == NULL) {
		free(w);
		err_set(e, "out of memory");
		return NULL;
	}
	return w;
}

void
webroot_cleanup(struct webroot *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nwritten; i++) {
		(void)unlink(w->written[i]);
		free(w->written[i]);
	}
	w->nwritten = 0;
}

void
webroot_free(struct webroot *w)
{
	if (w == NULL)
		return;
	webroot_cleanup(w);
	free(w->written);
	free(w->dir);
	free(w);
}

static int
remember(struct webroot *w, char *path)
{
	char **grown;

	grown = realloc(w->written, (w->nwritten + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	w->written = grown;
	w->written[w->nwritten++] = path;
	return 0;
}

int
webroot_put(struct webroot *w, const char *token,
    const char *key_authorization, struct err *e)
{
	char *path;
	mode_t old;
	int rc;

	if (!b64url_is_valid(token)) {
		err_set(e, "the CA sent a challenge token that is not "
		    "base64url; refusing to use it as a file name");
		return -1;
	}
	/* The web server, not only us, must read these: 0755 and 0644. */
	old = umask(022);
	rc = store_mkdirs(w->dir, 0755, e);
	umask(old);
	if (rc == -1)
		return -1;
	if ((path = store_path(w->dir, token)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (remember(w, path) == -1) {
		free(path);
		err_set(e, "out of memory");
		return -1;
	}
	return store_write_atomic(path, key_authorization,
	    strlen(key_authorization), 0644, e);
}
