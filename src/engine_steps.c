/*
 * engine_steps.c - the steps of one order (RFC 8555 section 7.1).  Each
 * state has two halves: one sends the request the order needs next (and
 * returns at once, so other orders' requests share the connection
 * meanwhile), the other reads its answer and sets the job's next state
 * and the time it is due.  Nothing here sleeps.
 *
 * Requests that may have changed state at the CA (newOrder, finalize) are
 * never sent again blindly: finalize is followed by polling the order,
 * which says whether the CA acted.  Requests that only read (POST-as-GET)
 * are asked again when their answer was lost.
 */
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "engine_private.h"
#include "interrupt.h"
#include "log.h"
#include "nextkey.h"

/*
 * The polls of a wait come 75, 150, 300, 600 ms ... after it began (the
 * interval doubling up to 5 s), unless the CA's Retry-After says when: a
 * CA that decides at once is seen after 75 ms, and one that takes
 * seconds costs two polls more than a first poll after 300 ms would, and
 * is seen no later.
 */
#define POLL_DELAY_MIN_MS	75
#define POLL_DELAY_MAX_MS	5000
#define LOST_RETRIES		3	/* reads asked again after a lost answer */
#define LOST_DELAY_MS		500
#define CHALLENGE_TRIES		4	/* answers to a challenge the CA rejects */
#define CHALLENGE_DELAY_MS	1000	/* doubled after each rejection */

static struct acme_who
job_who(const struct engine *eng)
{
	return account_who(eng->session->account);
}

static void
job_fail(struct job *job)
{
	/* Say so when the next run picks the order up. */
	resume_explain(job->resume, &job->result->err);
	job->state = JOB_FAILED;
}

/* The call in flight has ended: the scheduler runs the answer half. */
static void
on_answer(void *arg, int rc)
{
	struct job *job = arg;

	job->in_flight = false;
	job->answered = true;
	job->rc = rc;
}

static struct acme_done
job_done(struct job *job)
{
	return (struct acme_done){ on_answer, job };
}

/* After an X_start: in flight, or (nothing sent) its answer is -1 now. */
static void
sent(struct job *job, int started)
{
	if (started == 0) {
		job->in_flight = true;
		return;
	}
	job->answered = true;
	job->rc = -1;
}

/* Go to state now; a new wait starts its deadline and its backoff. */
static void
job_goto(struct job *job, enum job_state state, long delay_ms)
{
	int64_t now = engine_now_ms();

	if (state == JOB_WAIT_READY || state == JOB_WAIT_VALID) {
		job->wait_end_ms = now + ENGINE_WAIT_MAX * INT64_C(1000);
		job->delay_ms = POLL_DELAY_MIN_MS;
	}
	job->lost = 0;
	job->state = state;
	job->due_ms = now + delay_ms;
}

/*
 * A read whose answer was lost (no answer, or a 5xx from a gateway), or
 * any request that was never sent, is asked again a few times, later;
 * true if it was rescheduled.
 */
static bool
retry_lost_read(struct job *job, const struct acme_outcome *out)
{
	long delay;

	/* Retry-After in seconds: checked before it is made milliseconds. */
	if ((out->verdict != ACME_UNKNOWN && out->verdict != ACME_UNSENT) ||
	    interrupt_requested() || out->retry_after > 60 ||
	    job->lost >= LOST_RETRIES)
		return false;
	delay = out->retry_after >= 0 ? out->retry_after * 1000L :
	    LOST_DELAY_MS << job->lost;
	job->lost++;
	log_verbose("%s; asking again in %ld ms", job->result->err.msg, delay);
	job->due_ms = engine_now_ms() + delay;
	return true;
}

/* ---------------------------------------------------------------- order */

/*
 * newOrder was refused or went unanswered with an error: if the account
 * may be the cause, ask the CA once which account the key has.
 */
static bool
recover_account(struct engine *eng, struct job *job,
    const struct acme_outcome *out)
{
	if (job->recovered || (!acme_refused_with(out, "accountDoesNotExist") &&
	    !acme_refused_with(out, "unauthorized") && out->status < 500))
		return false;
	job->recovered = true;
	return account_recover(eng->session->account, eng->session->acme,
	    eng->acct_opts, out, &job->result->err) == 0;
}

static void
after_order(struct job *job)
{
	const char *status = job->order->status;

	if (strcmp(status, "pending") == 0) {
		job->ntasks = 0;
		job_goto(job, JOB_AUTHORIZE, 0);
	} else if (strcmp(status, "ready") == 0) {
		job_goto(job, JOB_FINALIZE, 0);
	} else if (strcmp(status, "processing") == 0) {
		job->csr_taken = true;	/* an earlier run's finalize */
		job_goto(job, JOB_WAIT_VALID, 0);
	} else if (strcmp(status, "valid") == 0) {
		job_goto(job, JOB_DOWNLOAD, 0);
	} else {
		err_set(&job->result->err, "the CA refused the order: %s",
		    job->order->error ? job->order->error :
		    "it gave no reason");
		job_fail(job);
	}
}

/*
 * RFC 9773 section 5: "replaces" goes only to a CA with renewalInfo, and
 * a CA that refuses it (the old certificate was replaced already: 409
 * alreadyReplaced; another account's: 403; a certificate ID it does not
 * know, after a CA switch: 400 or 404) is asked once more without it.
 * Any other refusal (rateLimited above all) is no word on "replaces":
 * ordering again would cost a request and the rate-limit exemption of a
 * renewal inside its window.
 */
static bool
refuses_replaces(const struct acme_outcome *out)
{
	if (out->verdict != ACME_REFUSED || acme_refused_with(out,
	    "rateLimited"))
		return false;
	return acme_refused_with(out, "alreadyReplaced") ||
	    out->status == 403 || out->status == 400 || out->status == 404;
}

static bool
drop_replaces(struct job *job, const struct acme_order_request *req,
    const struct acme_outcome *out)
{
	if (req->replaces == NULL || job->no_replaces ||
	    !refuses_replaces(out))
		return false;
	log_info("%s: the CA refused \"replaces\" (%s); ordering again "
	    "without it", engine_job_label(job), job->result->err.msg);
	job->no_replaces = true;
	return true;
}

/* "replaces" goes only to a CA with renewalInfo, until it refuses it. */
static const char *
order_replaces(const struct engine *eng, const struct job *job)
{
	if (job->no_replaces || !acme_has_renewal_info(eng->session->acme))
		return NULL;
	return job->spec->replaces;
}

static void
send_order(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);
	const struct acme_order_request req = { &job->names,
	    job->spec->profile, order_replaces(eng, job) };

	log_info("ordering a certificate for %zu name(s), first %s",
	    job->names.n, job->names.v[0]);
	sent(job, acme_order_new_start(eng->session->acme, &who, &req,
	    &job->order, &job->outcome, &job->result->err, job_done(job)));
}

static void
read_order(struct engine *eng, struct job *job)
{
	const struct acme_order_request req = { &job->names,
	    job->spec->profile, order_replaces(eng, job) };
	const struct acme_outcome *out = &job->outcome;

	if (job->rc == 0) {
		after_order(job);
		return;
	}
	if (recover_account(eng, job, out) || drop_replaces(job, &req, out)) {
		job_goto(job, JOB_ORDER, 0);
		return;
	}
	/* Nothing reached the CA: ordering again is safe. */
	if (out->verdict == ACME_UNSENT && retry_lost_read(job, out))
		return;
	if (out->verdict == ACME_UNKNOWN && out->status == 0)
		err_append(&job->result->err, "; the CA may have made the "
		    "order, but nothing was issued; run acmec again");
	job_fail(job);
}

/* --------------------------------------------------------------- resume */

/* The order an earlier run left is over; order anew. */
static void
order_anew(struct job *job, const char *why)
{
	log_info("%s: the order %s an earlier run left %s; ordering anew",
	    engine_job_label(job), resume_order_url(job->resume), why);
	resume_remove(job->resume);
	acme_order_free(job->order);
	job->order = NULL;
	job_goto(job, JOB_ORDER, 0);
}

/*
 * An earlier run sent the CSR of this order and never learned
 * what came of it.  Ask the CA: valid -> download, processing -> wait,
 * ready -> finalize, pending -> authorizations; invalid, refused, or
 * another account's -> order anew.  A lost answer leaves the record.
 */
static void
send_resume(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);
	struct err *e = &job->result->err;

	if (!resume_account_is(job->resume, who.kid)) {
		order_anew(job, "belongs to another account");
		return;
	}
	if (job->order == NULL && (job->order = acme_order_at(
	    resume_order_url(job->resume), e)) == NULL) {
		job_fail(job);
		return;
	}
	sent(job, acme_order_fetch_start(eng->session->acme, &who, job->order,
	    &job->outcome, e, job_done(job)));
}

static void
read_resume(struct engine *eng, struct job *job)
{
	const struct acme_outcome *out = &job->outcome;

	(void)eng;
	if (job->rc == -1) {
		if (retry_lost_read(job, out))
			return;
		/*
		 * Only the CA's refusal says the order is gone: an answer
		 * lost, or one acmec cannot read (an unknown status), keeps
		 * the record and its key; the order may be valid.
		 */
		if (out->verdict == ACME_REFUSED &&
		    !acme_refused_with(out, "rateLimited"))
			order_anew(job, job->result->err.msg);
		else
			job_fail(job);
		return;
	}
	if (strcmp(job->order->status, "invalid") == 0) {
		order_anew(job, "is invalid");
		return;
	}
	log_info("%s: picking up the order %s an earlier run left (%s)",
	    engine_job_label(job), job->order->url, job->order->status);
	after_order(job);
}

/* ------------------------------------------------------- authorizations */

static int
add_task(struct job *job, struct acme_authz *authz, struct err *e)
{
	struct task *grown;

	grown = realloc(job->tasks, (job->ntasks + 1) * sizeof(*grown));
	if (grown == NULL) {
		err_set(e, "out of memory");
		acme_authz_free(authz);
		return -1;
	}
	job->tasks = grown;
	job->tasks[job->ntasks++] = (struct task){ authz, 0, 0 };
	return 0;
}

/* Put the response in place: the CA may fetch it once told. */
static int
place_response(struct engine *eng, struct job *job,
    const struct acme_authz *authz, struct err *e)
{
	char *keyauth;
	int rc;

	keyauth = acme_key_authorization(authz->token,
	    eng->session->account->signer);
	if (keyauth == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = challenge_put(job->sink, authz->token, keyauth, e);
	free(keyauth);
	if (rc == -1)
		err_prefix(e, "%s", authz->identifier);
	return rc;
}

/* One authorization a step: a lost answer is asked again alone. */
static void
send_authorize(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);

	sent(job, acme_authz_fetch_start(eng->session->acme, &who,
	    job->order->authorizations[job->ntasks], &job->authz, &job->outcome,
	    &job->result->err, job_done(job)));
}

static void
read_authorize(struct engine *eng, struct job *job)
{
	struct err *e = &job->result->err;
	struct acme_authz *authz = job->authz;

	job->authz = NULL;
	if (job->rc == -1) {
		if (!retry_lost_read(job, &job->outcome))
			job_fail(job);
		return;
	}
	if (strcmp(authz->status, "valid") == 0) {
		log_info("%s: already authorized", authz->identifier);
		acme_authz_free(authz);
		authz = NULL;
	} else if (strcmp(authz->status, "pending") != 0) {
		err_set(e, "%s: the authorization is %s%s%s; order again",
		    authz->identifier, authz->status[0] ? authz->status :
		    "without status", authz->error ? ": " : "",
		    authz->error ? authz->error : "");
		acme_authz_free(authz);
		job_fail(job);
		return;
	}
	if (authz != NULL && (add_task(job, authz, e) == -1 ||
	    place_response(eng, job, authz, e) == -1)) {
		job_fail(job);
		return;
	}
	if (authz == NULL)	/* keep the count of authorizations seen */
		(void)add_task(job, NULL, e);
	if (job->ntasks == job->order->nauthorizations)
		job_goto(job, JOB_RESPOND, 0);
	else
		job_goto(job, JOB_AUTHORIZE, 0);
}

/* ------------------------------------------------------------ challenges */

/*
 * The challenge object the CA answers with: a CA may reject the response
 * right there (step-ca does) and never touch the authorization.
 */
static int
read_challenge_answer(struct task *t, const char *status, const char *error,
    struct err *e)
{
	int64_t now = engine_now_ms();

	if (strcmp(status, "invalid") == 0 ||
	    (error != NULL && ++t->rejected >= CHALLENGE_TRIES)) {
		err_set(e, "%s: validation failed: %s", t->authz->identifier,
		    error ? error : "the CA gave no reason");
		return -1;
	}
	if (error != NULL) {
		/* Section 8.2: the client may ask the CA to try again. */
		log_info("%s: the CA could not validate yet (%s); asking "
		    "again", t->authz->identifier, error);
		t->due_ms = now + ((long)CHALLENGE_DELAY_MS << (t->rejected - 1));
		return 0;
	}
	t->due_ms = -1;
	return 0;
}

/*
 * The task whose challenge is due first, and when; NULL when every
 * challenge has been answered.
 */
static struct task *
next_task(struct job *job)
{
	struct task *next = NULL;

	for (size_t i = 0; i < job->ntasks; i++) {
		struct task *t = &job->tasks[i];

		if (t->authz == NULL || t->due_ms < 0)
			continue;
		if (next == NULL || t->due_ms < next->due_ms)
			next = t;
	}
	return next;
}

/* The next challenge when it is due; the order once all are answered. */
static void
respond_next(struct job *job)
{
	const struct task *t = next_task(job);

	if (t != NULL)
		job->due_ms = t->due_ms;
	else
		job_goto(job, JOB_WAIT_READY, POLL_DELAY_MIN_MS);
}

/* Answer one challenge a step, the one due first. */
static void
send_respond(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);
	struct task *t = next_task(job);

	if (t == NULL || t->due_ms > engine_now_ms()) {
		respond_next(job);
		return;
	}
	job->responding = (size_t)(t - job->tasks);
	sent(job, acme_challenge_respond_start(eng->session->acme, &who,
	    t->authz, &job->ch_status, &job->ch_error, &job->outcome,
	    &job->result->err, job_done(job)));
}

static void
read_respond(struct engine *eng, struct job *job)
{
	struct task *t = &job->tasks[job->responding];
	int rc = -1;

	(void)eng;
	if (job->rc == 0) {
		job->lost = 0;
		rc = read_challenge_answer(t, job->ch_status, job->ch_error,
		    &job->result->err);
	}
	free(job->ch_status);
	free(job->ch_error);
	job->ch_status = job->ch_error = NULL;
	if (job->rc == -1 && retry_lost_read(job, &job->outcome))
		return;		/* answer lost: asked again later */
	if (rc == -1)
		job_fail(job);
	else
		respond_next(job);
}

/* --------------------------------------------------------------- polling */

/* Which name failed and why: only asked when the order is invalid. */
static void
describe_invalid_order(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);
	struct err *e = &job->result->err, ignored;
	struct acme_outcome out;
	struct acme_authz *z;

	for (size_t i = 0; i < job->order->nauthorizations; i++) {
		if (acme_authz_fetch(eng->session->acme, &who,
		    job->order->authorizations[i], &z, &out, &ignored) == -1)
			continue;
		if (strcmp(z->status, "invalid") == 0) {
			err_set(e, "%s: validation failed: %s", z->identifier,
			    z->error ? z->error : "the CA gave no reason");
			acme_authz_free(z);
			return;
		}
		acme_authz_free(z);
	}
	err_set(e, "the CA refused the order: %s", job->order->error ?
	    job->order->error : "it gave no reason");
}

/*
 * Poll again later, as the CA's Retry-After (seconds, -1 for none) says
 * or the backoff, within the wait's deadline.
 */
static void
poll_later(struct job *job, long retry_after)
{
	int64_t now = engine_now_ms(), left = job->wait_end_ms - now, wait;

	if (left <= 0) {
		err_set(&job->result->err, "%s: the CA did not decide within "
		    "%d seconds; try again later", job->order->url,
		    ENGINE_WAIT_MAX);
		job_fail(job);
		return;
	}
	if (retry_after >= 0 && retry_after * INT64_C(1000) > left) {
		err_set(&job->result->err, "%s: the CA asks to check again in "
		    "%ld seconds (Retry-After), later than acmec waits (%ld "
		    "more seconds); try again later", job->order->url,
		    retry_after, (long)((left + 999) / 1000));
		job_fail(job);
		return;
	}
	wait = retry_after >= 0 ? retry_after * INT64_C(1000) : job->delay_ms;
	if (wait < POLL_DELAY_MIN_MS)
		wait = POLL_DELAY_MIN_MS;
	job->due_ms = now + (wait < left ? wait : left);
	if ((job->delay_ms *= 2) > POLL_DELAY_MAX_MS)
		job->delay_ms = POLL_DELAY_MAX_MS;
}

/*
 * After a finalize that may not have been taken (refused as orderNotReady,
 * or its answer lost), poll in state: the backoff goes on, and every such
 * wait ends where the first finalize's did, so that a CA which keeps
 * refusing is asked ever more rarely, and not for ever.
 */
static void
poll_on(struct job *job, enum job_state state)
{
	job->state = state;
	job->lost = 0;
	job->wait_end_ms = job->finalize_end_ms;
	if (job->delay_ms < POLL_DELAY_MIN_MS)
		job->delay_ms = POLL_DELAY_MIN_MS;
}

static void
send_poll(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);

	sent(job, acme_order_fetch_start(eng->session->acme, &who, job->order,
	    &job->outcome, &job->result->err, job_done(job)));
}

/*
 * A CA that reads from replicas (Let's Encrypt) may answer a poll with an
 * older status for a while: once it said it took the CSR, "ready" and
 * even "pending" mean "not yet", never "finalize again" or "failed".
 */
static void
read_poll(struct engine *eng, struct job *job)
{
	const char *status;

	if (job->rc == -1) {
		if (!retry_lost_read(job, &job->outcome)) {
			/* Refused: the order is gone. */
			resume_remove_if_refused(job->resume, &job->outcome);
			job_fail(job);
		}
		return;
	}
	job->lost = 0;
	status = job->order->status;
	if (strcmp(status, "valid") == 0) {
		job_goto(job, JOB_DOWNLOAD, 0);
	} else if (strcmp(status, "ready") == 0 && !job->csr_taken) {
		/* Validated; or, after a lost finalize, the CA did not act. */
		job_goto(job, JOB_FINALIZE, 0);
	} else if (strcmp(status, "processing") == 0 ||
	    strcmp(status, "ready") == 0 || strcmp(status, "pending") == 0) {
		if (strcmp(status, "processing") == 0) {
			job->csr_taken = true;
			job->state = JOB_WAIT_VALID;
		}
		poll_later(job, job->order->retry_after);
	} else {
		if (strcmp(status, "invalid") == 0) {
			describe_invalid_order(eng, job);
			resume_remove(job->resume);	/* dead */
		} else
			err_set(&job->result->err, "%s: the order is %s",
			    job->order->url, status);
		job_fail(job);
	}
}

/* ---------------------------------------------------------- finalization */

static void
send_finalize(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);

	/*
	 * Again, since a revoke --reason keyCompromise run beside this one
	 * may have retired the key since it was vetted; the order is not
	 * bound to it until finalize.  Then kept before the CA may issue,
	 * so that no answer lost from here on loses the certificate (or its
	 * new key).
	 */
	if (engine_job_vet_key(eng, job, &job->result->err) == -1 ||
	    resume_save(job->resume, job->order->url, who.kid, job->key,
	    &job->result->err) == -1) {
		job_fail(job);
		return;
	}
	if (job->finalize_end_ms == 0)
		job->finalize_end_ms = engine_now_ms() +
		    ENGINE_WAIT_MAX * INT64_C(1000);
	sent(job, acme_order_finalize_start(eng->session->acme, &who,
	    job->order, certkey_csr(job->key), &job->outcome, &job->result->err,
	    job_done(job)));
}

static void
read_finalize(struct engine *eng, struct job *job)
{
	const struct acme_outcome *out = &job->outcome;

	(void)eng;
	job->csr_taken = job->rc == 0;	/* issued, processing, or dead */
	if (job->rc == -1) {
		/* Only the order can tell whether the CA took the CSR. */
		if (out->verdict == ACME_UNKNOWN) {
			poll_on(job, JOB_WAIT_VALID);
			poll_later(job, out->retry_after);
			return;
		}
		if (out->verdict == ACME_UNSENT && retry_lost_read(job, out))
			return;
		/*
		 * Not ready: a replica that has not seen the last
		 * authorization, or an earlier finalize being processed.
		 * Nothing changed; the order says when to finalize.
		 */
		if (acme_refused_with(out, "orderNotReady")) {
			log_verbose("%s; polling the order",
			    job->result->err.msg);
			poll_on(job, JOB_WAIT_READY);
			poll_later(job, out->retry_after);
			return;
		}
		/* Refused: the CA took no CSR. */
		resume_remove_if_refused(job->resume, out);
		job_fail(job);
		return;
	}
	if (strcmp(job->order->status, "valid") == 0)
		job_goto(job, JOB_DOWNLOAD, 0);
	else if (strcmp(job->order->status, "processing") == 0) {
		/* Its Retry-After too must fit the wait finalize began. */
		poll_on(job, JOB_WAIT_VALID);
		job->delay_ms = POLL_DELAY_MIN_MS;
		poll_later(job, job->order->retry_after);
	} else {
		err_set(&job->result->err, "the CA did not issue the "
		    "certificate: %s", job->order->error ? job->order->error :
		    "it gave no reason");
		resume_remove(job->resume);	/* dead */
		job_fail(job);
	}
}

/* ---------------------------------------------------------- certificate */

/* Say what a certificate for other names changes: also under -q. */
static void
announce_name_changes(const struct job *job)
{
	char change[600];

	if (job->old_names.n == 0 || names_equal(&job->old_names, &job->names))
		return;
	names_describe_change(&job->old_names, &job->names, change,
	    sizeof(change));
	log_error("%s now serves other names: %s", output_dir(job->out),
	    change);
}

static void
log_issued(const struct job *job)
{
	struct err ignored;
	time_t expiry;
	char when[32] = "?";

	if (cert_not_after(sk_X509_value(job->chain, 0), &expiry,
	    &ignored) == 0)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC",
		    gmtime(&expiry));
	log_info("certificate written to %s/fullchain.pem, expires %s",
	    output_dir(job->out), when);
}

/*
 * With next-key, the key just switched in is replaced by the one the
 * next renewal uses.  A failure costs nothing now: the next renewal keeps
 * the key in use, announced before, and announces another.
 */
static void
announce_next_key(const struct job *job)
{
	struct err e = { "" };
	char hex[KEY_ID_LEN + 1];

	if (job->next_key_path == NULL)
		return;
	if (nextkey_make(job->next_key_path, job->keys, job->spec->key_type,
	    hex, &e) == -1) {
		log_error("%s: warning: cannot announce the next key: %s; the "
		    "next renewal keeps the key in use", engine_job_label(job),
		    e.msg);
		return;
	}
	log_info("%s: next key announced, TLSA 3 1 1 %s", engine_job_label(job),
	    hex);
}

/* Check job->chain against the request, then replace the set. */
static int
check_and_write(struct job *job, struct err *e)
{
	if (certkey_check(job->key, sk_X509_value(job->chain, 0),
	    &job->names, e) == -1) {
		/* This order's certificate never fits. */
		resume_remove(job->resume);
		return -1;
	}
	if (resume_written(job->resume, sk_X509_value(job->chain, 0), e) ==
	    -1) {
		log_error("warning: %s; the next run asks the CA about the "
		    "order again", e->msg);
		e->msg[0] = '\0';
	}
	return output_write(job->out, certkey_is_new(job->key) ?
	    certkey_write : NULL, job->key, job->chain, e);
}

/*
 * Download each alternate chain into chains[1..] (*nchains counts them
 * with the default).  The requests go one after another inside this step:
 * a lost answer repeats the whole step (1), as for the default chain; an
 * alternate the CA refuses or that is not a PEM chain is left out.  0, 1,
 * or -1.
 */
static int
fetch_alternates(struct engine *eng, struct job *job, char **urls,
    size_t nurls, STACK_OF(X509) **chains, size_t *nchains)
{
	const struct acme_who who = job_who(eng);
	struct err *e = &job->result->err;
	struct acme_outcome out;
	struct err bad;
	char *pem;
	size_t len;

	for (size_t i = 0; i < nurls; i++) {
		if (acme_certificate_download(eng->session->acme, &who,
		    urls[i], &pem, &len, NULL, NULL, &out, e) == -1) {
			err_prefix(e, "alternate chain");
			if (retry_lost_read(job, &out))
				return 1;
			if (out.verdict != ACME_REFUSED)
				return -1;
			/* The CA no longer offers it: choose among the rest. */
			log_verbose("%s: %s", engine_job_label(job), e->msg);
			continue;
		}
		chains[*nchains] = cert_chain_parse(pem, len, &bad);
		free(pem);
		if (chains[*nchains] == NULL) {
			log_verbose("%s: alternate chain %s left out: %s",
			    engine_job_label(job), urls[i], bad.msg);
			continue;
		}
		(*nchains)++;
	}
	return 0;
}

/*
 * job->chain becomes the chain spec asks for: the default unless
 * chain_trust or preferred_chain is set and the CA offers alternates.
 * 0, 1 (asking again later), or -1.
 */
static int
pick_chain(struct engine *eng, struct job *job, const char *pem, size_t len,
    char **urls, size_t nurls)
{
	const struct cert_spec *spec = job->spec;
	struct err *e = &job->result->err;
	STACK_OF(X509) *chains[1 + CHAIN_ALTERNATES_MAX] = { NULL };
	size_t nchains = 0, chosen = 0;
	int rc = -1;

	if ((chains[0] = cert_chain_parse(pem, len, e)) == NULL)
		return -1;
	nchains = 1;
	if (nurls > CHAIN_ALTERNATES_MAX)
		nurls = CHAIN_ALTERNATES_MAX;
	if ((spec->chain_trust != NULL || spec->preferred_chain != NULL) &&
	    (rc = fetch_alternates(eng, job, urls, nurls, chains,
	    &nchains)) != 0)
		goto out;
	rc = -1;
	if (chain_choose(chains, nchains, spec->chain_trust,
	    spec->preferred_chain, &chosen, e) == -1)
		goto out;
	job->chain = chains[chosen];
	chains[chosen] = NULL;
	free(job->result->chain_issuer);
	job->result->chain_issuer = chain_top_issuer(job->chain);
	if (chosen == 0)
		log_verbose("%s: the default chain (of %zu), top issuer %s",
		    engine_job_label(job), nchains, job->result->chain_issuer ?
		    job->result->chain_issuer : "?");
	else
		log_verbose("%s: alternate chain %zu (of %zu), top issuer %s",
		    engine_job_label(job), chosen, nchains,
		    job->result->chain_issuer ? job->result->chain_issuer :
		    "?");
	rc = 0;
out:
	for (size_t i = 0; i < nchains; i++)
		if (chains[i] != NULL)
			cert_chain_free(chains[i]);
	return rc;
}

static void
send_download(struct engine *eng, struct job *job)
{
	const struct acme_who who = job_who(eng);

	sent(job, acme_certificate_download_start(eng->session->acme, &who,
	    job->order->certificate, &job->pem, &job->pem_len,
	    &job->alternates, &job->nalternates, &job->outcome,
	    &job->result->err, job_done(job)));
}

static void
read_download(struct engine *eng, struct job *job)
{
	struct err *e = &job->result->err;
	int rc;

	if (job->rc == -1) {
		if (!retry_lost_read(job, &job->outcome)) {
			/* Refused for good: the order is of no use. */
			resume_remove_if_refused(job->resume, &job->outcome);
			job_fail(job);
		}
		return;
	}
	if (job->chain != NULL) {	/* a step repeated after a lost answer */
		cert_chain_free(job->chain);
		job->chain = NULL;
	}
	rc = pick_chain(eng, job, job->pem, job->pem_len, job->alternates,
	    job->nalternates);
	engine_job_clear_answers(job);
	if (rc == 1)
		return;
	if (rc == -1 || check_and_write(job, e) == -1) {
		job_fail(job);
		return;
	}
	log_issued(job);
	announce_name_changes(job);
	resume_remove(job->resume);	/* the certificate is in */
	announce_next_key(job);
	job->state = JOB_DONE;
}

/* The half of the job's state that is due: read an answer, or send. */
void
engine_step(struct engine *eng, struct job *job)
{
	static const struct {
		void	(*send)(struct engine *, struct job *);
		void	(*read)(struct engine *, struct job *);
	} halves[] = {
		[JOB_ORDER] = { send_order, read_order },
		[JOB_RESUME] = { send_resume, read_resume },
		[JOB_AUTHORIZE] = { send_authorize, read_authorize },
		[JOB_RESPOND] = { send_respond, read_respond },
		[JOB_WAIT_READY] = { send_poll, read_poll },
		[JOB_FINALIZE] = { send_finalize, read_finalize },
		[JOB_WAIT_VALID] = { send_poll, read_poll },
		[JOB_DOWNLOAD] = { send_download, read_download },
	};
	bool answered = job->answered;

	if (job->state >= JOB_DONE || job->in_flight)
		return;
	job->answered = false;
	if (answered)
		halves[job->state].read(eng, job);
	else
		halves[job->state].send(eng, job);
}
