/*
 * ipc.c - one checked message per packet between acmec's processes.
 */
#include <sys/socket.h>

#include <poll.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "ipc.h"

/* Room for the control part of one descriptor, aligned for cmsghdr. */
union ipc_fd_cmsg {
	char		buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr	align;
};

/* pass (-1: none) goes with msg as SCM_RIGHTS; ctl holds its header. */
static void
attach_fd(struct msghdr *msg, int pass, union ipc_fd_cmsg *ctl)
{
	struct cmsghdr *c;

	if (pass == -1)
		return;
	memset(ctl, 0, sizeof(*ctl));
	msg->msg_control = ctl->buf;
	msg->msg_controllen = sizeof(ctl->buf);
	c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass, sizeof(int));
}

/*
 * One packet, with the descriptor pass (-1: none); with MSG_DONTWAIT in
 * flags, 1 when the peer is full.
 */
static int
send_packet(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, int pass, int flags, struct err *e)
{
	union ipc_fd_cmsg ctl;
	struct msghdr msg = { 0 };
	struct iovec iov;
	unsigned char *buf;
	ssize_t sent;

	if (len > IPC_MAX_BODY) {
		err_set(e, "a message to %s of %zu bytes is over the limit "
		    "of %d", peer, len, IPC_MAX_BODY);
		return -1;
	}
	if ((buf = malloc(IPC_HEADER + len)) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	buf[0] = IPC_VERSION;
	buf[1] = (unsigned char)type;
	buf[2] = (unsigned char)(len >> 24), buf[3] = (unsigned char)(len >> 16);
	buf[4] = (unsigned char)(len >> 8), buf[5] = (unsigned char)len;
	if (len > 0)
		memcpy(buf + IPC_HEADER, body, len);
	iov = (struct iovec){ buf, IPC_HEADER + len };
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	attach_fd(&msg, pass, &ctl);
	/* MSG_NOSIGNAL: a dead peer is an error to report, not a signal. */
	do
		sent = sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
	while (sent == -1 && errno == EINTR);
	free(buf);
	if (sent == -1 && (flags & MSG_DONTWAIT) &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (sent == -1 && (errno == EPIPE || errno == ECONNRESET))
		err_set(e, "%s ended", peer);
	else if (sent == -1)
		err_errno(e, "cannot send a message to %s", peer);
	else if ((size_t)sent != IPC_HEADER + len)
		err_set(e, "a message to %s was cut short", peer);
	else
		return 0;
	return -1;
}

int
ipc_send(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, struct err *e)
{
	return send_packet(fd, peer, type, body, len, -1, 0, e);
}

int
ipc_send_fd(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, int pass, struct err *e)
{
	return send_packet(fd, peer, type, body, len, pass, 0, e);
}

int
ipc_try_send(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, struct err *e)
{
	return send_packet(fd, peer, type, body, len, -1, MSG_DONTWAIT, e);
}

struct ipc_msg *
ipc_parse(const void *buf, size_t n, const char *peer, struct err *e)
{
	const unsigned char *p = buf;
	struct ipc_msg *m;
	uint32_t len;

	if (n < IPC_HEADER) {
		err_set(e, "a message from %s is truncated: %zu bytes, shorter "
		    "than its header", peer, n);
		return NULL;
	}
	len = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
	    (uint32_t)p[4] << 8 | p[5];
	if (p[0] != IPC_VERSION)
		err_set(e, "a message from %s has version %u, not %u", peer,
		    p[0], IPC_VERSION);
	else if (p[1] == 0 || p[1] >= IPC_TYPE_END)
		err_set(e, "a message from %s has the unknown type %u", peer,
		    p[1]);
	else if (len > IPC_MAX_BODY || n - IPC_HEADER > IPC_MAX_BODY)
		err_set(e, "a message from %s is oversized: over the limit of "
		    "%d bytes", peer, IPC_MAX_BODY);
	else if (n - IPC_HEADER != len)
		err_set(e, "a message from %s is truncated: %zu of the %u "
		    "bytes its header announces", peer, n - IPC_HEADER, len);
	else if ((m = malloc(sizeof(*m) + len + 1)) == NULL)
		err_set(e, "out of memory");
	else {
		m->type = (enum ipc_type)p[1];
		m->len = len;
		memcpy(m->body, p + IPC_HEADER, len);
		m->body[len] = '\0';
		return m;
	}
	return NULL;
}

/*
 * The descriptor msg brought, if any: *pass, or -1.  More than one, or a
 * control part cut short, is an error; whatever came is closed then.
 */
static int
take_fd(struct msghdr *msg, int *pass, const char *peer, struct err *e)
{
	struct cmsghdr *c;
	int n = 0, fd;

	*pass = -1;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <=
		    c->cmsg_len; i++, n++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*pass == -1)
				*pass = fd;
			else
				close(fd);
		}
	}
	if (n <= 1 && !(msg->msg_flags & MSG_CTRUNC))
		return 0;
	if (*pass != -1)
		close(*pass);
	*pass = -1;
	err_set(e, "a message from %s carries more than one descriptor",
	    peer);
	return -1;
}

/*
 * One message, and into *pass the descriptor it carries (-1: none); with
 * pass NULL, a descriptor that comes is closed and the message refused.
 */
static struct ipc_msg *
recv_packet(int fd, const char *peer, int *pass, struct err *e)
{
	/* One byte over the bound, so an oversized packet shows as such. */
	const size_t cap = IPC_HEADER + IPC_MAX_BODY + 1;
	union ipc_fd_cmsg ctl;
	struct msghdr msg = { 0 };
	struct ipc_msg *m = NULL;
	struct iovec iov;
	ssize_t got;
	int extra = -1, *into = pass != NULL ? pass : &extra;

	*into = -1;
	if ((iov.iov_base = malloc(cap)) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	iov.iov_len = cap;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (got == -1 && errno == EINTR);
	if (got == 0 || (got == -1 && errno == ECONNRESET))
		err_set(e, "%s ended", peer);
	else if (got == -1)
		err_errno(e, "cannot receive a message from %s", peer);
	else if (take_fd(&msg, into, peer, e) == 0) {
		if (pass == NULL && extra != -1) {
			close(extra);
			err_set(e, "a message from %s carries a descriptor "
			    "none was asked for", peer);
		} else if ((m = ipc_parse(iov.iov_base, (size_t)got, peer,
		    e)) == NULL && pass != NULL && *pass != -1) {
			close(*pass);
			*pass = -1;
		}
	}
	free(iov.iov_base);
	return m;
}

struct ipc_msg *
ipc_recv(int fd, const char *peer, struct err *e)
{
	return recv_packet(fd, peer, NULL, e);
}

struct ipc_msg *
ipc_recv_fd(int fd, const char *peer, int *pass, struct err *e)
{
	return recv_packet(fd, peer, pass, e);
}

void
ipc_msg_free(struct ipc_msg *m)
{
	free(m);
}

int
ipc_send_long(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, struct err *e)
{
	const unsigned char *p = body;

	for (; len > IPC_MAX_BODY; p += IPC_MAX_BODY, len -= IPC_MAX_BODY)
		if (ipc_send(fd, peer, IPC_MORE, p, IPC_MAX_BODY, e) == -1)
			return -1;
	return ipc_send(fd, peer, type, p, len, e);
}

/* head with m's body appended, of m's type; both taken, NULL on ENOMEM. */
static struct ipc_msg *
append(struct ipc_msg *head, struct ipc_msg *m, struct err *e)
{
	struct ipc_msg *all;

	if ((all = realloc(head, sizeof(*all) + head->len + m->len + 1)) ==
	    NULL) {
		err_set(e, "out of memory");
		ipc_msg_free(head);
	} else {
		memcpy(all->body + all->len, m->body, m->len + 1);
		all->len += m->len;
		all->type = m->type;
	}
	ipc_msg_free(m);
	return all;
}

struct ipc_msg *
ipc_recv_long(int fd, const char *peer, size_t max, struct err *e)
{
	struct ipc_msg *m, *head = NULL;

	while ((m = ipc_recv(fd, peer, e)) != NULL) {
		if (head != NULL && (m = append(head, m, e)) == NULL)
			return NULL;
		head = m;
		if (head->len > max) {
			err_set(e, "a message from %s is oversized: over the "
			    "limit of %zu bytes", peer, max);
			break;
		}
		if (head->type != IPC_MORE)
			return head;
	}
	ipc_msg_free(head);
	return NULL;
}

int
ipc_wait(int fd, const char *peer, int timeout_ms, struct err *e)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int n;

	while ((n = poll(&p, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (n == -1)
		err_errno(e, "cannot wait for %s", peer);
	return n;
}

struct ipc_msg *
ipc_call(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, int pass, int timeout_s, struct err *e)
{
	int ready;

	if (send_packet(fd, peer, type, body, len, pass, 0, e) == -1 ||
	    (ready = ipc_wait(fd, peer, timeout_s * 1000, e)) == -1)
		return NULL;
	if (ready == 1)
		return ipc_recv(fd, peer, e);
	err_set(e, "%s did not answer within %d seconds; giving up on it",
	    peer, timeout_s);
	(void)shutdown(fd, SHUT_RDWR);
	return NULL;
}
