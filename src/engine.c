/*
 * engine.c - the scheduler and the preparation of jobs; the steps of an
 * order are in engine_steps.c.
 */
#include <sys/resource.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certkeyproc.h"
#include "chain.h"
#include "engine_private.h"
#include "hookproc.h"
#include "interrupt.h"
#include "log.h"
#include "mcsink.h"
#include "nextkey.h"
#include "retired.h"
#include "webroot.h"

#define PACE_MS		5	/* between sends while others are out */
/* Descriptors kept for stdio, the transport's connections, a step's files. */
#define ENGINE_FDS_RESERVED	32

int64_t
engine_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
engine_result_clear(struct engine_result *r)
{
	free(r->out_dir);
	r->out_dir = NULL;
	free(r->chain_issuer);
	r->chain_issuer = NULL;
}

void
engine_job_clear_answers(struct job *job)
{
	acme_authz_free(job->authz);
	job->authz = NULL;
	free(job->ch_status);
	free(job->ch_error);
	job->ch_status = job->ch_error = NULL;
	free(job->pem);
	job->pem = NULL;
	chain_urls_free(job->alternates, job->nalternates);
	job->alternates = NULL;
	job->nalternates = 0;
}

static void
job_free(struct job *job)
{
	engine_job_clear_answers(job);
	challenge_sink_free(job->sink);
	for (size_t i = 0; i < job->ntasks; i++)
		acme_authz_free(job->tasks[i].authz);
	free(job->tasks);
	acme_order_free(job->order);
	resume_free(job->resume);
	if (job->chain != NULL)
		cert_chain_free(job->chain);
	certkey_free(job->key);
	output_free(job->out);
	free(job->dir);
	free(job->lock_path);
	free(job->next_key_path);
	names_clear(&job->names);
	names_clear(&job->old_names);
}

/* The names, from -d or the user's CSR. */
static int
job_names(struct job *job, struct err *e)
{
	const struct cert_spec *spec = job->spec;

	if (spec->csr_path != NULL)
		return (job->key = certkey_from_csr(spec->csr_path,
		    &job->names, e)) != NULL ? 0 : -1;
	for (size_t i = 0; i < spec->names.n; i++)
		if (names_add(&job->names, spec->names.v[i]) == -1) {
			err_set(e, "out of memory");
			return -1;
		}
	return names_check_dns(&job->names, e);
}

/*
 * The default directory is named after the first name only: it must not
 * take over a certificate for other names (two certificates that share
 * their first name).  A directory given on purpose may change its names.
 */
static int
job_compare_names(struct job *job, bool is_default, struct err *e)
{
	char *held;

	if (output_current_names(job->out, &job->old_names, e) == -1)
		return -1;
	if (job->old_names.n == 0 || names_equal(&job->old_names, &job->names))
		return 0;
	if (!is_default)
		return 0;
	held = names_join(&job->old_names, "", ", ");
	err_set(e, "%s holds a certificate for other names (%s); to replace "
	    "it, give --out %s; to keep both, give another --out",
	    output_dir(job->out), held ? held : "?", output_dir(job->out));
	free(held);
	return -1;
}

/*
 * Another run renewed it while this one waited for the lock: cert.pem
 * read as renew read it, now under the lock.
 */
static bool
renewed_meanwhile(const struct job *job)
{
	const struct timespec *was = &job->spec->cert_mtime;
	struct timespec now = { 0, 0 };
	struct err ignored;
	X509 *cert = NULL;

	if (!job->spec->skip_if_changed)
		return false;
	(void)output_read_cert(output_dir(job->out), &cert, &now, &ignored);
	X509_free(cert);
	return now.tv_sec != was->tv_sec || now.tv_nsec != was->tv_nsec;
}

/*
 * The key in place is kept with reuse_key, with next_key until a key is
 * announced, and for the order of a record that kept no key: its CSR was
 * made with the key in place.
 */
static bool
job_keeps_key(const struct job *job)
{
	if (resume_order_url(job->resume) != NULL)
		return true;
	return (job->spec->reuse_key || job->spec->next_key) &&
	    !job->spec->new_key;
}

/*
 * With next_key, the key the renewal before announced (a key type that
 * changed makes a new one instead): job->key, if there is one.
 */
static int
job_announced_key(struct job *job, struct err *e)
{
	int fd;

	if (job->next_key_path == NULL || job->spec->new_key ||
	    resume_order_url(job->resume) != NULL)
		return 0;
	if (nextkey_open(job->next_key_path, &fd, e) == -1)
		return -1;
	if (fd == -1)
		return 0;
	job->key = certkey_load(job->keys, job->index, fd, job->next_key_path,
	    true, e);
	close(fd);
	return job->key != NULL ? 0 : -1;
}

/* The key type given applies to new keys: say so when it is not used. */
static void
note_reused_type(const struct job *job, const char *what)
{
	const char *has = key_describe(certkey_public(job->key));

	if (job->spec->key_type_given &&
	    strcmp(has, key_type_name(job->spec->key_type)) != 0)
		log_info("reusing %s (%s); the key type applies to new keys "
		    "only (leave out --reuse-key for a new one)", what, has);
}

/*
 * The certificate key: unless a record or the CSR gave it, the one in
 * place (opened through the directory the layout check opened, read by
 * the certificate key process) or a new one, written with its
 * certificate.
 */
static int
job_key(struct job *job, struct err *e)
{
	const char *what = output_key_path(job->out);
	int fd = -1, rc = -1;

	if (job->key == NULL && job_announced_key(job, e) == -1)
		return -1;
	if (output_open_key(job->out, &fd, e) == -1)
		return -1;
	if (job->key == NULL && fd != -1 && job_keeps_key(job)) {
		if ((job->key = certkey_load(job->keys, job->index, fd, what,
		    false, e)) != NULL)
			note_reused_type(job, what);
	} else if (job->key == NULL)
		job->key = certkey_new(job->keys, job->index,
		    job->spec->key_type, e);
	if (job->key != NULL && certkey_fits(job->key, job->keys, fd, what,
	    e) == 0)
		rc = 0;
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * What needs no descriptor kept open: the names, the trust file, where
 * the set goes and its lock.  -1 if the job cannot go on.
 */
static int
job_plan(struct job *job, const struct config *cfg, struct err *e)
{
	const struct cert_spec *spec = job->spec;

	if (job_names(job, e) == -1)
		return -1;
	if (spec->chain_trust != NULL &&
	    chain_trust_check(spec->chain_trust, e) == -1)
		return -1;
	job->dir = spec->out_dir ? strdup(spec->out_dir) :
	    config_live_dir(cfg, job->names.v[0]);
	if (job->dir == NULL ||
	    (job->lock_path = config_output_lock(cfg, job->dir)) == NULL ||
	    (spec->next_key && spec->csr_path == NULL &&
	    (job->next_key_path = config_next_key(cfg, job->dir)) == NULL)) {
		err_set(e, "out of memory");
		return -1;
	}
	return 0;
}

/* The new key an earlier run kept with its order, if it did. */
static int
job_resumed_key(struct job *job, struct err *e)
{
	const char *what = resume_path(job->resume);
	int fd;

	if (resume_open_key(job->resume, &fd, e) == -1)
		return -1;
	if (fd == -1)
		return 0;
	job->key = certkey_load(job->keys, job->index, fd, what, true, e);
	close(fd);
	if (job->key == NULL)
		return -1;
	if (resume_key_is(job->resume, certkey_public(job->key)))
		return 0;
	/* Killed while the record was replaced: its order's key is gone. */
	log_error("warning: %s names another key than the one kept beside "
	    "it; its order is given up, and a new one made", what);
	certkey_free(job->key);
	job->key = NULL;
	resume_remove(job->resume);
	return 0;
}

/*
 * What holds descriptors or the lock, done only when the job is about
 * to order (so that a run of a thousand certificates holds no more than
 * its orders in flight): -1, 1 if there is nothing to do, 2 if another
 * run holds the lock.
 */
static int
job_prepare(struct job *job, const struct config *cfg, struct err *e)
{
	const struct cert_spec *spec = job->spec;
	bool busy = false;

	if ((job->out = output_open(job->dir, job->lock_path, &busy, e)) ==
	    NULL)
		return busy ? 2 : -1;
	if (renewed_meanwhile(job))
		return 1;
	if (job_compare_names(job, spec->out_dir == NULL, e) == -1)
		return -1;
	/*
	 * An order an earlier run left for this output directory,
	 * with the new key its CSR was made with, if it was one.
	 */
	if ((job->resume = resume_open(cfg, output_dir(job->out), &job->names,
	    e)) == NULL)
		return -1;
	if (job->key == NULL && job_resumed_key(job, e) == -1)
		return -1;
	if (job_key(job, e) == -1)
		return -1;
	job->sink = spec->memcached != NULL ?
	    mcsink_new(spec->memcached, e) :
	    webroot_sink_new(spec->webroot, e);
	if (job->sink == NULL || challenge_sink_check(job->sink, e) == -1)
		return -1;
	/* With a record, ask the CA about its order first. */
	job->state = resume_order_url(job->resume) != NULL ? JOB_RESUME :
	    JOB_ORDER;
	return 0;
}

const char *
engine_job_label(const struct job *job)
{
	if (job->spec->label != NULL)
		return job->spec->label;
	return job->names.n > 0 ? job->names.v[0] : "(no name)";
}

static bool
job_finished(const struct job *job)
{
	return job->state == JOB_DONE || job->state == JOB_FAILED;
}

/*
 * The job due first that may send now, or NULL; *left says whether any
 * job is unfinished.  A job not yet started waits for start_jobs.
 */
static struct job *
next_job(struct job *jobs, size_t n, bool *left)
{
	struct job *best = NULL;

	*left = false;
	for (size_t i = 0; i < n; i++) {
		if (job_finished(&jobs[i]))
			continue;
		*left = true;
		if (jobs[i].in_flight || !jobs[i].started)
			continue;
		if (best == NULL || jobs[i].due_ms < best->due_ms)
			best = &jobs[i];
	}
	return best;
}

/*
 * A job that is over gives back its lock and its sink (memcached's
 * connections) at once, for the jobs after it; the hook runs at the end.
 * The caller hears of it first, while the lock is still held.
 */
static void
release_finished(struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct job *job = &jobs[i];

		if (!job_finished(job) || job->released)
			continue;
		job->released = true;
		job->result->written = job->state == JOB_DONE;
		if (job->spec->on_done != NULL)
			job->spec->on_done(job->spec->on_done_arg, job->result,
			    job->out != NULL);
		output_unlock(job->out);
		challenge_sink_free(job->sink);
		job->sink = NULL;
		/* The key process holds no more keys than orders under way. */
		certkey_free(job->key);
		job->key = NULL;
	}
}

/*
 * Another run holds the job's lock: look again every LOCK_POLL_MS, every
 * such job at the same time, for up to OUTPUT_LOCK_WAIT seconds; then
 * leave the certificate to that run.  For renew (skip_if_changed) that
 * is no failure: the other run renews it.
 */
#define LOCK_POLL_MS	200

static void
lock_busy(struct job *job, int64_t now)
{
	struct engine_result *r = job->result;

	if (job->lock_end_ms == 0) {
		job->lock_end_ms = now + OUTPUT_LOCK_WAIT * 1000;
		log_info("%s: waiting for %s: another acmec run is ordering it",
		    engine_job_label(job), job->dir);
	}
	job->lock_next_ms = now + LOCK_POLL_MS;
	if (now < job->lock_end_ms)
		return;
	err_set(&r->err, "%s: another acmec run held %s for %d seconds; %s",
	    engine_job_label(job), job->lock_path, OUTPUT_LOCK_WAIT,
	    job->spec->skip_if_changed ? "left to that run" :
	    "try again when it has finished");
	r->busy = true;
	r->ok = r->skipped = job->spec->skip_if_changed;
	job->state = JOB_FAILED;
}

/*
 * Why a certificate key must not be used (*why, new), if it must not: 1;
 * 0 if it may; -1 if that cannot be told.
 */
static int
key_unusable(const struct engine *eng, EVP_PKEY *pub, char **why,
    struct err *e)
{
	const struct account *acct = eng->session->account;
	char id[KEY_ID_LEN + 1], *note = NULL;
	int rc;

	*why = NULL;
	if (key_spki_sha256(pub, id, e) == -1 ||
	    (rc = retired_lookup(eng->cfg->state_dir, id, &note, e)) == -1)
		return -1;
	if (rc == 0 && strcmp(id, signer_key_id(acct->signer)) != 0)
		return 0;
	*why = rc == 1 ? str_fmt("a retired key (%s), which acmec never "
	    "uses again", note) : str_fmt("the account key %s, and a "
	    "certificate key must never be an account key (a CA that blocks "
	    "one blocks both)", acct->key_path);
	free(note);
	if (*why != NULL)
		return 1;
	err_set(e, "out of memory");
	return -1;
}

/*
 * A key acmec keeps that must not be used gives way to a new key; a
 * user's CSR is refused.
 */
int
engine_job_vet_key(struct engine *eng, struct job *job, struct err *e)
{
	const char *what = output_key_path(job->out);
	char *why;
	int rc;

	job->key_vetted = true;
	if ((rc = key_unusable(eng, certkey_public(job->key), &why, e)) <= 0)
		return rc;
	if (certkey_is_users(job->key)) {
		err_set(e, "the key of %s is %s; make a new key and a CSR "
		    "with it", job->spec->csr_path, why);
		rc = -1;
	} else {
		log_info("%s: %s is %s; making a new key instead",
		    engine_job_label(job), what, why);
		certkey_free(job->key);
		job->key = certkey_new(job->keys, job->index,
		    job->spec->key_type, e);
		rc = job->key != NULL ? 0 : -1;
	}
	free(why);
	return rc;
}

/*
 * The keys of the jobs under way, once the account is open: every key
 * is checked before any CSR is sent.
 */
static void
vet_keys(struct engine *eng, struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].started && !jobs[i].key_vetted &&
		    !job_finished(&jobs[i]) &&
		    engine_job_vet_key(eng, &jobs[i], &jobs[i].result->err) ==
		    -1)
			jobs[i].state = JOB_FAILED;
}

/*
 * Prepare jobs, in their order, while fewer than eng->parallel are
 * under way: only those hold a lock and descriptors.
 */
static void
start_jobs(struct engine *eng, struct job *jobs, size_t n)
{
	int64_t now = engine_now_ms();
	size_t active = 0;

	release_finished(jobs, n);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].started && !job_finished(&jobs[i]))
			active++;
	for (size_t i = 0; i < n && active < eng->parallel; i++) {
		if (jobs[i].started || job_finished(&jobs[i]) ||
		    now < jobs[i].lock_next_ms)
			continue;
		switch (job_prepare(&jobs[i], eng->cfg, &jobs[i].result->err)) {
		case 0:
			jobs[i].started = true;
			active++;
			continue;
		case 2:
			output_free(jobs[i].out);
			jobs[i].out = NULL;
			lock_busy(&jobs[i], now);
			continue;
		case 1:
			jobs[i].result->ok = jobs[i].result->skipped = true;
			/* FALLTHROUGH */
		default:
			jobs[i].state = JOB_FAILED;
		}
	}
	if (eng->session->account != NULL)
		vet_keys(eng, jobs, n);
	release_finished(jobs, n);
}

static void
fail_unfinished(struct job *jobs, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		if (job_finished(&jobs[i]))
			continue;
		err_set(&jobs[i].result->err, "%s", why);
		resume_explain(jobs[i].resume, &jobs[i].result->err);
		jobs[i].state = JOB_FAILED;
	}
}

/* Read every answer that came back. */
static void
read_answers(struct engine *eng, struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].answered)
			engine_step(eng, &jobs[i]);
}

static bool
any_in_flight(const struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].in_flight)
			return true;
	return false;
}

/* Until wait_ms has passed or an answer comes back. */
static int
wait_for(struct engine *eng, const struct job *jobs, size_t n, long wait_ms)
{
	if (any_in_flight(jobs, n))
		return acme_wait(eng->session->acme, wait_ms) == -1 ? -1 : 0;
	return interrupt_sleep_ms(wait_ms);
}

/*
 * Send whichever job is due, no sooner than PACE_MS after the last send
 * while any request is out (a large run never floods the CA; with none
 * out, the CA's answers set the pace), and read the answers as they come
 * back: the orders in flight share the connection.  An interrupt lets the
 * requests in flight end (the transport cuts them short) before the jobs
 * go: their answers point into them.
 */
static void
schedule(struct engine *eng, struct job *jobs, size_t n)
{
	int64_t last = -PACE_MS, wait, now;
	struct job *job;
	bool left;

	for (;;) {
		read_answers(eng, jobs, n);
		start_jobs(eng, jobs, n);
		job = next_job(jobs, n, &left);
		if (!left)
			return;
		if (interrupt_requested()) {
			if (!any_in_flight(jobs, n)) {
				fail_unfinished(jobs, n, "interrupted; nothing "
				    "was replaced");
				return;
			}
			(void)wait_for(eng, jobs, n, 100);
			continue;
		}
		if (job == NULL) {	/* every job waits for an answer */
			(void)wait_for(eng, jobs, n, 1000);
			continue;
		}
		now = engine_now_ms();
		wait = job->due_ms - now;
		if (any_in_flight(jobs, n) && last + PACE_MS - now > wait)
			wait = last + PACE_MS - now;
		if (wait > 0) {
			/* A minute at most: a 32-bit long holds that. */
			(void)wait_for(eng, jobs, n, wait < 60000 ? (long)wait :
			    60000);
			continue;
		}
		job->started = true;
		last = now;
		engine_step(eng, job);
	}
}

/* A profile the CA does not offer fails its job before any order. */
static void
check_profiles(struct engine *eng, struct job *jobs, size_t n)
{
	char *offered;

	for (size_t i = 0; i < n; i++) {
		const char *profile = jobs[i].spec->profile;

		if (job_finished(&jobs[i]) || profile == NULL ||
		    acme_profile_offered(eng->session->acme, profile))
			continue;
		offered = acme_profiles(eng->session->acme);
		err_set(&jobs[i].result->err, "%s: the CA does not offer the "
		    "profile %s (offered: %s)", engine_job_label(&jobs[i]),
		    profile, offered ? offered : "?");
		free(offered);
		jobs[i].state = JOB_FAILED;
	}
}

/* Deploy hook, with the certificate's name, directory and names. */
static void
run_hook(struct job *job, struct hookproc *hooks)
{
	char *names = names_join(&job->names, "", " ");
	char *env_name = NULL, *env_out = NULL, *env_names = NULL;
	struct err *e = &job->result->err;

	if (names != NULL) {
		env_name = str_fmt("ACMEC_NAME=%s", job->names.v[0]);
		env_out = str_fmt("ACMEC_OUT=%s", output_dir(job->out));
		env_names = str_fmt("ACMEC_NAMES=%s", names);
	}
	if (env_name == NULL || env_out == NULL || env_names == NULL) {
		err_set(e, "out of memory");
	} else {
		const char *env[] = { env_name, env_out, env_names, NULL };
		if (hookproc_run(hooks, job->spec->deploy_hook, env, e) == 0)
			job->result->ok = true;
		else
			err_prefix(e, "the certificate was written to %s, but",
			    output_dir(job->out));
	}
	free(names);
	free(env_name);
	free(env_out);
	free(env_names);
}

/* Locks go first: a hook may itself run acmec for the same certificate. */
static void
finish(struct job *jobs, size_t n, struct hookproc *hooks)
{
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].out != NULL)
			jobs[i].result->out_dir = strdup(output_dir(
			    jobs[i].out));
	}
	release_finished(jobs, n);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].state != JOB_DONE)
			continue;
		jobs[i].result->written = true;
		if (jobs[i].spec->deploy_hook == NULL)
			jobs[i].result->ok = true;
		else
			run_hook(&jobs[i], hooks);
	}
}

static int
connect_and_run(struct engine *eng, struct job *jobs, size_t n)
{
	struct err e = { "" };

	if ((eng->session->acme == NULL &&
	    session_connect(eng->session, eng->cfg, NULL, &e) == -1) ||
	    (eng->session->account == NULL &&
	    session_open_account(eng->session, eng->cfg, eng->acct_opts,
	    &e) == -1)) {
		fail_unfinished(jobs, n, e.msg);
		return -1;
	}
	/* Orders need the account, not its lock: other runs may use it. */
	account_unlock(eng->session->account);
	vet_keys(eng, jobs, n);
	check_profiles(eng, jobs, n);
	schedule(eng, jobs, n);
	return 0;
}

/*
 * Orders at once: parallel (0: all), and no more than the descriptor
 * limit leaves room for, a lock and a sink's connections each, beside
 * what the transport and the files of a step take.
 */
static size_t
engine_slots(size_t parallel, const struct cert_spec *specs, size_t n)
{
	size_t per_job = 2, slots = parallel > 0 && parallel < n ? parallel : n;
	struct rlimit rl;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; specs[i].memcached != NULL &&
		    specs[i].memcached[k] != NULL; k++)
			if (k + 2 > per_job)
				per_job = k + 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= ENGINE_FDS_RESERVED + slots * per_job)
		return slots > 0 ? slots : 1;
	parallel = rl.rlim_cur > ENGINE_FDS_RESERVED + per_job ?
	    (size_t)(rl.rlim_cur - ENGINE_FDS_RESERVED) / per_job : 1;
	log_info("the limit of %llu open files (ulimit -n) leaves room for "
	    "%zu orders at once, not %zu; raise it for more",
	    (unsigned long long)rl.rlim_cur, parallel, slots);
	return parallel;
}

/*
 * The certificate key process, forked once every job has its names: it
 * keeps its own copy of them, and makes CSRs for those only.
 */
static int
start_key_process(struct engine *eng, struct job *jobs, size_t n)
{
	const struct names **names;
	struct err e = { "" };

	if ((names = calloc(n + 1, sizeof(*names))) == NULL) {
		err_set(&e, "out of memory");
	} else {
		for (size_t i = 0; i < n; i++)
			if (jobs[i].state != JOB_FAILED &&
			    jobs[i].spec->csr_path == NULL)
				names[i] = &jobs[i].names;
		eng->keys = certkeyproc_start(names, n, eng->cfg->sandbox, &e);
		free(names);
	}
	for (size_t i = 0; i < n; i++)
		jobs[i].keys = eng->keys;
	if (eng->keys != NULL)
		return 0;
	fail_unfinished(jobs, n, e.msg);
	return -1;
}

int
engine_run(struct session *s, const struct config *cfg,
    const struct account_options *acct, size_t parallel,
    const struct cert_spec *specs, size_t n, struct engine_result *results)
{
	struct engine eng = { cfg, acct, engine_slots(parallel, specs, n), s,
	    NULL };
	struct job *jobs;
	bool left = false;
	size_t i;
	int rc = 0;

	memset(results, 0, n * sizeof(*results));
	if ((jobs = calloc(n, sizeof(*jobs))) == NULL) {
		for (i = 0; i < n; i++)
			err_set(&results[i].err, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		jobs[i].spec = &specs[i];
		jobs[i].result = &results[i];
		jobs[i].index = i;
		if (job_plan(&jobs[i], cfg, &results[i].err) == -1)
			jobs[i].state = JOB_FAILED;
	}
	/* The first ones before the CA is asked for anything. */
	if (start_key_process(&eng, jobs, n) == 0)
		start_jobs(&eng, jobs, n);
	for (i = 0; i < n; i++)
		left |= jobs[i].started || jobs[i].lock_end_ms != 0;
	if (left)
		(void)connect_and_run(&eng, jobs, n);
	/* Records and hooks hear of every job, failed ones too. */
	finish(jobs, n, cfg->hooks);
	for (i = 0; i < n; i++) {
		if (!results[i].ok)
			rc = -1;
		job_free(&jobs[i]);
	}
	/* After the jobs: each certkey_free tells the process. */
	certkeyproc_free(eng.keys);
	free(jobs);
	return rc;
}
