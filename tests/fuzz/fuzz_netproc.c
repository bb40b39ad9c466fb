/*
 * fuzz_netproc.c - an answer from a network process a hostile CA took
 * over: the body of one IPC_RESPONSE (JSON head, NUL, body), as the main
 * process reads and checks it for the request it has in flight.
 */
#include <sys/socket.h>

#include <unistd.h>

#include "fuzz.h"
#include "http.h"
#include "ipc.h"
#include "netproc.h"

/* More would fill the socket this one process also reads. */
#define ANSWER_MAX	(128 * 1024)

static void
on_done(void *arg, struct http_response *r, const struct err *e)
{
	(void)arg, (void)e;
	http_response_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_request req = { "GET", FUZZ_CA "/directory", NULL,
	    NULL, 0, NULL };
	struct err e = { "" };
	struct transport t;
	struct netproc *np;
	struct ipc_msg *m;
	int sv[2];

	if (size > ANSWER_MAX ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return 0;
	if ((np = netproc_adopt(sv[0], &e)) == NULL) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	t = netproc_transport(np);
	if (t.start(t.ctx, &req, on_done, NULL, &e) == 0 &&
	    (m = ipc_recv_long(sv[1], "the parent", 1 << 20, &e)) != NULL) {
		ipc_msg_free(m);
		if (ipc_send_long(sv[1], "the parent", IPC_RESPONSE, data, size,
		    &e) == 0)
			(void)t.wait(t.ctx, 0);
	}
	netproc_free(np);
	close(sv[1]);
	return 0;
}
