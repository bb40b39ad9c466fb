/*
 * answer_queue.c - answers of a test transport, handed over on wait (see
 * answer_queue.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "answer_queue.h"

struct queued_answer {
	struct http_response	*resp;
	struct err		 e;
	transport_done_fn	 done;
	void			*arg;
	long			 arrives_ms;	/* on the monotonic clock */
};

static void
append(struct answer_queue *q, const struct queued_answer *a)
{
	struct queued_answer *grown;

	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 8;
		if ((grown = realloc(q->v, q->cap * sizeof(*grown))) == NULL) {
			fprintf(stderr, "answer queue: out of memory\n");
			abort();
		}
		q->v = grown;
	}
	q->v[q->n++] = *a;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
answer_queue_push(struct answer_queue *q, struct http_response *resp,
    const struct err *e, transport_done_fn done, void *arg, long delay_ms)
{
	const struct queued_answer a = { resp, *e, done, arg,
	    now_ms() + delay_ms };

	append(q, &a);
	if (q->n > q->most)
		q->most = q->n;
}

/* Sleep until the first answer arrives, for at most timeout_ms. */
static void
sleep_until_first(const struct answer_queue *q, long timeout_ms)
{
	long first = q->v[0].arrives_ms, wait;
	struct timespec ts;

	for (size_t i = 1; i < q->n; i++)
		if (q->v[i].arrives_ms < first)
			first = q->v[i].arrives_ms;
	wait = first - now_ms();
	if (wait > timeout_ms)
		wait = timeout_ms;
	if (wait <= 0)
		return;
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

int
answer_queue_deliver(struct answer_queue *q, long timeout_ms)
{
	struct queued_answer *batch;
	size_t n = q->n;
	long now;
	int delivered = 0;

	if (n == 0)
		return -1;
	sleep_until_first(q, timeout_ms);
	now = now_ms();
	batch = q->v;
	/* done may push: it goes to a fresh queue, for the next call. */
	q->v = NULL;
	q->n = q->cap = 0;
	for (size_t i = 0; i < n; i++) {
		if (batch[i].arrives_ms > now) {
			append(q, &batch[i]);
			continue;
		}
		batch[i].done(batch[i].arg, batch[i].resp, &batch[i].e);
		delivered++;
	}
	free(batch);
	return delivered;
}

void
answer_queue_free(struct answer_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		http_response_free(q->v[i].resp);
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}
