/*
 * The gate and the retry decision with a fake clock: each policy the
 * README promises, driven call by call, no process and no sleep.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/gate.h"
#include "rowpool/retry.h"

static struct gate g;
static const struct retry_opts ro = {
	.retries = 3, .backoff_base_ms = 500, .backoff_cap_ms = 60000,
};

static void
gate_with(double rpm, int64_t max_outage_ms)
{
	struct gate_opts o = {
		.rpm = rpm, .workers = 8, .max_outage_ms = max_outage_ms,
		.unreachable_ms = 20000, .pause_ms = 500,
	};

	gate_init(&g, &o, 0);
}

static void
setup(void)
{
	gate_with(0, 15 * 60 * 1000);
}

TestSuite(gate, .init = setup);

/* One failed attempt of a fresh row (attempt 1) through retry_decide. */
static struct verdict
fail_once(struct attempt *a, enum kind k, int64_t after, int64_t now)
{
	struct failure f = { .kind = k, .message = "m", .retry_after = after,
	    .retry = -1 };
	struct verdict v;

	a->attempts++;
	retry_decide(&g, a, &f, &ro, now, &v);
	return v;
}

/* A 429 pauses every dispatch, not only its row's, until retryDelay. */
Test(gate, a_429_pauses_every_dispatch_until_its_retry_delay)
{
	struct attempt a = { 0 };
	struct verdict v;
	int64_t wake = 0;

	cr_assert(gate_may_dispatch(&g, 1000, &wake));
	v = fail_once(&a, KIND_RATE_LIMITED, 7000, 1000);
	cr_assert_eq(v.what, VERDICT_RETRY);
	cr_assert(!v.charged, "a 429 is not the row's fault");
	cr_assert_eq(a.attempts, 0);
	cr_assert_geq(v.not_before, 8000, "the row waits retryDelay");
	cr_assert(!gate_may_dispatch(&g, 1001, &wake), "no other row either");
	cr_assert_eq(wake, 8000);
	cr_assert(!gate_may_dispatch(&g, 7999, &wake));
	cr_assert(gate_may_dispatch(&g, 8000, &wake));
	cr_assert(gate_events(&g) & GATE_EV_PAUSED);
}

/* A retryDelay past --max-outage stops the run at once (75). */
Test(gate, a_retry_delay_past_max_outage_stops)
{
	struct attempt a = { 0 };
	struct verdict v;

	v = fail_once(&a, KIND_RATE_LIMITED, 100000000, 1000);
	cr_assert_eq(v.stop.status, EX_TEMPFAIL);
	cr_assert(!v.stop.now, "rows in flight may finish");
	cr_assert_lt(g.pause_until, 1000 + GATE_RETRY_AFTER_CAP_MS + 1,
	    "the pause is capped");
}

/* Ten transient failures in a row open the breaker: one probe at a time. */
Test(gate, the_breaker_lets_exactly_one_probe_through)
{
	struct attempt a[10] = { { 0 } };
	int64_t wake = 0;
	int i;

	for (i = 0; i < 9; i++)
		fail_once(&a[i], KIND_HTTP, -1, 1000);
	cr_assert(gate_may_dispatch(&g, 1000, &wake), "9: still closed");
	fail_once(&a[9], KIND_HTTP, -1, 1000);
	cr_assert(gate_events(&g) & GATE_EV_BREAKER_OPENED);
	cr_assert(!gate_may_dispatch(&g, 1500, &wake), "no dispatch");
	cr_assert_eq(wake, 2000, "the first probe a second later");
	cr_assert(gate_may_dispatch(&g, 2000, &wake), "the probe");
	cr_assert(gate_is_probing(&g));
	cr_assert(!gate_may_dispatch(&g, 2000, &wake), "only one");
	cr_assert(!gate_may_dispatch(&g, 9000, &wake), "still only one");
	cr_assert_eq(wake, -1, "until its outcome");
	gate_success(&g, 0, 0, 0);
	cr_assert(gate_may_dispatch(&g, 9001, &wake), "closed again");
	cr_assert(!gate_is_probing(&g));
}

/* Attempts while the breaker is open are not charged, but a probe made
 * with a row that had failed before is. */
Test(gate, outage_attempts_are_not_charged)
{
	struct attempt a[10] = { { 0 } }, fresh = { 0 }, old = { 0 };
	struct verdict v;
	int64_t wake;
	int i;

	for (i = 0; i < 10; i++) {
		v = fail_once(&a[i], KIND_NETWORK, -1, 1000);
		cr_assert_eq(v.charged, i < 9, "failure %d", i + 1);
	}
	v = fail_once(&a[0], KIND_TIMEOUT, -1, 1100);
	cr_assert(!v.charged, "in flight while open: free");
	cr_assert(!gate_may_dispatch(&g, 2000, &wake));
	cr_assert_eq(wake, 2100, "a failure in flight puts the probe off");
	cr_assert(gate_may_dispatch(&g, 2100, &wake));
	fresh.probe = gate_is_probing(&g);
	v = fail_once(&fresh, KIND_NETWORK, -1, 2100);
	cr_assert(fresh.probe && !v.charged, "a fresh probe: free");
	cr_assert_eq(fresh.attempts, 0);
	cr_assert(!gate_may_dispatch(&g, 4099, &wake));
	cr_assert_eq(wake, 4100, "a free probe doubles the wait");
	cr_assert(gate_may_dispatch(&g, 4100, &wake));
	old = a[1];
	old.probe = true;
	v = fail_once(&old, KIND_NETWORK, -1, 4100);
	cr_assert(v.charged, "a probe with a row that failed before");
	cr_assert(!gate_may_dispatch(&g, 6099, &wake));
	cr_assert_eq(wake, 6100, "and the wait does not grow");
}

/* The retry budget: 20 retries with no success, the 21st refused; then
 * one per five successes. */
Test(gate, the_budget_refuses_the_21st_retry_without_successes)
{
	int i;

	for (i = 0; i < 20; i++)
		cr_assert(gate_take_retry(&g, false), "retry %d", i + 1);
	cr_assert(!gate_take_retry(&g, false), "the 21st");
	cr_assert(gate_take_retry(&g, true), "unless nothing else is left");
	for (i = 0; i < 4; i++)
		gate_success(&g, 0, 0, 0);
	cr_assert(!gate_take_retry(&g, false), "4 successes: not yet");
	gate_success(&g, 0, 0, 0);
	cr_assert(gate_take_retry(&g, false), "5 successes: one retry");
}

/* A 429 naming the per-minute quota: requests paced at 98% of it. */
Test(gate, a_learned_quota_paces_at_98_percent)
{
	struct attempt a = { 0 };
	struct failure f = { .kind = KIND_RATE_LIMITED, .message = "q",
	    .retry_after = 1000, .retry = -1, .quota_rpm = 60 };
	struct verdict v;
	int64_t t = 2000, w;
	int n = 0;

	a.attempts = 1;
	retry_decide(&g, &a, &f, &ro, 1000, &v);
	cr_assert(gate_events(&g) & GATE_EV_QUOTA_LEARNED);
	cr_assert_eq(g.learned_rpm, 60);
	/* Over ten minutes of asking as fast as allowed: 588 requests. */
	while (t < 2000 + 10 * 60 * 1000) {
		if ((w = gate_take(&g, 1, t)) == 0) {
			n++;
			continue;
		}
		t += w;
	}
	cr_assert(n >= 587 && n <= 589, "%d requests in 10 min", n);
}

Test(gate, rpm_spaces_requests_without_a_burst)
{
	gate_with(120, 15 * 60 * 1000);
	cr_assert_eq(gate_take(&g, 1, 0), 0);
	cr_assert_gt(gate_take(&g, 1, 0), 500, "no burst");
	cr_assert_eq(gate_take(&g, 1, 511), 0, "120 * 0.98 a minute");
}

/* An API never reached (refused connections) for unreachable_ms: 69,
 * no attempt charged; once it answered, such failures are charged. */
Test(gate, an_api_never_reached_stops_with_69)
{
	struct attempt a = { 0 }, b = { 0 };
	struct failure f = { .kind = KIND_NETWORK, .message = "refused",
	    .retry_after = -1, .retry = -1, .unreachable = true };
	struct gate_stop stop = { 0 };
	struct verdict v;
	int64_t wake;

	a.attempts = 1;
	retry_decide(&g, &a, &f, &ro, 1000, &v);
	cr_assert(!v.charged);
	cr_assert_eq(gate_check(&g, 20999, &stop, &wake), 0);
	cr_assert_eq(wake, 21000);
	cr_assert_eq(gate_check(&g, 21000, &stop, &wake), EX_UNAVAILABLE);
	gate_answered(&g);
	b.attempts = 1;
	retry_decide(&g, &b, &f, &ro, 22000, &v);
	cr_assert(v.charged, "after an answer: the row's attempt");
}

/* A worker out of memory is never charged; five in a row stop (71). */
Test(gate, out_of_memory_is_not_charged)
{
	struct attempt a = { 0 };
	struct verdict v;
	int i;

	for (i = 0; i < 4; i++) {
		v = fail_once(&a, KIND_INTERNAL, -1, 1000);
		cr_assert(!v.charged && v.what == VERDICT_RETRY);
		cr_assert_eq(v.stop.status, 0);
	}
	v = fail_once(&a, KIND_INTERNAL, -1, 1000);
	cr_assert_eq(v.stop.status, EX_OSERR);
	cr_assert_eq(a.attempts, 0);
}

/* The kinds that stop the run: auth at once, the daily quota drains. */
Test(gate, auth_and_daily_quota_stop_the_run)
{
	struct attempt a = { 0 };
	struct verdict v;

	v = fail_once(&a, KIND_AUTH, -1, 0);
	cr_assert(v.what == VERDICT_STOP && v.stop.status == EX_NOPERM &&
	    v.stop.now);
	v = fail_once(&a, KIND_QUOTA_EXHAUSTED, -1, 0);
	cr_assert(v.what == VERDICT_STOP && v.stop.status == EX_TEMPFAIL &&
	    !v.stop.now);
}

/* Retries up to --retries, once for truncated, never for blocked. */
Test(gate, rows_end_failed_after_their_retries)
{
	struct attempt a = { 0 }, b = { 0 }, c = { 0 };
	int i;

	for (i = 0; i < 3; i++)
		cr_assert_eq(fail_once(&a, KIND_CRASH, -1, 0).what,
		    VERDICT_RETRY);
	cr_assert_eq(fail_once(&a, KIND_CRASH, -1, 0).what, VERDICT_FAILED);
	cr_assert_eq(fail_once(&b, KIND_TRUNCATED, -1, 0).what,
	    VERDICT_RETRY);
	cr_assert_eq(fail_once(&b, KIND_TRUNCATED, -1, 0).what,
	    VERDICT_FAILED);
	cr_assert_eq(fail_once(&c, KIND_BLOCKED, -1, 0).what,
	    VERDICT_FAILED);
}

/* N shards on one key: each learns the whole quota, and takes 1/N of it. */
Test(gate, a_learned_quota_is_shared_by_the_shards)
{
	struct gate_opts o = { .workers = 8, .max_outage_ms = 900000,
	    .unreachable_ms = 20000, .pause_ms = 500, .shards = 4 };
	struct attempt a = { .attempts = 1 };
	struct failure f = { .kind = KIND_RATE_LIMITED, .message = "q",
	    .retry_after = 1000, .retry = -1, .quota_rpm = 60 };
	struct verdict v;
	int64_t t = 2000, w;
	int n = 0;

	gate_init(&g, &o, 0);
	retry_decide(&g, &a, &f, &ro, 1000, &v);
	while (t < 2000 + 10 * 60 * 1000) {
		if ((w = gate_take(&g, 1, t)) == 0) {
			n++;
			continue;
		}
		t += w;
	}
	cr_assert(n >= 146 && n <= 148, "%d requests in 10 min (147 is "
	    "60 * 0.98 / 4 * 10)", n);
}
