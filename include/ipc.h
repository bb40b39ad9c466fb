/*
 * ipc.h - the messages between acmec's processes: one message per packet
 * of a SOCK_SEQPACKET socketpair, each a 6-byte header (version, type,
 * 32-bit big-endian body length) and a body of at most IPC_MAX_BODY bytes.
 *
 * A receiver trusts nothing in a message: a wrong version, an unknown
 * type, a body over the bound or shorter than its header says is an error
 * that names which, and so is a peer that ended.
 */
#ifndef ACMEC_IPC_H
#define ACMEC_IPC_H

#include <stddef.h>

#include "err.h"

#define IPC_VERSION	1
#define IPC_HEADER	6
#define IPC_MAX_BODY	(64 * 1024)	/* a JWS signing input is small */

enum ipc_type {
	IPC_HELLO = 1,		/* key process: its public half, JSON text */
	IPC_SIGN,		/* a JWS signing input to sign */
	IPC_SIGNATURE,		/* the signature, raw bytes */
	IPC_REFUSED,		/* why a request was not answered, text */
	IPC_MORE,		/* a part of a long message (ipc_send_long) */
	IPC_CONFIGURE,		/* network process: its options, JSON text */
	IPC_READY,		/* network process: configured */
	IPC_REQUEST,		/* an HTTP request: JSON text, NUL, body */
	IPC_RESPONSE,		/* its answer: JSON text, NUL, body */
	IPC_KEY_REQUEST,	/* certificate key process: JSON, maybe a fd */
	IPC_KEY_ANSWER,		/* its answer, JSON text */
	IPC_HOOK_RUN,		/* hook runner: command, NUL, NAME=value, NUL... */
	IPC_HOOK_DONE,		/* the hook exited 0; empty */
	IPC_TYPE_END		/* not a type: one past the last */
};

struct ipc_msg {
	enum ipc_type	 type;
	size_t		 len;
	unsigned char	 body[];	/* len bytes, then a NUL */
};

/*
 * Send one message to the peer named peer ("the key process", for
 * messages).  SIGPIPE is never raised: a peer that ended is an error.
 */
int ipc_send(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, struct err *e);

/*
 * ipc_send, but 1 and nothing sent when the peer's buffer is full, so
 * that a process the peer waits on can read meanwhile.
 */
int ipc_try_send(int fd, const char *peer, enum ipc_type type,
    const void *body, size_t len, struct err *e);

/*
 * Receive one message; new, or NULL with *e saying what was wrong.  A
 * descriptor sent with it is closed and the message refused.
 */
struct ipc_msg *ipc_recv(int fd, const char *peer, struct err *e);

/*
 * ipc_send and ipc_recv with one open descriptor going along (SCM_RIGHTS):
 * pass is the sender's (it keeps its own copy); *pass the receiver's, new
 * and close-on-exec, or -1 when the message carried none.  A message with
 * more than one is refused.
 */
int ipc_send_fd(int fd, const char *peer, enum ipc_type type,
    const void *body, size_t len, int pass, struct err *e);
struct ipc_msg *ipc_recv_fd(int fd, const char *peer, int *pass,
    struct err *e);

/* Check and copy the n bytes of one packet at buf; new, or NULL. */
struct ipc_msg *ipc_parse(const void *buf, size_t n, const char *peer,
    struct err *e);

/*
 * For bodies over IPC_MAX_BODY (an HTTP answer): ipc_send_long sends the
 * body in IPC_MAX_BODY parts of type IPC_MORE, the last part with type;
 * ipc_recv_long joins them, refusing more than max bytes in all.
 */
int ipc_send_long(int fd, const char *peer, enum ipc_type type,
    const void *body, size_t len, struct err *e);
struct ipc_msg *ipc_recv_long(int fd, const char *peer, size_t max,
    struct err *e);

/*
 * Wait at most timeout_ms (-1: for ever) for a message on fd: 1 when one
 * (or the peer's end) is there, 0 when the time ran out, -1 on an error.
 */
int ipc_wait(int fd, const char *peer, int timeout_ms, struct err *e);

/*
 * One request and its answer: send (with the descriptor pass, -1: none),
 * then wait at most timeout_s seconds.  A peer that does not answer in
 * time is stuck: the socket is shut down, so that its late answer is
 * never taken for the next request's.  The answer, new, or NULL.
 */
struct ipc_msg *ipc_call(int fd, const char *peer, enum ipc_type type,
    const void *body, size_t len, int pass, int timeout_s, struct err *e);

void ipc_msg_free(struct ipc_msg *m);

#endif
