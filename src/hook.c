/*
 * hook.c - run a hook with fork + execvpe on an argument vector: no shell
 * ever parses a string we built, and the data travels in the environment
 * (the uacme and OpenBSD way).
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "eab.h"
#include "hook.h"

#define HOOK_ARGS_MAX	64

extern char **environ;

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

/* True if entry "NAME=..." sets the same name as one in env. */
static int
overridden(const char *entry, const char *const *env)
{
	size_t len = strcspn(entry, "=");

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, entry, len) == 0 && (*env)[len] == '=')
			return 1;
	return 0;
}

/* A secret acmec takes from its environment, which no hook needs. */
static int
is_secret(const char *entry)
{
	return strncmp(entry, EAB_KEY_ENV "=", sizeof(EAB_KEY_ENV)) == 0;
}

/*
 * Our environment without its secrets, with env added: built before
 * fork, so that the child only calls async-signal-safe functions.  New
 * array of borrowed strings.
 */
static char **
build_envp(const char *command, const char *const *env, struct err *e)
{
	size_t n = 0, k = 0, i;
	char **envp;

	for (i = 0; env != NULL && env[i] != NULL; i++, k++) {
		if (env[i][0] == '=' || strchr(env[i], '=') == NULL) {
			err_set(e, "hook \"%s\": environment entry \"%s\" is "
			    "not NAME=value", command, env[i]);
			return NULL;
		}
	}
	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((envp = calloc(n + k + 1, sizeof(*envp))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	for (n = 0, i = 0; environ != NULL && environ[i] != NULL; i++)
		if (!overridden(environ[i], env) && !is_secret(environ[i]))
			envp[n++] = environ[i];
	for (i = 0; i < k; i++)
		envp[n++] = (char *)env[i];
	return envp;
}

/* write(2) a string; the child after fork cannot use stdio. */
static void
say(const char *s)
{
	(void)!write(STDERR_FILENO, s, strlen(s));
}

/*
 * In the child: a process group of its own (killed as one on timeout),
 * no signal blocked (the mask survives exec), nothing open but 0, 1, 2
 * (our TLS socket and lock files are not the hook's business).
 */
static void __attribute__((noreturn))
exec_hook(char **argv, char **envp, long open_max)
{
	sigset_t none;

	(void)setpgid(0, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	child_close_from(3, open_max);
	execvpe(argv[0], argv, envp);
	say("acmec: cannot run ");
	say(argv[0]);
	say(": ");
	say(strerror(errno));
	say("\n");
	_exit(127);
}

/* Seconds on a clock that a step of the wall clock does not move. */
static time_t
monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
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
	time_t deadline = monotonic_s() + timeout;
	pid_t got;

	while ((got = waitpid(pid, status, WNOHANG)) == 0 &&
	    monotonic_s() < deadline)
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

/* How the hook ended, unless it exited 0. */
static int
check_status(const char *command, int status, struct err *e)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		err_set(e, "hook \"%s\" failed (exit status %d%s)", command,
		    WEXITSTATUS(status), WEXITSTATUS(status) == 127 ?
		    ": the program was not found or could not be run" : "");
	else if (WIFSIGNALED(status))
		err_set(e, "hook \"%s\" failed (killed by signal %d)",
		    command, WTERMSIG(status));
	else
		err_set(e, "hook \"%s\" failed (wait status %d)", command,
		    status);
	return -1;
}

int
hook_run(const char *command, const char *const *env, int timeout,
    struct err *e)
{
	char *copy, *argv[HOOK_ARGS_MAX], **envp = NULL;
	long open_max = sysconf(_SC_OPEN_MAX);
	int argc, status, rc = -1;
	pid_t pid;

	if ((copy = strdup(command)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	if ((argc = split_words(copy, argv, HOOK_ARGS_MAX)) <= 0) {
		err_set(e, argc == 0 ? "hook \"%s\" is empty; give a program "
		    "to run" : "hook \"%s\" has too many words; put them in "
		    "a script and give its path", command);
		goto out;
	}
	if ((envp = build_envp(command, env, e)) == NULL)
		goto out;
	if ((pid = fork()) == -1) {
		err_errno(e, "cannot start hook \"%s\"", command);
		goto out;
	}
	if (pid == 0)
		exec_hook(argv, envp, open_max > 0 ? open_max : 1024);
	/*
	 * Also here: a timeout's kill(-pid) must not find no group because
	 * the child has not run yet.  EACCES: it already called exec.
	 */
	(void)setpgid(pid, pid);
	if (wait_for(pid, timeout, &status, e) == -1) {
		err_prefix(e, "hook \"%s\"", command);
		goto out;
	}
	rc = check_status(command, status, e);
out:
	free(envp);
	free(copy);
	return rc;
}
