/*
 * hook.c - run the deploy hook with fork + execvp on an argument vector:
 * no shell ever parses a string we built, and the data travels in the
 * environment (the uacme and OpenBSD way).
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int
wait_for(pid_t pid, int *status)
{
	/* SIGINT/SIGTERM interrupt waitpid here: the hook still finishes. */
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
hook_run(const char *command, const char *out_dir, const char *names,
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
		setenv("ACMEC_OUT", out_dir, 1);
		setenv("ACMEC_NAMES", names, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "acmec: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (wait_for(pid, &status) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		err_set(e, "--deploy-hook \"%s\" failed", command);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}
