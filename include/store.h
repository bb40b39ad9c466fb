/*
 * store.h - files on disk: atomic writes, private directories, bounded
 * reads and the run lock.  The only module that creates files acmec keeps.
 */
#ifndef ACMEC_STORE_H
#define ACMEC_STORE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * Write data to path atomically: a temporary file in the same directory,
 * created with mode, fsync, rename over path, fsync of the directory.
 * A reader sees the old file or the new one, never a mix.
 */
int store_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *e);

/* Write all of data to fd, going on after EINTR; -1 with errno set. */
int store_write_all(int fd, const void *data, size_t len);

/*
 * Create path and missing parents with mode (existing ones are left as is).
 * An empty path is refused.
 */
int store_mkdirs(const char *path, mode_t mode, struct err *e);

/*
 * Read a whole file, at most max bytes.  *data is new memory, NUL-terminated
 * (the NUL is not counted in *len).  Only a regular file is read (a link
 * to one is followed): a FIFO, device, socket or directory is refused at
 * once with "PATH is not a regular file (a FIFO); ...", never waited on.
 */
int store_read(const char *path, size_t max, char **data, size_t *len,
    struct err *e);

/* Who besides us may have access to a private file (a key, a secret). */
enum store_access {
	STORE_PRIVATE,		/* nobody: mode 0600 or 0400, else refused */
	STORE_GROUP_READ,	/* its group may read it (warned), no more */
	STORE_WARN,		/* anything is warned about, nothing refused */
};

/*
 * store_read for a private file, checked on the descriptor read:
 *   - a symbolic link to a file owned by another user (neither root nor
 *     us): "PATH is a symbolic link to a file owned by uid N ...";
 *   - group-writable, or readable or writable by others (and with
 *     STORE_PRIVATE group-readable): "PATH can be read or written by
 *     other users (mode 0644); chmod 600 PATH";
 *   - group-readable with STORE_GROUP_READ: the warning "PATH is readable
 *     by its group (mode 0640): fine for a group such as ssl-cert ...".
 * Refused (-1) unless access is STORE_WARN, which logs each as a warning.
 */
int store_read_private(const char *path, size_t max, enum store_access access,
    char **data, size_t *len, struct err *e);

/*
 * store_read_private's checks on a file already open (st, from fstat) at
 * path: -1 if refused; its warnings are logged.
 */
struct stat;
int store_check_private(const char *path, const struct stat *st,
    enum store_access access, struct err *e);

/*
 * A directory whose files acmec trusts (the state directory): refused if
 * it is owned by another user (neither root nor us) or if its group or
 * others can write to it ("...; chmod 700 PATH").
 */
int store_check_dir(const char *path, struct err *e);

/*
 * A file or directory, open as st, whose content decides what acmec runs
 * (the configuration, with its hooks, and conf.d/): refused if another
 * user (neither root nor us) owns it or its group or others can write to
 * it, with a message that says what to do.
 */
int store_check_trusted(const char *path, const struct stat *st,
    struct err *e);

/* True if path exists (any type). */
int store_exists(const char *path);

/*
 * Take an exclusive lock on path (created 0600 if missing; a symbolic link
 * there is refused) so that overlapping runs (cron and a manual run) do
 * not interleave.  If another run holds it, say so once (log_info) and
 * wait up to wait_seconds; SIGINT/SIGTERM/SIGHUP end the wait at once
 * (see interrupt.h).  Returns the descriptor to pass to store_unlock(),
 * or -1.  The lock goes with the descriptor: close it before running
 * anything that might outlive us.
 */
int store_lock_path(const char *path, int wait_seconds, struct err *e);
/*
 * The same lock, not waited for: 1 and *fd when taken; 0 when another
 * run holds it ("another acmec run holds PATH"); -1 (*fd is -1 unless 1).
 */
int store_lock_try(const char *path, int *fd, struct err *e);
/* Release the lock; -1 is fine. */
void store_unlock(int fd);

/*
 * Files relative to a directory descriptor, never through a link: for
 * records in the state directory that hold secrets (STATE/orders).
 *
 * store_open_dir: create path (and missing parents) 0700 if missing, then
 * open it without following a link in its last component; refused like
 * store_check_dir if another user owns it or others can write to it.
 * The descriptor, or -1.
 */
int store_open_dir(const char *path, struct err *e);

/*
 * store_write_atomic under dfd (dir is its name, for messages): a new
 * temporary file beside name (O_EXCL, O_NOFOLLOW), mode, fsync, renamed
 * over name, the directory synced.  A link at name is replaced, never
 * followed.
 */
int store_write_at(int dfd, const char *dir, const char *name,
    const void *data, size_t len, mode_t mode, struct err *e);

/*
 * What fills a file that store_fill_at creates: it writes into fd, or
 * sets *e to why it cannot (the caller adds which file); 0 or -1.
 */
typedef int store_writer(void *ctx, int fd, struct err *e);

/* store_write_at, the file's bytes written by fill(ctx, fd, e). */
int store_fill_at(int dfd, const char *dir, const char *name, mode_t mode,
    store_writer *fill, void *ctx, struct err *e);

/*
 * store_read_at's checks, the file left open: 0 and *fd (the caller
 * closes it), 1 if there is no such file, -1 as store_read_at.
 */
int store_open_at(int dfd, const char *dir, const char *name, int *fd,
    struct err *e);

/*
 * Read name under dfd, a private file: a regular file (a link is not
 * followed), owned by us or root, that neither its group nor others may
 * read or write; at most max bytes, NUL-terminated (*data new).  0; 1 if
 * there is no such file; -1 if it is refused or cannot be read, *e says
 * why without a remedy, which is the caller's ("DIR/NAME is a symbolic
 * link, which acmec does not follow there", "DIR/NAME can be read or
 * written by other users (mode 0644)").
 */
int store_read_at(int dfd, const char *dir, const char *name, size_t max,
    char **data, size_t *len, struct err *e);

/* Join two path parts with '/'; new string or NULL on ENOMEM. */
char *store_path(const char *dir, const char *name);

#endif
