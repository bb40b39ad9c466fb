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

/*
 * Create path and missing parents with mode (existing ones are left as is).
 * An empty path is refused.
 */
int store_mkdirs(const char *path, mode_t mode, struct err *e);

/*
 * Read a whole file, at most max bytes.  *data is new memory, NUL-terminated
 * (the NUL is not counted in *len).
 */
int store_read(const char *path, size_t max, char **data, size_t *len,
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
/* Release the lock; -1 is fine. */
void store_unlock(int fd);

/* Join two path parts with '/'; new string or NULL on ENOMEM. */
char *store_path(const char *dir, const char *name);

#endif
