/*
 * output.c - the certificate files of one output directory.
 */
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "output.h"
#include "store.h"

struct output {
	char	*dir;
	char	*key_path;
	int	 lock;		/* -1 when not held */
};

void
output_unlock(struct output *o)
{
	if (o == NULL)
		return;
	store_unlock(o->lock);
	o->lock = -1;
}

void
output_free(struct output *o)
{
	if (o == NULL)
		return;
	output_unlock(o);
	free(o->dir);
	free(o->key_path);
	free(o);
}

struct output *
output_open(const char *dir, const char *lock_path, struct err *e)
{
	struct output *o;
	char *lock_dir = NULL, *slash;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->dir = strdup(dir)) == NULL ||
	    (o->key_path = store_path(dir, "privkey.pem")) == NULL ||
	    (lock_dir = strdup(lock_path)) == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	o->lock = -1;
	if ((slash = strrchr(lock_dir, '/')) != NULL && slash != lock_dir)
		*slash = '\0';
	if (store_mkdirs(lock_dir, 0700, e) == -1 ||
	    (o->lock = store_lock_path(lock_path, OUTPUT_LOCK_WAIT, e)) == -1)
		goto fail;
	free(lock_dir);
	return o;
fail:
	free(lock_dir);
	output_free(o);
	return NULL;
}

const char *
output_dir(const struct output *o)
{
	return o->dir;
}

const char *
output_key_path(const struct output *o)
{
	return o->key_path;
}

int
output_current_names(const struct output *o, struct names *names,
    struct err *e)
{
	char *path = store_path(o->dir, "cert.pem");
	X509 *cert = NULL;
	int rc = -1;

	if (path == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if (!store_exists(path))
		rc = 0;
	else if ((cert = cert_load(path, e)) != NULL)
		rc = cert_names(cert, names, e);
	X509_free(cert);
	free(path);
	return rc;
}

/* Add DIR/name to the set of files replaced together. */
static int
add_file(struct store_set *set, const char *dir, const char *name,
    const char *text, mode_t mode, struct err *e)
{
	char *path = store_path(dir, name);
	int rc;

	if (path == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = store_set_add(set, path, text, strlen(text), mode, e);
	free(path);
	return rc;
}

/* Key first, fullchain.pem (what servers usually load) last. */
static int
stage_and_commit(struct output *o, const char *key_pem, const char *leaf,
    const char *rest, const char *full, struct err *e)
{
	struct store_set *set;
	int rc = -1;

	if ((set = store_set_new()) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((key_pem == NULL ||
	    add_file(set, o->dir, "privkey.pem", key_pem, 0600, e) == 0) &&
	    add_file(set, o->dir, "cert.pem", leaf, 0644, e) == 0 &&
	    add_file(set, o->dir, "chain.pem", rest, 0644, e) == 0 &&
	    add_file(set, o->dir, "fullchain.pem", full, 0644, e) == 0 &&
	    store_set_commit(set, e) == 0)
		rc = 0;
	store_set_free(set);
	return rc;
}

int
output_write(struct output *o, const char *key_pem, STACK_OF(X509) *chain,
    struct err *e)
{
	int n = sk_X509_num(chain), rc = -1;
	char *leaf, *rest = NULL, *full = NULL;

	leaf = cert_chain_pem(chain, 0, 1, e);
	if (leaf != NULL)
		rest = cert_chain_pem(chain, 1, n, e);
	if (rest != NULL)
		full = cert_chain_pem(chain, 0, n, e);
	if (full != NULL && store_mkdirs(o->dir, 0700, e) == 0)
		rc = stage_and_commit(o, key_pem, leaf, rest, full, e);
	free(leaf);
	free(rest);
	free(full);
	return rc;
}
