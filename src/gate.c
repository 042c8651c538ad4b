/*
 * gate: the dispatch gate and what the API's answers teach it.
 * Invariant: nothing here reads a clock or writes anywhere; the same
 * calls with the same times always give the same answers (the retry
 * budget, the buckets and the breaker are deterministic).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/gate.h"

void
gate_init(struct gate *g, const struct gate_opts *o, int64_t now)
{
	memset(g, 0, sizeof(*g));
	g->o = *o;
	/*
	 * Requests go evenly spaced, just under the limit: a server's
	 * sliding window then never sees more than its quota, whatever the
	 * phase between its clock and ours.  Tokens may come in bursts of a
	 * second's worth (a row's tokens are an estimate anyway).
	 */
	bucket_init(&g->rpm, o->rpm * GATE_QUOTA_PACE, 1, now);
	bucket_init(&g->tpm, o->tpm, o->tpm / 60.0, now);
	aimd_init(&g->aimd, o->workers, GATE_AIMD_COOLDOWN_MS);
	budget_init(&g->budget, GATE_BUDGET_BASE, GATE_BUDGET_RATIO);
	breaker_init(&g->breaker, GATE_BREAKER_THRESHOLD, o->max_outage_ms);
}

/* ---- dispatch ---- */

bool
gate_may_dispatch(struct gate *g, int64_t now, int64_t *wake_at)
{
	if (now < g->pause_until) {
		*wake_at = g->pause_until;
		return false;
	}
	return breaker_allow(&g->breaker, now, wake_at);
}

void
gate_probe_done(struct gate *g)
{
	g->breaker.probing = false;
}

bool
gate_is_probing(const struct gate *g)
{
	return g->breaker.state == BREAKER_OPEN;
}

bool
gate_prefers_fresh(const struct gate *g)
{
	return g->breaker.failures > 0;
}

/*
 * The row and the prompt, 4 bytes a token, plus the usual answer; or
 * what requests have cost so far, when that is more (the prompt as the
 * model counts it, a system instruction, thinking).
 */
double
gate_estimate(const struct gate *g, double row_bytes)
{
	double est = (row_bytes + g->o.prompt_bytes) / 4.0 + g->avg_output;

	return est > g->avg_total ? est : g->avg_total;
}

int64_t
gate_take(struct gate *g, double tokens, int64_t now)
{
	int64_t w;

	if ((w = bucket_take(&g->rpm, 1, now)) > 0)
		return w;
	if ((w = bucket_take(&g->tpm, tokens, now)) > 0) {
		bucket_adjust(&g->rpm, 1);	/* not sent after all */
		return w;
	}
	return 0;
}

bool
gate_take_retry(struct gate *g, bool last_work)
{
	return budget_take(&g->budget) || last_work;
}

unsigned
gate_limit(const struct gate *g)
{
	return aimd_limit(&g->aimd);
}

/* ---- outcomes ---- */

void
gate_answered(struct gate *g)
{
	g->answered = true;
}

void
gate_success(struct gate *g, double est, long long total_tokens,
    long long output_tokens)
{
	budget_success(&g->budget);
	breaker_success(&g->breaker);
	aimd_success(&g->aimd);
	if (total_tokens > 0)
		bucket_adjust(&g->tpm, est - (double)total_tokens);
	g->avg_output = g->avg_output * 0.9 + (double)output_tokens * 0.1;
	if (total_tokens > 0)
		g->avg_total = g->avg_total == 0 ? (double)total_tokens :
		    g->avg_total * 0.9 + (double)total_tokens * 0.1;
	g->throttled_since = 0;
	g->internal = 0;
	g->answered = true;
}

/*
 * A 429 that names the per-minute request quota: without --rpm, pace
 * every worker just under it from now on, instead of finding it by
 * hitting it again.
 */
static void
learn_quota(struct gate *g, long quota, int64_t now)
{
	/* With N shards on one key, each one learns the whole quota. */
	double rate = (double)quota * GATE_QUOTA_PACE / (g->o.shards > 1 ?
	    g->o.shards : 1);

	if (quota <= 0 || g->o.rpm > 0 || (g->rpm.per_ms > 0 &&
	    rate >= g->rpm.per_ms * 60000.0 - 0.5))
		return;
	bucket_set_rate(&g->rpm, rate, 1, now);
	g->learned_rpm = quota;
	g->events |= GATE_EV_QUOTA_LEARNED;
}

/*
 * A 429: every worker waits, not only the one that was told, and fewer
 * rows go in flight from now on (AIMD).  Rate limiting is an outage too:
 * when waiting as told would keep dispatch paused, counted from the
 * first 429 since the last success, longer than max_outage_ms, the run
 * stops now (exit 75) instead of sleeping for hours.  Waiting for quota
 * is no fault of the row, up to KIND_THROTTLED_MAX times.
 */
bool
gate_rate_limited(struct gate *g, int64_t retry_after_ms, long quota_rpm,
    unsigned throttled, int64_t now, struct gate_stop *stop)
{
	int64_t wait = retry_after_ms > 0 ? retry_after_ms : g->o.pause_ms;
	int64_t until = now + (wait < GATE_RETRY_AFTER_CAP_MS ? wait :
	    GATE_RETRY_AFTER_CAP_MS);

	learn_quota(g, quota_rpm, now);
	if (g->throttled_since == 0)
		g->throttled_since = now;
	if (now + wait - g->throttled_since > g->o.max_outage_ms) {
		stop->status = EX_TEMPFAIL;
		snprintf(stop->why, sizeof(stop->why), "rate limited for %lld "
		    "s, and the API asks to wait %lld s more: longer than "
		    "--max-outage (%lld s); rerun the same command later",
		    (long long)(now - g->throttled_since) / 1000,
		    (long long)wait / 1000, (long long)g->o.max_outage_ms /
		    1000);
	}
	if (aimd_throttled(&g->aimd, now))
		g->events |= GATE_EV_LIMIT_CUT;
	if (until > g->pause_until) {
		if (g->pause_until <= now)
			g->events |= GATE_EV_PAUSED;
		g->pause_until = until;
	}
	return throttled <= KIND_THROTTLED_MAX;
}

/*
 * A transient failure feeds the breaker.  While it is open the API is
 * down, which is no fault of the row: the attempt is free, so an outage
 * never turns rows into failures (past max_outage_ms the run stops and a
 * rerun finds them undone).
 *
 * But a row that breaks the API on its own (it hangs it, or draws an HTML
 * error page) must not hold the run hostage as the eternal probe.  So the
 * caller probes with a fresh row whenever one is left, and only a fresh
 * row's failed probe is free and doubles the wait for the next probe.  A
 * probe made with a row that had failed before is charged like any
 * attempt and does not lengthen the wait: when the only rows left are
 * ones that keep failing, they use up their attempts and end failed.
 */
bool
gate_transient(struct gate *g, enum kind k, bool probe, bool failed_before,
    int64_t now)
{
	bool was_open = g->breaker.state == BREAKER_OPEN;
	bool suspect = probe && failed_before;

	breaker_failure(&g->breaker, k, probe && !suspect, now);
	if (g->breaker.state != BREAKER_OPEN)
		return false;
	if (!was_open)
		g->events |= GATE_EV_BREAKER_OPENED;
	return !suspect;
}

/*
 * Until the API has answered once in this run, failing to reach it at
 * all (DNS, connection refused, TLS) says the endpoint or the network is
 * wrong, not the row: the attempt is free, and when it lasts
 * unreachable_ms the run stops (exit 69) with every row left undone.
 */
bool
gate_unreachable(struct gate *g, const char *message, int64_t now,
    struct gate_stop *stop)
{
	int64_t wake;

	if (g->answered)
		return false;
	if (g->unreach_since == 0)
		g->unreach_since = now;
	snprintf(g->unreach_msg, sizeof(g->unreach_msg), "%s", message);
	gate_check(g, now, stop, &wake);
	return true;
}

/* A worker out of memory: no row's fault, but not forever either. */
bool
gate_internal(struct gate *g, struct gate_stop *stop)
{
	if (++g->internal >= GATE_INTERNAL_MAX) {
		stop->status = EX_OSERR;
		snprintf(stop->why, sizeof(stop->why), "workers failed %u "
		    "times in a row for want of memory (or another internal "
		    "error); rerun the same command when the machine has "
		    "more", g->internal);
	}
	return true;
}

/* ---- time ---- */

static int64_t
earliest(int64_t a, int64_t b)
{
	return a == -1 || (b != -1 && b < a) ? b : a;
}

int
gate_check(struct gate *g, int64_t now, struct gate_stop *stop,
    int64_t *wake_at)
{
	const struct breaker *b = &g->breaker;
	bool unreach = !g->answered && g->unreach_since != 0;

	*wake_at = -1;
	if (unreach && now - g->unreach_since >= g->o.unreachable_ms) {
		stop->status = EX_UNAVAILABLE;
		snprintf(stop->why, sizeof(stop->why), "cannot reach the API at "
		    "'%s' (no answer in %lld s): %s; check --endpoint and the "
		    "network, then rerun the same command", g->endpoint ?
		    g->endpoint : "?", (long long)(now - g->unreach_since) /
		    1000, g->unreach_msg);
	} else if (breaker_expired(b, now)) {
		stop->status = EX_TEMPFAIL;
		snprintf(stop->why, sizeof(stop->why), "the API has been "
		    "failing for %lld s (%u %s errors in a row); rerun the "
		    "same command later", (long long)(now - b->opened) / 1000,
		    b->failures, kind_name(b->kind));
	}
	if (unreach)
		*wake_at = g->unreach_since + g->o.unreachable_ms;
	if (b->state == BREAKER_OPEN)
		*wake_at = earliest(*wake_at, b->opened + b->max_outage_ms);
	return stop->status;
}

unsigned
gate_events(struct gate *g)
{
	unsigned e = g->events;

	g->events = 0;
	return e;
}
