/*
 * config.c - defaults and the layout of the state directory.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "store.h"
#include "str.h"

#define SLUG_MAX	64	/* readable part of a CA's directory name */

void
config_defaults(struct config *cfg)
{
	cfg->directory_url = CONFIG_LE_PRODUCTION;
	cfg->ca_bundle = NULL;
	cfg->state_dir = CONFIG_STATE_DIR;
	cfg->timeout = CONFIG_TIMEOUT;
	cfg->sandbox = SANDBOX_AUTO;
	cfg->given = 0;
	cfg->transport = NULL;
	cfg->network = NULL;
	cfg->write_dirs = NULL;
	cfg->hooks = NULL;
}

/* The directory URL without its scheme, [A-Za-z0-9.-] kept, the rest '_'. */
static void
url_slug(const char *url, char *out, size_t size)
{
	size_t n = 0;

	if (strncmp(url, "https://", 8) == 0)
		url += 8;
	for (; *url != '\0' && n + 1 < size; url++)
		out[n++] = isalnum((unsigned char)*url) || *url == '.' ||
		    *url == '-' ? *url : '_';
	out[n] = '\0';
}

/*
 * DIR/SLUG-HASH: readable, and distinct for every key: two keys that
 * differ only in characters the slug folds (or past SLUG_MAX) differ in
 * the hash.
 */
static char *
slug_path(const char *dir, const char *key, const char *suffix)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char slug[SLUG_MAX + 1];
	unsigned int mdlen;

	if (!EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL))
		return NULL;
	url_slug(key, slug, sizeof(slug));
	return str_fmt("%s/%s-%02x%02x%02x%02x%s", dir, slug, md[0], md[1],
	    md[2], md[3], suffix);
}

char *
config_account_dir(const struct config *cfg)
{
	char *dir = store_path(cfg->state_dir, "accounts"), *path;

	path = dir ? slug_path(dir, cfg->directory_url, "") : NULL;
	free(dir);
	return path;
}

/*
 * path resolved: links followed, trailing slashes and "." dropped, as far
 * as it exists; the rest (a directory not yet made) appended as given.
 * New string, or NULL on ENOMEM.
 */
static char *
resolved(const char *path)
{
	char *copy, *slash, *parent, *r;
	size_t len;

	if ((r = realpath(path, NULL)) != NULL || (errno != ENOENT &&
	    errno != ENOTDIR))
		return r != NULL ? r : strdup(path);
	if ((copy = strdup(path)) == NULL)
		return NULL;
	while ((len = strlen(copy)) > 1 && copy[len - 1] == '/')
		copy[len - 1] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL || slash == copy)
		return copy;
	*slash = '\0';
	if ((parent = resolved(copy)) == NULL) {
		free(copy);
		return NULL;
	}
	r = strcmp(slash + 1, ".") == 0 ? strdup(parent) : str_fmt("%s/%s",
	    strcmp(parent, "/") == 0 ? "" : parent, slash + 1);
	free(parent);
	free(copy);
	return r;
}

/*
 * STATE_DIR/sub/NAME-HASH.suffix for the output directory out_dir,
 * named after its resolved path: /x/o, /x/o/ and a link to it share one
 * lock and one order record.
 */
static char *
output_slug_path(const struct config *cfg, const char *out_dir,
    const char *sub, const char *suffix)
{
	char *dir = store_path(cfg->state_dir, sub), *abs = NULL, *key = NULL;
	char cwd[4096], *path = NULL;

	if (out_dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		abs = store_path(cwd, out_dir);
	key = resolved(abs ? abs : out_dir);
	if (dir != NULL && key != NULL)
		path = slug_path(dir, key, suffix);
	free(dir);
	free(abs);
	free(key);
	return path;
}

char *
config_output_lock(const struct config *cfg, const char *out_dir)
{
	return output_slug_path(cfg, out_dir, "locks", ".lock");
}

char *
config_order_record(const struct config *cfg, const char *out_dir)
{
	return output_slug_path(cfg, out_dir, "orders", ".json");
}

char *
config_next_key(const struct config *cfg, const char *out_dir)
{
	return output_slug_path(cfg, out_dir, "next-keys", ".pem");
}

char *
config_leak_record(const struct config *cfg, const char *out_dir)
{
	return output_slug_path(cfg, out_dir, "leaks", ".json");
}

char *
config_legacy_account_key_path(const struct config *cfg)
{
	return store_path(cfg->state_dir, "account-key.pem");
}

char *
config_legacy_account_record_path(const struct config *cfg)
{
	char slug[1024];

	url_slug(cfg->directory_url, slug, sizeof(slug));
	return str_fmt("%s/accounts/%s.json", cfg->state_dir, slug);
}

char *
config_live_dir(const struct config *cfg, const char *name)
{
	return str_fmt("%s/live/%s", cfg->state_dir, name);
}
