/*
 * engine_private.h - what the scheduler (engine.c) and the steps of an
 * order (engine_steps.c) share.  Not for the rest of acmec.
 */
#ifndef ACMEC_ENGINE_PRIVATE_H
#define ACMEC_ENGINE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "acme.h"
#include "cert.h"
#include "certkey.h"
#include "challenge.h"
#include "engine.h"
#include "output.h"
#include "resume.h"
#include "session.h"
#include "str.h"

enum job_state {
	JOB_ORDER,		/* send newOrder */
	JOB_RESUME,		/* ask about an earlier run's order */
	JOB_AUTHORIZE,		/* fetch the next authorization */
	JOB_RESPOND,		/* answer the challenges that are due */
	JOB_WAIT_READY,		/* poll the order until validation ends */
	JOB_FINALIZE,		/* send the CSR */
	JOB_WAIT_VALID,		/* poll the order until issued */
	JOB_DOWNLOAD,		/* fetch, check and write the certificate */
	JOB_DONE,
	JOB_FAILED,
};

/* One authorization's http-01 challenge. */
struct task {
	struct acme_authz	*authz;
	int			 rejected;	/* answers with an error */
	int64_t			 due_ms;	/* next POST; -1: answered */
};

struct job {
	const struct cert_spec	*spec;
	struct engine_result	*result;
	struct names		 names;
	struct names		 old_names;	/* of the certificate in place */
	char			*dir;		/* of the output set */
	char			*lock_path;	/* its lock */
	char			*next_key_path;	/* with next_key (nextkey.h) */
	struct output		*out;
	struct certkey		*key;
	struct certkeyproc	*keys;		/* the run's, holding key */
	size_t			 index;		/* job's there */
	struct challenge_sink	*sink;
	struct acme_order	*order;
	struct resume		*resume;	/* the order an earlier run left */
	struct task		*tasks;		/* one per authorization */
	size_t			 ntasks;
	STACK_OF(X509)		*chain;
	enum job_state		 state;
	int64_t			 due_ms;	/* when the next step runs */
	int64_t			 wait_end_ms;	/* deadline of the wait */
	int64_t			 finalize_end_ms; /* of all waits from finalize on */
	long			 delay_ms;	/* next poll interval */
	int			 lost;		/* answers lost in a row */
	bool			 recovered;	/* account looked up again */
	bool			 csr_taken;	/* the CA said it processes it */
	bool			 no_replaces;	/* the CA refused it once */
	bool			 started;	/* prepared: counts against parallel */
	bool			 released;	/* over: lock and sink given back */
	bool			 key_vetted;	/* not retired, not the account's */
	int64_t			 lock_end_ms;	/* another run holds the lock */
	int64_t			 lock_next_ms;	/* look at it again then */

	/* The request in flight, and what its answer filled in. */
	bool			 in_flight;
	bool			 answered;	/* the answer half is due */
	int			 rc;		/* what the call returned */
	struct acme_outcome	 outcome;
	struct acme_authz	*authz;		/* JOB_AUTHORIZE */
	size_t			 responding;	/* JOB_RESPOND: its task */
	char			*ch_status;
	char			*ch_error;
	char			*pem;		/* JOB_DOWNLOAD */
	size_t			 pem_len;
	char			**alternates;
	size_t			 nalternates;
};

struct engine {
	const struct config		*cfg;
	const struct account_options	*acct_opts;
	size_t				 parallel;	/* jobs under way, > 0 */
	struct session			*session;
	struct certkeyproc		*keys;		/* the run's keys */
};

/* The name a job goes by in messages. */
const char *engine_job_label(const struct job *job);

/*
 * The job's key is neither retired nor the account key, or gives way to
 * a new one (a user's CSR fails): 0, or -1 and *e.
 */
int engine_job_vet_key(struct engine *eng, struct job *job, struct err *e);

/*
 * Milliseconds on a clock that never jumps, in 64 bits: a 32-bit long
 * would wrap after 24.9 days of uptime.
 */
int64_t engine_now_ms(void);

/*
 * Run the half of the job's step that is due: read the answer that came
 * back, or send the request its state needs (returning at once).
 */
void engine_step(struct engine *eng, struct job *job);

/* Free what the last answer filled in and nobody took. */
void engine_job_clear_answers(struct job *job);

#endif
