/*
 * run: the supervisor's policy.  It owns the state directory.
 *
 * Invariants:
 *  - only this process writes the journal, the manifest and the output;
 *  - a row is final once its record is in the journal; it is committed
 *    (and never processed again) once a manifest names a journal length
 *    that covers it;
 *  - every row index is dispatched at most once at a time, and written to
 *    the journal at most once (the done set is checked and set together).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <bsd/libutil.h>

#include "rowpool/bitset.h"
#include "rowpool/frame.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "rowpool/log.h"
#include "rowpool/manifest.h"
#include "rowpool/output.h"
#include "rowpool/pool.h"
#include "rowpool/processor.h"
#include "rowpool/run.h"
#include "rowpool/sched.h"
#include "rowpool/worker.h"

#define MANIFEST_VERSION	1
#define TITLE_EVERY_MS		1000
#define KINDS_MAX		16
#define AIMD_COOLDOWN_MS	2000	/* one burst of 429s, one cut */
#define RETRY_BUDGET_BASE	20	/* retries before successes count */
#define RETRY_BUDGET_RATIO	0.2	/* then one per five successes */
#define BREAKER_THRESHOLD	10	/* failures in a row: an outage */
#define THROTTLED_MAX		50	/* 429s a row may take uncharged */
#define QUOTA_PACE		0.98	/* of a request quota, --rpm or named */
/* The largest row sent: half a frame, so that its result fits in one. */
#define TASK_MAX		(FRAME_MAX_DEFAULT / 2)

/* A row in flight or waiting to be retried. */
struct task {
	TAILQ_ENTRY(task)	 entry;
	uint64_t		 row;
	unsigned		 attempts;	/* made so far */
	int64_t			 not_before;
	char			*payload;
	size_t			 len;
	double			 est_tokens;	/* charged to --tpm */
	unsigned		 throttled;	/* 429s, not charged as attempts */
};
TAILQ_HEAD(taskq, task);

struct kind_count {
	char		kind[PROC_KIND_MAX];
	uint64_t	n;
};

struct run {
	const struct run_opts	*o;
	char			 state[PATH_MAX];
	char			 jpath[PATH_MAX];
	struct pidfh		*pfh;
	struct input		*in;
	bool			 input_eof;
	uint64_t		 nrows;		/* rows read so far */
	struct journal		*j;
	struct bitset		 done;
	uint64_t		 ndone, nok, nfailed;
	struct taskq		 retryq;	/* by not_before */
	unsigned		 inflight;
	unsigned		 pending;	/* finals since the last commit */
	int64_t			 last_commit;
	int64_t			 last_title;
	json_t			*manifest;
	struct pool		*pool;
	int			 status;	/* exit status once decided */
	char			 why[1024];	/* the message that goes with it */
	unsigned		 interrupts;
	int64_t			 pause_until;	/* no dispatch before (429) */
	json_t			*tokens;	/* usage totals of ok rows */
	struct task		*next;		/* read, held back by a limit */
	struct bucket		 rpm, tpm;
	struct aimd		 aimd;
	struct retry_budget	 budget;
	struct breaker		 breaker;
	size_t			 prompt_len;
	double			 avg_output;	/* output tokens per row */
	const struct processor	*proc;
	struct proc_config	 pcfg;
	struct kind_count	 kinds[KINDS_MAX];	/* this session's failures */
	uint64_t		 dup_off;	/* recovery: 1 + a repeat's offset */
	int			 visit_errno;	/* recovery: ENOMEM */
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
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
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

	TAILQ_FOREACH_REVERSE(it, &r->retryq, taskq, entry)
		if (it->not_before <= t->not_before)
			break;
	if (it == NULL)
		TAILQ_INSERT_HEAD(&r->retryq, t, entry);
	else
		TAILQ_INSERT_AFTER(&r->retryq, it, t, entry);
}

/* ---- checkpoints ---- */

static void
manifest_counts(struct run *r)
{
	json_object_set_new(r->manifest, "journal_length",
	    json_integer((json_int_t)journal_length(r->j)));
	json_object_set_new(r->manifest, "rows_done",
	    json_integer((json_int_t)r->ndone));
	json_object_set_new(r->manifest, "ok", json_integer((json_int_t)r->nok));
	json_object_set_new(r->manifest, "failed",
	    json_integer((json_int_t)r->nfailed));
	json_object_set(r->manifest, "tokens", r->tokens);
	json_object_set_new(r->manifest, "rows_total", r->input_eof ?
	    json_integer((json_int_t)r->nrows) : json_null());
}

/*
 * Commits a checkpoint: the journal is made durable first, then the
 * manifest that names its length.  A failure keeps the previous
 * checkpoint and stops the run (exit 74); an fsync is never retried.
 */
static int
commit(struct run *r, int64_t now)
{
	const char *step = "write";
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (journal_sync(r->j, &step) == -1) {
		run_fail(r, EX_IOERR, "checkpoint '%s': %s: %s", r->jpath,
		    step, strerror(errno));
		return -1;
	}
	manifest_counts(r);
	if (manifest_commit(r->state, r->manifest, &step) == -1) {
		run_fail(r, EX_IOERR, "checkpoint '%s/%s': %s: %s", r->state,
		    MANIFEST_NAME, step, strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("checkpoint: %llu rows done, journal %llu bytes, %lld us",
	    (unsigned long long)r->ndone,
	    (unsigned long long)journal_length(r->j),
	    (long long)((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000));
	r->pending = 0;
	r->last_commit = now;
	return 0;
}

static void
commit_or_stop(struct run *r, int64_t now)
{
	if (commit(r, now) == -1 && r->pool != NULL)
		pool_kill(r->pool);
}

/* ---- final results ---- */

static void
count_kind(struct run *r, const char *kind)
{
	size_t i;

	for (i = 0; i < KINDS_MAX && r->kinds[i].kind[0] != '\0'; i++)
		if (strcmp(r->kinds[i].kind, kind) == 0)
			break;
	if (i == KINDS_MAX)
		i = KINDS_MAX - 1;
	strlcpy(r->kinds[i].kind, kind, sizeof(r->kinds[i].kind));
	r->kinds[i].n++;
}

/*
 * Appends a final record to the journal and marks the row done.  rec is
 * NULL when building it ran out of memory.
 */
static void
record(struct run *r, uint64_t row, json_t *rec, bool ok, int64_t now)
{
	char *text;

	if (rec == NULL) {
		run_fail(r, EX_SOFTWARE, "out of memory");
		pool_kill(r->pool);
		return;
	}
	if (bitset_test(&r->done, row))
		abort();	/* a row finalized twice: a bug, never a result */
	text = json_dumps(rec, JSON_COMPACT);
	if (text == NULL || bitset_set(&r->done, row) == -1 ||
	    journal_append(r->j, row, text, (uint32_t)strlen(text)) == -1) {
		run_fail(r, EX_IOERR, "journal '%s': %s", r->jpath,
		    strerror(errno ? errno : ENOMEM));
		free(text);
		pool_kill(r->pool);
		return;
	}
	free(text);
	r->ndone++;
	if (ok)
		r->nok++;
	else
		r->nfailed++;
	if (++r->pending >= r->o->batch)
		commit_or_stop(r, now);
}

/*
 * A row went through: the limits learn from it.  The --tpm bucket was
 * charged an estimate; the usage that came back corrects it.
 */
static void
on_success(struct run *r, struct task *t, json_t *usage)
{
	json_int_t total = json_integer_value(json_object_get(usage,
	    "total_tokens"));
	json_int_t out = json_integer_value(json_object_get(usage,
	    "output_tokens"));

	budget_success(&r->budget);
	breaker_success(&r->breaker);
	aimd_success(&r->aimd);
	pool_set_limit(r->pool, aimd_limit(&r->aimd));
	if (total > 0)
		bucket_adjust(&r->tpm, t->est_tokens - (double)total);
	r->avg_output = r->avg_output * 0.9 + (double)out * 0.1;
}

/* Adds a row's token counts to the run's totals. */
static void
add_usage(struct run *r, json_t *usage)
{
	const char *k;
	json_t *v;

	json_object_foreach(usage, k, v)
		if (json_is_integer(v))
			json_object_set_new(r->tokens, k, json_integer(
			    json_integer_value(json_object_get(r->tokens, k)) +
			    json_integer_value(v)));
}

static void
record_ok(struct run *r, struct task *t, json_t *result, int64_t latency,
    int64_t now)
{
	json_t *rec, *v;
	const char *k;

	rec = json_pack("{s:I, s:s, s:i, s:O, s:I}", "row", (json_int_t)t->row,
	    "status", "ok", "attempts", (int)t->attempts, "data",
	    json_object_get(result, "data"), "latency_ms", (json_int_t)latency);
	json_object_foreach(result, k, v)
		if (strcmp(k, "ok") != 0 && strcmp(k, "data") != 0)
			json_object_set(rec, k, v);
	add_usage(r, json_object_get(result, "usage"));
	on_success(r, t, json_object_get(result, "usage"));
	record(r, t->row, rec, true, now);
	json_decref(rec);
}

static void
record_failed(struct run *r, uint64_t row, unsigned attempts,
    const char *kind, const char *message, int64_t now)
{
	json_t *rec;

	rec = json_pack("{s:I, s:s, s:i, s:{s:s, s:s}}", "row",
	    (json_int_t)row, "status", "failed", "attempts", (int)attempts,
	    "error", "kind", kind, "message", message);
	count_kind(r, kind);
	log_info("row %llu failed after %u attempts: %s: %s",
	    (unsigned long long)row, attempts, kind, message);
	record(r, row, rec, false, now);
	json_decref(rec);
}

/* ---- the retry decision ---- */

/*
 * Errors that no retry of any row can mend stop the run; the row is not
 * recorded, so the same command resumes it once the cause is gone.
 */
static bool
stops_run(struct run *r, const char *kind, const char *message)
{
	if (strcmp(kind, "auth") == 0) {
		run_fail(r, EX_NOPERM, "the API refused the key: %s", message);
		pool_kill(r->pool);
		return true;
	}
	if (strcmp(kind, "quota_exhausted") == 0) {
		run_fail(r, EX_TEMPFAIL, "daily quota exhausted: %s; rerun the "
		    "same command when it resets", message);
		pool_drain(r->pool);
		return true;
	}
	return false;
}

/* Kinds that say the API (not the row, not the worker) is failing. */
static bool
is_transient(const char *kind)
{
	return strcmp(kind, "http") == 0 || strcmp(kind, "network") == 0 ||
	    strcmp(kind, "timeout") == 0;
}

/*
 * A transient failure feeds the breaker.  While it is open the API is
 * down, which is no fault of the row: the attempt is not charged, so an
 * outage never turns rows into failures (past --max-outage the run stops
 * and a rerun finds them undone).
 */
static void
outage_failure(struct run *r, struct task *t, const char *kind, int64_t now)
{
	bool was_open = r->breaker.state == BREAKER_OPEN;

	breaker_failure(&r->breaker, kind, now);
	if (r->breaker.state != BREAKER_OPEN)
		return;
	if (!was_open)
		log_warnx("the API is failing (%u %s errors in a row): pausing "
		    "dispatch, probing with one row", r->breaker.failures, kind);
	if (t->attempts > 0)
		t->attempts--;
}

/*
 * A 429: every worker waits, not only the one that was told, and fewer
 * rows go in flight from now on (AIMD).
 */
static void
rate_limited(struct run *r, struct task *t, int64_t retry_after, int64_t now)
{
	int64_t until = now + (retry_after > 0 ? retry_after :
	    r->o->backoff_base_ms);

	/* Waiting for quota is no fault of the row, up to a point. */
	if (t->attempts > 0 && ++t->throttled <= THROTTLED_MAX)
		t->attempts--;
	if (aimd_throttled(&r->aimd, now)) {
		pool_set_limit(r->pool, aimd_limit(&r->aimd));
		log_info("rate limited: at most %u rows in flight",
		    aimd_limit(&r->aimd));
	}
	if (until > r->pause_until) {
		if (r->pause_until <= now)
			log_info("rate limited: pausing dispatch for %lld ms",
			    (long long)(until - now));
		r->pause_until = until;
	}
}

static void
attempt_failed(struct run *r, struct task *t, const char *kind,
    const char *message, int64_t retry_after, int retry, int64_t now)
{
	enum retry_policy pol = retry >= 0 ? (enum retry_policy)retry :
	    sched_retry_policy(kind);
	unsigned allowed = pol == RETRY_YES ? r->o->retries + 1 :
	    pol == RETRY_ONCE ? 2 : 1;

	if (stops_run(r, kind, message)) {
		task_free(t);
		return;
	}
	if (strcmp(kind, "rate_limited") == 0)
		rate_limited(r, t, retry_after, now);
	else if (pol == RETRY_YES && is_transient(kind))
		outage_failure(r, t, kind, now);
	if (t->attempts >= allowed) {
		record_failed(r, t->row, t->attempts, kind, message, now);
		task_free(t);
		return;
	}
	t->not_before = now + sched_backoff_ms(t->attempts + 1,
	    r->o->backoff_base_ms, r->o->backoff_cap_ms, retry_after);
	log_info("row %llu: %s: %s; retry in %lld ms",
	    (unsigned long long)t->row, kind, message,
	    (long long)(t->not_before - now));
	retry_push(r, t);
}

/*
 * A 429 that names the per-minute request quota: without --rpm, pace
 * every worker just under it from now on, instead of finding it by
 * hitting it again.
 */
static void
learn_quota(struct run *r, json_int_t quota, int64_t now)
{
	double rate = (double)quota * QUOTA_PACE;

	if (quota <= 0 || r->o->rpm > 0 ||
	    (r->rpm.per_ms > 0 && rate >= r->rpm.per_ms * 60000.0 - 0.5))
		return;
	bucket_set_rate(&r->rpm, rate, 1, now);
	log_info("the API's quota is %lld requests a minute: pacing at %.0f",
	    (long long)quota, rate);
}

static void
on_result(struct run *r, struct task *t, const struct pool_outcome *o,
    int64_t now)
{
	json_t *res = o->result;
	const char *kind, *msg;
	json_int_t after;

	if (json_is_true(json_object_get(res, "ok")) &&
	    json_object_get(res, "data") != NULL) {
		record_ok(r, t, res, o->latency_ms, now);
		task_free(t);
		return;
	}
	if (json_is_true(json_object_get(res, "ok"))) {
		attempt_failed(r, t, "protocol", "worker result has no data",
		    -1, -1, now);
		return;
	}
	kind = json_string_value(json_object_get(res, "kind"));
	msg = json_string_value(json_object_get(res, "message"));
	after = json_integer_value(json_object_get(res, "retry_after_ms"));
	if (kind != NULL && strcmp(kind, "rate_limited") == 0)
		learn_quota(r, json_integer_value(json_object_get(res,
		    "quota_rpm")), now);
	if (kind == NULL || kind[0] == '\0') {
		kind = "protocol";
		msg = "worker result has no error kind";
	}
	attempt_failed(r, t, kind, msg ? msg : "", after > 0 ? after : -1,
	    sched_retry_parse(json_string_value(json_object_get(res,
	    "retry"))), now);
}

static void
cb_outcome(void *arg, const struct pool_outcome *o)
{
	static const char *const kinds[] = {
		[POOL_CRASH] = "crash",
		[POOL_TIMEOUT] = "timeout",
		[POOL_PROTOCOL] = "protocol",
	};
	struct run *r = arg;
	struct task *t = o->ctx;
	int64_t now = pool_now();

	r->inflight--;
	switch (o->event) {
	case POOL_RESULT:
		on_result(r, t, o, now);
		break;
	case POOL_ABANDONED:
		r->breaker.probing = false;
		task_free(t);
		break;
	case POOL_REQUEUED:
		r->breaker.probing = false;
		t->attempts--;
		t->not_before = now;
		retry_push(r, t);
		break;
	default:
		log_info("row %llu: %s", (unsigned long long)t->row,
		    o->message);
		attempt_failed(r, t, kinds[o->event], o->message, -1, -1, now);
		break;
	}
}

/* ---- feeding the pool ---- */

static enum pool_next
dispatch_task(struct run *r, struct task *t, struct pool_task *pt)
{
	t->attempts++;
	r->inflight++;
	pt->row = t->row;
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
	    "as JSON, more than the %u a worker takes", r->o->input, row->line,
	    row->len, (unsigned)TASK_MAX);
}

/* A bad input row: final at once, or the end of the run with --strict. */
static bool
input_bad(struct run *r, const struct input_row *row, int64_t now)
{
	if (r->o->strict) {
		run_fail(r, EX_DATAERR, "%s", row->error);
		pool_drain(r->pool);
		return false;
	}
	record_failed(r, row->index, 0, "input", row->error, now);
	return r->status == 0;
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

	while (!r->input_eof && r->status == 0) {
		want = !bitset_test(&r->done, r->nrows);
		st = input_next(r->in, &row, want);
		if (st == INPUT_EOF) {
			r->input_eof = true;
			break;
		}
		if (st == INPUT_FATAL || st == INPUT_IOERR) {
			run_fail(r, st == INPUT_FATAL ? EX_DATAERR : EX_IOERR,
			    "%s", row.error);
			pool_drain(r->pool);
			break;
		}
		r->nrows = row.index + 1;
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
 * (r->next) first, then a due retry (while the retry budget lasts, or
 * when nothing else is left), else the next row not done.
 */
static struct task *
candidate(struct run *r, int64_t now)
{
	struct task *t;

	if ((t = r->next) != NULL) {
		r->next = NULL;
		return t;
	}
	t = TAILQ_FIRST(&r->retryq);
	if (t != NULL && t->not_before <= now &&
	    (budget_take(&r->budget) || (r->input_eof && r->inflight == 0))) {
		TAILQ_REMOVE(&r->retryq, t, entry);
		return t;
	}
	return read_row(r, now);
}

/* Estimated tokens of a request: the row and the prompt, 4 bytes a token. */
static double
estimate_tokens(const struct run *r, const struct task *t)
{
	return (double)(t->len + r->prompt_len) / 4.0 + r->avg_output;
}

/* 0 when the --rpm and --tpm buckets let t go now (and charges them). */
static int64_t
rate_wait(struct run *r, struct task *t, int64_t now)
{
	int64_t w;

	if ((w = bucket_take(&r->rpm, 1, now)) > 0)
		return w;
	t->est_tokens = estimate_tokens(r, t);
	if ((w = bucket_take(&r->tpm, t->est_tokens, now)) > 0) {
		bucket_adjust(&r->rpm, 1);
		return w;
	}
	return 0;
}

static enum pool_next
no_task(struct run *r, int64_t now, int64_t *wake_at)
{
	struct task *t = TAILQ_FIRST(&r->retryq);

	if (r->status != 0)
		return POOL_WAIT;
	if (!r->input_eof) {
		run_fail(r, EX_SOFTWARE, "out of memory");
		pool_kill(r->pool);
		return POOL_WAIT;
	}
	if (t == NULL && r->inflight == 0)
		return POOL_DONE;
	/* A due retry held back by the budget waits for an outcome. */
	*wake_at = t != NULL && t->not_before > now ? t->not_before : -1;
	return POOL_WAIT;
}

static enum pool_next
cb_next(void *arg, int64_t now, struct pool_task *pt, int64_t *wake_at)
{
	struct run *r = arg;
	struct task *t;
	int64_t w;

	if (r->status != 0)
		return POOL_WAIT;
	if (now < r->pause_until) {
		*wake_at = r->pause_until;
		return POOL_WAIT;
	}
	if (!breaker_allow(&r->breaker, now, wake_at))
		return POOL_WAIT;
	if ((t = candidate(r, now)) == NULL) {
		r->breaker.probing = false;
		return no_task(r, now, wake_at);
	}
	if ((w = rate_wait(r, t, now)) > 0) {
		r->next = t;	/* the same task goes first next time */
		r->breaker.probing = false;
		*wake_at = now + w;
		return POOL_WAIT;
	}
	return dispatch_task(r, t, pt);
}

static void
set_title(struct run *r, int64_t now)
{
	r->last_title = now;
	if (r->input_eof)
		setproctitle("supervisor: %llu/%llu rows done, %u in flight",
		    (unsigned long long)r->ndone,
		    (unsigned long long)r->nrows, r->inflight);
	else
		setproctitle("supervisor: %llu rows done, %u in flight",
		    (unsigned long long)r->ndone, r->inflight);
}

static int64_t
cb_tick(void *arg, int64_t now)
{
	struct run *r = arg;

	if (r->pending > 0 && now - r->last_commit >= r->o->commit_ms &&
	    r->status == 0)
		commit_or_stop(r, now);
	if (now - r->last_title >= TITLE_EVERY_MS)
		set_title(r, now);
	if (breaker_expired(&r->breaker, now) && r->status == 0) {
		run_fail(r, EX_TEMPFAIL, "the API has been failing for %lld s "
		    "(%u %s errors in a row); rerun the same command later",
		    (long long)(now - r->breaker.opened) / 1000,
		    r->breaker.failures, r->breaker.kind);
		pool_drain(r->pool);
	}
	if (r->pending > 0)
		return r->last_commit + r->o->commit_ms;
	return r->last_title + TITLE_EVERY_MS;
}

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
	if (r->interrupts++ == 0 && signo != SIGKILL) {
		log_info("SIG%s: finishing %u rows in flight (grace %lld ms)",
		    sigabbrev_np(signo), r->inflight,
		    (long long)r->o->grace_ms);
		pool_drain(p);
	} else {
		log_info("SIG%s again: stopping now", sigabbrev_np(signo));
		pool_kill(p);
	}
}

static void
cb_warning(void *arg, const char *msg)
{
	log_warnx("%s", msg);
}

/* In each worker: drop what belongs to the supervisor only. */
static void
cb_child_setup(void *arg)
{
	struct run *r = arg;

	pidfile_close(r->pfh);
	log_close();
}

static int
cb_worker_main(int fd, void *arg)
{
	struct run *r = arg;

	if (r->o->worker_main != NULL)
		return r->o->worker_main(fd, r->o->worker_arg);
	return worker_serve(fd, r->proc, &r->pcfg);
}

static const struct pool_ops run_pool_ops = {
	.next_task = cb_next,
	.on_outcome = cb_outcome,
	.on_tick = cb_tick,
	.on_signal = cb_signal,
	.on_warning = cb_warning,
	.child_setup = cb_child_setup,
	.worker_main = cb_worker_main,
};

/* ---- start-up ---- */

static int
open_state(struct run *r)
{
	const struct run_opts *o = r->o;
	char path[PATH_MAX];
	pid_t other = 0;
	int n;

	n = o->state != NULL ?
	    snprintf(r->state, sizeof(r->state), "%s", o->state) :
	    snprintf(r->state, sizeof(r->state), "%s.state", o->output);
	if (n < 0 || (size_t)n >= sizeof(r->state) ||
	    path_join(r->jpath, sizeof(r->jpath), r->state, "journal") == -1)
		return run_fail(r, EX_CANTCREAT, "state '%s': %s", r->state,
		    strerror(ENAMETOOLONG)), -1;
	if (mkdir(r->state, 0700) == 0) {
		/* The new directory's entry must outlive a power cut too. */
		if (path_dirname(path, sizeof(path), r->state) == -1 ||
		    fsync_dir(path) == -1)
			return run_fail(r, EX_CANTCREAT, "state '%s': fsync "
			    "of its directory: %s", r->state,
			    strerror(errno)), -1;
	} else if (errno != EEXIST)
		return run_fail(r, EX_CANTCREAT, "state '%s': mkdir: %s",
		    r->state, strerror(errno)), -1;
	path_join(path, sizeof(path), r->state, "lock");
	if ((r->pfh = pidfile_open(path, 0600, &other)) == NULL) {
		if (errno == EEXIST)
			return run_fail(r, EX_TEMPFAIL, "state '%s' is in use "
			    "by pid %ld", r->state, (long)other), -1;
		return run_fail(r, EX_CANTCREAT, "lock '%s': %s", path,
		    strerror(errno)), -1;
	}
	pidfile_write(r->pfh);
	if (o->log_path == NULL)
		path_join(path, sizeof(path), r->state, "log");
	if (log_open(o->log_path ? o->log_path : path) == -1)
		return run_fail(r, EX_CANTCREAT, "log '%s': %s",
		    o->log_path ? o->log_path : path, strerror(errno)), -1;
	return 0;
}

/* The output's directory must take a new file before hours of work. */
static int
check_output_dir(struct run *r)
{
	char dir[PATH_MAX];
	struct stat st;

	if (path_dirname(dir, sizeof(dir), r->o->output) == -1 ||
	    stat(dir, &st) == -1)
		return run_fail(r, EX_CANTCREAT, "output '%s': %s",
		    r->o->output, strerror(errno)), -1;
	if (!S_ISDIR(st.st_mode))
		return run_fail(r, EX_CANTCREAT, "output '%s': %s",
		    r->o->output, strerror(ENOTDIR)), -1;
	if (access(dir, W_OK) == -1)
		return run_fail(r, EX_CANTCREAT, "output '%s': %s",
		    r->o->output, strerror(errno)), -1;
	return 0;
}

static json_t *
manifest_new(struct run *r, const char *fingerprint)
{
	return json_pack("{s:i, s:{s:s, s:s}, s:O, s:I, s:I, s:I, s:I, s:n}",
	    "version", MANIFEST_VERSION, "input", "path", r->o->input,
	    "fingerprint", fingerprint, "settings", r->o->settings,
	    "journal_length", (json_int_t)0, "rows_done", (json_int_t)0,
	    "ok", (json_int_t)0, "failed", (json_int_t)0, "rows_total");
}

static char *
json_text(const json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) :
	    strdup("(unset)");
}

static int
setting_changed(struct run *r, const char *k, const json_t *was,
    const json_t *now)
{
	char *a = json_text(was), *b = json_text(now);

	run_fail(r, EX_DATAERR, "state '%s': setting '%s' changed "
	    "(was %s, now %s); rerun with the same settings, or "
	    "with --restart to start over", r->state, k, a, b);
	free(a);
	free(b);
	return -1;
}

/* Compares the settings that change results; says which one changed. */
static int
settings_check(struct run *r, json_t *was)
{
	json_t *now = r->o->settings, *v;
	const char *k;

	json_object_foreach(now, k, v)
		if (!json_equal(v, json_object_get(was, k)))
			return setting_changed(r, k, json_object_get(was, k),
			    v);
	json_object_foreach(was, k, v)
		if (json_object_get(now, k) == NULL)
			return setting_changed(r, k, v, NULL);
	return 0;
}
static int
manifest_check(struct run *r, json_t *m, const char *fingerprint)
{
	const char *fp;

	if (json_integer_value(json_object_get(m, "version")) !=
	    MANIFEST_VERSION)
		return run_fail(r, EX_DATAERR, "state '%s': manifest version "
		    "not supported; rerun with --restart", r->state), -1;
	fp = json_string_value(json_object_get(json_object_get(m, "input"),
	    "fingerprint"));
	if (fp == NULL || strcmp(fp, fingerprint) != 0)
		return run_fail(r, EX_DATAERR, "input '%s' changed since the "
		    "run in '%s' began (fingerprint %s, now %s); rerun with "
		    "--restart to start over", r->o->input, r->state,
		    fp ? fp : "missing", fingerprint), -1;
	return settings_check(r, json_object_get(m, "settings"));
}

static int
visit_done(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct run *r = arg;

	if (bitset_test(&r->done, row)) {
		r->dup_off = off + 1;	/* 0 means none */
		return 1;
	}
	if (bitset_set(&r->done, row) == -1) {
		r->visit_errno = errno;
		return 1;
	}
	return 0;
}

static int
unlink_state(struct run *r)
{
	char path[PATH_MAX];

	path_join(path, sizeof(path), r->state, MANIFEST_NAME);
	/* The manifest goes first: a journal without one counts for nothing. */
	if ((unlink(path) == -1 && errno != ENOENT) ||
	    (unlink(r->jpath) == -1 && errno != ENOENT) ||
	    fsync_dir(r->state) == -1)
		return run_fail(r, EX_CANTCREAT, "state '%s': --restart: %s",
		    r->state, strerror(errno)), -1;
	return 0;
}

/* Loads the manifest, checks it still applies, recovers the journal. */
static int
recover(struct run *r, const char *fingerprint)
{
	char err[512];
	uint64_t committed = 0, bad = 0;
	json_t *m;

	if (r->o->restart && unlink_state(r) == -1)
		return -1;
	if ((m = manifest_load(r->state, err, sizeof(err))) == NULL &&
	    errno != ENOENT)
		return run_fail(r, EX_DATAERR, "state '%s': %s; rerun with "
		    "--restart to start over", r->state, err), -1;
	if (m != NULL) {
		if (manifest_check(r, m, fingerprint) == -1) {
			json_decref(m);
			return -1;
		}
		committed = (uint64_t)json_integer_value(json_object_get(m,
		    "journal_length"));
		r->ndone = (uint64_t)json_integer_value(json_object_get(m,
		    "rows_done"));
		r->nok = (uint64_t)json_integer_value(json_object_get(m, "ok"));
		r->nfailed = (uint64_t)json_integer_value(json_object_get(m,
		    "failed"));
		if (json_is_object(json_object_get(m, "tokens")))
			json_object_update(r->tokens, json_object_get(m,
			    "tokens"));
		json_decref(m);
	}
	r->j = journal_open(r->jpath, committed, visit_done, r, &bad);
	if (r->j == NULL && r->visit_errno != 0)
		return run_fail(r, EX_OSERR, "journal '%s': %s", r->jpath,
		    strerror(r->visit_errno)), -1;
	if (r->j == NULL && r->dup_off != 0)
		return run_fail(r, EX_DATAERR, "journal '%s': record at offset "
		    "%llu repeats a row; refusing to resume (rerun with "
		    "--restart to start over)", r->jpath,
		    (unsigned long long)(r->dup_off - 1)), -1;
	if (r->j == NULL && (errno == EBADMSG || errno == ENODATA))
		return run_fail(r, EX_DATAERR, "journal '%s': damaged record "
		    "at offset %llu; refusing to resume (rerun with --restart "
		    "to start over)", r->jpath, (unsigned long long)bad), -1;
	if (r->j == NULL)
		return run_fail(r, EX_IOERR, "journal '%s': %s", r->jpath,
		    strerror(errno)), -1;
	if (committed > 0)
		log_info("resuming: %llu rows already done",
		    (unsigned long long)r->ndone);
	return 0;
}

static int
open_input(struct run *r)
{
	enum input_status st;
	char err[INPUT_ERROR_MAX];

	r->in = input_open(r->o->input, r->o->format, r->o->max_row_bytes,
	    &st, err, sizeof(err));
	if (r->in != NULL)
		return 0;
	if (st == INPUT_FATAL)
		return run_fail(r, EX_DATAERR, "%s", err), -1;
	return run_fail(r, errno == ENOENT || errno == EACCES ? EX_NOINPUT :
	    EX_IOERR, "%s", err), -1;
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

	/*
	 * Requests go evenly spaced, just under the limit: a server's
	 * sliding window then never sees more than its quota, whatever the
	 * phase between its clock and ours.  Tokens may come in bursts of a
	 * second's worth (a row's tokens are an estimate anyway).
	 */
	bucket_init(&r->rpm, r->o->rpm * QUOTA_PACE, 1, now);
	bucket_init(&r->tpm, r->o->tpm, r->o->tpm / 60.0, now);
	aimd_init(&r->aimd, r->o->workers, AIMD_COOLDOWN_MS);
	budget_init(&r->budget, RETRY_BUDGET_BASE, RETRY_BUDGET_RATIO);
	breaker_init(&r->breaker, BREAKER_THRESHOLD, r->o->max_outage_ms);
	r->prompt_len = prompt != NULL ? strlen(prompt) : 0;
}

static int
start(struct run *r)
{
	char fp[64];

	if (input_fingerprint(r->o->input, fp, sizeof(fp)) == -1)
		return run_fail(r, errno == ENOENT || errno == EACCES ?
		    EX_NOINPUT : EX_IOERR, "input '%s': %s", r->o->input,
		    strerror(errno)), -1;
	if (check_output_dir(r) == -1 || open_state(r) == -1 ||
	    open_input(r) == -1 || check_processor(r) == -1 ||
	    recover(r, fp) == -1)
		return -1;
	if ((r->manifest = manifest_new(r, fp)) == NULL)
		return run_fail(r, EX_SOFTWARE, "out of memory"), -1;
	if (!r->o->restart && r->ndone == 0)
		log_info("starting: input '%s', %u workers", r->o->input,
		    r->o->workers);
	r->last_commit = pool_now();
	limits_init(r, r->last_commit);
	/* The first checkpoint records the fingerprints before any work. */
	return commit(r, r->last_commit);
}

/* ---- the end ---- */

static double
tv_sec(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* What the run cost: for the log, and for scripts/bench. */
static void
log_resources(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	log_info("resources: supervisor cpu %.3f s (user %.3f, sys %.3f), "
	    "peak rss %ld KiB; workers cpu %.3f s",
	    tv_sec(self.ru_utime) + tv_sec(self.ru_stime),
	    tv_sec(self.ru_utime), tv_sec(self.ru_stime), self.ru_maxrss,
	    tv_sec(kids.ru_utime) + tv_sec(kids.ru_stime));
}

static long long
tokens(struct run *r, const char *k)
{
	return (long long)json_integer_value(json_object_get(r->tokens, k));
}

static void
summary(struct run *r)
{
	char kinds[512] = "";
	size_t i, n = 0;

	for (i = 0; i < KINDS_MAX && r->kinds[i].kind[0] != '\0'; i++)
		n += (size_t)snprintf(kinds + n, n < sizeof(kinds) ?
		    sizeof(kinds) - n : 0, "%s%s %llu", i ? ", " : " (this "
		    "run: ", r->kinds[i].kind,
		    (unsigned long long)r->kinds[i].n);
	if (n > 0 && n < sizeof(kinds) - 1)
		strlcat(kinds, ")", sizeof(kinds));
	log_info("%llu rows: %llu ok, %llu failed",
	    (unsigned long long)r->nrows, (unsigned long long)r->nok,
	    (unsigned long long)r->nfailed);
	if (json_object_size(r->tokens) > 0)
		log_info("tokens: prompt %lld, output %lld, thoughts %lld, "
		    "total %lld", tokens(r, "prompt_tokens"),
		    tokens(r, "output_tokens"), tokens(r, "thoughts_tokens"),
		    tokens(r, "total_tokens"));
	if (r->nfailed > 0 && !r->o->quiet)
		log_warnx("%llu of %llu rows failed%s; see '%s'",
		    (unsigned long long)r->nfailed,
		    (unsigned long long)r->nrows, kinds, r->o->output);
}

static void
finish(struct run *r)
{
	const char *step = "write";

	if (commit(r, pool_now()) == -1)
		return;
	if (!r->input_eof || r->ndone != r->nrows) {
		run_fail(r, EX_SOFTWARE, "internal error: %llu of %llu rows "
		    "done at the end", (unsigned long long)r->ndone,
		    (unsigned long long)r->nrows);
		return;
	}
	if (output_write(r->jpath, journal_length(r->j), r->nrows,
	    r->o->output, &step) == -1) {
		run_fail(r, strcmp(step, "open") == 0 ? EX_CANTCREAT :
		    EX_IOERR, "output '%s': %s: %s", r->o->output, step,
		    strerror(errno));
		return;
	}
	summary(r);
	log_resources();
	r->status = r->nfailed > 0 ? 1 : 0;
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
	/* Interrupted or stopped: keep what is done, unless the
	 * checkpoint path itself failed. */
	if (r->status != EX_IOERR)
		commit(r, pool_now());
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
	pool_free(r->pool);
	if (r->j != NULL)
		journal_close(r->j);
	if (r->in != NULL)
		input_close(r->in);
	json_decref(r->manifest);
	json_decref(r->tokens);
	bitset_release(&r->done);
	if (r->pfh != NULL)
		pidfile_remove(r->pfh);
	log_close();
}

int
run_main(const struct run_opts *o)
{
	struct run r;
	struct sigaction sa;

	memset(&r, 0, sizeof(r));
	r.o = o;
	TAILQ_INIT(&r.retryq);
	r.tokens = json_object();
	bitset_init(&r.done);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	r.proc = processor_find(o->processor);
	r.pcfg.settings = o->pconf != NULL ? o->pconf : o->settings;
	r.pcfg.api_key = o->api_key;
	if (r.proc == NULL && o->worker_main == NULL)
		run_fail(&r, EX_CONFIG, "unknown processor '%s' (have: %s)",
		    o->processor, processor_names());
	else if (start(&r) == 0)
		run_pool(&r);
	if (r.status != 0 && r.status != 1)
		log_warnx("%s", r.why);
	run_release(&r);
	return r.status;
}
