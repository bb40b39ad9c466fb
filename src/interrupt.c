/*
 * interrupt.c - turn SIGINT/SIGTERM into a flag, so that a run unwinds
 * through its normal cleanup (challenge files removed, lock released).
 */
#include <errno.h>
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
}

int
interrupt_requested(void)
{
	return interrupted;
}

int
interrupt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (!interrupted && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return interrupted ? -1 : 0;
}
