/*
 * interrupt.c - turn SIGINT/SIGTERM/SIGHUP into a flag, so that a run
 * unwinds through its normal cleanup (challenge files removed, lock
 * released).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "interrupt.h"

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void
interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a sleeping poll must wake up at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int
interrupt_requested(void)
{
	return interrupted;
}

/* end - now, or false if end has passed. */
static int
time_left(const struct timespec *end, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = end->tv_sec - now.tv_sec;
	left->tv_nsec = end->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	return left->tv_sec > 0 || (left->tv_sec == 0 && left->tv_nsec > 0);
}

int
interrupt_sleep_ms(long ms)
{
	struct timespec end, left;
	sigset_t stop, old;
	int rc;

	/*
	 * With the signals blocked, one arriving after the flag check
	 * stays pending until ppoll() unblocks them atomically and ends
	 * the sleep at once; with nanosleep() it would be handled before
	 * the sleep began and the whole interval would pass.
	 */
	stop_signals(&stop);
	sigprocmask(SIG_BLOCK, &stop, &old);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (ms > 0) {
		end.tv_sec += ms / 1000;
		end.tv_nsec += (ms % 1000) * 1000000L;
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
	}
	/* Other signals (SIGCHLD, say) wake ppoll too: sleep on. */
	while (!interrupted && time_left(&end, &left))
		if (ppoll(NULL, 0, &left, &old) == -1 && errno != EINTR)
			break;
	rc = interrupted ? -1 : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
