/*
 * trial: one row through a processor, exactly as a run sends it: in one
 * worker process of a pool of one (pool.h, worker.h), so the processor
 * starts after fork (the caller never initialises its libraries, libcurl
 * among them), makes its one attempt, has the key redacted from what it
 * sends back, and is killed past the deadline.  rowpool check proves
 * with it that the endpoint, the model and the key work.
 *
 * Domain tier: a status and a message; never prints or exits.  Blocks
 * for up to timeout_ms, plus about 3 s when the processor cannot start
 * (the pool tries a worker 3 times).  SIGINT and SIGTERM during the
 * trial end it (TRIAL_FAILED, "interrupted").
 *
 * Calling sequence:
 *  1. trial_run(&t, p, cfg, row, json, timeout_ms);
 *  2. read t.status, t.res (TRIAL_RESULT), t.latency_ms, t.why;
 *  3. trial_release(&t), whatever trial_run returned.
 */
#ifndef ROWPOOL_TRIAL_H
#define ROWPOOL_TRIAL_H

#include <stdint.h>

#include "rowpool/processor.h"

enum trial_status {
	TRIAL_RESULT,	/* the processor answered: t->res */
	TRIAL_TIMEOUT,	/* no answer within timeout_ms: the worker killed */
	TRIAL_CRASH,	/* the worker died, or broke the protocol */
	TRIAL_NOSTART,	/* the processor could not start: why says why
			   (its init's message) */
	TRIAL_FAILED	/* a system call failed, or a signal stopped it */
};

struct trial {
	enum trial_status	 status;
	struct proc_result	 res;		/* TRIAL_RESULT: owned */
	int64_t			 latency_ms;	/* sent to answered, or -1 */
	char			 why[512];	/* not TRIAL_RESULT: what
						   happened */
};

/*
 * Runs p on the row whose index is row and whose JSON object text is
 * json, with cfg (cfg->api_key goes to the worker in memory only).
 * Returns t->status.
 */
enum trial_status	trial_run(struct trial *t, const struct processor *p,
			    const struct proc_config *cfg, uint64_t row,
			    const char *json, int64_t timeout_ms);
void			trial_release(struct trial *t);

#endif
