/*
 * test_interrupt.c - SIGINT, SIGTERM and SIGHUP end interrupt_sleep_ms()
 * early, whenever they arrive.
 *
 * The flag, once set, stays set for the life of the process, so every
 * test runs its sleep in a child of its own and reads the outcome from a
 * pipe (not from the exit status, which valgrind and ASan may change).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"

#define LONG_SLEEP_MS	10000	/* far longer than any test may take */

struct outcome {
	int	rc;		/* what interrupt_sleep_ms returned */
	long	elapsed_ms;	/* how long it took */
	int	mask_kept;	/* the signal mask after it is the one before */
	int	flag;		/* interrupt_requested() afterwards */
};

static void
ignore(int sig)
{
	(void)sig;
}

/* sigset_t is larger than what the kernel fills in: compare members. */
static int
same_mask(const sigset_t *a, const sigset_t *b)
{
	for (int sig = 1; sig < 32; sig++)
		if (sigismember(a, sig) != sigismember(b, sig))
			return 0;
	return 1;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* In a new process: send sig to our parent after delay_ms. */
static void
signal_parent_later(int sig, long delay_ms)
{
	pid_t parent = getpid();

	if (fork() == 0) {
		struct timespec ts = { delay_ms / 1000,
		    (delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		kill(parent, sig);
		_exit(0);
	}
}

/*
 * In a child: install the handlers, send raise_sig at once (0: none) or
 * late_sig after 200 ms (0: none), sleep ms, and report.
 */
static struct outcome
sleep_in_child(int raise_sig, int late_sig, long ms)
{
	struct outcome o = { 0 };
	int pfd[2], status;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		sigset_t before, after;
		struct sigaction sa;
		long t0;

		close(pfd[0]);
		interrupt_install();
		/* Caught, unlike SIGCHLD by default: it does wake ppoll. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = ignore;
		sigaction(SIGUSR1, &sa, NULL);
		if (raise_sig != 0)
			raise(raise_sig);
		if (late_sig != 0)
			signal_parent_later(late_sig, 200);
		sigprocmask(SIG_BLOCK, NULL, &before);
		t0 = now_ms();
		o.rc = interrupt_sleep_ms(ms);
		o.elapsed_ms = now_ms() - t0;
		sigprocmask(SIG_BLOCK, NULL, &after);
		o.mask_kept = same_mask(&before, &after);
		o.flag = interrupt_requested();
		_exit(write(pfd[1], &o, sizeof(o)) == sizeof(o) ? 0 : 3);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &o, sizeof(o)), sizeof(o));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;	/* the signalling grandchild was reparented, not ours */
	return o;
}

static void
interrupt_sleep_ms__sleeps_the_whole_interval_without_a_signal(void **state)
{
	struct outcome o;

	(void)state;
	o = sleep_in_child(0, 0, 300);
	assert_int_equal(o.rc, 0);
	assert_true(o.elapsed_ms >= 290);
	assert_true(o.mask_kept);
	assert_false(o.flag);
}

static void
interrupt_sleep_ms__returns_at_once_when_interrupted_before_the_call(
    void **state)
{
	struct outcome o;

	(void)state;
	o = sleep_in_child(SIGINT, 0, LONG_SLEEP_MS);
	assert_int_equal(o.rc, -1);
	assert_true(o.elapsed_ms < 100);
	assert_true(o.flag);
}

static void
interrupt_sleep_ms__a_sigint_during_a_long_sleep_ends_it_early(void **state)
{
	struct outcome o;

	(void)state;
	o = sleep_in_child(0, SIGINT, LONG_SLEEP_MS);
	assert_int_equal(o.rc, -1);
	assert_true(o.elapsed_ms < LONG_SLEEP_MS / 2);
	assert_true(o.mask_kept);
	assert_true(o.flag);
}

static void
interrupt_sleep_ms__a_sigterm_during_a_long_sleep_ends_it_early(void **state)
{
	struct outcome o;

	(void)state;
	o = sleep_in_child(0, SIGTERM, LONG_SLEEP_MS);
	assert_int_equal(o.rc, -1);
	assert_true(o.elapsed_ms < LONG_SLEEP_MS / 2);
}

static void
interrupt_sleep_ms__a_sighup_is_handled_like_sigterm(void **state)
{
	struct outcome o;

	(void)state;
	/* Not the default action (death without cleanup): the flag. */
	o = sleep_in_child(0, SIGHUP, LONG_SLEEP_MS);
	assert_int_equal(o.rc, -1);
	assert_true(o.elapsed_ms < LONG_SLEEP_MS / 2);
	assert_true(o.flag);
}

static void
interrupt_sleep_ms__sleeps_on_after_an_unrelated_signal(void **state)
{
	struct outcome o;

	(void)state;
	/* A caught SIGUSR1 wakes ppoll, but is no request to stop. */
	o = sleep_in_child(0, SIGUSR1, 600);
	assert_int_equal(o.rc, 0);
	assert_true(o.elapsed_ms >= 590);
	assert_false(o.flag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    interrupt_sleep_ms__sleeps_the_whole_interval_without_a_signal),
		cmocka_unit_test(
		    interrupt_sleep_ms__returns_at_once_when_interrupted_before_the_call),
		cmocka_unit_test(
		    interrupt_sleep_ms__a_sigint_during_a_long_sleep_ends_it_early),
		cmocka_unit_test(
		    interrupt_sleep_ms__a_sigterm_during_a_long_sleep_ends_it_early),
		cmocka_unit_test(
		    interrupt_sleep_ms__a_sighup_is_handled_like_sigterm),
		cmocka_unit_test(
		    interrupt_sleep_ms__sleeps_on_after_an_unrelated_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
