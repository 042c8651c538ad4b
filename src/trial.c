/*
 * trial: a pool of one worker, one task.  Invariant: the processor runs
 * only in the forked worker, through worker_serve, the code a run's
 * workers run; this process only hands over the row and reads the
 * outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rowpool/pool.h"
#include "rowpool/trial.h"
#include "rowpool/worker.h"

struct trial_ctx {
	struct trial			*t;
	const struct processor		*p;
	const struct proc_config	*cfg;
	uint64_t			 row;
	const char			*json;
	bool				 sent;
	bool				 done;
};

static enum pool_next
trial_next(void *arg, int64_t now, struct pool_task *task, int64_t *wake_at)
{
	struct trial_ctx *c = arg;

	if (c->sent)
		return POOL_DONE;
	c->sent = true;
	*task = (struct pool_task){ .row = c->row, .payload = c->json,
	    .len = strlen(c->json) };
	return POOL_TASK;
}

/* Keeps a copy of the borrowed result. */
static void
keep_result(struct trial *t, const struct proc_result *res)
{
	t->res = *res;
	json_incref(t->res.data);
	json_incref(t->res.extra);
}

static void
trial_outcome(void *arg, const struct pool_outcome *o)
{
	struct trial_ctx *c = arg;
	struct trial *t = c->t;

	c->done = true;
	t->latency_ms = o->latency_ms;
	switch (o->event) {
	case POOL_RESULT:
		t->status = TRIAL_RESULT;
		keep_result(t, o->result);
		return;
	case POOL_TIMEOUT:
		t->status = TRIAL_TIMEOUT;
		break;
	case POOL_CRASH:
	case POOL_PROTOCOL:
		t->status = TRIAL_CRASH;
		break;
	default:
		t->status = TRIAL_FAILED;
		break;
	}
	snprintf(t->why, sizeof(t->why), "%s", o->message != NULL &&
	    o->message[0] != '\0' ? o->message : "interrupted");
}

static int
trial_worker(int fd, void *arg)
{
	struct trial_ctx *c = arg;

	return worker_serve(fd, c->p, c->cfg);
}

static const struct pool_ops trial_ops = {
	.next_task = trial_next,
	.on_outcome = trial_outcome,
	.worker_main = trial_worker,
};

/* The pool ended without an outcome for the row. */
static void
no_outcome(struct trial *t, enum pool_status st, const char *err)
{
	t->status = st == POOL_NOSTART ? TRIAL_NOSTART : TRIAL_FAILED;
	snprintf(t->why, sizeof(t->why), "%s", err[0] != '\0' ? err :
	    "interrupted");
}

enum trial_status
trial_run(struct trial *t, const struct processor *p,
    const struct proc_config *cfg, uint64_t row, const char *json,
    int64_t timeout_ms)
{
	struct trial_ctx c = { .t = t, .p = p, .cfg = cfg, .row = row,
	    .json = json };
	struct pool_opts po = { .ops = &trial_ops, .arg = &c, .nworkers = 1,
	    .timeout_ms = timeout_ms, .worker_max_rows = 1 };
	enum pool_status st;
	struct pool *pool;
	char err[512];

	memset(t, 0, sizeof(*t));
	proc_result_init(&t->res);
	t->latency_ms = -1;
	if ((pool = pool_new(&po)) == NULL) {
		t->status = TRIAL_FAILED;
		snprintf(t->why, sizeof(t->why), "pool: %s", strerror(errno));
		return t->status;
	}
	st = pool_run(pool, err, sizeof(err));
	pool_free(pool);
	if (!c.done)
		no_outcome(t, st, err);
	return t->status;
}

void
trial_release(struct trial *t)
{
	proc_result_release(&t->res);
}
