/*
 * fuzz_hookproc.c - a request to the hook runner from a main process a
 * hostile CA took over: one whole packet, as the runner reads and checks
 * it (nothing is run).  What passes must be a configured command and
 * ACMEC_ variables only.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hookproc.h"
#include "ipc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const commands[] = { "/bin/true",
	    "systemctl reload nginx" };
	const char *command, *env[HOOKPROC_ENV_MAX + 1];
	struct err e = { "" };
	struct ipc_msg *m;

	if ((m = ipc_parse(data, size, "the main process", &e)) == NULL)
		return 0;
	if (hookproc_check(m, commands, 2, &command, env, &e) == 0) {
		if (command != commands[0] && command != commands[1])
			abort();
		for (size_t i = 0; env[i] != NULL; i++)
			if (strncmp(env[i], "ACMEC_", 6) != 0 ||
			    strchr(env[i], '=') == NULL)
				abort();
	}
	ipc_msg_free(m);
	return 0;
}
