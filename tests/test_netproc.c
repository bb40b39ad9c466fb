/*
 * test_netproc.c - the network process: it runs requests in its sandbox
 * and keeps nothing else open, and the parent's side refuses every
 * answer a network process taken over by a hostile CA could make up.
 * The hostile cases play the child over a socketpair (netproc_adopt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "http.h"
#include "ipc.h"
#include "netproc.h"
#include "sandbox.h"
#include "str.h"
#include "testutil.h"

static const struct http_options options = { .timeout = 5,
    .connect_timeout = 5 };

static struct netproc *
started(void)
{
	struct err e = { "" };
	struct netproc *np;

	assert_non_null(np = netproc_start(&e));
	if (netproc_configure(np, &options, SANDBOX_AUTO, &e) == -1)
		fail_msg("%s", e.msg);
	return np;
}

/*
 * Besides stderr it may hold sockets, pipes and eventfds (libcurl makes
 * some for itself), but no file or directory.
 */
static void
netproc__runs_in_its_sandbox_holding_no_file(void **state)
{
	struct netproc *np = started();
	pid_t child = only_child();

	(void)state;
	assert_sandboxed(child);
	netproc_free(np);
}

/* A request in many parts comes back as libcurl's own error. */
static void
netproc__a_failed_request_comes_back_as_its_error(void **state)
{
	struct netproc *np = started();
	struct transport t = netproc_transport(np);
	struct http_response *r;
	struct err e = { "" };
	size_t len = 3 * IPC_MAX_BODY;
	char *body = malloc(len);
	struct http_request req = { "POST", "https://127.0.0.1:1/new-order",
	    "application/jose+json", body, len, NULL };

	(void)state;
	assert_non_null(body);
	memset(body, 'x', len);
	assert_int_equal(transport_send(&t, &req, &r, &e), -1);
	assert_null(r);
	assert_contains(e.msg, "POST https://127.0.0.1:1/new-order: ");
	assert_null(strstr(e.msg, "ended"));
	free(body);
	netproc_free(np);
}

static void
netproc_configure__an_unreadable_ca_bundle_is_its_reason(void **state)
{
	struct http_options o = options;
	struct err e = { "" };
	struct netproc *np;
	char path[64], *children;

	(void)state;
	o.ca_bundle = "/nonexistent/ca.pem";
	assert_non_null(np = netproc_start(&e));
	assert_int_equal(netproc_configure(np, &o, SANDBOX_AUTO, &e), -1);
	assert_contains(e.msg, "--ca-bundle");
	assert_contains(e.msg, "/nonexistent/ca.pem");
	netproc_free(np);
	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	assert_non_null(children = read_file(path, NULL));
	assert_string_equal(children, "");
	free(children);
}

/* ---------------------------------------------- a hostile network process */

struct played {
	int			 child;	/* the end the test plays */
	struct netproc		*np;
	struct transport	 t;
	int			 ended;
	struct http_response	*resp;
	struct err		 e;
	pid_t			 sender;	/* of the last answer */
};

static int
played_setup(void **state)
{
	struct played *p = calloc(1, sizeof(*p));
	struct err e = { "" };
	int sv[2];

	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_non_null(p->np = netproc_adopt(sv[0], &e));
	p->child = sv[1];
	p->t = netproc_transport(p->np);
	*state = p;
	return 0;
}

static int
played_teardown(void **state)
{
	struct played *p = *state;

	netproc_free(p->np);
	if (p->sender > 0)
		(void)waitpid(p->sender, NULL, 0);
	if (p->child != -1)
		close(p->child);
	http_response_free(p->resp);
	free(p);
	return 0;
}

static void
on_done(void *arg, struct http_response *r, const struct err *e)
{
	struct played *p = arg;

	p->ended++;
	http_response_free(p->resp);
	p->resp = r;
	if (r == NULL)
		p->e = *e;
}

/* Start a GET of url; the child side reads the request. */
static void
start_get(struct played *p, const char *url)
{
	struct http_request req = { "GET", url, NULL, NULL, 0, NULL };
	struct err e = { "" };
	struct ipc_msg *m;

	assert_int_equal(p->t.start(p->t.ctx, &req, on_done, p, &e), 0);
	assert_non_null(m = ipc_recv_long(p->child, "parent", 1 << 21, &e));
	assert_int_equal(m->type, IPC_REQUEST);
	assert_contains((const char *)m->body, url);
	ipc_msg_free(m);
}

/*
 * Answer as the child: head, a NUL, len bytes of body.  From a process
 * of its own: more than the socket holds would block this one, which is
 * the reader too.
 */
static void
answer(struct played *p, enum ipc_type type, const char *head, size_t len)
{
	size_t n = strlen(head) + 1;
	char *buf = calloc(1, n + len);
	struct err e = { "" };
	pid_t pid;

	assert_non_null(buf);
	memcpy(buf, head, n);
	memset(buf + n, 'b', len);
	if (p->sender > 0)
		(void)waitpid(p->sender, NULL, 0);
	assert_int_not_equal(pid = fork(), -1);
	if (pid == 0)
		_exit(ipc_send_long(p->child, "parent", type, buf, n + len,
		    &e) == 0 ? 0 : 1);
	free(buf);
	p->sender = pid;
}

static void
netproc__an_answer_in_parts_comes_back_whole(void **state)
{
	struct played *p = *state;
	size_t len = 2 * IPC_MAX_BODY + 5;

	start_get(p, "https://ca.test/dir");
	answer(p, IPC_RESPONSE, "{\"id\":1,\"status\":200,\"replay_nonce\":"
	    "\"n1\",\"location\":\"https://ca.test/o/1\",\"links\":"
	    "[\"<https://ca.test/a>;rel=alternate\"]}", len);
	assert_int_equal(p->t.wait(p->t.ctx, 1000), 1);
	assert_non_null(p->resp);
	assert_int_equal(p->resp->status, 200);
	assert_int_equal(p->resp->body_len, len);
	assert_string_equal(p->resp->replay_nonce, "n1");
	assert_string_equal(p->resp->location, "https://ca.test/o/1");
	assert_int_equal(p->resp->nlinks, 1);
	assert_null(p->resp->retry_after);
	assert_int_equal(p->t.wait(p->t.ctx, 0), -1);
}

/* An answer to no request in flight is dropped; the real one counts. */
static void
netproc__an_answer_to_no_request_is_dropped(void **state)
{
	struct played *p = *state;

	start_get(p, "https://ca.test/dir");
	answer(p, IPC_RESPONSE, "{\"id\":7,\"status\":200}", 0);
	assert_int_equal(p->t.wait(p->t.ctx, 1000), 0);
	assert_int_equal(p->ended, 0);
	answer(p, IPC_RESPONSE, "{\"id\":1,\"status\":204}", 0);
	assert_int_equal(p->t.wait(p->t.ctx, 1000), 1);
	assert_int_equal(p->resp->status, 204);
}

static void
netproc__a_made_up_answer_is_refused(void **state)
{
	/* After the id, which counts the requests. */
	static const char *const heads[] = {
		"\"status\":42}",
		"\"status\":\"200\"}",
		"\"status\":200,\"location\":7}",
		"\"status\":200,\"links\":\"<x>\"}",
		"\"status\":200,\"links\":[1]}",
	};
	struct played *p = *state;
	char head[128];
	size_t i;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		start_get(p, "https://ca.test/dir");
		snprintf(head, sizeof(head), "{\"id\":%zu,%s", i + 1, heads[i]);
		answer(p, IPC_RESPONSE, head, 0);
		assert_int_equal(p->t.wait(p->t.ctx, 1000), 1);
		assert_null(p->resp);
		assert_contains(p->e.msg, "GET https://ca.test/dir: the "
		    "network process sent an answer that is not one");
	}
}

/* Its error text is passed on, its control characters made harmless. */
static void
netproc__an_error_is_passed_on_without_control_characters(void **state)
{
	struct played *p = *state;

	start_get(p, "https://ca.test/dir");
	answer(p, IPC_RESPONSE, "{\"id\":1,\"error\":\"GET x: refused\\u001b[2J"
	    "\\n\"}", 0);
	assert_int_equal(p->t.wait(p->t.ctx, 1000), 1);
	assert_string_equal(p->e.msg, "GET x: refused?[2J?");
}

/* Once it broke protocol it is not asked again. */
static void
assert_broken(struct played *p, const char *why)
{
	struct http_request req = { "GET", "https://ca.test/2", NULL, NULL, 0,
	    NULL };
	struct err e = { "" };

	assert_int_equal(p->t.wait(p->t.ctx, 1000), 1);
	assert_null(p->resp);
	assert_contains(p->e.msg, "GET https://ca.test/dir: ");
	assert_contains(p->e.msg, why);
	assert_int_equal(p->t.start(p->t.ctx, &req, on_done, p, &e), -1);
	assert_contains(e.msg, "GET https://ca.test/2: ");
	assert_contains(e.msg, why);
}

static void
netproc__an_oversized_answer_breaks_it_off(void **state)
{
	struct played *p = *state;

	start_get(p, "https://ca.test/dir");
	answer(p, IPC_RESPONSE, "{\"id\":1,\"status\":200}",
	    HTTP_BODY_MAX + 64 * 1024);
	assert_broken(p, "oversized");
}

static void
netproc__a_message_of_another_type_breaks_it_off(void **state)
{
	struct played *p = *state;

	start_get(p, "https://ca.test/dir");
	answer(p, IPC_SIGNATURE, "{}", 0);
	assert_broken(p, "sent message type 3, not an answer");
}

static void
netproc__a_dead_network_process_ends_every_request(void **state)
{
	struct played *p = *state;

	start_get(p, "https://ca.test/dir");
	close(p->child);
	p->child = -1;
	assert_broken(p, "the network process ended");
}

static int
always(void)
{
	return 1;
}

/* As http.c: the requests end at once, their late answers dropped. */
static void
netproc__an_interrupt_ends_the_requests_in_flight(void **state)
{
	const struct http_options o = { .interrupted = always };
	struct played *p = *state;
	struct err e = { "" };

	start_get(p, "https://ca.test/dir");
	assert_int_equal(p->t.wait(p->t.ctx, 50), 0);
	assert_int_equal(netproc_configure(p->np, &o, SANDBOX_AUTO, &e), 0);
	assert_int_equal(p->t.wait(p->t.ctx, 1000), 1);
	assert_string_equal(p->e.msg, "GET https://ca.test/dir: interrupted");
	answer(p, IPC_RESPONSE, "{\"id\":1,\"status\":200}", 0);
	assert_int_equal(p->t.wait(p->t.ctx, 0), -1);
	assert_int_equal(p->ended, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    netproc__runs_in_its_sandbox_holding_no_file),
		cmocka_unit_test(netproc__a_failed_request_comes_back_as_its_error),
		cmocka_unit_test(
		    netproc_configure__an_unreadable_ca_bundle_is_its_reason),
		cmocka_unit_test_setup_teardown(
		    netproc__an_answer_in_parts_comes_back_whole,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__an_answer_to_no_request_is_dropped,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__a_made_up_answer_is_refused,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__an_error_is_passed_on_without_control_characters,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__an_oversized_answer_breaks_it_off,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__a_message_of_another_type_breaks_it_off,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__a_dead_network_process_ends_every_request,
		    played_setup, played_teardown),
		cmocka_unit_test_setup_teardown(
		    netproc__an_interrupt_ends_the_requests_in_flight,
		    played_setup, played_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
