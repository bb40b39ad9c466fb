/*
 * child.c - forking, confining the descriptors of and reaping the
 * processes that hold a trust line.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "child.h"

pid_t
child_fork(const char *what, const char *name, int *fd, struct err *e)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		err_errno(e, "cannot make a socket for %s", what);
		return -1;
	}
	if ((pid = fork()) == -1) {
		err_errno(e, "cannot start %s", what);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[pid == 0 ? 0 : 1]);
	*fd = sv[pid == 0 ? 1 : 0];
	/* What ps and top show: which trust line this process holds. */
	if (pid == 0)
		(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	return pid;
}

void
child_ignore_group_signals(void)
{
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
}

void
child_close_from(int first, long open_max)
{
	/* Kernels before 5.9 have no close_range. */
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)first, ~0U, 0) == -1)
#endif
		for (long fd = first; fd < open_max; fd++)
			(void)close((int)fd);
}

int
child_keep_only(int fd)
{
	if (fd != 3 && dup2(fd, 3) == -1)
		return -1;
	(void)close(0);
	(void)close(1);
	child_close_from(4, sysconf(_SC_OPEN_MAX));
	return 3;
}

void
child_end(int fd, pid_t pid)
{
	close(fd);
	/* No pid (-1): a test or the fuzzer plays the child. */
	while (pid > 0 && waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}
