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
#include "rowpool/durable.h"
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
#define RETRY_AFTER_CAP_MS	(60 * 60 * 1000)	/* a server's retryDelay */
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
	unsigned		 failures;	/* failed attempts, charged or not */
	bool			 probe;		/* sent as the breaker's probe */
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
	char			 in_path[PATH_MAX];	/* what is read */
	const char		*in_name;	/* in messages */
	bool			 spooled;	/* in_path: a copy in state */
	struct pidfh		*pfh;
	struct pidfh		*out_pfh;	/* OUTPUT.lock */
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
	bool			 commit_failed;	/* never commit again */
	char			 why[1024];	/* the message that goes with it */
	unsigned		 interrupts;
	int64_t			 pause_until;	/* no dispatch before (429) */
	int64_t			 throttled_since;	/* first 429 since the
							   last success, or 0 */
	bool			 answered;	/* the API answered once */
	int64_t			 unreach_since;	/* first failure to reach it */
	char			 unreach_msg[256];
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
	uint64_t		 nrecords;	/* recovery: committed records */
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
	o->unreachable_ms = 20 * 1000;
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

/* An I/O step failed: out of memory is a system error, not an I/O one. */
static int
io_status(int err)
{
	return err == ENOMEM ? EX_OSERR : EX_IOERR;
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
		run_fail(r, io_status(errno), "checkpoint '%s': %s: %s",
		    r->jpath, step, strerror(errno));
		r->commit_failed = true;
		return -1;
	}
	manifest_counts(r);
	if (manifest_commit(r->state, r->manifest, &step) == -1) {
		run_fail(r, io_status(errno), "checkpoint '%s/%s': %s: %s",
		    r->state, MANIFEST_NAME, step, strerror(errno));
		r->commit_failed = true;
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
		run_fail(r, EX_OSERR, "out of memory");
		pool_kill(r->pool);
		return;
	}
	if (bitset_test(&r->done, row))
		abort();	/* a row finalized twice: a bug, never a result */
	text = json_dumps(rec, JSON_COMPACT);
	if (text == NULL || bitset_set(&r->done, row) == -1 ||
	    journal_append(r->j, row, text, (uint32_t)strlen(text)) == -1) {
		run_fail(r, io_status(errno ? errno : ENOMEM), "journal '%s': "
		    "%s", r->jpath, strerror(errno ? errno : ENOMEM));
		r->commit_failed = true;
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
	r->throttled_since = 0;
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

/* What a failed attempt says. */
struct failure {
	const char	*kind;
	const char	*message;
	int64_t		 retry_after;	/* ms the server asked for, or -1 */
	int		 retry;		/* enum retry_policy, or -1: by kind */
	bool		 unreachable;	/* the API was never reached */
};

/* The endpoint has been out of reach, never answering, for too long. */
static void
check_reachable(struct run *r, int64_t now)
{
	const char *ep = json_string_value(json_object_get(r->pcfg.settings,
	    "endpoint"));

	if (r->answered || r->unreach_since == 0 || r->status != 0 ||
	    now - r->unreach_since < r->o->unreachable_ms)
		return;
	run_fail(r, EX_UNAVAILABLE, "cannot reach the API at '%s' (no answer "
	    "in %lld s): %s; check --endpoint and the network, then rerun "
	    "the same command", ep ? ep : "?",
	    (long long)(now - r->unreach_since) / 1000, r->unreach_msg);
	pool_drain(r->pool);
}

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
 *
 * But a row that breaks the API on its own (it hangs it, or draws an HTML
 * error page) must not hold the run hostage as the eternal probe.  So the
 * probe is a fresh row whenever one is left, and only a fresh row's
 * failed probe is free and doubles the wait for the next probe.  A probe
 * made with a row that had failed before is charged like any attempt and
 * does not lengthen the wait: when the only rows left are ones that keep
 * failing, they use up their attempts and end failed, and the run ends.
 */
static bool
outage_failure(struct run *r, struct task *t, const char *kind, int64_t now)
{
	bool was_open = r->breaker.state == BREAKER_OPEN;
	bool suspect = t->probe && t->failures > 1;

	breaker_failure(&r->breaker, kind, t->probe && !suspect, now);
	if (r->breaker.state != BREAKER_OPEN)
		return false;
	if (!was_open)
		log_warnx("the API is failing (%u %s errors in a row): pausing "
		    "dispatch, probing with one row", r->breaker.failures, kind);
	if (suspect)
		log_info("row %llu failed again as the probe: attempt charged",
		    (unsigned long long)t->row);
	return !suspect;
}

/*
 * A 429: every worker waits, not only the one that was told, and fewer
 * rows go in flight from now on (AIMD).  Rate limiting is an outage too:
 * when waiting as told would keep dispatch paused, counted from the
 * first 429 since the last success, longer than --max-outage, the run
 * stops now (exit 75) instead of sleeping for hours.
 */
static bool
rate_limited(struct run *r, struct task *t, int64_t retry_after, int64_t now)
{
	int64_t wait = retry_after > 0 ? retry_after : r->o->backoff_base_ms;
	int64_t until = now + (wait < RETRY_AFTER_CAP_MS ? wait :
	    RETRY_AFTER_CAP_MS);

	if (r->throttled_since == 0)
		r->throttled_since = now;
	if (now + wait - r->throttled_since > r->o->max_outage_ms) {
		run_fail(r, EX_TEMPFAIL, "rate limited for %lld s, and the API "
		    "asks to wait %lld s more: longer than --max-outage (%lld "
		    "s); rerun the same command later",
		    (long long)(now - r->throttled_since) / 1000,
		    (long long)wait / 1000, (long long)r->o->max_outage_ms /
		    1000);
		pool_drain(r->pool);
	}
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
	/* Waiting for quota is no fault of the row, up to a point. */
	return ++t->throttled <= THROTTLED_MAX;
}

/*
 * Until the API has answered once in this run, failing to reach it at
 * all (DNS, connection refused, TLS) says the endpoint or the network is
 * wrong, not the row: the attempt is free, and when it lasts
 * unreachable_ms the run stops (exit 69) with every row left undone.
 */
static bool
never_reached(struct run *r, const char *message, int64_t now)
{
	if (r->answered)
		return false;
	if (r->unreach_since == 0)
		r->unreach_since = now;
	strlcpy(r->unreach_msg, message, sizeof(r->unreach_msg));
	check_reachable(r, now);
	return true;
}

/*
 * One failed attempt: stop the run, record the row failed, or retry it.
 * The attempt is charged to the row unless one of the rules above says
 * the row was not at fault.
 */
static void
attempt_failed(struct run *r, struct task *t, const struct failure *f,
    int64_t now)
{
	const char *kind = f->kind, *message = f->message;
	int64_t retry_after = f->retry_after;
	enum retry_policy pol = f->retry >= 0 ? (enum retry_policy)f->retry :
	    sched_retry_policy(kind);
	unsigned allowed = pol == RETRY_YES ? r->o->retries + 1 :
	    pol == RETRY_ONCE ? 2 : 1;
	bool free = false;

	t->failures++;
	if (stops_run(r, kind, message)) {
		task_free(t);
		return;
	}
	if (strcmp(kind, "rate_limited") == 0)
		free = rate_limited(r, t, retry_after, now);
	else if (pol == RETRY_YES && is_transient(kind))
		free = outage_failure(r, t, kind, now);
	if (f->unreachable && never_reached(r, message, now))
		free = true;
	if (free && t->attempts > 0)
		t->attempts--;
	if (t->attempts >= allowed) {
		record_failed(r, t->row, t->attempts, kind, message, now);
		task_free(t);
		return;
	}
	t->not_before = now + sched_backoff_ms(t->attempts + 1,
	    r->o->backoff_base_ms, r->o->backoff_cap_ms,
	    retry_after < RETRY_AFTER_CAP_MS ? retry_after :
	    RETRY_AFTER_CAP_MS);
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
	struct failure f = { .retry_after = -1, .retry = -1 };
	json_int_t after;

	f.unreachable = json_is_true(json_object_get(res, "unreachable"));
	if (!f.unreachable)
		r->answered = true;
	if (json_is_true(json_object_get(res, "ok")) &&
	    json_object_get(res, "data") != NULL) {
		record_ok(r, t, res, o->latency_ms, now);
		task_free(t);
		return;
	}
	if (json_is_true(json_object_get(res, "ok"))) {
		f.kind = "protocol";
		f.message = "worker result has no data";
		attempt_failed(r, t, &f, now);
		return;
	}
	f.kind = json_string_value(json_object_get(res, "kind"));
	f.message = json_string_value(json_object_get(res, "message"));
	after = json_integer_value(json_object_get(res, "retry_after_ms"));
	if (f.kind != NULL && strcmp(f.kind, "rate_limited") == 0)
		learn_quota(r, json_integer_value(json_object_get(res,
		    "quota_rpm")), now);
	if (f.kind == NULL || f.kind[0] == '\0') {
		f.kind = "protocol";
		f.message = "worker result has no error kind";
	}
	if (f.message == NULL)
		f.message = "";
	f.retry_after = after > 0 ? after : -1;
	f.retry = sched_retry_parse(json_string_value(json_object_get(res,
	    "retry")));
	attempt_failed(r, t, &f, now);
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
	t->attempts++;
	t->probe = r->breaker.state == BREAKER_OPEN;
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
	    "as JSON, more than the %u a worker takes", r->in_name, row->line,
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
 * when nothing else is left), else the next row not done; after a
 * transient failure, the next row not done before any retry.
 */
static struct task *
candidate(struct run *r, int64_t now)
{
	struct task *t;

	if ((t = r->next) != NULL) {
		r->next = NULL;
		return t;
	}
	/*
	 * While transient failures follow one another, fresh rows go before
	 * retries: if the API is down, the breaker opens after failures of
	 * fresh rows (one charged attempt each) before a retried row uses up
	 * its attempts; and a probe is best made with a row that never
	 * failed.
	 */
	if (r->breaker.failures > 0 && !r->input_eof &&
	    (t = read_row(r, now)) != NULL)
		return t;
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
		run_fail(r, EX_OSERR, "out of memory");
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

static bool	signals_handle(struct run *);

static int64_t
cb_tick(void *arg, int64_t now)
{
	struct run *r = arg;

	if (r->pending > 0 && now - r->last_commit >= r->o->commit_ms &&
	    r->status == 0)
		commit_or_stop(r, now);
	if (now - r->last_title >= TITLE_EVERY_MS)
		set_title(r, now);
	signals_handle(r);
	check_reachable(r, now);
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

/*
 * SIGINT, SIGTERM and SIGHUP are caught from the first instruction of
 * run_main to its last: inside the pool through its signalfd (on_signal),
 * outside it (start-up, the final output) by a handler that only notes
 * them, so rowpool is never killed outright with its files half done.
 */
static volatile sig_atomic_t caught;	/* bit 1 << signo */

static void
on_caught(int signo)
{
	caught |= 1 << signo;
}

static const int run_signals[] = { SIGHUP, SIGINT, SIGTERM };
#define NRUN_SIGNALS	(sizeof(run_signals) / sizeof(run_signals[0]))

static void
signals_catch(struct sigaction old[NRUN_SIGNALS])
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_caught;	/* no SA_RESTART: blocking calls end */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NRUN_SIGNALS; i++)
		sigaddset(&sa.sa_mask, run_signals[i]);
	for (i = 0; i < NRUN_SIGNALS; i++)
		sigaction(run_signals[i], &sa, &old[i]);
}

static void
signals_release(const struct sigaction old[NRUN_SIGNALS])
{
	size_t i;

	for (i = 0; i < NRUN_SIGNALS; i++)
		sigaction(run_signals[i], &old[i], NULL);
}

/* The signals caught since the last call, as a bit set; clears them. */
static int
signals_take(void)
{
	sigset_t set, old;
	size_t i;
	int got;

	sigemptyset(&set);
	for (i = 0; i < NRUN_SIGNALS; i++)
		sigaddset(&set, run_signals[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	got = caught;
	caught = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return got;
}

static void	cb_signal(void *, struct pool *, int);

/* Acts on the signals the handler noted; true when the run must stop. */
static bool
signals_handle(struct run *r)
{
	int got = signals_take();
	size_t i;

	for (i = 0; i < NRUN_SIGNALS; i++)
		if (got & (1 << run_signals[i]))
			cb_signal(r, r->pool, run_signals[i]);
	return r->status != 0;
}

/* After the last row: the run is complete, a stop has nothing to stop. */
static void
signals_after(struct run *r)
{
	int got = signals_take();
	size_t i;

	for (i = 0; i < NRUN_SIGNALS; i++) {
		if (!(got & (1 << run_signals[i])))
			continue;
		if (run_signals[i] == SIGHUP)
			cb_signal(r, NULL, SIGHUP);
		else
			log_info("SIG%s after the last row: the output was "
			    "finished first", sigabbrev_np(run_signals[i]));
	}
}

/* Test hook: ROWPOOL_TEST_RAISE=point:SIGNAME[,...] raises it there. */
static void
test_raise(const char *point)
{
	const char *env = getenv("ROWPOOL_TEST_RAISE"), *p;
	size_t n = strlen(point);
	int sig;

	for (p = env; p != NULL && *p != '\0'; p += strcspn(p, ",") +
	    (p[strcspn(p, ",")] != '\0')) {
		if (strncmp(p, point, n) != 0 || p[n] != ':')
			continue;
		for (sig = 1; sig < NSIG; sig++)
			if (sigabbrev_np(sig) != NULL && strncmp(p + n + 1,
			    sigabbrev_np(sig), strcspn(p + n + 1, ",")) == 0)
				raise(sig);
	}
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
	pidfile_close(r->out_pfh);
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
state_names(struct run *r)
{
	const struct run_opts *o = r->o;
	int n;

	n = o->state != NULL ?
	    snprintf(r->state, sizeof(r->state), "%s", o->state) :
	    snprintf(r->state, sizeof(r->state), "%s.state", o->output);
	if (n < 0 || (size_t)n >= sizeof(r->state) ||
	    path_join(r->jpath, sizeof(r->jpath), r->state, "journal") == -1)
		return run_fail(r, EX_CANTCREAT, "state '%s': %s", r->state,
		    strerror(ENAMETOOLONG)), -1;
	return 0;
}

/*
 * The output is locked too (OUTPUT.lock, an flock like the state's), so
 * that two runs with different --state never write one output.
 */
static int
lock_output(struct run *r)
{
	char path[PATH_MAX];
	pid_t other = 0;
	int n;

	n = snprintf(path, sizeof(path), "%s.lock", r->o->output);
	if (n < 0 || (size_t)n >= sizeof(path))
		return run_fail(r, EX_CANTCREAT, "output '%s': %s",
		    r->o->output, strerror(ENAMETOOLONG)), -1;
	if ((r->out_pfh = pidfile_open(path, 0600, &other)) == NULL) {
		if (errno == EEXIST)
			return run_fail(r, EX_TEMPFAIL, "output '%s' is being "
			    "written by pid %ld (a run with another --state)",
			    r->o->output, (long)other), -1;
		return run_fail(r, EX_CANTCREAT, "lock '%s': %s", path,
		    strerror(errno)), -1;
	}
	pidfile_write(r->out_pfh);
	return 0;
}

static int
open_state(struct run *r)
{
	const struct run_opts *o = r->o;
	char path[PATH_MAX];
	pid_t other = 0;

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
	if (lock_output(r) == -1)
		return -1;
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

	if (stat(r->o->output, &st) == 0 && S_ISDIR(st.st_mode))
		return run_fail(r, EX_CANTCREAT, "output '%s': %s",
		    r->o->output, strerror(EISDIR)), -1;
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

static bool
same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return stat(path, &b) == 0 && a->st_dev == b.st_dev &&
	    a->st_ino == b.st_ino;
}

/*
 * Nothing rowpool writes may be the input, by any name (a symlink, a
 * hard link): not the output, its lock, the log, nor the state directory
 * or a file in it.  Compared by device and inode, before any work.
 */
static int
check_not_input(struct run *r, const struct stat *in)
{
	const char *what[] = { "output", "output lock", "log", "state "
	    "directory" };
	char lock[PATH_MAX], log[PATH_MAX], dir[PATH_MAX];
	const char *path[4];
	struct stat ds;
	size_t i;

	snprintf(lock, sizeof(lock), "%s.lock", r->o->output);
	path_join(log, sizeof(log), r->state, "log");
	path[0] = r->o->output;
	path[1] = lock;
	path[2] = r->o->log_path ? r->o->log_path : log;
	path[3] = r->state;
	for (i = 0; i < 4; i++)
		if (same_file(in, path[i]))
			return run_fail(r, EX_USAGE, "%s '%s' is the input "
			    "'%s'; rowpool would overwrite it", what[i],
			    path[i], r->o->input), -1;
	if (path_dirname(dir, sizeof(dir), r->o->input) == 0 &&
	    stat(dir, &ds) == 0 && same_file(&ds, r->state))
		return run_fail(r, EX_USAGE, "state directory '%s' holds the "
		    "input '%s'; use another --state", r->state,
		    r->o->input), -1;
	return 0;
}

/*
 * Settings as the manifest keeps them: a long text (a 600 KB prompt) or a
 * big schema becomes its digest, {"digest": "BYTES:HASH", "lines": N},
 * so the manifest stays small, and a change is still caught.
 */
#define SETTING_TEXT_MAX	256

static json_t *
setting_digest(const json_t *v)
{
	char *text = NULL, digest[64];
	const char *p;
	size_t len, lines = 0, i;
	json_t *d;

	if (json_is_string(v)) {
		p = json_string_value(v);
		len = json_string_length(v);
	} else if (json_is_object(v) || json_is_array(v)) {
		if ((text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) ==
		    NULL)
			return NULL;
		p = text;
		len = strlen(text);
	} else
		return json_deep_copy(v);
	if (len <= SETTING_TEXT_MAX) {
		free(text);
		return json_deep_copy(v);
	}
	for (i = 0; i < len; i++)
		lines += p[i] == '\n';
	lines += len > 0 && p[len - 1] != '\n';
	snprintf(digest, sizeof(digest), "%zu:%016llx", len,
	    (unsigned long long)input_hash(p, len));
	free(text);
	d = json_pack("{s:s, s:I}", "digest", digest, "lines",
	    (json_int_t)lines);
	return d;
}

static json_t *
settings_digest(const json_t *settings)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)(uintptr_t)settings, k, v)
		if (out == NULL || json_object_set_new(out, k,
		    setting_digest(v)) == -1) {
			json_decref(out);
			return NULL;
		}
	return out;
}

static json_t *
manifest_new(struct run *r, const char *fingerprint)
{
	json_t *set = settings_digest(r->o->settings);

	if (set == NULL)
		return NULL;
	return json_pack("{s:i, s:{s:s, s:s}, s:o, s:I, s:I, s:I, s:I, s:n}",
	    "version", MANIFEST_VERSION, "input", "path", r->o->input,
	    "fingerprint", fingerprint, "settings", set,
	    "journal_length", (json_int_t)0, "rows_done", (json_int_t)0,
	    "ok", (json_int_t)0, "failed", (json_int_t)0, "rows_total");
}

/* A setting's value, short, for a message: never a whole prompt. */
static void
describe(const json_t *v, char *buf, size_t len)
{
	json_t *d = v != NULL ? setting_digest(v) : NULL;
	const char *dg = json_string_value(json_object_get(d, "digest"));
	char *text;

	if (v == NULL)
		snprintf(buf, len, "unset");
	else if (dg != NULL && json_object_size(d) == 2)
		snprintf(buf, len, "%.*s bytes in %lld line%s, hash %s",
		    (int)strcspn(dg, ":"), dg, (long long)json_integer_value(
		    json_object_get(d, "lines")), json_integer_value(
		    json_object_get(d, "lines")) == 1 ? "" : "s",
		    dg + strcspn(dg, ":") + 1);
	else if ((text = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY)) !=
	    NULL) {
		snprintf(buf, len, "%s", text);
		free(text);
	} else
		snprintf(buf, len, "?");
	json_decref(d);
}

static int
setting_changed(struct run *r, const char *k, const json_t *was,
    const json_t *now)
{
	char a[320], b[320], key[64], from[PATH_MAX + 32] = "";
	const char *file;

	describe(was, a, sizeof(a));
	describe(now, b, sizeof(b));
	snprintf(key, sizeof(key), "%s_file", k);
	if ((file = json_string_value(json_object_get(r->pcfg.settings,
	    key))) != NULL)
		snprintf(from, sizeof(from), " (--%s '%s')", k, file);
	run_fail(r, EX_DATAERR, "state '%s': setting '%s'%s changed "
	    "(was %s; now %s); rerun with the same settings, or "
	    "with --restart to start over", r->state, k, from, a, b);
	return -1;
}

/*
 * Compares the settings that change results, as digests (a manifest of
 * an older rowpool holds the whole texts); says which one changed.
 */
static int
settings_check(struct run *r, const json_t *was_raw)
{
	json_t *now = settings_digest(r->o->settings);
	json_t *was = settings_digest(was_raw), *v;
	const char *k;
	int rc = -1;

	if (now == NULL || was == NULL) {
		run_fail(r, EX_OSERR, "out of memory");
		goto out;
	}
	json_object_foreach(now, k, v)
		if (!json_equal(v, json_object_get(was, k))) {
			setting_changed(r, k, json_object_get(was_raw, k),
			    json_object_get(r->o->settings, k));
			goto out;
		}
	json_object_foreach(was, k, v)
		if (json_object_get(now, k) == NULL) {
			setting_changed(r, k, json_object_get(was_raw, k),
			    NULL);
			goto out;
		}
	rc = 0;
out:
	json_decref(now);
	json_decref(was);
	return rc;
}

/* ---- the manifest, checked field by field ---- */

static int
bad_field(struct run *r, const char *field, const char *why)
{
	return run_fail(r, EX_DATAERR, "state '%s': manifest field '%s' %s; "
	    "the manifest was edited or damaged: restore it, or rerun with "
	    "--restart to start over", r->state, field, why), -1;
}

/* Integer field k of m, at least 0; -1 after run_fail otherwise. */
static int
count_field(struct run *r, const json_t *m, const char *k, uint64_t *out)
{
	const json_t *v = json_object_get(m, k);

	if (v == NULL)
		return bad_field(r, k, "is missing");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_field(r, k, "is not a count");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
manifest_fields(struct run *r, const json_t *m, uint64_t *committed)
{
	const json_t *in = json_object_get(m, "input"), *v;
	uint64_t total;

	if (!json_is_integer(json_object_get(m, "version")))
		return bad_field(r, "version", "is not a number");
	if (json_integer_value(json_object_get(m, "version")) !=
	    MANIFEST_VERSION)
		return run_fail(r, EX_DATAERR, "state '%s': manifest version "
		    "not supported; rerun with --restart", r->state), -1;
	if (!json_is_object(in) ||
	    !json_is_string(json_object_get(in, "fingerprint")))
		return bad_field(r, "input", "has no fingerprint");
	if (!json_is_object(json_object_get(m, "settings")))
		return bad_field(r, "settings", "is not an object");
	if (count_field(r, m, "journal_length", committed) == -1 ||
	    count_field(r, m, "rows_done", &r->ndone) == -1 ||
	    count_field(r, m, "ok", &r->nok) == -1 ||
	    count_field(r, m, "failed", &r->nfailed) == -1)
		return -1;
	if (r->nok + r->nfailed != r->ndone)
		return bad_field(r, "rows_done", "is not 'ok' plus 'failed'");
	v = json_object_get(m, "rows_total");
	if (v != NULL && !json_is_null(v) && (count_field(r, m, "rows_total",
	    &total) == -1 || total < r->ndone))
		return r->status ? -1 : bad_field(r, "rows_total",
		    "is less than 'rows_done'");
	v = json_object_get(m, "tokens");
	if (v != NULL && !json_is_object(v))
		return bad_field(r, "tokens", "is not an object");
	return 0;
}

static int
manifest_check(struct run *r, json_t *m, const char *fingerprint,
    uint64_t *committed)
{
	const char *fp;

	if (manifest_fields(r, m, committed) == -1)
		return -1;
	fp = json_string_value(json_object_get(json_object_get(m, "input"),
	    "fingerprint"));
	if (strcmp(fp, fingerprint) != 0)
		return run_fail(r, EX_DATAERR, "input '%s' changed since the "
		    "run in '%s' began (fingerprint %s, now %s); rerun with "
		    "--restart to start over", r->o->input, r->state,
		    fp, fingerprint), -1;
	if (settings_check(r, json_object_get(m, "settings")) == -1)
		return -1;
	json_object_update(r->tokens, json_object_get(m, "tokens"));
	return 0;
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
	r->nrecords++;
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

/*
 * The journal must be there and hold what the manifest committed; and
 * results without a manifest are never thrown away silently.
 */
static int
journal_present(struct run *r, bool have_manifest, uint64_t committed)
{
	struct stat st;

	if (stat(r->jpath, &st) == -1) {
		if (errno != ENOENT)
			return run_fail(r, EX_IOERR, "journal '%s': %s",
			    r->jpath, strerror(errno)), -1;
		if (committed > 0)
			return run_fail(r, EX_DATAERR, "journal '%s' is "
			    "missing, but the manifest says %llu bytes of it "
			    "were committed; restore it, or rerun with "
			    "--restart to start over", r->jpath,
			    (unsigned long long)committed), -1;
		return 0;
	}
	if (!have_manifest && st.st_size > 0)
		return run_fail(r, EX_DATAERR, "state '%s': journal holds %lld "
		    "bytes of results but there is no manifest (deleted?); "
		    "restore '%s/%s', or rerun with --restart to discard them "
		    "and start over", r->state, (long long)st.st_size,
		    r->state, MANIFEST_NAME), -1;
	if ((uint64_t)st.st_size < committed)
		return run_fail(r, EX_DATAERR, "journal '%s' is %lld bytes, "
		    "shorter than the %llu committed; refusing to resume "
		    "(rerun with --restart to start over)", r->jpath,
		    (long long)st.st_size, (unsigned long long)committed), -1;
	return 0;
}

static int
journal_recover(struct run *r, uint64_t committed)
{
	uint64_t bad = 0;

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
	if (r->nrecords != r->ndone)
		return bad_field(r, "rows_done", r->nrecords < r->ndone ?
		    "counts more rows than the journal holds" :
		    "counts fewer rows than the journal holds");
	return 0;
}

/* Loads the manifest, checks it still applies, recovers the journal. */
static int
recover(struct run *r, const char *fingerprint)
{
	char err[512];
	uint64_t committed = 0;
	json_t *m;
	int rc;

	if (r->o->restart && unlink_state(r) == -1)
		return -1;
	if ((m = manifest_load(r->state, err, sizeof(err))) == NULL &&
	    errno != ENOENT)
		return run_fail(r, EX_DATAERR, "state '%s': %s; rerun with "
		    "--restart to start over", r->state, err), -1;
	rc = m != NULL ? manifest_check(r, m, fingerprint, &committed) : 0;
	if (rc == 0)
		rc = journal_present(r, m != NULL, committed);
	json_decref(m);
	if (rc == -1 || journal_recover(r, committed) == -1)
		return -1;
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

	r->in = input_open_as(r->in_path, r->in_name, r->o->format,
	    r->o->max_row_bytes,
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

/*
 * The input must be a file that can be read again (the fingerprint, the
 * rows, every resume): a regular file is read in place; standard input
 * ('-'), a pipe or a FIFO is spooled into the state directory first.
 */
static int
stat_input(struct run *r, struct stat *st)
{
	const char *in = r->o->input;

	r->in_name = in;
	if (strcmp(in, "-") == 0) {
		r->in_name = "(stdin)";
		r->spooled = true;
		return 0;
	}
	if (stat(in, st) == -1)
		return run_fail(r, errno == ENOENT || errno == EACCES ||
		    errno == ENOTDIR ? EX_NOINPUT : EX_IOERR, "input '%s': %s",
		    in, strerror(errno)), -1;
	if (S_ISDIR(st->st_mode))
		return run_fail(r, EX_NOINPUT, "input '%s': %s", in,
		    strerror(EISDIR)), -1;
	r->spooled = !S_ISREG(st->st_mode);
	if (strlcpy(r->in_path, in, sizeof(r->in_path)) >= sizeof(r->in_path))
		return run_fail(r, EX_NOINPUT, "input '%s': %s", in,
		    strerror(ENAMETOOLONG)), -1;
	return 0;
}

/* A pipe may never end: a signal stops the copy (read gets EINTR). */
static int
spool_copy(struct run *r, int fd, struct durable *d, const char **step)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR && !signals_handle(r))
			continue;
		if (n <= 0)
			break;
		if (durable_write(d, buf, (size_t)n, step) == -1)
			return -1;
	}
	if (n == -1)
		*step = "read";
	return n == -1 ? -1 : 0;
}

/* open(2) of a FIFO waits for a writer: a signal stops the wait. */
static int
spool_open(struct run *r)
{
	int fd;

	while ((fd = open(r->o->input, O_RDONLY | O_CLOEXEC)) == -1 &&
	    errno == EINTR && !signals_handle(r))
		;
	return fd;
}

/* Copies a stream input whole into STATE/input, durably. */
static int
spool_input(struct run *r)
{
	const char *step = "open";
	struct durable d;
	int fd = STDIN_FILENO, rc;

	path_join(r->in_path, sizeof(r->in_path), r->state, "input");
	if (strcmp(r->o->input, "-") != 0 && (fd = spool_open(r)) == -1)
		return r->status ? -1 : run_fail(r, EX_NOINPUT, "input '%s': "
		    "%s", r->o->input, strerror(errno)), -1;
	if ((rc = durable_open(&d, r->in_path, 0600, &step)) == 0 &&
	    (rc = spool_copy(r, fd, &d, &step)) == 0 && r->status == 0)
		rc = durable_commit(&d, &step);
	else
		durable_abort(&d);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r->status != 0)
		return -1;
	if (rc == -1)
		return run_fail(r, strcmp(step, "read") == 0 ? EX_NOINPUT :
		    EX_IOERR, "input '%s': spooling into '%s': %s: %s",
		    r->in_name, r->in_path, step, strerror(errno)), -1;
	log_info("input '%s' copied into '%s'", r->in_name, r->in_path);
	return 0;
}

static int
start(struct run *r)
{
	struct stat in;
	char fp[64];

	if (state_names(r) == -1 || stat_input(r, &in) == -1 ||
	    (!r->spooled && check_not_input(r, &in) == -1) ||
	    check_output_dir(r) == -1 || open_state(r) == -1 ||
	    signals_handle(r) || (r->spooled && spool_input(r) == -1) ||
	    signals_handle(r))
		return -1;
	if (input_fingerprint(r->in_path, fp, sizeof(fp)) == -1)
		return run_fail(r, errno == ENOENT || errno == EACCES ?
		    EX_NOINPUT : EX_IOERR, "input '%s': %s", r->in_name,
		    strerror(errno)), -1;
	if (open_input(r) == -1 || check_processor(r) == -1 ||
	    recover(r, fp) == -1)
		return -1;
	test_raise("startup");
	if (signals_handle(r))
		return -1;
	if ((r->manifest = manifest_new(r, fp)) == NULL)
		return run_fail(r, EX_OSERR, "out of memory"), -1;
	if (!r->o->restart && r->ndone == 0)
		log_info("starting: input '%s', %u workers", r->in_name,
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
	test_raise("output");
	if (output_write(r->jpath, journal_length(r->j), r->nrows,
	    r->o->output, &step) == -1) {
		run_fail(r, strcmp(step, "open") == 0 ? EX_CANTCREAT :
		    io_status(errno), "output '%s': %s: %s", r->o->output, step,
		    strerror(errno));
		return;
	}
	if (r->nrows == 0)	/* even with -q: an empty output is news */
		log_warnx("input '%s' has 0 rows: the output is empty",
		    r->in_name);
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
	 * checkpoint path itself failed (an fsync is never retried). */
	if (!r->commit_failed)
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
	if (r->out_pfh != NULL)
		pidfile_remove(r->out_pfh);
	if (r->pfh != NULL)
		pidfile_remove(r->pfh);
	log_close();
}

int
run_main(const struct run_opts *o)
{
	struct sigaction sa, old[NRUN_SIGNALS];
	struct run r;

	signals_catch(old);
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
	signals_after(&r);
	if (r.status != 0 && r.status != 1)
		log_warnx("%s", r.why);
	run_release(&r);
	signals_release(old);
	return r.status;
}
