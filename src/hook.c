/*
 * hook.c - run the deploy hook with fork + execvp on an argument vector:
 * no shell ever parses a string we built, and the data travels in the
 * environment (the uacme and OpenBSD way).
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"

#define HOOK_ARGS_MAX	64

/* Split copy in place at spaces into argv; -1 if there are too many words. */
static int
split_words(char *copy, char **argv, int max)
{
	char *save = NULL, *word;
	int argc = 0;

	for (word = strtok_r(copy, " ", &save); word != NULL;
	    word = strtok_r(NULL, " ", &save)) {
		if (argc == max - 1)
			return -1;
		argv[argc++] = word;
	}
	argv[argc] = NULL;
	return argc;
}

/*
 * Wait for the hook at most timeout seconds, then end it: a hung reload
 * must not keep the state locked for ever.  SIGINT/SIGTERM sent to acmec
 * do not cut the wait short: the hook finishes what it started.
 */
static int
wait_for(pid_t pid, int timeout, int *status, struct err *e)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	time_t deadline = time(NULL) + timeout;
	pid_t got;

	while ((got = waitpid(pid, status, WNOHANG)) == 0 &&
	    time(NULL) < deadline)
		nanosleep(&tick, NULL);
	if (got == pid)
		return 0;
	if (got == 0) {
		kill(-pid, SIGKILL);	/* the hook's children too */
		(void)waitpid(pid, status, 0);
		err_set(e, "it did not finish within %d seconds and was "
		    "killed", timeout);
		return -1;
	}
	err_errno(e, "cannot wait for it");
	return -1;
}

int
hook_run(const char *command, const char *const *env, int timeout,
    struct err *e)
{
	char *copy, *argv[HOOK_ARGS_MAX];
	int argc, status, rc = -1;
	pid_t pid;

	if ((copy = strdup(command)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((argc = split_words(copy, argv, HOOK_ARGS_MAX)) <= 0) {
		err_set(e, "--deploy-hook \"%s\": %s", command, argc == 0 ?
		    "empty" : "too many words; use a script");
		goto out;
	}
	if ((pid = fork()) == -1) {
		err_errno(e, "cannot start --deploy-hook \"%s\"", command);
		goto out;
	}
	if (pid == 0) {
		(void)setpgid(0, 0);	/* a group of its own, killed as one */
		for (; *env != NULL; env++)
			putenv((char *)*env);
		execvp(argv[0], argv);
		fprintf(stderr, "acmec: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (wait_for(pid, timeout, &status, e) == -1) {
		err_prefix(e, "--deploy-hook \"%s\"", command);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_set(e, "--deploy-hook \"%s\" failed", command);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}
