/*
 * crash_shim.c - LD_PRELOAD shim for tests/integration-crash.sh: kill the
 * process (_exit(137), as SIGKILL leaves it: no atexit, no flush) right
 * before its Nth call that changes the output directory, so that the test
 * can look at what a web server would read at that instant.
 *
 *	ACMEC_CRASH_DIR=/abs/out	the directory watched (and below it)
 *	ACMEC_CRASH_AT=N		die before the Nth call, 1-based
 *
 * The calls counted are the ones the output module makes: mkdirat,
 * openat with O_CREAT, fsync, symlinkat, renameat, unlinkat, each one
 * only when the directory (or file) it works on is under ACMEC_CRASH_DIR.
 * No test code is in acmec itself.  Built by the test script:
 *	cc -shared -fPIC -o crash_shim.so crash_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int calls;

/* Is fd (a directory or a file) under ACMEC_CRASH_DIR? */
static int
watched(int fd)
{
	const char *dir = getenv("ACMEC_CRASH_DIR");
	char link[64], path[PATH_MAX];
	ssize_t n;
	size_t len;

	if (dir == NULL || fd == AT_FDCWD)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) == -1)
		return 0;
	path[n] = '\0';
	len = strlen(dir);
	return strncmp(path, dir, len) == 0 &&
	    (path[len] == '\0' || path[len] == '/');
}

static void
step(int fd)
{
	const char *at = getenv("ACMEC_CRASH_AT");

	if (at == NULL || !watched(fd))
		return;
	if (++calls == atoi(at))
		_exit(137);
}

#define REAL(ret, name, ...) \
	static ret (*real)(__VA_ARGS__); \
	if (real == NULL) \
		real = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, name)

int
mkdirat(int fd, const char *path, mode_t mode)
{
	REAL(int, "mkdirat", int, const char *, mode_t);
	step(fd);
	return real(fd, path, mode);
}

int
openat(int fd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	REAL(int, "openat", int, const char *, int, ...);

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
		step(fd);
	}
	return real(fd, path, flags, mode);
}

int
fsync(int fd)
{
	REAL(int, "fsync", int);
	step(fd);
	return real(fd);
}

int
symlinkat(const char *target, int fd, const char *path)
{
	REAL(int, "symlinkat", const char *, int, const char *);
	step(fd);
	return real(target, fd, path);
}

int
renameat(int ofd, const char *old, int nfd, const char *new)
{
	REAL(int, "renameat", int, const char *, int, const char *);
	step(ofd);
	return real(ofd, old, nfd, new);
}

int
unlinkat(int fd, const char *path, int flags)
{
	REAL(int, "unlinkat", int, const char *, int);
	step(fd);
	return real(fd, path, flags);
}
