/*
 * child.h - the processes acmec forks to hold one trust line each (the
 * key process, the network process): each talks to its parent over one
 * SOCK_SEQPACKET socketpair (ipc.h), keeps no other descriptor but
 * stderr, and ends when the parent closes its end.
 */
#ifndef ACMEC_CHILD_H
#define ACMEC_CHILD_H

#include <sys/types.h>

#include "err.h"

/*
 * Fork the child named what ("the key process") in messages and name
 * (at most 15 bytes, "acmec-key") in ps: in the parent its pid and *fd
 * the parent's end of the socketpair; in the child 0 and *fd the child's
 * end; -1 and *e when neither happened.  Both ends are close-on-exec, so
 * a hook started later inherits neither.
 */
pid_t child_fork(const char *what, const char *name, int *fd,
    struct err *e);

/*
 * In the child: ignore the signals a terminal or systemd sends the whole
 * group, since the parent handles them and may still need the child
 * while it unwinds.
 */
void child_ignore_group_signals(void);

/* In the child: keep fd (as descriptor 3) and stderr; 3, or -1. */
int child_keep_only(int fd);

/*
 * Close every descriptor from first on; open_max (sysconf(_SC_OPEN_MAX))
 * bounds the loop where close_range is missing.  Hooks use it too.
 */
void child_close_from(int first, long open_max);

/* In the parent: close fd, so the child ends, and reap pid. */
void child_end(int fd, pid_t pid);

#endif
