/*
 * store.c - files acmec keeps: atomic writes, private directories, bounded
 * reads and the lock that serializes overlapping runs.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static int
write_all(int fd, const void *data, size_t len)
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

int
store_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *e)
{
	size_t tlen = strlen(path) + 16;
	char *tmp;
	int fd = -1, rc = -1;

	if ((tmp = malloc(tlen)) == NULL) {
		err_errno(e, "%s", path);
		return -1;
	}
	snprintf(tmp, tlen, "%s.tmp.XXXXXX", path);
	/*
	 * mkstemp creates 0600 whatever the umask; fchmod sets the final mode.
	 */
	if ((fd = mkstemp(tmp)) == -1) {
		err_errno(e, "cannot create a temporary file next to %s", path);
		goto out;
	}
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		err_errno(e, "cannot write %s", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_errno(e, "cannot write %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		err_errno(e, "cannot rename %s to %s", tmp, path);
		goto out;
	}
	fsync_parent(path);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		(void)unlink(tmp);
	free(tmp);
	return rc;
}

int
store_read(const char *path, size_t max, char **data, size_t *len,
    struct err *e)
{
	char *buf = NULL;
	size_t used = 0;
	ssize_t n;
	int fd;

	*data = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_errno(e, "cannot open %s", path);
		return -1;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		err_errno(e, "%s", path);
		close(fd);
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
	close(fd);
	buf[used] = '\0';
	*data = buf;
	if (len != NULL)
		*len = used;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

int
store_lock(const char *dir, int wait_seconds, struct err *e)
{
	char *path;
	int fd;

	if ((path = store_path(dir, "lock")) == NULL) {
		err_errno(e, "%s", dir);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		err_errno(e, "cannot open lock file %s", path);
		free(path);
		return -1;
	}
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) == -1; waited++) {
		if (errno != EWOULDBLOCK || waited >= wait_seconds) {
			err_set(e, "another acmec run holds %s; try again "
			    "when it has finished", path);
			close(fd);
			free(path);
			return -1;
		}
		sleep(1);
	}
	free(path);
	return fd;
}

void
store_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}
