/*
 * privsep-shim.c - LD_PRELOAD shim for tests/integration-privsep.sh: code
 * an attacker got into the acmec process that talks to the CA (through a
 * TLS or HTTP/2 parser bug, say).  Right after that process's first
 * connect() to the CA's port it tries, once, what such code would:
 *
 *	PRIVSEP_SHIM_PORT=14000		the CA's port (any port if unset)
 *	PRIVSEP_SHIM_KEY=/abs/key.pem	a key to read
 *	PRIVSEP_SHIM_WRITE=/abs/a:/abs/b	new files to create (O_CREAT, O_EXCL)
 *	PRIVSEP_SHIM_MARKER=/abs/m	run /bin/sh -c 'touch "$0"' m
 *
 * With PRIVSEP_SHIM_IN=main it acts in the main process instead (the one
 * ps calls acmec), right after it received the first HTTP answer from the
 * network process (an IPC_RESPONSE packet): a Jansson bug reached by the
 * CA's JSON would put it there.
 *
 * It says on stderr how each went, one line each:
 *
 *	privsep-shim: read /abs/key.pem: refused (Permission denied)
 *	privsep-shim: write /abs/a: ALLOWED
 *	privsep-shim: exec /bin/sh: trying
 *
 * The program comes last: in the sandbox execve kills the process
 * (SIGSYS); if it returns, a "refused" line follows.  No test code is in
 * acmec itself.  Built by the test script:
 *	cc -shared -fPIC -o privsep-shim.so privsep-shim.c -ldl
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int done;

static void
say(const char *what, const char *path, int ok, int err)
{
	if (ok)
		dprintf(2, "privsep-shim: %s %s: ALLOWED\n", what, path);
	else
		dprintf(2, "privsep-shim: %s %s: refused (%s)\n", what, path,
		    strerror(err));
}

static void
try_read(const char *path)
{
	char c;
	int fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		say("read", path, 0, errno);
		return;
	}
	ok = read(fd, &c, 1) == 1;
	say("read", path, ok, errno);
	close(fd);
}

static void
try_write(const char *path)
{
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) == -1) {
		say("write", path, 0, errno);
		return;
	}
	ok = write(fd, "shim\n", 5) == 5;
	say("write", path, ok, errno);
	close(fd);
}

static void
try_exec(const char *marker)
{
	char *argv[] = { "sh", "-c", "touch \"$0\"", (char *)marker, NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };

	dprintf(2, "privsep-shim: exec /bin/sh: trying\n");
	execve("/bin/sh", argv, envp);
	say("exec", "/bin/sh", 0, errno);
}

static void
attack(void)
{
	const char *key = getenv("PRIVSEP_SHIM_KEY");
	const char *files = getenv("PRIVSEP_SHIM_WRITE");
	const char *marker = getenv("PRIVSEP_SHIM_MARKER");
	char *list, *path, *save = NULL;

	if (key != NULL)
		try_read(key);
	if (files != NULL && (list = strdup(files)) != NULL) {
		for (path = strtok_r(list, ":", &save); path != NULL;
		    path = strtok_r(NULL, ":", &save))
			try_write(path);
		free(list);
	}
	if (marker != NULL)
		try_exec(marker);
}

/* The port of an IPv4 or IPv6 address; -1 for any other family. */
static int
port_of(const struct sockaddr *sa, socklen_t len)
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	const char *want = getenv("PRIVSEP_SHIM_PORT");
	int rc, saved, port;

	if (real == NULL)
		real = (int (*)(int, const struct sockaddr *, socklen_t))
		    dlsym(RTLD_NEXT, "connect");
	rc = real(fd, sa, len);
	saved = errno;
	port = port_of(sa, len);
	if (!done && getenv("PRIVSEP_SHIM_IN") == NULL && port != -1 &&
	    (want == NULL || atoi(want) == port)) {
		done = 1;
		attack();
	}
	errno = saved;
	return rc;
}

/* The main process: ps's name is still acmec (the children renamed theirs). */
static int
in_main(void)
{
	char comm[17] = "";

	return prctl(PR_GET_NAME, comm, 0, 0, 0) == 0 &&
	    strcmp(comm, "acmec") == 0;
}

ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	const char *in = getenv("PRIVSEP_SHIM_IN");
	const unsigned char *p;
	ssize_t rc;
	int saved;

	if (real == NULL)
		real = (ssize_t (*)(int, struct msghdr *, int))
		    dlsym(RTLD_NEXT, "recvmsg");
	rc = real(fd, msg, flags);
	saved = errno;
	/* Version 1, type 9: acmec's ipc.h IPC_RESPONSE. */
	p = msg->msg_iovlen > 0 ? msg->msg_iov[0].iov_base : NULL;
	if (!done && in != NULL && strcmp(in, "main") == 0 && rc >= 2 &&
	    p != NULL && p[0] == 1 && p[1] == 9 && in_main()) {
		done = 1;
		attack();
	}
	errno = saved;
	return rc;
}
