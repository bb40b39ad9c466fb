/*
 * confine.c - the main process's own sandbox: where it may still write,
 * and the hook runner that starts programs for it.
 */
#include <stdlib.h>
#include <string.h>

#include "confine.h"
#include "hookproc.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"

void
confine_init(struct confine *c)
{
	c->dirs = NULL;
	c->n = 0;
	c->hooks = NULL;
}

/* Take copy (new, or NULL: out of memory) into the list. */
static int
take_dir(struct confine *c, char *copy, struct err *e)
{
	char **dirs;

	if (copy == NULL ||
	    (dirs = realloc(c->dirs, (c->n + 2) * sizeof(*dirs))) == NULL) {
		free(copy);
		err_set(e, "out of memory");
		return -1;
	}
	dirs[c->n++] = copy;
	dirs[c->n] = NULL;
	c->dirs = dirs;
	return 0;
}

int
confine_add_dir(struct confine *c, const char *dir, struct err *e)
{
	if (dir == NULL)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->dirs[i], dir) == 0)
			return 0;
	return take_dir(c, strdup(dir), e);
}

int
confine_add_parent(struct confine *c, const char *path, struct err *e)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (slash == NULL)
		return confine_add_dir(c, ".", e);
	if ((dir = strndup(path, slash == path ? 1 : (size_t)(slash -
	    path))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = confine_add_dir(c, dir, e);
	free(dir);
	return rc;
}

int
confine_add_spec(struct confine *c, const struct cert_spec *spec,
    struct err *e)
{
	/* The default output directory is in the state directory. */
	if (confine_add_dir(c, spec->out_dir, e) == -1)
		return -1;
	return spec->memcached != NULL ? 0 :
	    confine_add_dir(c, spec->webroot, e);
}

/* With neither a sandbox nor a network process, keep everything. */
static int
keeps_all(const struct config *cfg)
{
	return cfg->sandbox == SANDBOX_OFF || cfg->network == NULL;
}

/* The state directory, then dirs (NULL-terminated, may be NULL); new. */
static const char **
writable(const char *state_dir, const char *const *dirs, struct err *e)
{
	const char **all;
	size_t n = 0;

	while (dirs != NULL && dirs[n] != NULL)
		n++;
	if ((all = calloc(n + 2, sizeof(*all))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	all[0] = state_dir;
	for (size_t i = 0; i < n; i++)
		all[i + 1] = dirs[i];
	return all;
}

int
confine_start_hooks(struct confine *c, const struct config *cfg,
    const char *const *commands, size_t n, struct err *e)
{
	const char **dirs;
	size_t set = 0;

	for (size_t i = 0; i < n; i++)
		set += commands[i] != NULL;
	if (keeps_all(cfg) || set == 0)
		return 0;
	/* ACMEC_OUT can only be where the main process may write. */
	if ((dirs = writable(cfg->state_dir, (const char *const *)c->dirs,
	    e)) == NULL)
		return -1;
	c->hooks = hookproc_start(commands, n, dirs, e);
	free(dirs);
	return c->hooks != NULL ? 0 : -1;
}

void
confine_apply(const struct confine *c, struct config *cfg)
{
	cfg->write_dirs = (const char *const *)c->dirs;
	cfg->hooks = c->hooks;
}

int
confine_enter(const struct config *cfg, struct err *e)
{
	const char **paths;
	struct sandbox_spec spec = { .profile = SANDBOX_FILES,
	    .mode = cfg->sandbox };
	char report[256];
	int rc;

	if (keeps_all(cfg))
		return 0;
	/* Made now, so that a first run does not confine to its parent. */
	if (store_mkdirs(cfg->state_dir, 0700, e) == -1 ||
	    (paths = writable(cfg->state_dir, cfg->write_dirs, e)) == NULL)
		return -1;
	spec.write_paths = paths;
	if ((rc = sandbox_enter(&spec, report, sizeof report, e)) == 0)
		log_verbose("main process: %s", report);
	else
		err_prefix(e, "main process:");
	free(paths);
	return rc;
}

void
confine_free(struct confine *c)
{
	hookproc_free(c->hooks);
	for (size_t i = 0; i < c->n; i++)
		free(c->dirs[i]);
	free(c->dirs);
	confine_init(c);
}
