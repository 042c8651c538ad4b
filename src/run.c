/*
 * run: one `rowpool run`, the wiring.  It feeds the input's rows to the
 * pool through the gate (gate.h), hands each failed attempt to the retry
 * decision (retry.h), records final results and commits checkpoints in
 * the state directory (state.h), and writes the output at the end.
 *
 * Invariants:
 *  - every row index is dispatched at most once at a time, and written to
 *    the journal at most once (state_record checks the done set);
 *  - a row taken from the input or the retry queue is always either in
 *    flight, back in the retry queue, held in r->next, or final; with
 *    --cache also parked behind the same request (dedup.h) or in the
 *    ready queue;
 *  - with --cache, at most one row per request (cache key) is in flight
 *    or waiting to be retried: the one that holds its claim.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/queue.h>
#include <time.h>

#include "rowpool/batch.h"
#include "rowpool/batchapi.h"
#include "rowpool/batchfile.h"
#include "rowpool/batchstate.h"
#include "rowpool/cache.h"
#include "rowpool/dedup.h"
#include "rowpool/dryrun.h"
#include "rowpool/frame.h"
#include "rowpool/gate.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "rowpool/log.h"
#include "rowpool/msgbuf.h"
#include "rowpool/output.h"
#include "rowpool/pool.h"
#include "rowpool/processor.h"
#include "rowpool/progress.h"
#include "rowpool/proto.h"
#include "rowpool/report.h"
#include "rowpool/retry.h"
#include "rowpool/run.h"
#include "rowpool/sigcatch.h"
#include "rowpool/state.h"
#include "rowpool/stats.h"
#include "rowpool/streak.h"
#include "rowpool/worker.h"

#define TITLE_EVERY_MS		1000
/* The largest row sent: half a frame, so that its result fits in one. */
#define TASK_MAX		(FRAME_MAX_DEFAULT / 2)
/* Cache hits answered per call for a task, before the pool's events. */
#define HITS_PER_CALL		64
/* Rows parked behind requests in flight before reading stops a while. */
#define PARKED_MAX		1024

/* A row in flight or waiting to be retried. */
struct task {
	TAILQ_ENTRY(task)	 entry;
	uint64_t		 row;
	struct attempt		 a;
	int64_t			 not_before;
	char			*payload;
	size_t			 len;
	double			 est_tokens;	/* charged to --tpm */
	double			 est_cost;	/* USD, for --max-cost */
	uint8_t			 key[CACHE_KEY_LEN];	/* --cache */
	bool			 keyed;		/* key is set */
	bool			 claimed;	/* holds key's claim */
};
TAILQ_HEAD(taskq, task);

struct run {
	const struct run_opts	*o;
	struct state		 st;
	struct gate		 gate;
	struct retry_opts	 ro;
	struct input		*in;
	bool			 input_eof;
	uint64_t		 nrows;		/* rows read so far */
	uint64_t		 rows_total;	/* from the first pass */
	unsigned		 nretry;	/* in retryq */
	struct taskq		 retryq;	/* by not_before */
	struct task		*next;		/* read, held back by a limit */
	struct taskq		 readyq;	/* let go by dedup: due now */
	struct cache		*cache;		/* --cache, or NULL */
	struct dedup		*dedup;		/* with the cache */
	void			*render;	/* the processor's renderer */
	bool			 cache_warned;
	unsigned		 inflight;
	double			 inflight_est;	/* their estimated tokens */
	unsigned		 pending;	/* finals since the last commit */
	int64_t			 last_commit;
	int64_t			 last_title;
	struct pool		*pool;
	int			 status;	/* exit status once decided */
	char			 why[1024];	/* the message that goes with it */
	unsigned		 interrupts;
	const struct processor	*proc;
	struct proc_config	 pcfg;
	const struct price	*price;		/* of the model; NULL: none */
	double			 inflight_cost;	/* estimated, in flight */
	struct report		 rep;
	struct streak		 streak;	/* failing alike, in a row */
	struct held {			/* its failed rows, not yet recorded */
		uint64_t	 row;
		unsigned	 attempts;
		enum kind	 kind;
		char		 message[PROC_MESSAGE_MAX];
	}			 held[STREAK_MAX];
	unsigned		 nheld;
	bool			 systematic;	/* stopped by the streak */
	struct batch		*batch;		/* --mode batch, else NULL */
	struct task		*lent;		/* the row batch mode took */
};

void
run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->processor = "gemini";
	o->workers = 10;
	o->batch = 10;
	o->retries = 3;
	o->worker_max_rows = 1000;
	o->timeout_ms = 120 * 1000;
	o->grace_ms = 10 * 1000;
	o->commit_ms = 2000;
	o->backoff_base_ms = 500;
	o->backoff_cap_ms = 60 * 1000;
	o->max_row_bytes = 1024 * 1024;
	o->max_outage_ms = 15 * 60 * 1000;
	o->unreachable_ms = 20 * 1000;
	o->progress_ms = 60 * 1000;
	o->batch_rows = 10000;
	o->batch_poll_ms = 60 * 1000;
	o->cache_max_bytes = (uint64_t)1 << 30;
}

/* Records the first fatal condition; later ones do not overwrite it. */
static void __attribute__((format(printf, 3, 4)))
run_fail(struct run *r, int status, const char *fmt, ...)
{
	va_list ap;

	if (r->status != 0)
		return;
	r->status = status;
	va_start(ap, fmt);
	msgbuf_vformat(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* The state directory failed: its status and message become the run's. */
static int
state_failed(struct run *r)
{
	run_fail(r, r->st.status, "%s", r->st.why);
	return -1;
}

/* Stops the pool: at once, or letting rows in flight finish. */
static void
stop_pool(struct run *r, bool now)
{
	if (r->pool == NULL)
		return;
	if (now)
		pool_kill(r->pool);
	else
		pool_drain(r->pool);
}

static void
apply_stop(struct run *r, const struct gate_stop *stop)
{
	if (stop->status == 0)
		return;
	run_fail(r, stop->status, "%s", stop->why);
	stop_pool(r, stop->now);
}


/* ---- tasks ---- */

static struct task *
task_new(uint64_t row, const char *payload, size_t len)
{
	struct task *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->payload = malloc(len + 1)) == NULL) {
		free(t);
		return NULL;
	}
	memcpy(t->payload, payload, len);
	t->payload[len] = '\0';
	t->len = len;
	t->row = row;
	return t;
}

static void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	free(t->payload);
	free(t);
}

static void
retry_push(struct run *r, struct task *t)
{
	struct task *it;

	r->nretry++;
	TAILQ_FOREACH_REVERSE(it, &r->retryq, taskq, entry)
		if (it->not_before <= t->not_before)
			break;
	if (it == NULL)
		TAILQ_INSERT_HEAD(&r->retryq, t, entry);
	else
		TAILQ_INSERT_AFTER(&r->retryq, it, t, entry);
}

/* ---- checkpoints ---- */



/*
 * What rowpool status shows: the manifest's "run" object, brought up to
 * date at every checkpoint.
 */
static void
run_info(struct run *r, int64_t now, const char *state, int exit_status)
{
	struct timespec ts;
	char when[32];
	double rate = report_rate(&r->rep, now, r->st.ndone);
	uint64_t left = r->rows_total - (r->rows_total > r->st.ndone ?
	    r->st.ndone : r->rows_total);
	json_t *o = r->st.run;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "pid", json_integer(getpid()));
	report_iso(r->rep.started, when, sizeof(when));
	json_object_set_new(o, "started", json_string(when));
	report_iso(ts.tv_sec, when, sizeof(when));
	json_object_set_new(o, "updated", json_string(when));
	json_object_set_new(o, "updated_epoch", json_real((double)ts.tv_sec +
	    (double)ts.tv_nsec / 1e9));
	json_object_set_new(o, "retry_queue", json_integer(r->nretry));
	json_object_set_new(o, "in_flight", json_integer(r->inflight));
	json_object_set_new(o, "rows_per_s", json_real(rate));
	json_object_set_new(o, "eta_s", rate > 0 ? json_integer((json_int_t)
	    ((double)left / rate)) : json_null());
	json_object_set_new(o, "exit_status", exit_status >= 0 ?
	    json_integer(exit_status) : json_null());
	json_object_set_new(o, "why", exit_status > 1 ?
	    json_string(r->why) : json_null());
}

static int
commit_as(struct run *r, int64_t now, const char *state, int exit_status)
{
	struct timespec t0, t1;

	run_info(r, now, state, exit_status);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (state_commit(&r->st, (int64_t)r->rows_total) == -1)
		return state_failed(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("checkpoint: %llu rows done, %lld us",
	    (unsigned long long)r->st.ndone,
	    (long long)((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000));
	r->pending = 0;
	r->last_commit = now;
	return 0;
}

static int
commit(struct run *r, int64_t now)
{
	return commit_as(r, now, "running", -1);
}

static void
commit_or_stop(struct run *r, int64_t now)
{
	if (commit(r, now) == -1)
		stop_pool(r, true);
}

/* ---- final results ---- */

/* Journals a final record (rec NULL: building it ran out of memory). */
static void
record(struct run *r, uint64_t row, json_t *rec, bool ok, int64_t now)
{
	if (rec == NULL) {
		run_fail(r, EX_OSERR, "out of memory");
		stop_pool(r, true);
		return;
	}
	if (state_record(&r->st, row, rec, ok) == -1) {
		state_failed(r);
		stop_pool(r, true);
		return;
	}
	if (++r->pending >= r->o->batch)
		commit_or_stop(r, now);
}

static void	flush_held(struct run *, int64_t);

static void
record_ok(struct run *r, struct task *t, const struct proc_result *res,
    int64_t latency, int64_t now)
{
	json_t *rec, *v;
	const char *k;

	rec = json_pack("{s:I, s:s, s:i, s:O, s:I}", "row", (json_int_t)t->row,
	    "status", "ok", "attempts", (int)t->a.attempts, "data", res->data,
	    "latency_ms", (json_int_t)latency);
	json_object_foreach(res->extra, k, v)
		json_object_set(rec, k, v);
	streak_success(&r->streak);
	flush_held(r, now);
	state_add_usage(&r->st, json_object_get(res->extra, "usage"));
	if (r->price != NULL)
		r->st.cost_usd += price_cost(r->price, json_object_get(res->extra,
		    "usage")) * (json_is_true(json_object_get(res->extra,
		    "batch")) ? BATCH_PRICE_FACTOR : 1);
	gate_success(&r->gate, t->est_tokens, proto_usage(res,
	    "total_tokens"), proto_usage(res, "output_tokens"));
	pool_set_limit(r->pool, gate_limit(&r->gate));
	record(r, t->row, rec, true, now);
	json_decref(rec);
}

static void
record_failed(struct run *r, uint64_t row, unsigned attempts,
    enum kind kind, const char *message, int64_t now)
{
	json_t *rec;

	rec = json_pack("{s:I, s:s, s:i, s:{s:s, s:s}}", "row",
	    (json_int_t)row, "status", "failed", "attempts", (int)attempts,
	    "error", "kind", kind_name(kind), "message", message);
	r->rep.kinds[kind]++;
	r->rep.stats.failed++;
	log_info("row %llu failed after %u attempts: %s: %s",
	    (unsigned long long)row, attempts, kind_name(kind), message);
	record(r, row, rec, false, now);
	json_decref(rec);
}

/*
 * Rows that failed as part of a streak are held back, not recorded,
 * until the streak is broken (then they are) or reaches STREAK_MAX (then
 * the run stops and they stay undone, for the rerun after the fix).
 */
static void
flush_held(struct run *r, int64_t now)
{
	unsigned i;

	for (i = 0; i < r->nheld; i++)
		record_failed(r, r->held[i].row, r->held[i].attempts,
		    r->held[i].kind, r->held[i].message, now);
	r->nheld = 0;
}

static void
hold_failed(struct run *r, struct task *t, const struct failure *f,
    int64_t now)
{
	struct held *h;

	if (r->nheld == STREAK_MAX)	/* cannot happen: the run stops */
		flush_held(r, now);
	h = &r->held[r->nheld++];
	h->row = t->row;
	h->attempts = t->a.attempts;
	h->kind = f->kind;
	strlcpy(h->message, f->message, sizeof(h->message));
}

/* Feeds the streak; true when this failure belongs to a live one. */
static bool
streak_says(struct run *r, const struct failure *f, int64_t now)
{
	enum retry_policy pol = f->retry >= 0 ? (enum retry_policy)f->retry :
	    kind_info(f->kind)->retry;

	switch (streak_failure(&r->streak, f->kind, pol, f->message)) {
	case STREAK_IGNORED:
		return false;
	case STREAK_NEW:
		flush_held(r, now);
		return true;
	case STREAK_SAME:
		return true;
	case STREAK_STOP:
		break;
	}
	if (!r->systematic)
		run_fail(r, EX_CONFIG, "stopping: %u attempts in a row failed "
		    "the same way (%s: %s); that is the setup, not the rows: "
		    "fix it and rerun the same command (the rows that failed "
		    "so are left undone)", STREAK_MAX, kind_name(f->kind),
		    f->message);
	r->systematic = true;
	r->nheld = 0;
	stop_pool(r, false);
	return true;
}

/* ---- the response cache (--cache: cache.h, dedup.h) ---- */

static void
cache_warn(struct run *r, const char *what)
{
	if (!r->cache_warned)
		log_warnx("cache '%s': %s: %s; going on (this warning is not "
		    "repeated)", r->o->cache_dir, what, strerror(errno));
	r->cache_warned = true;
}

/* The rows let go by the end of a claim go first: see candidate(). */
static void
ready_push(void *arg, void *item)
{
	struct run *r = arg;

	TAILQ_INSERT_TAIL(&r->readyq, (struct task *)item, entry);
}

/*
 * t is final, dropped or left undone: the rows parked behind its request
 * may go (to be answered from the cache, or one of them sent).
 */
static void
task_end(struct run *r, struct task *t)
{
	if (t->claimed)
		dedup_release(r->dedup, t->key, ready_push, r);
	task_free(t);
}

/* t's cache key, from the request body it makes (or is). */
static void
task_key_body(struct run *r, struct task *t, const char *body, size_t len)
{
	cache_key(t->key, r->proc->name, json_string_value(json_object_get(
	    r->pcfg.settings, "model")), body, len);
	t->keyed = true;
}

/* The cache key of t's request: the processor renders it, as sent. */
static int
task_key(struct run *r, struct task *t)
{
	json_t *row = json_loadb(t->payload, t->len, 0, NULL);
	char *body = NULL;
	size_t len;

	if (row != NULL)
		body = r->proc->render(r->render, row, &len);
	json_decref(row);
	if (body == NULL)
		return -1;	/* the worker will say what is wrong */
	task_key_body(r, t, body, len);
	free(body);
	return 0;
}

/* An ok answer, for the next row (or run) that makes the same request. */
static void
cache_store(struct run *r, const struct task *t,
    const struct proc_result *res)
{
	json_t *v;

	if (r->cache == NULL || !t->keyed)
		return;
	v = json_pack("{s:O}", "data", res->data);
	if (v != NULL && res->extra != NULL)
		json_object_update_missing(v, res->extra);
	if (v == NULL)
		errno = ENOMEM;
	if (v == NULL || cache_put(r->cache, t->key, v) == -1)
		cache_warn(r, "put");
	json_decref(v);
}

/* A final ok result from the cache: no request, no tokens spent. */
static void
record_cached(struct run *r, struct task *t, json_t *v, int64_t now)
{
	json_t *rec, *x;
	const char *k;

	rec = json_pack("{s:I, s:s, s:i, s:O, s:I, s:b}", "row",
	    (json_int_t)t->row, "status", "ok", "attempts",
	    (int)t->a.attempts, "data", json_object_get(v, "data"),
	    "latency_ms", (json_int_t)0, "cached", 1);
	json_object_foreach(v, k, x)
		if (rec != NULL && strcmp(k, "data") != 0 &&
		    strcmp(k, "usage") != 0)
			json_object_set(rec, k, x);
	r->rep.stats.ok++;
	r->rep.stats.cached++;
	r->rep.stats.saved_tokens += (uint64_t)json_integer_value(
	    json_object_get(json_object_get(v, "usage"), "total_tokens"));
	r->st.ncached++;
	record(r, t->row, rec, true, now);
	json_decref(rec);
}

/*
 * Before t is sent: answered from the cache, or parked behind the row
 * that sends the same request (the supervisor decides this, so two
 * workers never send one request at once).  True when t is dealt with;
 * false when t is to be sent (it then holds its request's claim).  In
 * batch mode (no dedup) only the cache is asked: a chunk's rows wait
 * for their batch, up to 24 hours and across runs, too long to park
 * others behind.
 */
static bool
cache_step(struct run *r, struct task *t, int64_t now)
{
	json_t *v;
	int rc;

	if (r->cache == NULL || t->claimed || (!t->keyed &&
	    task_key(r, t) == -1))
		return false;
	if ((rc = cache_get(r->cache, t->key, &v)) == 1) {
		record_cached(r, t, v, now);
		json_decref(v);
		task_free(t);
		return true;
	}
	if (rc == -1)
		cache_warn(r, "get");
	if (r->dedup == NULL)
		return false;
	switch (dedup_claim(r->dedup, t->key, t)) {
	case 1:
		t->claimed = true;
		return false;
	case 0:
		return true;
	default:
		return false;	/* out of memory: sent, not shared */
	}
}

/* Enough rows wait for answers: read no more input meanwhile. */
static bool
parked_full(const struct run *r)
{
	return r->dedup != NULL && dedup_parked(r->dedup) >= PARKED_MAX;
}

static int
cache_start(struct run *r)
{
	char err[512];
	struct proc_config rc = { .settings = r->pcfg.settings };

	if (r->o->cache_dir == NULL || r->proc == NULL ||
	    r->proc->render == NULL)
		return 0;
	if ((r->cache = cache_open(r->o->cache_dir,
	    r->o->cache_max_bytes)) == NULL)
		return run_fail(r, EX_CANTCREAT, "cache '%s': %s",
		    r->o->cache_dir, strerror(errno)), -1;
	if (!r->o->batch_mode && (r->dedup = dedup_new()) == NULL)
		return run_fail(r, EX_OSERR, "out of memory"), -1;
	if (r->proc->render_init(&r->render, &rc, err, sizeof(err)) == -1)
		return run_fail(r, EX_CONFIG, "%s", err), -1;
	return 0;
}

static void
free_task(void *arg, void *item)
{
	task_free(item);
}

static void
cache_release(struct run *r)
{
	struct task *t;

	while ((t = TAILQ_FIRST(&r->readyq)) != NULL) {
		TAILQ_REMOVE(&r->readyq, t, entry);
		task_free(t);
	}
	dedup_free(r->dedup, free_task, NULL);
	if (r->render != NULL)
		r->proc->render_fini(r->render);
	cache_close(r->cache);
}

/* ---- failed attempts ---- */

/* What the gate learned, said in the log (and AIMD's limit applied). */
static void
log_gate_events(struct run *r, int64_t now)
{
	unsigned ev = gate_events(&r->gate);
	const struct breaker *b = &r->gate.breaker;

	if (ev & GATE_EV_BREAKER_OPENED)
		report_say(&r->rep, "the API is failing (%u %s errors in a row): pausing "
		    "dispatch, probing with one row", b->failures,
		    kind_name(b->kind));
	if (ev & GATE_EV_LIMIT_CUT) {
		pool_set_limit(r->pool, gate_limit(&r->gate));
		log_info("rate limited: at most %u rows in flight",
		    gate_limit(&r->gate));
	}
	if (ev & GATE_EV_PAUSED)
		log_info("rate limited: pausing dispatch for %lld ms",
		    (long long)(r->gate.pause_until - now));
	if (ev & GATE_EV_QUOTA_LEARNED)
		log_info("the API's quota is %ld requests a minute: pacing at "
		    "%.0f", r->gate.learned_rpm, r->gate.rpm.per_ms * 60000.0);
}

static void
attempt_failed(struct run *r, struct task *t, const struct failure *f,
    int64_t now)
{
	struct verdict v;
	bool in_streak;

	r->rep.stats.throttled += f->kind == KIND_RATE_LIMITED;
	in_streak = streak_says(r, f, now);
	retry_decide(&r->gate, &t->a, f, &r->ro, now, &v);
	log_gate_events(r, now);
	apply_stop(r, &v.stop);
	switch (v.what) {
	case VERDICT_STOP:
		task_end(r, t);	/* undone: the rerun does it */
		break;
	case VERDICT_FAILED:
		if (r->systematic)
			;	/* left undone */
		else if (in_streak)
			hold_failed(r, t, f, now);
		else
			record_failed(r, t->row, t->a.attempts, f->kind,
			    f->message, now);
		task_end(r, t);
		break;
	case VERDICT_RETRY:
		t->not_before = v.not_before;
		log_info("row %llu: %s: %s; retry in %lld ms%s",
		    (unsigned long long)t->row, kind_name(f->kind),
		    f->message, (long long)(v.not_before - now),
		    v.charged ? "" : " (not charged)");
		retry_push(r, t);
		break;
	}
}

static void
on_result(struct run *r, struct task *t, const struct pool_outcome *o,
    int64_t now)
{
	const struct proc_result *res = o->result;
	struct failure f = {
		.kind = res->kind,
		.message = res->message,
		.retry_after = res->retry_after_ms > 0 ? res->retry_after_ms :
		    -1,
		.retry = res->retry,
		.quota_rpm = res->quota_rpm,
		.unreachable = res->unreachable,
	};

	if (!res->unreachable)
		gate_answered(&r->gate);
	if (res->ok) {
		stats_latency(&r->rep.stats, o->latency_ms);
		r->rep.stats.ok++;
		/* Cached first: a row in the journal is in the cache too. */
		cache_store(r, t, res);
		record_ok(r, t, res, o->latency_ms, now);
		task_end(r, t);
		return;
	}
	attempt_failed(r, t, &f, now);
}

static void
cb_outcome(void *arg, const struct pool_outcome *o)
{
	static const enum kind kinds[] = {
		[POOL_CRASH] = KIND_CRASH,
		[POOL_TIMEOUT] = KIND_TIMEOUT,
		[POOL_PROTOCOL] = KIND_PROTOCOL,
	};
	struct run *r = arg;
	struct task *t = o->ctx;
	int64_t now = pool_now();

	if (r->batch != NULL && (o->row & BATCH_OP_BIT)) {
		batch_outcome(r->batch, o);
		return;
	}
	r->inflight--;
	r->inflight_est -= t->est_tokens;
	r->inflight_cost -= t->est_cost;
	switch (o->event) {
	case POOL_RESULT:
		on_result(r, t, o, now);
		break;
	case POOL_ABANDONED:
		gate_probe_done(&r->gate);
		task_end(r, t);
		break;
	case POOL_REQUEUED:
		gate_probe_done(&r->gate);
		t->a.attempts--;
		t->not_before = now;
		retry_push(r, t);
		break;
	default:
		log_info("row %llu: %s", (unsigned long long)t->row,
		    o->message);
		attempt_failed(r, t, &(struct failure){ .kind =
		    kinds[o->event], .message = o->message, .retry_after = -1,
		    .retry = -1 }, now);
		break;
	}
}

/* ---- feeding the pool ---- */

static enum pool_next
dispatch_task(struct run *r, struct task *t, struct pool_task *pt)
{
	t->a.attempts++;
	t->a.probe = gate_is_probing(&r->gate);
	r->inflight_est += t->est_tokens;
	r->inflight_cost += t->est_cost;
	r->rep.stats.requests++;
	r->rep.stats.retries += t->a.failures > 0;
	r->inflight++;
	/* Batch mode sends a retry online as the request it was. */
	pt->row = t->row | (r->batch != NULL ? BATCH_REQUEST_BIT : 0);
	pt->payload = t->payload;
	pt->len = t->len;
	pt->ctx = t;
	return POOL_TASK;
}

/*
 * A row within --max-row-bytes can still be too big to send: escaping
 * can make its JSON six times its size.  It is a bad row, not a crash.
 */
static void
too_big(struct run *r, struct input_row *row)
{
	snprintf(row->error, sizeof(row->error), "%s:%lu: row is %zu bytes "
	    "as JSON, more than the %u a worker takes", r->st.in_name,
	    row->line, row->len, (unsigned)TASK_MAX);
}

/* A bad input row: final at once, or the end of the run with --strict. */
static bool
input_bad(struct run *r, const struct input_row *row, int64_t now)
{
	if (r->o->strict) {
		run_fail(r, EX_DATAERR, "%s", row->error);
		stop_pool(r, false);
		return false;
	}
	record_failed(r, row->index, 0, KIND_INPUT, row->error, now);
	return r->status == 0;
}

/* --shard K/N: is row one of this shard's? */
static bool
in_shard(const struct run *r, uint64_t row)
{
	return r->o->shard_n == 0 || row % r->o->shard_n == r->o->shard_k;
}

/* This shard's rows among the first n of the input. */
static uint64_t
shard_rows(const struct run *r, uint64_t n)
{
	uint64_t k = r->o->shard_k, m = r->o->shard_n;

	if (m == 0)
		return n;
	return n > k ? (n - k + m - 1) / m : 0;
}

/* One record of the input; false at its end or on a fatal problem. */
static bool
input_step(struct run *r, struct input_row *row, bool want,
    enum input_status *st)
{
	*st = input_next(r->in, row, want);
	if (*st == INPUT_EOF) {
		r->input_eof = true;
		return false;
	}
	if (*st == INPUT_FATAL || *st == INPUT_IOERR) {
		run_fail(r, *st == INPUT_FATAL ? EX_DATAERR : io_exit_status(
		    errno), "%s", row->error);
		stop_pool(r, false);
		return false;
	}
	r->nrows = row->index + 1;
	return true;
}

/*
 * Reads input until a row that is not done yet.  Returns it as a new
 * task, or NULL at the end of the input or on a fatal problem.
 */
static struct task *
read_row(struct run *r, int64_t now)
{
	struct input_row row;
	enum input_status st;
	bool want;

	while (!r->input_eof && r->status == 0 && !parked_full(r)) {
		want = state_wanted(&r->st, r->nrows) && in_shard(r, r->nrows) &&
		    (r->batch == NULL || !batch_holds(r->batch, r->nrows));
		if (!input_step(r, &row, want, &st))
			break;
		if (!want)
			continue;
		if (st == INPUT_ROW && row.len > TASK_MAX)
			too_big(r, &row);
		if (st == INPUT_BAD || row.len > TASK_MAX) {
			if (!input_bad(r, &row, now))
				break;
			continue;
		}
		return task_new(row.index, row.json, row.len);
	}
	return NULL;
}

/*
 * The next task that is allowed to go: one the rate limits held back
 * (r->next) first; after a transient failure, the next row not done
 * (so that an outage opens the breaker on fresh rows, and a probe is a
 * row that never failed); then a due retry (while the retry budget
 * lasts, or when nothing else is left); else the next row not done.
 */
static struct task *
candidate(struct run *r, int64_t now)
{
	struct task *t;

	if ((t = r->next) != NULL) {
		r->next = NULL;
		return t;
	}
	if ((t = TAILQ_FIRST(&r->readyq)) != NULL) {
		TAILQ_REMOVE(&r->readyq, t, entry);
		return t;
	}
	if (gate_prefers_fresh(&r->gate) && !r->input_eof && r->batch == NULL &&
	    (t = read_row(r, now)) != NULL)
		return t;
	t = TAILQ_FIRST(&r->retryq);
	if (t != NULL && t->not_before <= now && gate_take_retry(&r->gate,
	    (r->input_eof || parked_full(r)) && r->inflight == 0)) {
		TAILQ_REMOVE(&r->retryq, t, entry);
		r->nretry--;
		return t;
	}
	return r->batch == NULL ? read_row(r, now) : NULL;
}

static enum pool_next
no_task(struct run *r, int64_t now, int64_t *wake_at)
{
	struct task *t = TAILQ_FIRST(&r->retryq);

	if (r->status != 0)
		return POOL_WAIT;
	if (!r->input_eof && r->batch == NULL && !parked_full(r)) {
		run_fail(r, EX_OSERR, "out of memory");
		stop_pool(r, true);
		return POOL_WAIT;
	}
	if (t == NULL && r->inflight == 0) {
		flush_held(r, now);
		return r->status == 0 ? POOL_DONE : POOL_WAIT;
	}
	/* A due retry held back by the budget waits for an outcome. */
	*wake_at = t != NULL && t->not_before > now ? t->not_before : -1;
	return POOL_WAIT;
}

/* Tokens spent so far, this run and the ones before it. */
static double
tokens_spent(const struct run *r)
{
	return (double)json_integer_value(json_object_get(r->st.tokens,
	    "total_tokens"));
}

/*
 * The spend guard: would sending t pass --max-tokens, counting what is
 * in flight (estimated) on top of what was spent?
 */
static bool
over_budget(const struct run *r, const struct task *t)
{
	if (r->o->max_tokens > 0 && tokens_spent(r) + r->inflight_est +
	    t->est_tokens > r->o->max_tokens)
		return true;
	return r->o->max_cost > 0 && r->st.cost_usd + r->inflight_cost +
	    t->est_cost > r->o->max_cost;
}

static void
budget_stop(struct run *r)
{
	if (r->o->max_cost > 0 && r->st.cost_usd + r->inflight_cost +
	    (r->next ? r->next->est_cost : 0) > r->o->max_cost)
		run_fail(r, EX_TEMPFAIL, "--max-cost %.2f: $%.4f spent "
		    "(estimated), and the next request would pass the cap; "
		    "rerun with a higher --max-cost to go on", r->o->max_cost,
		    r->st.cost_usd);
	else
		run_fail(r, EX_TEMPFAIL, "--max-tokens %.0f: %.0f tokens "
		    "spent, and the next request would pass the cap; rerun "
		    "with a higher --max-tokens to go on", r->o->max_tokens,
		    tokens_spent(r));
	stop_pool(r, false);
}

/* A request's estimated cost: its input, and the usual answer. */
static double
estimate_cost(const struct run *r, const struct task *t)
{
	double in = gate_estimate(&r->gate, (double)t->len) -
	    r->gate.avg_output;

	if (r->price == NULL)
		return 0;
	return price_estimate(r->price, (long long)in,
	    (long long)r->gate.avg_output);
}

static enum pool_next
next_online(struct run *r, int64_t now, struct pool_task *pt,
    int64_t *wake_at)
{
	struct task *t;
	unsigned hits = 0;
	int64_t w;

	for (;;) {
		if (r->status != 0 || !gate_may_dispatch(&r->gate, now,
		    wake_at))
			return POOL_WAIT;
		if ((t = candidate(r, now)) == NULL) {
			gate_probe_done(&r->gate);
			return no_task(r, now, wake_at);
		}
		if (!cache_step(r, t, now))
			break;
		gate_probe_done(&r->gate);	/* no request went */
		if (++hits == HITS_PER_CALL) {
			*wake_at = now;	/* the pool's events first */
			return POOL_WAIT;
		}
	}
	t->est_tokens = gate_estimate(&r->gate, (double)t->len);
	t->est_cost = estimate_cost(r, t);
	if (over_budget(r, t)) {
		r->next = t;
		gate_probe_done(&r->gate);
		if (r->inflight == 0)
			budget_stop(r);
		return POOL_WAIT;	/* until an outcome */
	}
	if ((w = gate_take(&r->gate, t->est_tokens, now)) > 0) {
		r->next = t;	/* the same task goes first next time */
		gate_probe_done(&r->gate);
		*wake_at = now + w;
		return POOL_WAIT;
	}
	return dispatch_task(r, t, pt);
}

static enum pool_next	next_batch(struct run *, int64_t, struct pool_task *,
			    int64_t *);

static enum pool_next
cb_next(void *arg, int64_t now, struct pool_task *pt, int64_t *wake_at)
{
	struct run *r = arg;

	if (r->batch != NULL)
		return next_batch(r, now, pt, wake_at);
	return next_online(r, now, pt, wake_at);
}

/* ---- time ---- */

static void
set_title(struct run *r, int64_t now)
{
	r->last_title = now;
	if (r->input_eof)
		setproctitle("supervisor: %llu/%llu rows done, %u in flight",
		    (unsigned long long)r->st.ndone,
		    (unsigned long long)r->nrows, r->inflight);
	else
		setproctitle("supervisor: %llu rows done, %u in flight",
		    (unsigned long long)r->st.ndone, r->inflight);
}

/* Why the run is slow right now, if the gate is why. */
static const char *
slow_because(const struct run *r, int64_t now)
{
	if (now < r->gate.pause_until)
		return "paused: rate limited";
	if (r->gate.breaker.state == BREAKER_OPEN)
		return "breaker open: the API is failing";
	return NULL;
}

static void
show_progress(struct run *r, int64_t now)
{
	struct progress_view v = {
		.done = r->st.ndone - r->st.nredo,
		.total = r->rows_total,
		.ok = r->st.nok,
		.failed = r->st.nfailed,
		.retrying = r->nretry,
		.in_flight = r->inflight,
		.rate = r->rep.rate,
		.tokens = json_object_size(r->st.tokens) > 0 ?
		    (long long)json_integer_value(json_object_get(r->st.tokens,
		    "total_tokens")) : -1,
		.slow = slow_because(r, now),
	};
	char line[512];

	progress_format(&v, line, sizeof(line));
	progress_draw(&r->rep.progress, line, now);
}

static int64_t
earliest(int64_t a, int64_t b)
{
	return a == -1 || (b != -1 && b < a) ? b : a;
}

static bool	signals_handle(struct run *);

static int64_t
cb_tick(void *arg, int64_t now)
{
	struct run *r = arg;
	struct gate_stop stop = { 0 };
	int64_t wake;

	signals_handle(r);
	if (gate_check(&r->gate, now, &stop, &wake) != 0 && r->status == 0)
		apply_stop(r, &stop);
	if (r->pending > 0 && now - r->last_commit >= r->o->commit_ms &&
	    r->status == 0)
		commit_or_stop(r, now);
	if (now - r->last_title >= TITLE_EVERY_MS)
		set_title(r, now);
	if (progress_due(&r->rep.progress, now))
		show_progress(r, now);
	wake = earliest(wake, r->last_title + TITLE_EVERY_MS);
	if (r->rep.progress.mode != PROGRESS_OFF && r->rep.progress.last != -1)
		wake = earliest(wake, r->rep.progress.last +
		    r->rep.progress.every_ms);
	if (r->pending > 0)
		wake = earliest(wake, r->last_commit + r->o->commit_ms);
	return wake;
}

/* ---- signals ---- */

static void
cb_signal(void *arg, struct pool *p, int signo)
{
	struct run *r = arg;

	if (signo == SIGHUP) {
		if (log_reopen() == -1)
			log_warnx("log: reopen: %s", strerror(errno));
		else
			log_info("log reopened");
		return;
	}
	run_fail(r, EX_TEMPFAIL, "interrupted by SIG%s; rerun the same "
	    "command to resume", sigabbrev_np(signo));
	if (p == NULL) {
		log_info("SIG%s before any row was sent: stopping",
		    sigabbrev_np(signo));
		r->interrupts++;
	} else if (r->interrupts++ == 0) {
		log_info("SIG%s: finishing %u rows in flight (grace %lld ms)",
		    sigabbrev_np(signo), r->inflight,
		    (long long)r->o->grace_ms);
		pool_drain(p);
	} else {
		log_info("SIG%s again: stopping now", sigabbrev_np(signo));
		pool_kill(p);
	}
}

/* Acts on the signals the handler noted; true when the run must stop. */
static bool
signals_handle(struct run *r)
{
	int got = sigcatch_take();
	size_t i;

	for (i = 0; i < SIGCATCH_N; i++)
		if (got & (1 << sigcatch_signals[i]))
			cb_signal(r, r->pool, sigcatch_signals[i]);
	return r->status != 0;
}

static bool
state_interrupted(void *arg)
{
	return signals_handle(arg);
}

/* After the last row: the run is complete, a stop has nothing to stop. */
static void
signals_after(struct run *r)
{
	int got = sigcatch_take();
	size_t i;
	int sig;

	for (i = 0; i < SIGCATCH_N; i++) {
		sig = sigcatch_signals[i];
		if (!(got & (1 << sig)))
			continue;
		if (sig == SIGHUP)
			cb_signal(r, NULL, SIGHUP);
		else
			log_info("SIG%s after the last row: the output was "
			    "finished first", sigabbrev_np(sig));
	}
}

/* ---- the pool's other callbacks ---- */

static void
cb_warning(void *arg, const char *msg)
{
	log_warnx("%s", msg);
}

/* A line a worker's processor said (its program's stderr): the log's. */
static void
cb_log(void *arg, const char *payload, size_t len)
{
	char line[PROC_LOG_MAX + 1];
	uint64_t row;

	if (proto_log_decode(payload, len, &row, line, sizeof(line)) == -1)
		log_warnx("a worker sent a log line that is not one");
	else if (row == PROC_NO_ROW)
		log_info("%s", line);
	else
		log_info("row %llu: %s", (unsigned long long)row, line);
}

/* In each worker: drop what belongs to the supervisor only. */
static void
cb_child_setup(void *arg)
{
	struct run *r = arg;

	state_child(&r->st);
	cache_close(r->cache);	/* its lock is the supervisor's */
	r->cache = NULL;
	log_close();
}

static int
cb_worker_main(int fd, void *arg)
{
	struct run *r = arg;

	if (r->o->worker_main != NULL)
		return r->o->worker_main(fd, r->o->worker_arg);
	if (r->batch != NULL)
		return worker_serve(fd, &batchapi_processor, &r->pcfg);
	return worker_serve(fd, r->proc, &r->pcfg);
}

static const struct pool_ops run_pool_ops = {
	.next_task = cb_next,
	.on_outcome = cb_outcome,
	.on_tick = cb_tick,
	.on_signal = cb_signal,
	.on_warning = cb_warning,
	.on_log = cb_log,
	.child_setup = cb_child_setup,
	.worker_main = cb_worker_main,
};

/* ---- batch mode (batch.h): what the run lends it ---- */

/* The next row for a chunk: a retry (unless they go online), else a
 * fresh row; with --cache, rows whose answer is cached are recorded at
 * once and never go in a chunk. */
static int
bh_take(void *arg, int64_t now, struct batch_row *br)
{
	struct run *r = arg;
	struct task *t;

	task_free(r->lent);
	r->lent = NULL;
	do {
		if (r->status != 0)
			return -1;
		br->request = false;
		if (!r->o->batch_retry_online &&
		    (t = TAILQ_FIRST(&r->retryq)) != NULL) {
			TAILQ_REMOVE(&r->retryq, t, entry);
			r->nretry--;
			br->request = true;
		} else if ((t = read_row(r, now)) == NULL)
			return r->status != 0 ? -1 : 0;
	} while (cache_step(r, t, now));
	r->lent = t;
	br->row = t->row;
	br->json = t->payload;
	br->len = t->len;
	br->attempts = t->a.attempts;
	return 1;
}

static bool
bh_wanted(void *arg, uint64_t row)
{
	struct run *r = arg;

	return state_wanted(&r->st, row);
}

/*
 * A row's failed line: charged (a batch has no outage to wait out),
 * retried per its kind's policy up to --retries, failed after.
 */
static void
batch_row_failed(struct run *r, struct task *t, const struct proc_result *res,
    int64_t now)
{
	const struct kind_info *ki = kind_info(res->kind);
	struct failure f = { .kind = res->kind, .message = res->message,
	    .retry_after = -1, .retry = res->retry };
	enum retry_policy pol = res->retry >= 0 ?
	    (enum retry_policy)res->retry : ki->retry;
	bool in_streak;

	if (ki->stop != 0) {
		run_fail(r, ki->stop, "%s: %s%s", ki->stop_what, res->message,
		    ki->stop_hint);
		stop_pool(r, ki->stop_now);
		task_free(t);	/* undone: the rerun does it */
		return;
	}
	in_streak = streak_says(r, &f, now);
	if (t->a.attempts < retry_allowed(pol, &r->ro) && !r->systematic) {
		log_info("row %llu: %s: %s; retried", (unsigned long long)t->row,
		    kind_name(res->kind), res->message);
		t->not_before = now;
		retry_push(r, t);
		return;
	}
	if (r->systematic)
		;	/* left undone */
	else if (in_streak)
		hold_failed(r, t, &f, now);
	else
		record_failed(r, t->row, t->a.attempts, res->kind,
		    res->message, now);
	task_free(t);
}

static void
bh_result(void *arg, uint64_t row, unsigned attempts,
    const struct proc_result *res, const char *request, size_t len,
    int64_t latency, int64_t now)
{
	struct run *r = arg;
	struct proc_result marked = *res;
	struct task *t;

	if ((t = task_new(row, request, len)) == NULL) {
		run_fail(r, EX_OSERR, "out of memory");
		stop_pool(r, true);
		return;
	}
	t->a.attempts = attempts;
	if (r->cache != NULL)	/* the request, as sent: its cache key */
		task_key_body(r, t, request, len);
	r->rep.stats.requests++;
	if (!res->ok) {
		batch_row_failed(r, t, res, now);
		return;
	}
	cache_store(r, t, res);	/* as online: not marked "batch" */
	/* "batch": true, in the record too: it was billed at half price. */
	marked.extra = res->extra != NULL ? json_copy(res->extra) :
	    json_object();
	json_object_set_new(marked.extra, "batch", json_true());
	stats_latency(&r->rep.stats, latency);
	r->rep.stats.ok++;
	record_ok(r, t, &marked, latency, now);
	json_decref(marked.extra);
	task_free(t);
}

static int
bh_commit(void *arg, int64_t now)
{
	return commit(arg, now);
}

static void
bh_fail(void *arg, int status, const char *why)
{
	struct run *r = arg;

	run_fail(r, status, "%s", why);
	stop_pool(r, false);
}

/*
 * The pool's next task in batch mode: a call to the Batch API; else a
 * retry online (--batch-retry online); else, with nothing left but
 * batches running on the server and no --wait, the run stops (exit 75)
 * for a later run to collect them.
 */
static enum pool_next
next_batch(struct run *r, int64_t now, struct pool_task *pt,
    int64_t *wake_at)
{
	enum batch_next st;
	int64_t w = -1;

	if (r->status != 0)
		return POOL_WAIT;
	if ((st = batch_next(r->batch, now, pt, wake_at)) == BATCH_TASK)
		return POOL_TASK;
	if (r->o->batch_retry_online && r->status == 0 &&
	    (r->nretry > 0 || r->next != NULL) &&
	    next_online(r, now, pt, &w) == POOL_TASK)
		return POOL_TASK;
	*wake_at = earliest(*wake_at, w);
	if (r->status != 0 || r->inflight > 0 || r->nretry > 0 ||
	    r->next != NULL)
		return POOL_WAIT;
	flush_held(r, now);
	if (st == BATCH_DONE)
		return r->status == 0 ? POOL_DONE : POOL_WAIT;
	if (st == BATCH_PARKED) {
		run_fail(r, EX_TEMPFAIL, "%s", batch_parked_why(r->batch));
		return POOL_DONE;
	}
	return POOL_WAIT;
}

/* Online mode refuses a state whose batches are not collected. */
static int
no_live_batches(struct run *r)
{
	json_t *root, *c;
	unsigned n = 0;
	size_t i;

	if (r->o->restart || batchstate_load(r->st.dir, &root) != 1)
		return 0;
	json_array_foreach(json_object_get(root, "chunks"), i, c)
		n += batchstate_live(c);
	json_decref(root);
	if (n == 0)
		return 0;
	run_fail(r, EX_USAGE, "'%s' has %u batch%s not collected yet: rerun "
	    "with --mode batch to collect %s (rowpool cancel stops them)",
	    r->st.dir, n, n == 1 ? "" : "es", n == 1 ? "it" : "them");
	return -1;
}

static int
open_batch(struct run *r, const char *fp)
{
	struct batch_opts bo = {
		.dir = r->st.dir, .fingerprint = fp, .settings = r->o->settings,
		.pcfg = &r->pcfg, .rows = r->o->batch_rows,
		.max_bytes = BATCHFILE_MAX_BYTES, .wait = r->o->wait,
		.restart = r->o->restart, .poll_min_ms = 1000,
		.poll_max_ms = r->o->batch_poll_ms,
		.max_outage_ms = r->o->max_outage_ms,
		.unreachable_ms = r->o->unreachable_ms,
		.host = { .arg = r, .take = bh_take, .wanted = bh_wanted,
		    .result = bh_result, .commit = bh_commit, .fail = bh_fail },
	};
	char err[1024], n[32];
	int status;

	if (!r->o->batch_mode)
		return no_live_batches(r);
	if ((r->batch = batch_open(&bo, &status, err, sizeof(err))) == NULL)
		return run_fail(r, status, "%s", err), -1;
	if (batch_rows_waiting(r->batch) > 0)
		report_say(&r->rep, "batch mode: %s rows in batches sent before",
		    progress_num(batch_rows_waiting(r->batch), n, sizeof(n)));
	return 0;
}

/* ---- start-up ---- */

static int
open_input(struct run *r)
{
	enum input_status st;
	char err[INPUT_ERROR_MAX];

	r->in = input_open_as(r->st.in_path, r->st.in_name, r->o->format,
	    r->o->max_row_bytes, &st, err, sizeof(err));
	if (r->in != NULL)
		return 0;
	if (st == INPUT_FATAL)
		return run_fail(r, EX_DATAERR, "%s", err), -1;
	return run_fail(r, errno == ENOENT || errno == EACCES ? EX_NOINPUT :
	    io_exit_status(errno), "%s", err), -1;
}

/* The processor's own checks, before any worker or request. */
static int
check_processor(struct run *r)
{
	const char *const *cols;
	size_t n;
	char err[512];

	if (r->proc == NULL || r->proc->check == NULL)
		return 0;
	cols = input_columns(r->in, &n);
	if (r->proc->check(&r->pcfg, cols, n, err, sizeof(err)) == -1)
		return run_fail(r, EX_CONFIG, "%s", err), -1;
	return 0;
}

static void
limits_init(struct run *r, int64_t now)
{
	const char *prompt = json_string_value(json_object_get(r->pcfg.settings,
	    "prompt"));
	struct gate_opts go = {
		.rpm = r->o->rpm,
		.tpm = r->o->tpm,
		.workers = r->o->workers,
		.max_outage_ms = r->o->max_outage_ms,
		.unreachable_ms = r->o->unreachable_ms,
		.pause_ms = r->o->backoff_base_ms,
		.prompt_bytes = prompt != NULL ? (double)strlen(prompt) : 0,
		.shards = r->o->shard_n,
	};

	gate_init(&r->gate, &go, now);
	r->gate.endpoint = json_string_value(json_object_get(
	    r->pcfg.settings, "endpoint"));
	r->ro.retries = r->o->retries;
	r->ro.backoff_base_ms = r->o->backoff_base_ms;
	r->ro.backoff_cap_ms = r->o->backoff_cap_ms;
}

static int
open_log(struct run *r)
{
	if (r->o->syslog)
		log_syslog(1);
	if (r->st.log[0] == '\0')	/* --log none */
		return 0;
	if (log_open(r->st.log) == -1)
		return run_fail(r, EX_CANTCREAT, "log '%s': %s", r->st.log,
		    strerror(errno)), -1;
	return 0;
}

static int
fingerprint(struct run *r, char *fp, size_t len)
{
	if (input_fingerprint(r->st.in_path, fp, len) == 0)
		return 0;
	return run_fail(r, errno == ENOENT || errno == EACCES ? EX_NOINPUT :
	    io_exit_status(errno), "input '%s': %s", r->st.in_name,
	    strerror(errno)), -1;
}

/* The cheap first pass: the run's total, for progress and status. */
static int
count_rows(struct run *r)
{
	if (input_count(r->st.in_path, r->st.in_name, r->o->format,
	    r->o->max_row_bytes, &r->st.rows_input) == 0) {
		r->rows_total = shard_rows(r, r->st.rows_input);
		return 0;
	}
	return run_fail(r, errno == EBADMSG ? EX_DATAERR : io_exit_status(
	    errno), "input '%s': %s", r->st.in_name, strerror(errno)), -1;
}


/* One line in the log to say what this run starts from. */
static void
say_start(struct run *r)
{
	char a[32], b[32], c[32];

	if (r->st.appended > 0)
		log_info("input '%s' grew by %s bytes since the last run: "
		    "processing the new rows", r->st.in_name,
		    progress_num(r->st.appended, a, sizeof(a)));
	if (r->st.nredo > 0)
		log_info("--retry-failed: %s failed rows to do again",
		    progress_num(r->st.nredo, a, sizeof(a)));
	if (r->st.ndone > 0)
		report_say(&r->rep, "resuming: %s of %s rows done, %s to do",
		    progress_num(r->st.ndone - r->st.nredo, a, sizeof(a)),
		    progress_num(r->rows_total, b, sizeof(b)),
		    progress_num(r->rows_total - r->st.ndone + r->st.nredo, c,
		    sizeof(c)));
	else if (r->o->shard_n > 0)
		log_info("starting: input '%s', shard %u/%u: %s of its %s "
		    "rows, %u workers", r->st.in_name, r->o->shard_k,
		    r->o->shard_n, progress_num(r->rows_total, a, sizeof(a)),
		    progress_num(r->st.rows_input, b, sizeof(b)),
		    r->o->workers);
	else
		log_info("starting: input '%s', %s rows, %u workers",
		    r->st.in_name, progress_num(r->rows_total, a, sizeof(a)),
		    r->o->workers);
}

static int
start(struct run *r)
{
	struct state_opts so = {
		.input = r->o->input,
		.output = r->o->output,
		.dir = r->o->state,
		.log_path = r->o->log_path,
		.settings = r->o->settings,
		.sources = r->pcfg.settings,
		.restart = r->o->restart,
		.retry_kinds = r->o->retry_kinds,
		.interrupted = state_interrupted,
		.arg = r,
	};
	char fp[64];

	state_init(&r->st, &so);
	r->st.cost_usd = r->price != NULL ? 0 : -1;
	if (state_open(&r->st) == -1)
		return state_failed(r);
	if (open_log(r) == -1 || signals_handle(r))
		return -1;
	if (state_spool(&r->st) == -1)
		return state_failed(r);
	if (r->st.spooled)
		log_info("input '%s' copied into '%s'", r->st.in_name,
		    r->st.in_path);
	if (signals_handle(r) || fingerprint(r, fp, sizeof(fp)) == -1 ||
	    open_input(r) == -1 || check_processor(r) == -1 ||
	    cache_start(r) == -1)
		return -1;
	if (state_recover(&r->st, fp) == -1)
		return state_failed(r);
	if (count_rows(r) == -1 || open_batch(r, fp) == -1)
		return -1;
	sigcatch_test_raise("startup");
	if (signals_handle(r))
		return -1;
	say_start(r);
	r->last_commit = pool_now();
	limits_init(r, r->last_commit);
	/* The first checkpoint records the fingerprints before any work. */
	return commit(r, r->last_commit);
}

/* ---- the end ---- */










static void
finish(struct run *r)
{
	const char *step = "write";

	if (commit(r, pool_now()) == -1)
		return;
	if (!r->input_eof || r->st.ndone != shard_rows(r, r->nrows)) {
		run_fail(r, EX_SOFTWARE, "internal error: %llu of %llu rows "
		    "done at the end", (unsigned long long)r->st.ndone,
		    (unsigned long long)r->nrows);
		return;
	}
	sigcatch_test_raise("output");
	if (output_write_every(r->st.jpath, journal_length(r->st.j), r->nrows,
	    r->o->shard_k, r->o->shard_n ? r->o->shard_n : 1, r->o->output,
	    &step) == -1) {
		run_fail(r, strcmp(step, "open") == 0 ? EX_CANTCREAT :
		    io_exit_status(errno), "output '%s': %s: %s", r->o->output,
		    step, strerror(errno));
		return;
	}
	if (r->nrows == 0)	/* even with -q: an empty output is news */
		log_warnx("input '%s' has 0 rows: the output is empty",
		    r->st.in_name);
	report_summary(&r->rep, &(struct report_totals){ .rows = r->nrows,
	    .ok = r->st.nok, .failed = r->st.nfailed, .tokens = r->st.tokens,
	    .cost_usd = r->st.cost_usd, .price = r->price,
	    .cache = r->o->cache_dir }, pool_now());
	r->status = r->st.nfailed > 0 ? 1 : 0;
	commit_as(r, pool_now(), "finished", r->status);
}

static void
run_pool(struct run *r)
{
	struct pool_opts po = {
		.ops = &run_pool_ops,
		.arg = r,
		.nworkers = r->o->workers,
		.timeout_ms = r->o->timeout_ms,
		.grace_ms = r->o->grace_ms,
		.worker_max_rows = r->o->worker_max_rows,
	};
	enum pool_status st;
	char err[512];

	if ((r->pool = pool_new(&po)) == NULL) {
		run_fail(r, EX_OSERR, "pool: %s", strerror(errno));
		return;
	}
	st = pool_run(r->pool, err, sizeof(err));
	if (st == POOL_NOSTART || st == POOL_FAILED)
		run_fail(r, EX_OSERR, "%s", err);
	if (st == POOL_FINISHED && r->status == 0) {
		finish(r);
		return;
	}
	/* Interrupted or stopped: keep what is done (state_commit refuses
	 * once the checkpoint path failed: an fsync is never retried). */
	if (!r->systematic && !r->st.commit_failed)
		flush_held(r, pool_now());
	commit_as(r, pool_now(), "stopped", r->status);
}

static void
run_release(struct run *r)
{
	struct task *t;

	while ((t = TAILQ_FIRST(&r->retryq)) != NULL) {
		TAILQ_REMOVE(&r->retryq, t, entry);
		task_free(t);
	}
	task_free(r->next);
	task_free(r->lent);
	batch_free(r->batch);
	cache_release(r);
	pool_free(r->pool);
	if (r->in != NULL)
		input_close(r->in);
	state_release(&r->st);
	log_close();
}

/* The price of the run's model: --price-file's, else the built-in. */
static const struct price *
find_price(const struct run_opts *o)
{
	static struct price_table builtin;
	const char *model = json_string_value(json_object_get(o->settings,
	    "model"));

	if (model == NULL)
		return NULL;
	if (o->prices == NULL) {
		price_table_init(&builtin);
		return price_find(&builtin, model);
	}
	return price_find(o->prices, model);
}

static struct progress	*progress_now;	/* erased before stderr lines */

static void
clear_progress(void)
{
	if (progress_now != NULL)
		progress_clear(progress_now);
}

int
run_main(const struct run_opts *o)
{
	struct sigcatch_old old;
	struct sigaction sa;
	struct run r;

	if (o->dry_run)
		return dryrun_main(o, stdout);
	sigcatch_install(&old);
	memset(&r, 0, sizeof(r));
	r.o = o;
	report_init(&r.rep, o, pool_now());
	TAILQ_INIT(&r.retryq);
	TAILQ_INIT(&r.readyq);
	streak_init(&r.streak);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	r.proc = processor_find(o->processor);
	r.pcfg.settings = o->pconf != NULL ? o->pconf : o->settings;
	r.pcfg.api_key = o->api_key;
	r.price = find_price(o);
	progress_now = &r.rep.progress;
	log_before_stderr(clear_progress);
	if (r.proc == NULL && o->worker_main == NULL)
		run_fail(&r, EX_CONFIG, "unknown processor '%s' (have: %s)",
		    o->processor, processor_names());
	else if (start(&r) == 0)
		run_pool(&r);
	signals_after(&r);
	progress_clear(&r.rep.progress);
	if (r.status != 0 && r.status != 1)
		log_warnx("%s", r.why);
	run_release(&r);
	sigcatch_restore(&old);
	log_before_stderr(NULL);
	progress_now = NULL;
	return r.status;
}
