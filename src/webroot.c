/*
 * webroot.c - the webroot challenge sink: http-01 responses as files under
 * WEBROOT/.well-known/acme-challenge/.
 *
 * acmec often runs as root in a directory the web site's owner controls.
 * Below WEBROOT everything is done relative to directory descriptors with
 * O_NOFOLLOW, so a symbolic link planted there cannot redirect a write;
 * the process umask is never changed, modes are set with fchmod().
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "str.h"
#include "webroot.h"

#define DIR_MODE	0755	/* the web server must get in ... */
#define FILE_MODE	0644	/* ... and read the responses */
#define TMP_TRIES	100

struct webroot {
	char	*root;		/* as given, for messages */
	char	*wk;		/* ROOT/.well-known, for messages */
	char	*chall;		/* ROOT/.well-known/acme-challenge */
};

static const char *const webroot_hint =
    "give -w the directory your web server serves";

/* Open the webroot itself; it may be a link, the admin's choice. */
static int
open_root(const struct webroot *w, struct err *e)
{
	int fd, saved;

	if ((fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		return fd;
	saved = errno;
	if (saved == ENOENT)
		err_set(e, "webroot %s does not exist: %s; %s", w->root,
		    strerror(saved), webroot_hint);
	else if (saved == ENOTDIR)
		err_set(e, "webroot %s is not a directory; %s", w->root,
		    webroot_hint);
	else
		err_set(e, "cannot open webroot %s: %s; run acmec as a user "
		    "who may write there", w->root, strerror(saved));
	return -1;
}

/* Why name (shown as path) under dfd could not be opened; saved: errno. */
static void
explain_open(int dfd, const char *name, const char *path, int saved,
    struct err *e)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		err_set(e, "%s is a symbolic link; acmec does not follow "
		    "links below the webroot (it may run as root): replace "
		    "it with a directory", path);
	else if (saved == ENOTDIR)
		err_set(e, "%s is not a directory; remove it or make it one",
		    path);
	else
		err_set(e, "cannot open %s: %s", path, strerror(saved));
}

static void
explain_mkdir(const char *root, const char *path, int saved, struct err *e)
{
	if (saved == EACCES || saved == EPERM || saved == EROFS)
		err_set(e, "webroot %s is not writable by this user: cannot "
		    "create %s: %s; run acmec as a user who may write there",
		    root, path, strerror(saved));
	else
		err_set(e, "cannot create %s: %s", path, strerror(saved));
}

/*
 * Open directory name (shown as path) under dfd, never through a link;
 * if create, make it first when missing, DIR_MODE whatever the umask.
 */
static int
open_subdir(int dfd, const char *name, const char *path, bool create,
    const char *root, struct err *e)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool made = false;
	int fd;

	if ((fd = openat(dfd, name, flags)) == -1 && errno == ENOENT &&
	    create) {
		if (mkdirat(dfd, name, DIR_MODE) == 0)
			made = true;
		else if (errno != EEXIST) {
			explain_mkdir(root, path, errno, e);
			return -1;
		}
		fd = openat(dfd, name, flags);
	}
	if (fd == -1) {
		explain_open(dfd, name, path, errno, e);
		return -1;
	}
	if (made && fchmod(fd, DIR_MODE) == -1) {
		err_set(e, "cannot set the mode of %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* ROOT/.well-known/acme-challenge, opened (and created if create). */
static int
open_challenge_dir(const struct webroot *w, bool create, struct err *e)
{
	int rootfd, wkfd, fd;

	if ((rootfd = open_root(w, e)) == -1)
		return -1;
	wkfd = open_subdir(rootfd, ".well-known", w->wk, create, w->root, e);
	close(rootfd);
	if (wkfd == -1)
		return -1;
	fd = open_subdir(wkfd, "acme-challenge", w->chall, create, w->root,
	    e);
	close(wkfd);
	return fd;
}

static int
webroot_check(void *ctx, struct err *e)
{
	struct webroot *w = ctx;
	int fd;

	if ((fd = open_challenge_dir(w, true, e)) == -1)
		return -1;
	/* Effective IDs: what a setuid or sudo run may really do. */
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) == -1) {
		err_set(e, "webroot %s is not writable by this user: %s: %s; "
		    "run acmec as a user who may write there", w->root,
		    w->chall, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * A new file under dfd, FILE_MODE; its name (hidden, short: a token may
 * take all of NAME_MAX) into tmp.  O_EXCL: nothing in place is reused.
 */
static int
create_temp(int dfd, char *tmp, size_t len)
{
	static unsigned counter;
	struct timespec ts;
	int fd = -1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int i = 0; i < TMP_TRIES && fd == -1; i++) {
		snprintf(tmp, len, ".acmec-%ld-%lx-%u", (long)getpid(),
		    (unsigned long)ts.tv_nsec, counter++);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd != -1 && fchmod(fd, FILE_MODE) == -1) {
		int saved = errno;

		(void)close(fd);
		(void)unlinkat(dfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Write the response to a temporary file, then rename it to token: the
 * web server serves the whole response or none.  No fsync: after a crash
 * the CA asks again.
 */
static int
webroot_put(void *ctx, const char *token, const char *key_authorization,
    struct err *e)
{
	struct webroot *w = ctx;
	char tmp[64];
	int dfd, fd, rc = -1;

	if ((dfd = open_challenge_dir(w, true, e)) == -1)
		return -1;
	if ((fd = create_temp(dfd, tmp, sizeof(tmp))) == -1) {
		err_set(e, "cannot create a file in %s: %s", w->chall,
		    strerror(errno));
		goto out;
	}
	if (store_write_all(fd, key_authorization, strlen(key_authorization)) ==
	    -1) {
		err_set(e, "cannot write %s/%s: %s", w->chall, tmp,
		    strerror(errno));
		(void)close(fd);
		(void)unlinkat(dfd, tmp, 0);
		goto out;
	}
	if (close(fd) == -1) {
		err_set(e, "cannot write %s/%s: %s", w->chall, tmp,
		    strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		goto out;
	}
	if (renameat(dfd, tmp, dfd, token) == -1) {
		err_set(e, "cannot rename %s/%s to %s: %s", w->chall, tmp,
		    token, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		goto out;
	}
	rc = 0;
out:
	close(dfd);
	return rc;
}

static void
webroot_remove(void *ctx, const char *token)
{
	struct webroot *w = ctx;
	struct err ignored;
	int dfd;

	if ((dfd = open_challenge_dir(w, false, &ignored)) == -1)
		return;
	(void)unlinkat(dfd, token, 0);
	close(dfd);
}

static void
webroot_free(void *ctx)
{
	struct webroot *w = ctx;

	if (w == NULL)
		return;
	free(w->root);
	free(w->wk);
	free(w->chall);
	free(w);
}

static const struct challenge_sink_ops webroot_ops = {
	.kind = "webroot",
	.check = webroot_check,
	.put = webroot_put,
	.remove = webroot_remove,
	.free = webroot_free,
};

struct challenge_sink *
webroot_sink_new(const char *webroot, struct err *e)
{
	struct challenge_sink *s = NULL;
	struct webroot *w;

	if ((w = calloc(1, sizeof(*w))) != NULL &&
	    (w->root = strdup(webroot)) != NULL &&
	    (w->wk = str_fmt("%s/.well-known", webroot)) != NULL &&
	    (w->chall = str_fmt("%s/acme-challenge", w->wk)) != NULL)
		s = challenge_sink_new(&webroot_ops, w);	/* takes w */
	else
		webroot_free(w);
	if (s == NULL)
		err_set(e, "out of memory");
	return s;
}
