/*
 * test_session.c - a session opened and closed in order; a connect that
 * fails leaves nothing behind for the next one to overwrite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"
#include "session.h"

/*
 * Nothing listens on port 1 of the loopback address: the directory
 * cannot be fetched, so acme_new fails after the transport was made.
 */
static void
session_connect__leaves_no_transport_when_the_directory_fails(void **state)
{
	struct config cfg;
	struct session s;
	struct err e = { "" };

	(void)state;
	config_defaults(&cfg);
	cfg.directory_url = "https://127.0.0.1:1/directory";
	cfg.timeout = 2;
	session_init(&s);
	assert_int_equal(session_connect(&s, &cfg, NULL, &e), -1);
	assert_null(s.acme);
	assert_null(s.http);
	/* The engine connects again after renew's assessment failed. */
	assert_int_equal(session_connect(&s, &cfg, NULL, &e), -1);
	assert_null(s.http);
	session_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    session_connect__leaves_no_transport_when_the_directory_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
