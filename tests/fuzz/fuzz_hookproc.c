/*
 * fuzz_hookproc.c - a request to the hook runner from a main process a
 * hostile CA took over: one whole packet, as the runner reads and checks
 * it (nothing is run).  What passes must be a configured command and
 * ACMEC_ variables only, each once, ACMEC_OUT beneath a directory acmec
 * writes (as a string: the runner follows its links after this check).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hookproc.h"
#include "ipc.h"

/* env[i] is ACMEC_NAME=value, the first of its name, a place if OUT. */
static bool
is_hook_entry(const char *const *env, size_t i, const char *const *dirs)
{
	size_t len = strcspn(env[i], "=");
	const char *out = env[i] + sizeof "ACMEC_OUT";

	if (strncmp(env[i], "ACMEC_", 6) != 0 || env[i][len] != '=')
		return false;
	for (size_t j = 0; j < i; j++)
		if (strncmp(env[j], env[i], len + 1) == 0)
			return false;
	if (strncmp(env[i], "ACMEC_OUT=", 10) != 0)
		return true;
	for (; *dirs != NULL; dirs++)
		if (strncmp(out, *dirs, strlen(*dirs)) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const commands[] = { "/bin/true",
	    "systemctl reload nginx" };
	static const char *const dirs[] = { "/var/lib/acmec",
	    "/etc/acmec/live/a", NULL };
	const char *command, *env[HOOKPROC_ENV_MAX + 1];
	struct err e = { "" };
	struct ipc_msg *m;

	if ((m = ipc_parse(data, size, "the main process", &e)) == NULL)
		return 0;
	if (hookproc_check(m, commands, 2, dirs, &command, env, &e) == 0) {
		if (command != commands[0] && command != commands[1])
			abort();
		for (size_t i = 0; env[i] != NULL; i++)
			if (!is_hook_entry(env, i, dirs))
				abort();
	}
	ipc_msg_free(m);
	return 0;
}
