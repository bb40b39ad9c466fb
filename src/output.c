/*
 * output.c - the certificate files of one output directory.
 *
 * The layout, and why (see also FILES in acmec(1)):
 *
 *	OUT/privkey.pem   -> current/privkey.pem	made once, never changed
 *	OUT/cert.pem      -> current/cert.pem
 *	OUT/chain.pem     -> current/chain.pem
 *	OUT/fullchain.pem -> current/fullchain.pem
 *	OUT/current       -> versions/7			the one thing switched
 *	OUT/versions/5/, 6/, 7/				complete sets, 0700
 *
 * A new set is written into a new version directory and synced; then a
 * symbolic link to it is made under a temporary name and renamed over
 * OUT/current.  rename(2) is atomic, so every path a server opens goes
 * through one current: it finds the whole old set or the whole new one,
 * even if acmec is killed or the power fails between any two calls.  The
 * paths servers are configured with (OUT/fullchain.pem...) stay where they
 * were, and nothing is created outside OUT.  (OUT itself as a link to a
 * version beside it would need files outside OUT.)
 *
 * A directory written by an older acmec holds the four files themselves.
 * The first write copies what each name shows into a version, switches
 * current to it, then replaces each file by its link: every name shows the
 * same bytes at every instant.  Only then is the new set written.
 *
 * A version newer than current was never switched to (a killed run): the
 * next run removes it, with the temporary links; OUTPUT_KEEP versions are
 * kept, current included.
 *
 * Everything is done relative to a descriptor of OUT, and no link is
 * followed except acmec's own: a name here that is a link anywhere else
 * is refused, so reading privkey.pem never leaves OUT.
 */
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cert.h"
#include "log.h"
#include "output.h"
#include "store.h"
#include "str.h"

#define NFILES		4
#define KEY_FILE	0	/* index of privkey.pem in set_files */
#define CERT_FILE	1	/* and of cert.pem */
#define MAX_FILE	(1024 * 1024)	/* bytes copied from an old set */

static const char *const set_files[NFILES] = {
	"privkey.pem", "cert.pem", "chain.pem", "fullchain.pem"
};
static const mode_t set_modes[NFILES] = { 0600, 0644, 0644, 0644 };

/*
 * What the set in place grants its group (acmec(1): a key its group may
 * read, for a group such as ssl-cert), carried over to each new version:
 * the group of the key and of its version directory, and their group
 * read (and search) bits; never more, never to others.
 */
struct perms {
	gid_t	key_gid, dir_gid;	/* (gid_t)-1: as created */
	mode_t	key_mode, dir_mode;
};

/* What privkey.pem of a new version gets: a new key, or the one in place. */
struct key_source {
	store_writer	*write;		/* NULL: copy from */
	void			*ctx;
	int			 from;		/* -1: no key at all */
};

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

/* ------------------------------------------------------------ layout */

/* "123" and nothing else: its value in *n, 1; else 0. */
static int
version_number(const char *name, unsigned long *n)
{
	char *end;

	if (name[0] < '0' || name[0] > '9' || strlen(name) > 9)
		return 0;
	errno = 0;
	*n = strtoul(name, &end, 10);
	return *end == '\0' && errno == 0 && *n > 0;
}

/*
 * The version OUT/current points to: 1 and *n, 0 if there is no current,
 * -1 if it is anything but acmec's link to a real version directory.
 */
static int
current_version(int dfd, const char *dir, unsigned long *n, struct err *e)
{
	char target[64];
	struct stat st;
	ssize_t len;

	*n = 0;
	if (fstatat(dfd, "current", &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		err_errno(e, "cannot read %s/current", dir);
		return -1;
	}
	if (!S_ISLNK(st.st_mode) ||
	    (len = readlinkat(dfd, "current", target, sizeof(target) - 1)) ==
	    -1)
		goto bad;
	target[len] = '\0';
	if (strncmp(target, "versions/", 9) != 0 ||
	    !version_number(target + 9, n) ||
	    fstatat(dfd, "versions", &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode) ||
	    fstatat(dfd, target, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode))
		goto bad;
	return 1;
bad:
	err_set(e, "%s/current is not acmec's link to a directory in "
	    "%s/versions; acmec follows no other link: move it away", dir,
	    dir);
	return -1;
}

/*
 * Each name of the set is missing, a file (an older acmec), or acmec's
 * link NAME -> current/NAME; the files of the current version are files.
 */
static int
check_layout(int dfd, const char *dir, struct err *e)
{
	char want[64], target[64], path[64];
	unsigned long v;
	struct stat st;
	ssize_t len;
	int has;

	if ((has = current_version(dfd, dir, &v, e)) == -1)
		return -1;
	for (int i = 0; i < NFILES; i++) {
		if (fstatat(dfd, set_files[i], &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			if (errno == ENOENT)
				continue;
			err_errno(e, "cannot read %s/%s", dir, set_files[i]);
			return -1;
		}
		if (S_ISREG(st.st_mode))
			continue;
		snprintf(want, sizeof(want), "current/%s", set_files[i]);
		if (!S_ISLNK(st.st_mode) ||
		    (len = readlinkat(dfd, set_files[i], target,
		    sizeof(target) - 1)) == -1 ||
		    (target[len] = '\0', strcmp(target, want) != 0)) {
			err_set(e, "%s/%s is not a file nor acmec's link to "
			    "%s; acmec follows no other link, so that it "
			    "never reads or writes outside %s: move it away",
			    dir, set_files[i], want, dir);
			return -1;
		}
		if (!has)
			continue;
		snprintf(path, sizeof(path), "versions/%lu/%s", v,
		    set_files[i]);
		if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode)) {
			err_set(e, "%s/%s is not a regular file; acmec "
			    "follows no link there: move it away", dir, path);
			return -1;
		}
	}
	return 0;
}

/* --------------------------------------------------------- leftovers */

/* Remove version directory name (only files in it) from versions/. */
static void
remove_version(int vfd, const char *name)
{
	struct dirent *ent;
	DIR *d;
	int fd;

	fd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((ent = readdir(d)) != NULL)
		if (strcmp(ent->d_name, ".") != 0 &&
		    strcmp(ent->d_name, "..") != 0)
			(void)unlinkat(fd, ent->d_name, 0);
	closedir(d);
	if (unlinkat(vfd, name, AT_REMOVEDIR) == -1)
		log_error("cannot remove %s: %s", name, strerror(errno));
}

static int
cmp_desc(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * In versions/: remove every version newer than current (never switched
 * to) and all but the newest keep - 1 older than it.  *max gets the
 * highest number kept.
 */
static void
prune_versions(int dfd, unsigned long current, int keep,
    unsigned long *max)
{
	unsigned long *older = NULL, *grown, n;
	size_t nolder = 0;
	struct dirent *ent;
	char name[24];
	DIR *d;
	int vfd;

	*max = current;
	vfd = openat(dfd, "versions", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (vfd == -1)
		return;
	if ((d = fdopendir(dup(vfd))) == NULL) {
		close(vfd);
		return;
	}
	while ((ent = readdir(d)) != NULL) {
		if (!version_number(ent->d_name, &n) || n == current)
			continue;
		if (n > current) {
			remove_version(vfd, ent->d_name);
			continue;
		}
		if ((grown = realloc(older, (nolder + 1) * sizeof(*older))) ==
		    NULL) {
			if (n > *max)
				*max = n;
			continue;
		}
		older = grown;
		older[nolder++] = n;
	}
	closedir(d);
	if (nolder > 0)
		qsort(older, nolder, sizeof(*older), cmp_desc);
	for (size_t i = 0; i < nolder; i++)
		if (i + 1 >= (size_t)keep) {
			snprintf(name, sizeof(name), "%lu", older[i]);
			remove_version(vfd, name);
		}
	(void)fsync(vfd);
	close(vfd);
	free(older);
}

/*
 * What a killed run left: temporary links, versions never switched to,
 * and the temporary files of an older acmec (NAME.tmp.XXXXXX).
 */
static void
clean_leftovers(int dfd, unsigned long current)
{
	struct dirent *ent;
	char tmp[64];
	unsigned long max;
	DIR *d;

	(void)unlinkat(dfd, ".current.new", 0);
	for (int i = 0; i < NFILES; i++) {
		snprintf(tmp, sizeof(tmp), ".%s.new", set_files[i]);
		(void)unlinkat(dfd, tmp, 0);
	}
	if ((d = fdopendir(dup(dfd))) != NULL) {
		while ((ent = readdir(d)) != NULL)
			for (int i = 0; i < NFILES; i++) {
				size_t len = strlen(set_files[i]);
				if (strncmp(ent->d_name, set_files[i], len) ==
				    0 && strncmp(ent->d_name + len, ".tmp.",
				    5) == 0 && strlen(ent->d_name + len) == 11)
					(void)unlinkat(dfd, ent->d_name, 0);
			}
		closedir(d);
	}
	/* Without a current, every version is one never switched to. */
	prune_versions(dfd, current, current ? OUTPUT_KEEP : 0, &max);
}

/* ---------------------------------------------------------------- room */

/*
 * The directory, or the nearest parent that exists, takes new files and
 * has OUTPUT_MIN_FREE bytes free: an order whose certificate could not be
 * written would be lost, on every run.
 */
static int
check_room(const char *dir, struct err *e)
{
	char *path = strdup(dir), *parent;
	struct statvfs vfs;
	struct stat st;
	int rc = -1;

	if (path == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	while (stat(path, &st) == -1 && errno == ENOENT &&
	    strcmp(path, "/") != 0 && strcmp(path, ".") != 0) {
		parent = strdup(dirname(path));
		free(path);
		if ((path = parent) == NULL) {
			err_set(e, "out of memory");
			return -1;
		}
	}
	if (access(path, W_OK | X_OK) == -1) {
		err_errno(e, "cannot write certificates to %s: %s", dir, path);
		goto out;
	}
	if (statvfs(path, &vfs) == -1) {
		err_errno(e, "cannot see the free space of %s: %s", dir, path);
		goto out;
	}
	if ((unsigned long long)vfs.f_bavail * vfs.f_frsize <
	    OUTPUT_MIN_FREE || (vfs.f_files > 0 && vfs.f_favail < 16)) {
		err_set(e, "cannot write certificates to %s: the file system "
		    "of %s has %llu KiB and %llu inodes free, acmec needs "
		    "%d KiB before it orders a certificate", dir, path,
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024,
		    (unsigned long long)vfs.f_favail, OUTPUT_MIN_FREE / 1024);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- open */

static int
open_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		err_errno(e, "cannot open %s", dir);
	return fd;
}

struct output *
output_open(const char *dir, const char *lock_path, bool *busy,
    struct err *e)
{
	struct output *o;
	char *lock_dir = NULL, *slash;
	unsigned long current;
	int dfd = -1;

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
	if (store_mkdirs(lock_dir, 0700, e) == -1)
		goto fail;
	if (busy != NULL) {
		if ((*busy = store_lock_try(lock_path, &o->lock, e) == 0) ||
		    o->lock == -1)
			goto fail;
	} else if ((o->lock = store_lock_path(lock_path, OUTPUT_LOCK_WAIT,
	    e)) == -1)
		goto fail;
	if (store_exists(dir)) {
		if ((dfd = open_dir(dir, e)) == -1 ||
		    check_layout(dfd, dir, e) == -1 ||
		    current_version(dfd, dir, &current, e) == -1)
			goto fail;
		clean_leftovers(dfd, current);
		close(dfd);
		dfd = -1;
	}
	if (check_room(dir, e) == -1)
		goto fail;
	free(lock_dir);
	return o;
fail:
	if (dfd != -1)
		close(dfd);
	free(lock_dir);
	output_free(o);
	return NULL;
}

int
output_current_names(const struct output *o, struct names *names,
    struct err *e)
{
	X509 *cert = NULL;
	int rc;

	if ((rc = output_read_cert(o->dir, &cert, NULL, e)) == 1)
		rc = cert_names(cert, names, e);
	X509_free(cert);
	return rc;
}

/* --------------------------------------------------------------- write */

/*
 * The group and mode of fd as the version before had them; a group acmec
 * may not give (not root, not one of ours) leaves it private, warned.
 */
static int
give_group(int fd, gid_t gid, mode_t mode, mode_t private_mode,
    const char *path)
{
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1) {
		log_error("warning: cannot give %s the group %lu of the "
		    "version before it (%s); it is private (mode %04o)", path,
		    (unsigned long)gid, strerror(errno),
		    (unsigned)private_mode);
		mode = private_mode;
	}
	return fchmod(fd, mode);
}

/*
 * Fill the new privkey.pem at fd (in vdir): the writer puts a new key
 * there, or the key in place is copied in the kernel (sendfile), so that
 * this process never holds its bytes.
 */
static int
fill_key(int fd, const char *vdir, const struct key_source *k, struct err *e)
{
	ssize_t n;

	if (k->write != NULL) {
		if (k->write(k->ctx, fd, e) == 0)
			return 0;
		err_prefix(e, "cannot write %s/privkey.pem", vdir);
		return -1;
	}
	if (lseek(k->from, 0, SEEK_SET) == 0)
		while ((n = sendfile(fd, k->from, NULL, MAX_FILE)) > 0)
			;
	else
		n = -1;
	if (n == 0)
		return 0;
	err_errno(e, "cannot copy the key in place to %s/privkey.pem", vdir);
	return -1;
}

/* The key (if any) into fd, then fd synced; the message says which failed. */
static int
fsync_after_key(int fd, const struct key_source *key, const char *vdir,
    struct err *e)
{
	if (key != NULL && fill_key(fd, vdir, key, e) == -1)
		return -1;
	if (fsync(fd) == 0)
		return 0;
	err_errno(e, "cannot sync a file in %s", vdir);
	return -1;
}

/* Create file i in version directory vdir (fd vfd): text, or key's. */
static int
write_file(int vfd, const char *vdir, int i, const char *text, size_t len,
    const struct key_source *key, const struct perms *p, struct err *e)
{
	int fd, rc;

	fd = openat(vfd, set_files[i], O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		err_errno(e, "cannot create %s/%s", vdir, set_files[i]);
		return -1;
	}
	if (i == KEY_FILE) {
		char *path = str_fmt("%s/%s", vdir, set_files[i]);

		rc = give_group(fd, p->key_gid, p->key_mode, 0600,
		    path ? path : vdir);
		free(path);
	} else
		rc = fchmod(fd, set_modes[i]);
	if (rc == 0 && i != KEY_FILE)
		rc = store_write_all(fd, text, len);
	if (rc == -1 || fsync_after_key(fd, i == KEY_FILE ? key : NULL, vdir,
	    e) == -1) {
		if (rc == -1)
			err_errno(e, "cannot write %s/%s", vdir, set_files[i]);
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		err_errno(e, "cannot write %s/%s", vdir, set_files[i]);
		return -1;
	}
	return 0;
}

/*
 * Open what OUT/NAME shows, following no link but acmec's own: NAME itself
 * if it is not a link, else NAME in the version current names, each step
 * opened with O_NOFOLLOW, so that a link put there after check_layout is
 * refused rather than followed.  O_NONBLOCK: a FIFO opens at once (and the
 * caller's S_ISREG check refuses it) instead of waiting for a writer.
 * 1 and *fd, 0 if there is no such file, -1.
 */
static int
open_shown(int dfd, const char *dir, int i, int *fd, struct err *e)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC;
	const int dflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	char name[24];
	unsigned long v;
	struct stat st;
	int vfd = -1, nfd = -1, has, saved;

	*fd = -1;
	if (fstatat(dfd, set_files[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
		saved = errno;
	else if (!S_ISLNK(st.st_mode)) {
		*fd = openat(dfd, set_files[i], flags);
		saved = errno;
	} else {
		/* acmec's link (check_layout): current/NAME, as it is now. */
		if ((has = current_version(dfd, dir, &v, e)) != 1)
			return has;
		snprintf(name, sizeof(name), "%lu", v);
		if ((vfd = openat(dfd, "versions", dflags)) != -1 &&
		    (nfd = openat(vfd, name, dflags)) != -1)
			*fd = openat(nfd, set_files[i], flags);
		saved = errno;
		if (nfd != -1)
			close(nfd);
		if (vfd != -1)
			close(vfd);
	}
	if (*fd != -1)
		return 1;
	if (saved == ENOENT)
		return 0;
	errno = saved;
	err_errno(e, "cannot open %s/%s (acmec follows no link there but "
	    "its own)", dir, set_files[i]);
	return -1;
}

/*
 * Open what OUT/NAME shows (through acmec's link, checked by
 * check_layout), a regular file of at most MAX_FILE bytes: 1 and *fd,
 * its size in *size and its mtime in *mtime (each if not NULL), 0 if
 * there is no such file.  With private (the path for messages), it is
 * checked as a key its group may read (store_check_private).
 */
static int
open_checked(int dfd, const char *dir, int i, const char *private, int *fd,
    off_t *size, struct timespec *mtime, struct err *e)
{
	struct stat st;
	int rc;

	if ((rc = open_shown(dfd, dir, i, fd, e)) != 1)
		return rc;
	if (fstat(*fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE)
		err_set(e, "%s/%s is not a regular file of at most %d bytes",
		    dir, set_files[i], MAX_FILE);
	else if (private == NULL ||
	    store_check_private(private, &st, STORE_GROUP_READ, e) == 0) {
		if (mtime != NULL)
			*mtime = st.st_mtim;
		if (size != NULL)
			*size = st.st_size;
		return 1;
	}
	close(*fd);
	*fd = -1;
	return -1;
}

/* open_checked, then the file read: 1 and *text (new), *len. */
static int
read_shown_checked(int dfd, const char *dir, int i, const char *private,
    char **text, size_t *len, struct timespec *mtime, struct err *e)
{
	char *buf = NULL;
	ssize_t n;
	off_t size;
	int fd, rc;

	*text = NULL;
	*len = 0;
	if ((rc = open_checked(dfd, dir, i, private, &fd, &size, mtime, e)) !=
	    1)
		return rc;
	if ((buf = malloc((size_t)size + 1)) == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	while ((n = read(fd, buf + *len, (size_t)size - *len)) > 0)
		*len += (size_t)n;
	if (n == -1 || *len != (size_t)size) {
		err_errno(e, "cannot read %s/%s", dir, set_files[i]);
		goto fail;
	}
	close(fd);
	buf[*len] = '\0';
	*text = buf;
	return 1;
fail:
	close(fd);
	free(buf);
	return -1;
}

static int
read_shown(int dfd, const char *dir, int i, char **text, size_t *len,
    struct timespec *mtime, struct err *e)
{
	return read_shown_checked(dfd, dir, i, NULL, text, len, mtime, e);
}

int
output_open_key(const struct output *o, int *fd, struct err *e)
{
	int dfd, rc;

	*fd = -1;
	if (!store_exists(o->dir))
		return 0;
	if ((dfd = open_dir(o->dir, e)) == -1)
		return -1;
	if ((rc = check_layout(dfd, o->dir, e)) == 0)
		rc = open_checked(dfd, o->dir, KEY_FILE, o->key_path, fd, NULL,
		    NULL, e);
	close(dfd);
	return rc;
}

int
output_read_cert(const char *dir, X509 **cert, struct timespec *mtime,
    struct err *e)
{
	STACK_OF(X509) *chain = NULL;
	char *pem = NULL;
	size_t len = 0;
	int dfd, rc;

	*cert = NULL;
	if (mtime != NULL)
		*mtime = (struct timespec){ 0, 0 };
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		err_errno(e, "cannot open %s", dir);
		return -1;
	}
	if ((rc = check_layout(dfd, dir, e)) == 0)
		rc = read_shown(dfd, dir, CERT_FILE, &pem, &len, mtime, e);
	close(dfd);
	if (rc == 1 && (chain = cert_chain_parse(pem, len, e)) == NULL) {
		err_set(e, "%s/cert.pem holds no PEM certificate", dir);
		rc = -1;
	}
	if (chain != NULL) {
		*cert = sk_X509_shift(chain);
		cert_chain_free(chain);
	}
	free(pem);
	return rc;
}

/* Whether the new version has file i: texts[i], or a key to fill in. */
static bool
in_version(char *const texts[NFILES], const struct key_source *key, int i)
{
	if (i == KEY_FILE)
		return key->write != NULL || key->from != -1;
	return texts[i] != NULL;
}

/*
 * Write texts[i] (NULL: none) and the key into a new version directory,
 * synced with its parent; its number in *v.
 */
static int
write_version(int dfd, const char *dir, char *const texts[NFILES],
    const size_t lens[NFILES], const struct key_source *key,
    const struct perms *p, unsigned long *v, struct err *e)
{
	char vdir[32], *shown = NULL;
	unsigned long current, max;
	int vfd = -1, fd = -1, rc = -1;

	if (mkdirat(dfd, "versions", 0700) == -1 && errno != EEXIST) {
		err_errno(e, "cannot create %s/versions", dir);
		return -1;
	}
	if ((vfd = openat(dfd, "versions", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		err_errno(e, "cannot open %s/versions", dir);
		return -1;
	}
	/* Under the lock: only a killed run left a version above current. */
	if (current_version(dfd, dir, &current, e) == -1)
		goto out;
	prune_versions(dfd, current, INT_MAX, &max);
	*v = max + 1;
	snprintf(vdir, sizeof(vdir), "%lu", *v);
	if ((shown = str_fmt("%s/versions/%s", dir, vdir)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (mkdirat(vfd, vdir, 0700) == -1) {
		err_errno(e, "cannot create %s", shown);
		goto out;
	}
	if ((fd = openat(vfd, vdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		err_errno(e, "cannot open %s", shown);
		goto out;
	}
	if (give_group(fd, p->dir_gid, p->dir_mode, 0700, shown) == -1) {
		err_errno(e, "cannot set the mode of %s", shown);
		goto out;
	}
	for (int i = 0; i < NFILES; i++)
		if (in_version(texts, key, i) && write_file(fd, shown, i,
		    texts[i], lens[i], key, p, e) == -1)
			goto out;
	if (fsync(fd) == -1 || fsync(vfd) == -1) {
		err_errno(e, "cannot sync %s", shown);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	close(vfd);
	free(shown);
	return rc;
}

/* Make link name -> target under a temporary name, rename it over name. */
static int
replace_link(int dfd, const char *dir, const char *target, const char *name,
    struct err *e)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), ".%s.new", name);
	if ((unlinkat(dfd, tmp, 0) == -1 && errno != ENOENT) ||
	    symlinkat(target, dfd, tmp) == -1) {
		err_errno(e, "cannot create the link %s/%s", dir, tmp);
		return -1;
	}
	if (renameat(dfd, tmp, dfd, name) == -1) {
		err_errno(e, "cannot rename %s/%s to %s", dir, tmp, name);
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

/*
 * The switch: current -> versions/v in one rename, then each file of the
 * version gets its link OUT/NAME -> current/NAME if it has none yet
 * (the first write, or a file of an older acmec that shows the same bytes
 * as the version).
 */
static int
switch_to(int dfd, const char *dir, unsigned long v,
    char *const texts[NFILES], const struct key_source *key, struct err *e)
{
	char target[40], link[40];
	struct stat st;

	snprintf(target, sizeof(target), "versions/%lu", v);
	if (replace_link(dfd, dir, target, "current", e) == -1)
		return -1;
	for (int i = 0; i < NFILES; i++) {
		if (!in_version(texts, key, i) || (fstatat(dfd, set_files[i], &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)))
			continue;
		snprintf(link, sizeof(link), "current/%s", set_files[i]);
		if (replace_link(dfd, dir, link, set_files[i], e) == -1)
			return -1;
	}
	if (fsync(dfd) == -1) {
		err_errno(e, "cannot sync %s", dir);
		return -1;
	}
	return 0;
}

static void
free_texts(char *texts[NFILES], size_t lens[NFILES])
{
	for (int i = 0; i < NFILES; i++) {
		if (texts[i] != NULL)
			OPENSSL_cleanse(texts[i], lens[i]);
		free(texts[i]);
		texts[i] = NULL;
	}
}

/*
 * The group access of the set in place: its key's, and that of the
 * directory holding it (the current version, or OUT for an older acmec's
 * files).  Nothing in place: 0600 in 0700, as created.
 */
static void
perms_in_place(int dfd, const char *dir, struct perms *p)
{
	struct err ignored;
	struct stat st;
	char path[40];
	unsigned long v;
	int fd;

	*p = (struct perms){ (gid_t)-1, (gid_t)-1, 0600, 0700 };
	if (current_version(dfd, dir, &v, &ignored) == 1) {
		snprintf(path, sizeof(path), "versions/%lu", v);
		if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			p->dir_gid = st.st_gid;
			p->dir_mode |= st.st_mode & 0050;
		}
	} else if (fstat(dfd, &st) == 0) {
		p->dir_gid = st.st_gid;
		p->dir_mode |= st.st_mode & 0050;
	}
	if (open_shown(dfd, dir, KEY_FILE, &fd, &ignored) != 1)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		p->key_gid = st.st_gid;
		p->key_mode |= st.st_mode & 0040;
	}
	close(fd);
}

/*
 * A directory of an older acmec (a file at one of the names): make a
 * version of what the names show, switch to it, and put the links in
 * place of the files.  Each name shows the same bytes throughout.
 */
static int
migrate(int dfd, const char *dir, struct err *e)
{
	char *texts[NFILES] = { NULL };
	size_t lens[NFILES] = { 0 };
	struct key_source key = { NULL, NULL, -1 };
	struct perms p;
	struct stat st;
	unsigned long v;
	int files = 0, rc = -1;

	for (int i = 0; i < NFILES; i++)
		if (fstatat(dfd, set_files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			files++;
	if (files == 0)
		return 0;
	log_info("%s: the files of an older acmec are copied to %s/versions "
	    "and replaced by links (once)", dir, dir);
	for (int i = 0; i < NFILES; i++)
		if (i != KEY_FILE && read_shown(dfd, dir, i, &texts[i],
		    &lens[i], NULL, e) == -1)
			goto out;
	if (open_checked(dfd, dir, KEY_FILE, NULL, &key.from, NULL, NULL,
	    e) == -1)
		goto out;
	perms_in_place(dfd, dir, &p);
	if (write_version(dfd, dir, texts, lens, &key, &p, &v, e) == -1 ||
	    switch_to(dfd, dir, v, texts, &key, e) == -1)
		goto out;
	rc = 0;
out:
	if (key.from != -1)
		close(key.from);
	free_texts(texts, lens);
	return rc;
}

int
output_write(struct output *o, store_writer *new_key, void *ctx,
    STACK_OF(X509) *chain, struct err *e)
{
	char *texts[NFILES] = { NULL };
	size_t lens[NFILES] = { 0 };
	struct key_source key = { new_key, ctx, -1 };
	int n = sk_X509_num(chain), dfd = -1, rc = -1;
	unsigned long v, max;
	struct perms p;

	if ((texts[1] = cert_chain_pem(chain, 0, 1, e)) == NULL ||
	    (texts[2] = cert_chain_pem(chain, 1, n, e)) == NULL ||
	    (texts[3] = cert_chain_pem(chain, 0, n, e)) == NULL ||
	    store_mkdirs(o->dir, 0700, e) == -1 ||
	    (dfd = open_dir(o->dir, e)) == -1 ||
	    check_layout(dfd, o->dir, e) == -1 ||
	    migrate(dfd, o->dir, e) == -1)
		goto out;
	/* No new key: the version carries the one in place, if any. */
	if (new_key == NULL && open_checked(dfd, o->dir, KEY_FILE, NULL,
	    &key.from, NULL, NULL, e) == -1)
		goto out;
	for (int i = 1; i < NFILES; i++)
		lens[i] = strlen(texts[i]);
	perms_in_place(dfd, o->dir, &p);
	if (write_version(dfd, o->dir, texts, lens, &key, &p, &v, e) == -1 ||
	    switch_to(dfd, o->dir, v, texts, &key, e) == -1)
		goto out;
	prune_versions(dfd, v, OUTPUT_KEEP, &max);
	rc = 0;
out:
	if (key.from != -1)
		close(key.from);
	if (dfd != -1)
		close(dfd);
	free_texts(texts, lens);
	return rc;
}

int
output_drop_old_versions(struct output *o, struct err *e)
{
	unsigned long current = 0, max;
	int dfd, found = -1;

	if ((dfd = open_dir(o->dir, e)) == -1)
		return -1;
	if (check_layout(dfd, o->dir, e) == 0 &&
	    (found = current_version(dfd, o->dir, &current, e)) == 0)
		err_set(e, "%s has no current version", o->dir);
	if (found == 1)
		prune_versions(dfd, current, 1, &max);
	close(dfd);
	return found == 1 ? 0 : -1;
}
