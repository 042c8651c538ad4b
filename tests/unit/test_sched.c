/* Retry timing, token buckets, AIMD, retry budget, circuit breaker. */
#include <criterion/criterion.h>
#include <string.h>

#include "rowpool/sched.h"

Test(sched, backoff_full_jitter_within_bounds)
{
	unsigned attempt, i;
	int64_t d, top;

	for (attempt = 2; attempt < 12; attempt++) {
		top = 500;
		for (i = 2; i < attempt; i++)
			top = top * 2 > 8000 ? 8000 : top * 2;
		for (i = 0; i < 200; i++) {
			d = sched_backoff_ms(attempt, 500, 8000, -1);
			cr_assert(d >= 0 && d <= top, "attempt %u: %lld > %lld",
			    attempt, (long long)d, (long long)top);
		}
	}
	/* A server's retry delay is a floor. */
	for (i = 0; i < 100; i++)
		cr_assert_geq(sched_backoff_ms(2, 500, 8000, 45838), 45838);
}

Test(sched, bucket_spaces_requests_at_the_rate)
{
	struct bucket b;
	int64_t now = 1000, w;
	int sent = 0;

	bucket_init(&b, 60, 1, now);	/* one a second */
	while (now < 1000 + 60000) {
		w = bucket_take(&b, 1, now);
		if (w == 0)
			sent++;
		else
			now += w;
	}
	cr_assert(sent >= 60 && sent <= 61, "sent %d in a minute", sent);
}

Test(sched, bucket_unlimited_and_big_costs)
{
	struct bucket b;

	bucket_init(&b, 0, 1, 0);
	cr_assert_eq(bucket_take(&b, 1e9, 0), 0);
	bucket_init(&b, 1000, 100, 0);
	cr_assert_eq(bucket_take(&b, 500, 0), 0, "over the burst: let through");
	cr_assert_gt(bucket_take(&b, 1, 0), 0, "then in debt");
	bucket_adjust(&b, 1000);
	cr_assert_eq(bucket_take(&b, 1, 0), 0, "adjust gives tokens back");
}

/*
 * A --tpm bucket corrected by answers that cost far more than estimated
 * (a server's usage) waits at most BUCKET_WAIT_MAX: the wait was a double
 * converted to int64_t out of its range (UBSan, with fuzz_proto's input
 * before proto bounded usage).
 */
Test(sched, bucket_deep_in_debt_waits_at_most_the_max)
{
	struct bucket b;

	bucket_init(&b, 1, 1, 0);
	bucket_adjust(&b, -9e18);
	cr_assert_eq(bucket_take(&b, 1, 0), BUCKET_WAIT_MAX);
	cr_assert_lt(bucket_take(&b, 1, 0), INT64_MAX - 1000000);
	bucket_init(&b, 60000, 1, 0);	/* a token a ms */
	bucket_adjust(&b, -1e6);
	cr_assert_eq(bucket_take(&b, 1, 0), 1000001, "an ordinary debt");
}

Test(sched, aimd_halves_once_per_burst_and_grows_back)
{
	struct aimd a;
	int i;

	aimd_init(&a, 50, 2000);
	cr_assert_eq(aimd_limit(&a), 50);
	cr_assert(aimd_throttled(&a, 10000));
	cr_assert_eq(aimd_limit(&a), 25);
	cr_assert(!aimd_throttled(&a, 10500), "same burst");
	cr_assert_eq(aimd_limit(&a), 25);
	for (i = 0; i < 10; i++)
		aimd_throttled(&a, 20000 + i * 3000);
	cr_assert_eq(aimd_limit(&a), 1, "never below 1");
	aimd_success(&a);
	cr_assert_eq(aimd_limit(&a), 2, "additive increase");
	for (i = 0; i < 3; i++)
		aimd_success(&a);
	cr_assert_eq(aimd_limit(&a), 3, "about one per limit successes");
	for (i = 0; i < 100000; i++)
		aimd_success(&a);
	cr_assert_eq(aimd_limit(&a), 50, "capped at the workers");
}

Test(sched, retry_budget_bounds_retries)
{
	struct retry_budget b;
	int retries = 0, i;

	budget_init(&b, 10, 0.2);
	for (i = 0; i < 100; i++)
		retries += budget_take(&b);
	cr_assert_eq(retries, 10, "the initial tokens");
	for (i = 0; i < 50; i++)
		budget_success(&b);
	retries = 0;
	for (i = 0; i < 100; i++)
		retries += budget_take(&b);
	cr_assert_eq(retries, 10, "one retry per five successes");
}

Test(sched, breaker_opens_probes_and_closes)
{
	struct breaker b;
	int64_t wake = 0;
	unsigned i;

	breaker_init(&b, 5, 15 * 60 * 1000);
	for (i = 0; i < 4; i++)
		breaker_failure(&b, KIND_HTTP, true, 1000);
	breaker_failure(&b, KIND_NETWORK, true, 1000);
	cr_assert_eq(b.state, BREAKER_CLOSED, "kinds differ: no streak");
	for (i = 0; i < 5; i++)
		breaker_failure(&b, KIND_HTTP, true, 2000);
	cr_assert_eq(b.state, BREAKER_OPEN);
	cr_assert(!breaker_allow(&b, 2100, &wake));
	cr_assert_eq(wake, 3000);
	cr_assert(breaker_allow(&b, 3000, &wake), "the probe");
	cr_assert(!breaker_allow(&b, 3001, &wake), "one probe at a time");
	breaker_failure(&b, KIND_HTTP, true, 3500);
	cr_assert(!breaker_allow(&b, 4000, &wake));
	cr_assert_eq(wake, 5500, "probe interval doubles");
	cr_assert(!breaker_expired(&b, 2000 + 15 * 60 * 1000 - 1));
	cr_assert(breaker_expired(&b, 2000 + 15 * 60 * 1000));
	cr_assert(breaker_allow(&b, 5500, &wake));
	breaker_success(&b);
	cr_assert_eq(b.state, BREAKER_CLOSED);
	cr_assert(breaker_allow(&b, 5600, &wake));
}
