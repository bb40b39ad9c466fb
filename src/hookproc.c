/*
 * hookproc.c - the hook runner and the main process's side of it.
 *
 * A request is one IPC_HOOK_RUN: the command, then each NAME=value, each
 * ending in a NUL.  The answer is IPC_HOOK_DONE, or IPC_REFUSED with the
 * reason (the hook's failure, or what was wrong with the request).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "hook.h"
#include "hookproc.h"
#include "names.h"
#include "str.h"

#define RUNNER	"the hook runner"
#define PARENT	"the main process"

/* Longer than any hook may take: the runner kills one at HOOK_TIMEOUT. */
#define HOOKPROC_TIMEOUT	(HOOK_TIMEOUT + 30)

/* path is dir or beneath it. */
static bool
beneath(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return len > 0 && strncmp(path, dir, len) == 0 && (path[len] == '\0' ||
	    path[len] == '/' || dir[len - 1] == '/');
}

/*
 * A directory the main process may write, or one beneath it, as a
 * string; check_real_out follows its links and "..".
 */
static bool
is_place(const char *v, const char *const *dirs)
{
	for (; dirs != NULL && *dirs != NULL; dirs++)
		if (beneath(v, *dirs))
			return true;
	return false;
}

/* Names as acmec orders them, each followed by one space or the end. */
static bool
is_name_list(const char *v, bool one)
{
	char name[256];
	size_t len;

	do {
		if ((len = strcspn(v, " ")) == 0 || len >= sizeof name)
			return false;
		memcpy(name, v, len);
		name[len] = '\0';
		if (!names_is_valid_dns(name) && !names_is_ip(name))
			return false;
		v += len;
	} while (*v++ == ' ' && !one);
	return v[-1] == '\0';
}

static bool
is_name(const char *v, const char *const *dirs)
{
	(void)dirs;
	return is_name_list(v, true);
}

static bool
is_names(const char *v, const char *const *dirs)
{
	(void)dirs;
	return is_name_list(v, false);
}

/*
 * Section names: visible ASCII, one space between them (none when every
 * failure was too long to list).
 */
static bool
is_sections(const char *v, const char *const *dirs)
{
	(void)dirs;
	for (const char *p = v; *p != '\0'; p++)
		if ((*p < '!' || *p > '~') && !(*p == ' ' && p > v &&
		    p[-1] != ' ' && p[1] != '\0'))
			return false;
	return true;
}

/* Lines of text: nothing a terminal would take as a command. */
static bool
is_text(const char *v, const char *const *dirs)
{
	(void)dirs;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < ' ' && *p != '\n') || *p == 0x7f)
			return false;
	return true;
}

/* What hooks get (acmec(1) HOOKS): the deploy hook's, the failure-hook's. */
static const struct hook_variable {
	const char	*name;
	bool		(*valid)(const char *, const char *const *);
	const char	*wrong;
} hook_variables[] = {
	{ "ACMEC_NAME", is_name, "not a name acmec orders" },
	{ "ACMEC_OUT", is_place, "not a directory acmec writes" },
	{ "ACMEC_NAMES", is_names, "not names acmec orders" },
	{ "ACMEC_FAILED", is_sections, "not a list of sections" },
	{ "ACMEC_FAILURES", is_text, "control characters" },
};

#define NVARIABLES	(sizeof hook_variables / sizeof hook_variables[0])
_Static_assert(NVARIABLES == HOOKPROC_ENV_MAX, "one of each variable");

struct hookproc {
	int	fd;
	pid_t	pid;
};

/* The variable entry is (NAME=value), or NVARIABLES. */
static size_t
variable_of(const char *entry)
{
	size_t len = strcspn(entry, "=");

	for (size_t i = 0; entry[len] == '=' && i < NVARIABLES; i++)
		if (strlen(hook_variables[i].name) == len &&
		    strncmp(hook_variables[i].name, entry, len) == 0)
			return i;
	return NVARIABLES;
}

/* Each ACMEC_ variable at most once, with a value of its kind. */
static int
check_variable(const char *entry, const char *const *dirs, bool *given,
    struct err *e)
{
	size_t i = variable_of(entry);

	if (i == NVARIABLES) {
		err_set(e, RUNNER " refused a variable hooks do not get");
		return -1;
	}
	if (given[i] || !hook_variables[i].valid(strchr(entry, '=') + 1,
	    dirs)) {
		err_set(e, RUNNER " refused %s: %s", hook_variables[i].name,
		    given[i] ? "given twice" : hook_variables[i].wrong);
		return -1;
	}
	given[i] = true;
	return 0;
}

static const char *
known_command(const char *command, const char *const *commands, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (commands[i] != NULL && strcmp(commands[i], command) == 0)
			return commands[i];
	return NULL;
}

int
hookproc_check(const struct ipc_msg *m, const char *const *commands,
    size_t n, const char *const *dirs, const char **command,
    const char **env, struct err *e)
{
	const char *p = (const char *)m->body, *end = p + m->len;
	bool given[NVARIABLES] = { false };
	size_t k = 0;

	if (m->type != IPC_HOOK_RUN || m->len == 0 || end[-1] != '\0') {
		err_set(e, RUNNER " refused a message that is not a hook "
		    "request");
		return -1;
	}
	if ((*command = known_command(p, commands, n)) == NULL) {
		err_set(e, RUNNER " refused a command that is not one of "
		    "the configured hooks");
		return -1;
	}
	/* Each at most once: env has room for all. */
	for (p += strlen(p) + 1; p < end; p += strlen(p) + 1) {
		if (check_variable(p, dirs, given, e) == -1)
			return -1;
		env[k++] = p;
	}
	env[k] = NULL;
	return 0;
}

/* Not SIG_IGN, which a hook would inherit: a caught signal is reset by exec. */
static void
on_group_signal(int sig)
{
	(void)sig;
}

/*
 * Ctrl-C or a stop reaches the whole group: the runner stays for the
 * hooks of what was written, and ends when the main process does.
 */
static void
outlive_group_signals(void)
{
	static const int sigs[] = { SIGINT, SIGHUP, SIGTERM };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_group_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(sigs[i], &sa, NULL);
}

/*
 * dir as the runner finds it when it starts, before the main process
 * reads anything from the CA: its real path, or its nearest existing
 * parent's with the rest added as mkdir -p would make it; new, or NULL.
 */
static char *
real_dir(const char *dir)
{
	const char *slash = strrchr(dir, '/'), *last = slash ? slash + 1 : dir;
	char *real, *parent, *joined = NULL, *cut;

	if ((real = realpath(dir, NULL)) != NULL || errno != ENOENT)
		return real;
	parent = slash == NULL ? strdup(".") : strndup(dir, slash == dir ? 1 :
	    (size_t)(slash - dir));
	if (parent != NULL && (real = real_dir(parent)) != NULL) {
		if (strcmp(last, "..") == 0 && (cut = strrchr(real, '/')) !=
		    NULL)
			*(cut == real ? cut + 1 : cut) = '\0';
		if (strcmp(last, "..") == 0 || strcmp(last, ".") == 0 ||
		    *last == '\0') {
			joined = real;
			real = NULL;
		} else
			joined = str_fmt("%s/%s", strcmp(real, "/") == 0 ?
			    "" : real, last);
	}
	free(parent);
	free(real);
	return joined;
}

/*
 * ACMEC_OUT (if env has it) leads, through the links the main process
 * may have made since, beneath one of real (NULL-terminated).
 */
static int
check_real_out(const char *const *env, char *const *real, struct err *e)
{
	static const char out[] = "ACMEC_OUT=";
	char *path = NULL;
	bool ok = false;

	for (; *env != NULL; env++)
		if (strncmp(*env, out, sizeof out - 1) == 0)
			break;
	if (*env == NULL)
		return 0;
	if ((path = realpath(*env + sizeof out - 1, NULL)) != NULL)
		for (char *const *d = real; *d != NULL && !ok; d++)
			ok = beneath(path, *d);
	free(path);
	if (ok)
		return 0;
	err_set(e, RUNNER " refused ACMEC_OUT: it leads outside the "
	    "directories acmec writes");
	return -1;
}

static int
serve(int fd, const char *const *commands, size_t n,
    const char *const *dirs)
{
	const char *command, *env[HOOKPROC_ENV_MAX + 1];
	size_t ndirs = 0, nreal = 0;
	struct ipc_msg *m;
	struct err e = { "" };
	char **real;
	int rc = 0;

	while (dirs[ndirs] != NULL)
		ndirs++;
	if ((real = calloc(ndirs + 1, sizeof(*real))) == NULL)
		return 1;
	for (size_t i = 0; i < ndirs; i++)
		if ((real[nreal] = real_dir(dirs[i])) != NULL)
			nreal++;
	while (rc == 0 && (m = ipc_recv(fd, PARENT, &e)) != NULL) {
		if (hookproc_check(m, commands, n, dirs, &command, env,
		    &e) == 0 && check_real_out(env, real, &e) == 0 &&
		    hook_run(command, env, HOOK_TIMEOUT, &e) == 0)
			rc = ipc_send(fd, PARENT, IPC_HOOK_DONE, "", 0, &e);
		else
			rc = ipc_send(fd, PARENT, IPC_REFUSED, e.msg,
			    strlen(e.msg), &e);
		ipc_msg_free(m);
	}
	for (size_t i = 0; i < nreal; i++)
		free(real[i]);
	free(real);
	/* 0: the main process ended, or sent nonsense. */
	return rc == -1;
}

struct hookproc *
hookproc_start(const char *const *commands, size_t n,
    const char *const *dirs, struct err *e)
{
	struct hookproc *hp;
	int fd;

	if ((hp = calloc(1, sizeof(*hp))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if ((hp->pid = child_fork(RUNNER, "acmec-hooks", &fd, e)) == -1) {
		free(hp);
		return NULL;
	}
	if (hp->pid == 0) {
		/* Hooks get 0, 1 and 2, as when acmec ran them itself. */
		if (fd != 3 && dup2(fd, 3) == -1)
			_exit(1);
		child_close_from(4, sysconf(_SC_OPEN_MAX));
		outlive_group_signals();
		_exit(serve(3, commands, n, dirs));
	}
	hp->fd = fd;
	return hp;
}

/* The request: command, NUL, each variable, NUL; new, *len its size. */
static char *
request(const char *command, const char *const *env, size_t *len,
    struct err *e)
{
	size_t n = strlen(command) + 1, at;
	char *body;

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		n += strlen(env[i]) + 1;
	if (n > IPC_MAX_BODY) {
		err_set(e, "hook \"%s\": its environment is too long", command);
		return NULL;
	}
	if ((body = malloc(n)) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	memcpy(body, command, (at = strlen(command) + 1));
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		memcpy(body + at, env[i], strlen(env[i]) + 1);
		at += strlen(env[i]) + 1;
	}
	*len = n;
	return body;
}

int
hookproc_run(struct hookproc *hp, const char *command,
    const char *const *env, struct err *e)
{
	struct ipc_msg *m;
	size_t len;
	char *body;
	int rc = -1;

	if (hp == NULL)
		return hook_run(command, env, HOOK_TIMEOUT, e);
	if ((body = request(command, env, &len, e)) == NULL)
		return -1;
	m = ipc_call(hp->fd, RUNNER, IPC_HOOK_RUN, body, len, -1,
	    HOOKPROC_TIMEOUT, e);
	free(body);
	if (m == NULL)
		err_prefix(e, "hook \"%s\":", command);
	else if (m->type == IPC_HOOK_DONE)
		rc = 0;
	else if (m->type == IPC_REFUSED)
		err_set(e, "%s", (const char *)m->body);
	else
		err_set(e, "hook \"%s\": %s answered with message type %d",
		    command, RUNNER, (int)m->type);
	ipc_msg_free(m);
	return rc;
}

void
hookproc_free(struct hookproc *hp)
{
	if (hp == NULL)
		return;
	child_end(hp->fd, hp->pid);
	free(hp);
}
