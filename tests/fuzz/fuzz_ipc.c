/*
 * fuzz_ipc.c - one packet from the other process: the framing (ipc.h)
 * and, for a signing request, the key process's check of what it is
 * asked to sign (keyproc.h).
 */
#include "fuzz.h"
#include "ipc.h"
#include "keyproc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { "" };
	struct ipc_msg *m;

	if ((m = ipc_parse(data, size, "the parent process", &e)) == NULL)
		return 0;
	if (m->type == IPC_SIGN)
		(void)keyproc_check((const char *)m->body, m->len, "ES256",
		    FUZZ_CA "/directory", KEYPROC_POLICY_ORDER, &e);
	ipc_msg_free(m);
	return 0;
}
