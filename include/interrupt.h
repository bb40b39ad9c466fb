/*
 * interrupt.h - SIGINT/SIGTERM turn into a flag that the transport and the
 * polling loops check, so a run unwinds normally and cleans up after itself.
 */
#ifndef ACMEC_INTERRUPT_H
#define ACMEC_INTERRUPT_H

void interrupt_install(void);
/* Non-zero once SIGINT or SIGTERM arrived. */
int interrupt_requested(void);
/* Sleep for ms milliseconds unless interrupted; -1 if interrupted. */
int interrupt_sleep_ms(long ms);

#endif
