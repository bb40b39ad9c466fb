/*
 * test_ipc.c - the message framing between acmec's processes: what goes
 * in comes out, and each kind of broken message is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "ipc.h"
#include "testutil.h"

#define PEER	"the key process"

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

/* Send one raw packet: header fields as given, then n body bytes. */
static void
send_raw(int fd, unsigned version, unsigned type, uint32_t len, size_t n)
{
	unsigned char *buf = calloc(1, IPC_HEADER + n);

	assert_non_null(buf);
	buf[0] = (unsigned char)version, buf[1] = (unsigned char)type;
	buf[2] = (unsigned char)(len >> 24), buf[3] = (unsigned char)(len >> 16);
	buf[4] = (unsigned char)(len >> 8), buf[5] = (unsigned char)len;
	assert_int_equal(send(fd, buf, IPC_HEADER + n, 0),
	    (ssize_t)(IPC_HEADER + n));
	free(buf);
}

/* What ipc_recv says about the next packet on fd, which it must refuse. */
static void
assert_refused(int fd, const char *part)
{
	struct err e = { "" };

	assert_null(ipc_recv(fd, PEER, &e));
	assert_contains(e.msg, part);
}

static void
ipc_recv__returns_what_ipc_send_sent(void **state)
{
	struct err e = { "" };
	struct ipc_msg *m;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(ipc_send(sv[0], PEER, IPC_SIGN, "a.b", 3, &e), 0);
	assert_int_equal(ipc_send(sv[0], PEER, IPC_HELLO, NULL, 0, &e), 0);
	assert_non_null(m = ipc_recv(sv[1], PEER, &e));
	assert_int_equal(m->type, IPC_SIGN);
	assert_int_equal(m->len, 3);
	assert_string_equal((const char *)m->body, "a.b");
	ipc_msg_free(m);
	assert_non_null(m = ipc_recv(sv[1], PEER, &e));
	assert_int_equal(m->type, IPC_HELLO);
	assert_int_equal(m->len, 0);
	ipc_msg_free(m);
	close(sv[0]);
	close(sv[1]);
}

static void
ipc_recv__carries_a_body_of_the_full_bound(void **state)
{
	unsigned char *big = calloc(1, IPC_MAX_BODY);
	struct err e = { "" };
	struct ipc_msg *m;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(ipc_send(sv[0], PEER, IPC_SIGNATURE, big,
	    IPC_MAX_BODY, &e), 0);
	assert_non_null(m = ipc_recv(sv[1], PEER, &e));
	assert_int_equal(m->len, IPC_MAX_BODY);
	ipc_msg_free(m);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

static void
ipc_recv__refuses_a_wrong_version(void **state)
{
	int sv[2];

	(void)state;
	pair(sv);
	send_raw(sv[0], 2, IPC_SIGN, 0, 0);
	assert_refused(sv[1], "from the key process has version 2, not 1");
	close(sv[0]);
	close(sv[1]);
}

static void
ipc_recv__refuses_an_unknown_type(void **state)
{
	int sv[2];

	(void)state;
	pair(sv);
	send_raw(sv[0], IPC_VERSION, IPC_TYPE_END, 0, 0);
	assert_refused(sv[1], "has the unknown type 14");
	send_raw(sv[0], IPC_VERSION, 0, 0, 0);
	assert_refused(sv[1], "has the unknown type 0");
	close(sv[0]);
	close(sv[1]);
}

/* A body over IPC_MAX_BODY goes in parts and comes back whole. */
static void
ipc_recv_long__joins_the_parts_ipc_send_long_sent(void **state)
{
	size_t len = 2 * IPC_MAX_BODY + 3, i;
	unsigned char *body = malloc(len);
	struct err e = { "" };
	struct ipc_msg *m;
	int sv[2];

	(void)state;
	assert_non_null(body);
	for (i = 0; i < len; i++)
		body[i] = (unsigned char)(i % 251);
	pair(sv);
	assert_int_equal(ipc_send_long(sv[0], PEER, IPC_RESPONSE, body, len,
	    &e), 0);
	assert_non_null(m = ipc_recv_long(sv[1], PEER, len, &e));
	assert_int_equal(m->type, IPC_RESPONSE);
	assert_int_equal(m->len, len);
	assert_memory_equal(m->body, body, len);
	ipc_msg_free(m);
	assert_int_equal(ipc_send_long(sv[0], PEER, IPC_RESPONSE, body, len,
	    &e), 0);
	assert_null(ipc_recv_long(sv[1], PEER, IPC_MAX_BODY, &e));
	assert_string_equal(e.msg, "a message from the key process is "
	    "oversized: over the limit of 65536 bytes");
	free(body);
	close(sv[0]);
	close(sv[1]);
}

static void
ipc_wait__times_out_then_sees_a_message(void **state)
{
	struct err e = { "" };
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(ipc_wait(sv[1], PEER, 10, &e), 0);
	assert_int_equal(ipc_send(sv[0], PEER, IPC_READY, NULL, 0, &e), 0);
	assert_int_equal(ipc_wait(sv[1], PEER, 1000, &e), 1);
	close(sv[0]);
	close(sv[1]);
}

static void
ipc_recv__refuses_an_oversized_message(void **state)
{
	int sv[2];

	(void)state;
	pair(sv);
	send_raw(sv[0], IPC_VERSION, IPC_SIGN, IPC_MAX_BODY + 1,
	    IPC_MAX_BODY + 1);
	assert_refused(sv[1], "is oversized: over the limit of 65536 bytes");
	/* A header announcing more than the bound, whatever follows. */
	send_raw(sv[0], IPC_VERSION, IPC_SIGN, UINT32_MAX, 4);
	assert_refused(sv[1], "is oversized");
	close(sv[0]);
	close(sv[1]);
}

static void
ipc_send__refuses_an_oversized_body(void **state)
{
	struct err e = { "" };

	(void)state;
	assert_int_equal(ipc_send(-1, PEER, IPC_SIGN, "", IPC_MAX_BODY + 1,
	    &e), -1);
	assert_contains(e.msg, "a message to the key process of 65537 bytes "
	    "is over the limit");
}

static void
ipc_recv__refuses_a_truncated_message(void **state)
{
	int sv[2];

	(void)state;
	pair(sv);
	send_raw(sv[0], IPC_VERSION, IPC_SIGN, 10, 3);
	assert_refused(sv[1], "is truncated: 3 of the 10 bytes its header "
	    "announces");
	assert_int_equal(send(sv[0], "\1\2", 2, 0), 2);
	assert_refused(sv[1], "is truncated: 2 bytes, shorter than its header");
	/* More than announced is as wrong as less. */
	send_raw(sv[0], IPC_VERSION, IPC_SIGN, 1, 2);
	assert_refused(sv[1], "is truncated: 2 of the 1 bytes");
	close(sv[0]);
	close(sv[1]);
}

static void
ipc__a_peer_that_ended_is_an_error_not_a_signal(void **state)
{
	struct err e = { "" };
	int sv[2];

	(void)state;
	pair(sv);
	close(sv[0]);
	assert_refused(sv[1], "the key process ended");
	/* Without MSG_NOSIGNAL, SIGPIPE would end this test here. */
	assert_int_equal(ipc_send(sv[1], PEER, IPC_SIGN, "x", 1, &e), -1);
	assert_string_equal(e.msg, "the key process ended");
	close(sv[1]);
}

/* A descriptor goes along: the receiver's copy reaches the same file. */
static void
ipc_recv_fd__gets_the_descriptor_ipc_send_fd_sent(void **state)
{
	struct err e = { "" };
	struct ipc_msg *m;
	int sv[2], p[2], got = -1;
	char buf[8] = "";

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ipc_send_fd(sv[0], PEER, IPC_KEY_REQUEST, "{}", 2,
	    p[1], &e), 0);
	assert_non_null(m = ipc_recv_fd(sv[1], PEER, &got, &e));
	assert_int_equal(m->type, IPC_KEY_REQUEST);
	assert_true(got != -1 && got != p[1]);
	assert_int_equal(write(got, "ok", 2), 2);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 2);
	assert_string_equal(buf, "ok");
	/* Without one, *pass says so. */
	assert_int_equal(ipc_send(sv[0], PEER, IPC_KEY_REQUEST, "{}", 2, &e),
	    0);
	ipc_msg_free(m);
	assert_non_null(m = ipc_recv_fd(sv[1], PEER, &got, &e));
	assert_int_equal(got, -1);
	ipc_msg_free(m);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A descriptor nobody asked for is closed, and its message refused. */
static void
ipc_recv__refuses_a_message_that_carries_a_descriptor(void **state)
{
	struct err e = { "" };
	int sv[2], p[2];
	char c;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ipc_send_fd(sv[0], PEER, IPC_SIGN, "x", 1, p[1], &e),
	    0);
	close(p[1]);
	assert_refused(sv[1], "carries a descriptor none was asked for");
	/* Its copy was closed: the pipe has no writer left. */
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

/* Two descriptors in one message: refused, both closed. */
static void
ipc_recv_fd__refuses_more_than_one_descriptor(void **state)
{
	union {
		char		buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr	align;
	} ctl;
	unsigned char packet[IPC_HEADER] = { IPC_VERSION, IPC_KEY_REQUEST };
	struct iovec iov = { packet, sizeof(packet) };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct err e = { "" };
	int sv[2], p[2], got = 7;
	char c;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), (int[]){ p[1], p[1] }, 2 * sizeof(int));
	assert_int_equal(sendmsg(sv[0], &msg, 0), (ssize_t)sizeof(packet));
	close(p[1]);
	assert_null(ipc_recv_fd(sv[1], PEER, &got, &e));
	assert_contains(e.msg, "more than one descriptor");
	assert_int_equal(got, -1);
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipc_recv__returns_what_ipc_send_sent),
		cmocka_unit_test(ipc_recv__carries_a_body_of_the_full_bound),
		cmocka_unit_test(ipc_recv__refuses_a_wrong_version),
		cmocka_unit_test(ipc_recv__refuses_an_unknown_type),
		cmocka_unit_test(ipc_recv__refuses_an_oversized_message),
		cmocka_unit_test(ipc_recv_long__joins_the_parts_ipc_send_long_sent),
		cmocka_unit_test(ipc_wait__times_out_then_sees_a_message),
		cmocka_unit_test(ipc_send__refuses_an_oversized_body),
		cmocka_unit_test(ipc_recv__refuses_a_truncated_message),
		cmocka_unit_test(ipc__a_peer_that_ended_is_an_error_not_a_signal),
		cmocka_unit_test(ipc_recv_fd__gets_the_descriptor_ipc_send_fd_sent),
		cmocka_unit_test(ipc_recv__refuses_a_message_that_carries_a_descriptor),
		cmocka_unit_test(ipc_recv_fd__refuses_more_than_one_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
