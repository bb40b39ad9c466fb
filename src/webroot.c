/* TEMPORARY */
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "webroot.h"

static int
w_check(void *ctx, struct err *e)
{
	struct stat st;

	if (stat(ctx, &st) == -1) {
		err_errno(e, "webroot %s", (char *)ctx);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(e, "webroot %s is not a directory", (char *)ctx);
		return -1;
	}
	return 0;
}

static char *
w_path(void *ctx, const char *token)
{
	char *d = store_path(ctx, ".well-known/acme-challenge"), *p;

	p = d ? store_path(d, token) : NULL;
	free(d);
	return p;
}

static int
w_put(void *ctx, const char *token, const char *ka, struct err *e)
{
	char *d = store_path(ctx, ".well-known/acme-challenge"), *p;
	mode_t old = umask(022);
	int rc = store_mkdirs(d, 0755, e);

	umask(old);
	free(d);
	if (rc == -1)
		return -1;
	p = w_path(ctx, token);
	rc = store_write_atomic(p, ka, strlen(ka), 0644, e);
	free(p);
	return rc;
}

static void
w_remove(void *ctx, const char *token)
{
	char *p = w_path(ctx, token);

	if (p != NULL)
		unlink(p);
	free(p);
}

static const struct challenge_sink_ops ops = { "webroot", w_check, w_put,
    w_remove, free };

struct challenge_sink *
webroot_sink_new(const char *webroot, struct err *e)
{
	char *copy = strdup(webroot);
	struct challenge_sink *s;

	if (copy == NULL || (s = challenge_sink_new(&ops, copy)) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	return s;
}
