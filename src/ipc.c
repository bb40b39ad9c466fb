/*
 * ipc.c - one checked message per packet between acmec's processes.
 */
#include <sys/socket.h>

#include <poll.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

/* One packet; with MSG_DONTWAIT in flags, 1 when the peer is full. */
static int
send_packet(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, int flags, struct err *e)
{
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
	/* MSG_NOSIGNAL: a dead peer is an error to report, not a signal. */
	do
		sent = send(fd, buf, IPC_HEADER + len, MSG_NOSIGNAL | flags);
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
	return send_packet(fd, peer, type, body, len, 0, e);
}

int
ipc_try_send(int fd, const char *peer, enum ipc_type type, const void *body,
    size_t len, struct err *e)
{
	return send_packet(fd, peer, type, body, len, MSG_DONTWAIT, e);
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

struct ipc_msg *
ipc_recv(int fd, const char *peer, struct err *e)
{
	/* One byte over the bound, so an oversized packet shows as such. */
	const size_t cap = IPC_HEADER + IPC_MAX_BODY + 1;
	struct ipc_msg *m = NULL;
	unsigned char *buf;
	ssize_t got;

	if ((buf = malloc(cap)) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	do
		got = recv(fd, buf, cap, 0);
	while (got == -1 && errno == EINTR);
	if (got == 0 || (got == -1 && errno == ECONNRESET))
		err_set(e, "%s ended", peer);
	else if (got == -1)
		err_errno(e, "cannot receive a message from %s", peer);
	else
		m = ipc_parse(buf, (size_t)got, peer, e);
	free(buf);
	return m;
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
