/*
 * test_mcsink.c - the memcached challenge sink against two real memcached
 * servers that the test starts on free loopback ports: responses stored
 * on every server under the request URI, with an expiry beyond an order's
 * life; removed everywhere; all or none when one server fails; the check
 * names every server that does not answer; tokens refused.
 *
 * What the servers hold is read with memcached's text protocol over a
 * plain socket, not with libmemcached, the library under test.  Skipped
 * (77) when memcached is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "challenge.h"
#include "err.h"
#include "mcsink.h"

#define TOKEN1	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define TOKEN2	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define THUMB	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define KA1	TOKEN1 "." THUMB
#define KA2	TOKEN2 "." THUMB
#define KEY1	"/.well-known/acme-challenge/" TOKEN1
#define KEY2	"/.well-known/acme-challenge/" TOKEN2

/* Two servers the test runs, and a port where nothing answers. */
static pid_t	 mc_pid[2] = { -1, -1 };
static unsigned	 mc_port[2];
static char	 mc_name[2][32];
static int	 dead_fd = -1;
static char	 dead_name[32];

/* ------------------------------------------------------------ servers */

/* A free port on 127.0.0.1; if keep, bound (not listening) in *fd. */
static unsigned
free_port(bool keep, int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int s;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) == -1) {
		if (s != -1)
			close(s);
		return 0;
	}
	if (keep)
		*fd = s;
	else
		close(s);
	return ntohs(sa.sin_port);
}

static int
connect_port(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int s;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(s);
		return -1;
	}
	return s;
}

/*
 * Send cmd (CRLF added) and "quit", read the answer until memcached
 * closes the connection; into out, NUL-terminated.  -1 if no connection.
 */
static int
raw_cmd(unsigned port, const char *cmd, char *out, size_t len)
{
	char req[512];
	size_t got = 0;
	ssize_t n;
	int s;

	if ((s = connect_port(port)) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s\r\nquit\r\n", cmd);
	if (write(s, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(s);
		return -1;
	}
	while (got + 1 < len &&
	    (n = read(s, out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(s);
	return 0;
}

/* The value of key on server i, or NULL if it has none; new string. */
static char *
raw_get(int i, const char *key)
{
	char cmd[300], buf[2048], *p = NULL, *end;
	unsigned flags;
	size_t n;

	snprintf(cmd, sizeof(cmd), "get %s", key);
	if (raw_cmd(mc_port[i], cmd, buf, sizeof(buf)) == -1)
		fail_msg("memcached %s does not answer", mc_name[i]);
	if (strncmp(buf, "END\r\n", 5) == 0)
		return NULL;
	/* VALUE KEY FLAGS BYTES\r\nDATA\r\nEND\r\n */
	if (strncmp(buf, "VALUE ", 6) != 0 ||
	    (p = strchr(buf + 6, ' ')) == NULL ||
	    sscanf(p, " %u %zu", &flags, &n) != 2 ||
	    (p = strstr(p, "\r\n")) == NULL || strlen(p + 2) < n + 2) {
		fail_msg("unexpected answer from %s: %s", mc_name[i], buf);
		return NULL;
	}
	if ((end = strndup(p + 2, n)) == NULL)
		fail_msg("out of memory");
	return end;
}

/* Seconds key on server i has left to live (meta get "t"), -1: none. */
static long
raw_ttl(int i, const char *key)
{
	char cmd[300], buf[512], *t;

	snprintf(cmd, sizeof(cmd), "mg %s t", key);
	if (raw_cmd(mc_port[i], cmd, buf, sizeof(buf)) == -1)
		fail_msg("memcached %s does not answer", mc_name[i]);
	if (strncmp(buf, "HD", 2) != 0 || (t = strstr(buf, " t")) == NULL)
		return -1;
	return strtol(t + 2, NULL, 10);
}

/* How many items server i holds. */
static long
raw_items(int i)
{
	char buf[8192], *p;

	if (raw_cmd(mc_port[i], "stats", buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "STAT curr_items ")) == NULL)
		fail_msg("no stats from memcached %s", mc_name[i]);
	return strtol(p + strlen("STAT curr_items "), NULL, 10);
}

static void
raw_delete(int i, const char *key)
{
	char cmd[300], buf[256];

	snprintf(cmd, sizeof(cmd), "delete %s", key);
	(void)raw_cmd(mc_port[i], cmd, buf, sizeof(buf));
}

/* A program in PATH? */
static bool
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, file[4096];
	bool found = false;

	if (path == NULL || (copy = strdup(path)) == NULL)
		return false;
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/%s", dir, prog);
		found = access(file, X_OK) == 0;
	}
	free(copy);
	return found;
}

/*
 * Start memcached on a free port, in the foreground as our child, so
 * that its pid is ours to stop.  A port taken between our look and its
 * bind makes it exit: try another.
 */
static int
start_memcached(int i)
{
	struct passwd *pw = getpwuid(geteuid());
	char port[16];

	for (int tries = 0; tries < 10; tries++) {
		pid_t pid;

		mc_port[i] = free_port(false, NULL);
		snprintf(port, sizeof(port), "%u", mc_port[i]);
		if ((pid = fork()) == -1)
			return -1;
		if (pid == 0) {
			/* -u: memcached refuses to run as root without it */
			execlp("memcached", "memcached", "-l", "127.0.0.1",
			    "-p", port, "-U", "0", "-m", "8", "-u",
			    pw != NULL ? pw->pw_name : "root", (char *)NULL);
			_exit(127);
		}
		for (int wait = 0; wait < 100; wait++) {
			int s = connect_port(mc_port[i]);

			if (s != -1) {
				close(s);
				mc_pid[i] = pid;
				snprintf(mc_name[i], sizeof(mc_name[i]),
				    "127.0.0.1:%u", mc_port[i]);
				return 0;
			}
			if (waitpid(pid, NULL, WNOHANG) == pid)
				break;
			usleep(50000);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static void
stop_memcached(int i)
{
	if (mc_pid[i] <= 0)
		return;
	kill(mc_pid[i], SIGTERM);
	waitpid(mc_pid[i], NULL, 0);
	mc_pid[i] = -1;
}

static int
group_setup(void **state)
{
	(void)state;
	if (start_memcached(0) == -1 || start_memcached(1) == -1)
		return -1;
	snprintf(dead_name, sizeof(dead_name), "127.0.0.1:%u",
	    free_port(true, &dead_fd));
	return dead_fd == -1 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	stop_memcached(0);
	stop_memcached(1);
	if (dead_fd != -1)
		close(dead_fd);
	return 0;
}

/* Every test leaves both servers empty. */
static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		raw_delete(i, KEY1);
		raw_delete(i, KEY2);
	}
	return 0;
}

/* A sink for names (a NULL-terminated list); fails the test if none. */
static struct challenge_sink *
sink_of(const char *const *names)
{
	struct err e = { "" };
	struct challenge_sink *s = mcsink_new(names, &e);

	if (s == NULL)
		fail_msg("mcsink_new: %s", e.msg);
	return s;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static void
assert_value(int i, const char *key, const char *want)
{
	char *got = raw_get(i, key);

	if (want == NULL && got != NULL)
		fail_msg("%s holds %s = %s", mc_name[i], key, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("%s: %s is %s, want %s", mc_name[i], key,
		    got ? got : "(none)", want);
	free(got);
}

/* ------------------------------------------------------------ keys */

static void
mcsink_key__is_the_request_uri_of_the_challenge(void **state)
{
	char key[MCSINK_KEY_MAX + 1];
	struct err e = { "" };

	(void)state;
	assert_int_equal(mcsink_key(TOKEN1, key, sizeof(key), &e), 0);
	assert_string_equal(key, KEY1);
}

static void
mcsink_key__refuses_a_token_that_is_not_base64url(void **state)
{
	/* Spaces and CRLF would end the key and start another command. */
	static const char *const bad[] = {
		"", "a b", "abc\r\ndelete x", "../../etc", "tok=", "a/b",
		"t\xc3\xa9", NULL
	};
	char key[MCSINK_KEY_MAX + 1];

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		struct err e = { "" };

		assert_int_equal(mcsink_key(bad[i], key, sizeof(key), &e), -1);
		assert_contains(e.msg, "not base64url");
	}
}

static void
mcsink_key__refuses_a_token_too_long_for_a_memcached_key(void **state)
{
	char token[MCSINK_TOKEN_MAX + 2], key[MCSINK_KEY_MAX + 1];
	struct err e = { "" };

	(void)state;
	memset(token, 'A', MCSINK_TOKEN_MAX);
	token[MCSINK_TOKEN_MAX] = '\0';
	assert_int_equal(mcsink_key(token, key, sizeof(key), &e), 0);
	assert_int_equal(strlen(key), MCSINK_KEY_MAX);
	token[MCSINK_TOKEN_MAX] = 'A';
	token[MCSINK_TOKEN_MAX + 1] = '\0';
	assert_int_equal(mcsink_key(token, key, sizeof(key), &e), -1);
	assert_contains(e.msg, "at most 222 characters");
}

/* ------------------------------------------------------------ servers */

static void
mcsink_server_check__accepts_host_port_and_bracketed_ipv6(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:11211", "localhost:1", "mc-1.example.com:65535",
		"[::1]:11211", "[2001:db8::1]:11211", NULL
	};

	(void)state;
	for (size_t i = 0; good[i] != NULL; i++) {
		struct err e = { "" };

		if (mcsink_server_check(good[i], &e) != 0)
			fail_msg("%s refused: %s", good[i], e.msg);
	}
}

static void
mcsink_server_check__refuses_what_is_not_host_port(void **state)
{
	static const struct {
		const char *server, *msg;
	} bad[] = {
		{ "localhost", "localhost: no port; give HOST:PORT" },
		{ ":11211", ":11211: no host" },
		{ "localhost:", "the port must be a number from 1 to 65535" },
		{ "localhost:0", "the port must be a number from 1 to 65535" },
		{ "localhost:65536", "the port must be a number" },
		{ "localhost:+80", "the port must be a number" },
		{ "localhost:80x", "the port must be a number" },
		{ "::1:11211", "put an IPv6 address in brackets" },
		{ "[::1", "no closing ]" },
		{ "[::1]11211", "no port after ]" },
		{ "a b:11211", "not a host name or address" },
		{ "[localhost]:1", "not a host name or address" },
		{ NULL, NULL }
	};

	(void)state;
	for (size_t i = 0; bad[i].server != NULL; i++) {
		struct err e = { "" };

		if (mcsink_server_check(bad[i].server, &e) != -1)
			fail_msg("%s accepted", bad[i].server);
		assert_contains(e.msg, bad[i].msg);
	}
}

static void
mcsink_new__refuses_an_empty_list_and_a_bad_server(void **state)
{
	const char *const none[] = { NULL };
	const char *const bad[] = { mc_name[0], "localhost", NULL };
	struct err e = { "" };

	(void)state;
	assert_null(mcsink_new(none, &e));
	assert_contains(e.msg, "no memcached server given");
	assert_null(mcsink_new(NULL, &e));
	assert_null(mcsink_new(bad, &e));
	assert_contains(e.msg, "localhost: no port");
}

/* ------------------------------------------------------------ check */

static void
check__passes_on_every_server_and_leaves_no_probe_key(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_sink_check(s, &e), 0);
	assert_int_equal(raw_items(0), 0);
	assert_int_equal(raw_items(1), 0);
	challenge_sink_free(s);
}

static void
check__fails_naming_the_unreachable_server_only(void **state)
{
	const char *const names[] = { mc_name[0], dead_name, NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };
	char want[64];

	(void)state;
	assert_int_equal(challenge_sink_check(s, &e), -1);
	snprintf(want, sizeof(want), "memcached %s: connection refused",
	    dead_name);
	assert_contains(e.msg, want);
	assert_contains(e.msg, "nothing was ordered");
	if (strstr(e.msg, mc_name[0]) != NULL)
		fail_msg("the message names the server that works: %s", e.msg);
	assert_int_equal(raw_items(0), 0);
	challenge_sink_free(s);
}

static void
check__names_every_server_that_fails(void **state)
{
	const char *const names[] = { dead_name, "127.0.0.1:1", NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };
	char want[64];

	(void)state;
	assert_int_equal(challenge_sink_check(s, &e), -1);
	snprintf(want, sizeof(want), "memcached %s: ", dead_name);
	assert_contains(e.msg, want);
	assert_contains(e.msg, "; memcached 127.0.0.1:1: ");
	challenge_sink_free(s);
}

/* ------------------------------------------------------------ put, remove */

static void
put__stores_the_response_on_every_server_under_the_uri(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, KA2, &e), 0);
	for (int i = 0; i < 2; i++) {
		assert_value(i, KEY1, KA1);
		assert_value(i, KEY2, KA2);
	}
	challenge_sink_free(s);
}

static void
put__expires_a_little_after_an_order_of_8_hours(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	for (int i = 0; i < 2; i++) {
		long ttl = raw_ttl(i, KEY1);

		if (ttl <= 8 * 3600 || ttl > MCSINK_TTL)
			fail_msg("%s: %s lives %ld s, want 8 h to %d s",
			    mc_name[i], KEY1, ttl, MCSINK_TTL);
	}
	challenge_sink_free(s);
}

static void
put__again_replaces_the_response(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, "old", &e), 0);
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_value(0, KEY1, KA1);
	assert_value(1, KEY1, KA1);
	challenge_sink_free(s);
	assert_value(0, KEY1, NULL);
	assert_value(1, KEY1, NULL);
}

static void
put__refuses_a_token_memcached_cannot_take(void **state)
{
	const char *const names[] = { mc_name[0], NULL };
	struct challenge_sink *s = sink_of(names);
	char token[MCSINK_TOKEN_MAX + 2];
	struct err e = { "" };

	(void)state;
	/* base64url and under challenge.c's 255: only the sink says no. */
	memset(token, 'A', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	assert_int_equal(challenge_put(s, token, KA1, &e), -1);
	assert_contains(e.msg, "refusing to store it in memcached");
	assert_int_equal(raw_items(0), 0);
	challenge_sink_free(s);
}

static void
put__failing_on_one_server_leaves_nothing_on_the_others(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], dead_name,
	    NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };
	char want[64];

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), -1);
	snprintf(want, sizeof(want), "memcached %s: connection refused",
	    dead_name);
	assert_contains(e.msg, want);
	assert_value(0, KEY1, NULL);
	assert_value(1, KEY1, NULL);
	challenge_sink_free(s);
}

static void
remove__deletes_on_every_server(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, KA2, &e), 0);
	challenge_remove(s, TOKEN1);
	for (int i = 0; i < 2; i++) {
		assert_value(i, KEY1, NULL);
		assert_value(i, KEY2, KA2);
	}
	challenge_sink_free(s);
}

static void
sink_free__deletes_what_is_left_on_every_server(void **state)
{
	const char *const names[] = { mc_name[0], mc_name[1], NULL };
	struct challenge_sink *s = sink_of(names);
	struct err e = { "" };

	(void)state;
	assert_int_equal(challenge_put(s, TOKEN1, KA1, &e), 0);
	assert_int_equal(challenge_put(s, TOKEN2, KA2, &e), 0);
	challenge_sink_free(s);
	assert_int_equal(raw_items(0), 0);
	assert_int_equal(raw_items(1), 0);
}

static void
remove__on_a_server_that_went_away_is_harmless(void **state)
{
	const char *const names[] = { mc_name[0], dead_name, NULL };
	struct challenge_sink *s = sink_of(names);

	(void)state;
	challenge_remove_all(s);	/* nothing put: nothing to do */
	challenge_sink_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mcsink_key__is_the_request_uri_of_the_challenge),
		cmocka_unit_test(
		    mcsink_key__refuses_a_token_that_is_not_base64url),
		cmocka_unit_test(
		    mcsink_key__refuses_a_token_too_long_for_a_memcached_key),
		cmocka_unit_test(
		    mcsink_server_check__accepts_host_port_and_bracketed_ipv6),
		cmocka_unit_test(
		    mcsink_server_check__refuses_what_is_not_host_port),
		cmocka_unit_test(
		    mcsink_new__refuses_an_empty_list_and_a_bad_server),
		cmocka_unit_test_teardown(
		    check__passes_on_every_server_and_leaves_no_probe_key,
		    teardown),
		cmocka_unit_test_teardown(
		    check__fails_naming_the_unreachable_server_only, teardown),
		cmocka_unit_test_teardown(check__names_every_server_that_fails,
		    teardown),
		cmocka_unit_test_teardown(
		    put__stores_the_response_on_every_server_under_the_uri,
		    teardown),
		cmocka_unit_test_teardown(
		    put__expires_a_little_after_an_order_of_8_hours, teardown),
		cmocka_unit_test_teardown(put__again_replaces_the_response,
		    teardown),
		cmocka_unit_test_teardown(
		    put__refuses_a_token_memcached_cannot_take, teardown),
		cmocka_unit_test_teardown(
		    put__failing_on_one_server_leaves_nothing_on_the_others,
		    teardown),
		cmocka_unit_test_teardown(remove__deletes_on_every_server,
		    teardown),
		cmocka_unit_test_teardown(
		    sink_free__deletes_what_is_left_on_every_server, teardown),
		cmocka_unit_test_teardown(
		    remove__on_a_server_that_went_away_is_harmless, teardown),
	};

	if (!mcsink_available()) {
		fprintf(stderr, "acmec built without memcached: skipped\n");
		return 77;
	}
	if (!in_path("memcached")) {
		fprintf(stderr, "memcached is not installed: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
