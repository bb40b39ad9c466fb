/*
 * interrupt.h - SIGINT, SIGTERM and SIGHUP turn into a flag that the
 * transport and the polling loops check, so a run unwinds normally and
 * cleans up after itself (challenge files removed, lock released).
 * SIGHUP counts as a request to stop: the terminal of a hand-started run
 * went away, and nobody is left to read what acmec would print.
 */
#ifndef ACMEC_INTERRUPT_H
#define ACMEC_INTERRUPT_H

/* Catch SIGINT, SIGTERM and SIGHUP (without SA_RESTART). */
void interrupt_install(void);
/* Non-zero once SIGINT, SIGTERM or SIGHUP arrived. */
int interrupt_requested(void);
/*
 * Sleep for ms milliseconds unless interrupted; -1 if interrupted, at once
 * if that happened before the call.  A signal arriving at any moment of
 * the call ends it: there is no window in which one is noticed only after
 * the whole interval.
 */
int interrupt_sleep_ms(long ms);

#endif
