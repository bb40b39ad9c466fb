/*
 * answer_queue.h - answers a test transport computes at once, handed to
 * their callers on the next wait (http.h: done is never called from
 * start), in the order the requests were sent.
 */
#ifndef ACMEC_ANSWER_QUEUE_H
#define ACMEC_ANSWER_QUEUE_H

#include <stddef.h>

#include "http.h"

struct answer_queue {
	struct queued_answer	*v;
	size_t			 n, cap;
	size_t			 most;	/* answers outstanding at once */
};

/*
 * Queue resp (taken; NULL: no answer, e saying why) for done(arg), to
 * arrive delay_ms from now (a slow answer; 0: at once).
 */
void answer_queue_push(struct answer_queue *q, struct http_response *resp,
    const struct err *e, transport_done_fn done, void *arg, long delay_ms);
/*
 * As transport.wait: wait at most timeout_ms for an answer to arrive, then
 * hand over every one that has (their done may queue more, for the next
 * call); how many, or -1 if none was queued.
 */
int answer_queue_deliver(struct answer_queue *q, long timeout_ms);
/* Free what was never handed over. */
void answer_queue_free(struct answer_queue *q);

#endif
