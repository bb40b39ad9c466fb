/*
 * store.c - files acmec keeps: atomic writes, private directories, bounded
 * reads and the lock that serializes overlapping runs.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "log.h"
#include "store.h"
#include "str.h"

char *
store_path(const char *dir, const char *name)
{
	return str_fmt("%s/%s", dir, name);
}

int
store_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
store_mkdirs(const char *path, mode_t mode, struct err *e)
{
	struct stat st;
	char *copy, *p;
	int rc = -1;

	/* The walk below starts past the first byte: "" has none. */
	if (*path == '\0') {
		err_set(e, "cannot create a directory with an empty name; "
		    "give a directory path");
		return -1;
	}
	if ((copy = strdup(path)) == NULL) {
		err_errno(e, "%s", path);
		return -1;
	}
	/* Walk the path, creating each missing component in turn. */
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && (errno != EEXIST ||
		    stat(copy, &st) == -1 || !S_ISDIR(st.st_mode))) {
			if (errno == EEXIST || errno == 0)
				errno = ENOTDIR;
			err_errno(e, "cannot create directory %s", copy);
			goto out;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static void
fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		return;
	/* Make the rename itself durable; failure here is not fatal. */
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int
store_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write data to a new temporary file next to path, synced; *tmp is new. */
static int
stage(const char *path, const void *data, size_t len, mode_t mode,
    char **tmp, struct err *e)
{
	int fd;

	if ((*tmp = str_fmt("%s.tmp.XXXXXX", path)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	/* mkstemp creates 0600 whatever the umask; fchmod sets the mode. */
	if ((fd = mkstemp(*tmp)) == -1) {
		err_errno(e, "cannot create a temporary file next to %s", path);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(fd, mode) == -1 || store_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		err_errno(e, "cannot write %s", *tmp);
		(void)close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		err_errno(e, "cannot write %s", *tmp);
		goto fail;
	}
	return 0;
fail:
	(void)unlink(*tmp);
	free(*tmp);
	*tmp = NULL;
	return -1;
}

/* Rename a staged file over path and make the rename durable. */
static int
commit(const char *tmp, const char *path, struct err *e)
{
	if (rename(tmp, path) == -1) {
		err_errno(e, "cannot rename %s to %s", tmp, path);
		return -1;
	}
	fsync_parent(path);
	return 0;
}

int
store_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *e)
{
	char *tmp;
	int rc;

	if (stage(path, data, len, mode, &tmp, e) == -1)
		return -1;
	if ((rc = commit(tmp, path, e)) == -1)
		(void)unlink(tmp);
	free(tmp);
	return rc;
}

/* "a FIFO": what a file that is not a regular file is, for messages. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

/*
 * Open path for reading if it is a regular file, and fstat it.
 * O_NONBLOCK: a FIFO must not hang us (holding a lock) before fstat says
 * what it is; a socket fails to open with ENXIO, so stat says it instead.
 */
static int
not_regular(const char *path, mode_t mode, struct err *e)
{
	err_set(e, "%s is not a regular file (%s); acmec reads only regular "
	    "files: give the path of one", path, file_kind(mode));
	return -1;
}

/*
 * fd if what it opened is a regular file (*st filled in); otherwise fd is
 * closed and -1 returned, a FIFO or device never being read.
 */
static int
regular_or_close(int fd, const char *path, struct stat *st, struct err *e)
{
	if (fstat(fd, st) == -1) {
		err_errno(e, "cannot stat %s", path);
		close(fd);
		return -1;
	}
	if (S_ISREG(st->st_mode))
		return fd;
	close(fd);
	return not_regular(path, st->st_mode, e);
}

static int
open_regular(const char *path, struct stat *st, struct err *e)
{
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		saved = errno;
		if (stat(path, st) == 0 && !S_ISREG(st->st_mode))
			return not_regular(path, st->st_mode, e);
		errno = saved;
		err_errno(e, "cannot open %s", path);
		return -1;
	}
	return regular_or_close(fd, path, st, e);
}

static int
read_fd(int fd, const char *path, size_t max, char **data, size_t *len,
    struct err *e)
{
	char *buf = NULL;
	size_t used = 0;
	ssize_t n;

	if ((buf = malloc(max + 1)) == NULL) {
		err_errno(e, "%s", path);
		return -1;
	}
	/* Read one byte past max to tell "exactly max" from "too large". */
	while ((n = read(fd, buf + used, max + 1 - used)) > 0) {
		used += (size_t)n;
		if (used > max) {
			err_set(e, "%s is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	if (n == -1) {
		err_errno(e, "cannot read %s", path);
		goto fail;
	}
	buf[used] = '\0';
	*data = buf;
	if (len != NULL)
		*len = used;
	return 0;
fail:
	free(buf);
	return -1;
}

int
store_read(const char *path, size_t max, char **data, size_t *len,
    struct err *e)
{
	struct stat st;
	int fd, rc;

	*data = NULL;
	if ((fd = open_regular(path, &st, e)) == -1)
		return -1;
	rc = read_fd(fd, path, max, data, len, e);
	close(fd);
	return rc;
}

/* Neither root nor the user acmec runs as. */
static int
foreign_owner(uid_t uid)
{
	return uid != 0 && uid != geteuid();
}

/*
 * The checks of store_read_private on the file open as st: who could
 * read it, or replace what it holds.
 */
static int
check_private(const char *path, const struct stat *st,
    enum store_access access, struct err *e)
{
	mode_t others = S_IROTH | S_IWOTH | S_IWGRP;
	mode_t perm = st->st_mode & 07777;
	struct stat lst;

	/* The link is ours; the file it names is the other user's. */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
	    foreign_owner(st->st_uid)) {
		err_set(e, "%s is a symbolic link to a file owned by uid %u "
		    "(neither root nor us), who could replace the key; copy "
		    "the file into place or chown it", path,
		    (unsigned)st->st_uid);
		return access == STORE_WARN ? 0 : -1;
	}
	if (access == STORE_PRIVATE)
		others |= S_IRGRP;
	if (perm & others) {
		err_set(e, "%s can be read or written by other users (mode "
		    "%04o); chmod 600 %s", path, (unsigned)perm, path);
		return access == STORE_WARN ? 0 : -1;
	}
	if (perm & S_IRGRP) {
		err_set(e, "%s is readable by its group (mode %04o): fine for "
		    "a group such as ssl-cert that only your servers are in, "
		    "else chmod 600 %s", path, (unsigned)perm, path);
		return access == STORE_WARN ? 0 : 1;
	}
	return 0;
}

int
store_check_private(const char *path, const struct stat *st,
    enum store_access access, struct err *e)
{
	struct err why = { "" };

	if (check_private(path, st, access, &why) == -1) {
		err_set(e, "%s", why.msg);
		return -1;
	}
	if (why.msg[0] != '\0')
		log_error("warning: %s", why.msg);
	return 0;
}

int
store_read_private(const char *path, size_t max, enum store_access access,
    char **data, size_t *len, struct err *e)
{
	struct err why = { "" };
	struct stat st;
	int fd, rc;

	*data = NULL;
	if ((fd = open_regular(path, &st, e)) == -1)
		return -1;
	if ((rc = check_private(path, &st, access, &why)) == -1) {
		err_set(e, "%s", why.msg);
		close(fd);
		return -1;
	}
	if (why.msg[0] != '\0')
		log_error("warning: %s", why.msg);
	rc = read_fd(fd, path, max, data, len, e);
	close(fd);
	return rc;
}

/* The checks of store_check_dir on a directory statted as st. */
static int
check_dir_stat(const char *path, const struct stat *st, struct err *e)
{
	if (!S_ISDIR(st->st_mode)) {
		err_set(e, "%s is not a directory", path);
		return -1;
	}
	if (foreign_owner(st->st_uid)) {
		err_set(e, "%s is owned by uid %u (neither root nor us), who "
		    "could replace the keys and records in it; chown it to "
		    "the user acmec runs as", path, (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(e, "%s can be written by other users (mode %04o), who "
		    "could replace the keys and records in it; chmod 700 %s",
		    path, (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int
store_check_trusted(const char *path, const struct stat *st, struct err *e)
{
	if (foreign_owner(st->st_uid)) {
		err_set(e, "%s is owned by uid %u (neither root nor us), who "
		    "could make acmec run any command through a hook; chown "
		    "it to the user acmec runs as", path,
		    (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(e, "%s can be written by other users (mode %04o), who "
		    "could make acmec run any command through a hook; "
		    "chmod go-w %s", path, (unsigned)(st->st_mode & 07777),
		    path);
		return -1;
	}
	return 0;
}

int
store_check_dir(const char *path, struct err *e)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		err_errno(e, "cannot stat %s", path);
		return -1;
	}
	return check_dir_stat(path, &st, e);
}

/* Open (or create, 0600) the lock file itself, never through a link. */
static int
open_lock_file(const char *path, struct err *e)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		if (errno == ELOOP)
			err_set(e, "lock file %s is a symbolic link; remove "
			    "it, acmec creates its own", path);
		else
			err_errno(e, "cannot open lock file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		err_set(e, "lock file %s is not a regular file; remove it, "
		    "acmec creates its own", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The lock is busy: poll it every LOCK_POLL_MS for up to wait_seconds.
 * The sleep is interrupt_sleep_ms(), so ^C ends the wait at once.
 */
#define LOCK_POLL_MS	100

static int
wait_for_lock(int fd, const char *path, int wait_seconds, struct err *e)
{
	struct timespec now, end;

	if (wait_seconds > 0)
		log_info("waiting for %s: another acmec run holds it", path);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += wait_seconds;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec &&
		    now.tv_nsec >= end.tv_nsec))
			break;
		if (interrupt_sleep_ms(LOCK_POLL_MS) == -1) {
			err_set(e, "interrupted while waiting for %s", path);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err_errno(e, "cannot lock %s", path);
			return -1;
		}
	}
	err_set(e, "another acmec run holds %s; try again when it has "
	    "finished", path);
	return -1;
}

int
store_lock_try(const char *path, int *fd, struct err *e)
{
	bool busy;

	if ((*fd = open_lock_file(path, e)) == -1)
		return -1;
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	if (!(busy = errno == EWOULDBLOCK))
		err_errno(e, "cannot lock %s", path);
	else
		err_set(e, "another acmec run holds %s", path);
	close(*fd);
	*fd = -1;
	return busy ? 0 : -1;
}

int
store_lock_path(const char *path, int wait_seconds, struct err *e)
{
	int fd;

	if ((fd = open_lock_file(path, e)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		err_errno(e, "cannot lock %s", path);
		close(fd);
		return -1;
	}
	if (wait_for_lock(fd, path, wait_seconds, e) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void
store_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/* ------------------------------------------- relative to a directory */

int
store_open_dir(const char *path, struct err *e)
{
	struct stat st;
	int fd;

	if (store_mkdirs(path, 0700, e) == -1)
		return -1;
	/* O_NOFOLLOW: a link planted there would lead the records away. */
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			err_set(e, "%s is a symbolic link; acmec follows none "
			    "there: move it away", path);
		else
			err_errno(e, "cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		err_errno(e, "cannot stat %s", path);
		close(fd);
		return -1;
	}
	if (check_dir_stat(path, &st, e) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A new file under dfd, named after name; its name into tmp. */
static int
create_temp_at(int dfd, const char *name, char *tmp, size_t size)
{
	static unsigned counter;
	struct timespec ts;
	int fd = -1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int i = 0; i < 100 && fd == -1; i++) {
		snprintf(tmp, size, ".%s.%ld-%lx-%u.tmp", name, (long)getpid(),
		    (unsigned long)ts.tv_nsec, counter++);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	return fd;
}

/* A store_writer of the bytes in a struct bytes. */
struct bytes {
	const void	*data;
	size_t		 len;
};

static int
write_bytes(void *ctx, int fd, struct err *e)
{
	const struct bytes *b = ctx;

	if (store_write_all(fd, b->data, b->len) == 0)
		return 0;
	err_set(e, "%s", strerror(errno));
	return -1;
}

int
store_write_at(int dfd, const char *dir, const char *name,
    const void *data, size_t len, mode_t mode, struct err *e)
{
	struct bytes b = { data, len };

	return store_fill_at(dfd, dir, name, mode, write_bytes, &b, e);
}

int
store_fill_at(int dfd, const char *dir, const char *name, mode_t mode,
    store_writer *fill, void *ctx, struct err *e)
{
	char tmp[320];
	int fd;

	if ((fd = create_temp_at(dfd, name, tmp, sizeof(tmp))) == -1) {
		err_errno(e, "cannot create a temporary file in %s", dir);
		return -1;
	}
	/* The mode before the bytes, as store_write_atomic does. */
	if (fchmod(fd, mode) == -1) {
		err_errno(e, "cannot write %s/%s", dir, tmp);
		(void)close(fd);
		goto fail;
	}
	if (fill(ctx, fd, e) == -1) {
		err_prefix(e, "cannot write %s/%s", dir, tmp);
		(void)close(fd);
		goto fail;
	}
	if (fsync(fd) == -1) {
		err_errno(e, "cannot write %s/%s", dir, tmp);
		(void)close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		err_errno(e, "cannot write %s/%s", dir, tmp);
		goto fail;
	}
	if (renameat(dfd, tmp, dfd, name) == -1) {
		err_errno(e, "cannot rename %s/%s to %s", dir, tmp, name);
		goto fail;
	}
	/* Make the rename itself durable; failure here is not fatal. */
	(void)fsync(dfd);
	return 0;
fail:
	(void)unlinkat(dfd, tmp, 0);
	return -1;
}

/* Open name under dfd if it is a regular file, never through a link. */
static int
open_regular_at(int dfd, const char *name, const char *path,
    struct stat *st, struct err *e)
{
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return -2;
		if (errno == ELOOP) {
			err_set(e, "%s is a symbolic link, which acmec does "
			    "not follow there", path);
			return -1;
		}
		/* A socket cannot be opened: say what it is. */
		if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st->st_mode))
			return not_regular(path, st->st_mode, e);
		err_errno(e, "cannot open %s", path);
		return -1;
	}
	return regular_or_close(fd, path, st, e);
}

int
store_open_at(int dfd, const char *dir, const char *name, int *fd,
    struct err *e)
{
	char *path = store_path(dir, name);
	struct stat st;

	*fd = -1;
	if (path == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((*fd = open_regular_at(dfd, name, path, &st, e)) < 0) {
		free(path);
		if (*fd == -2) {
			*fd = -1;
			return 1;
		}
		return -1;
	}
	if (foreign_owner(st.st_uid))
		err_set(e, "%s is owned by uid %u (neither root nor us), who "
		    "could have written it", path, (unsigned)st.st_uid);
	else if (st.st_mode & 077)
		err_set(e, "%s can be read or written by other users (mode "
		    "%04o)", path, (unsigned)(st.st_mode & 07777));
	else {
		free(path);
		return 0;
	}
	close(*fd);
	*fd = -1;
	free(path);
	return -1;
}

int
store_read_at(int dfd, const char *dir, const char *name, size_t max,
    char **data, size_t *len, struct err *e)
{
	char *path;
	int fd, rc;

	*data = NULL;
	if ((rc = store_open_at(dfd, dir, name, &fd, e)) != 0)
		return rc;
	if ((path = store_path(dir, name)) == NULL) {
		err_set(e, "out of memory");
		rc = -1;
	} else
		rc = read_fd(fd, path, max, data, len, e);
	close(fd);
	free(path);
	return rc;
}
