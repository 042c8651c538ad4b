/*
 * fuzz_proto: libFuzzer harness for the worker's RESULT message as the
 * supervisor decodes it (proto_result_decode) and then acts on it, as
 * run.c's cb_next, on_result and record_ok do: the gate's estimate and
 * buckets, gate_success with the usage's tokens, the token totals
 * (state_add_usage), the cost (price_cost, price_estimate), and for a
 * failure the failure run.c builds from it through retry_decide (kind,
 * retry, retry_after_ms, quota_rpm, unreachable).  Built by `make fuzz`;
 * seeds in tests/fuzz/corpus/proto/.
 *
 * Input: byte 0 picks --tpm and --rpm, byte 1 the price of the model
 * and (bit 7) token totals to start from as a manifest may hold them
 * (near the most a JSON integer holds, or negative); then up to RESULTS_MAX payloads, each ended by a NUL (the last one by
 * the end), one row's RESULT each, 1 s apart.
 *
 * Checked:
 *  - a payload that does not decode has a message, and no result;
 *  - one that does is one the supervisor can use as is (a known kind, a
 *    message of valid UTF-8, numbers in proto.h's ranges, usage counts
 *    from 0 to PROTO_TOKENS_MAX), and encodes and decodes again to the
 *    same;
 *  - no signed overflow or out-of-range conversion anywhere on the way
 *    (UBSan, -fno-sanitize-recover): the token totals never go down and
 *    stop at the most a JSON integer holds; costs and estimates are
 *    finite and not negative; a bucket's wait is not negative;
 *  - a failure's verdict: a retry not before now and not before the
 *    delay asked for (capped), a stop with an exit status.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "rowpool/gate.h"
#include "rowpool/kind.h"
#include "rowpool/price.h"
#include "rowpool/proto.h"
#include "rowpool/retry.h"
#include "rowpool/state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define RESULTS_MAX	16
#define ROW_BYTES	120.0	/* a row's bytes, for the estimate */

/* --tpm and --rpm: none, main.c's lowest, usual ones, its highest. */
static const double tpms[] = { 0, 1, 1000, 1e6, 4e9 };
static const double rpms[] = { 0, 1, 60, 1e4 };

struct sup {
	struct gate		 g;
	struct retry_opts	 ro;
	struct state		 st;	/* only its token totals */
	const struct price	*price;
	int64_t			 now;
};

static void
check_usage(const json_t *usage)
{
	const char *k;
	json_t *v;

	if (usage == NULL)
		return;
	CHECK(json_is_object(usage));
	json_object_foreach((json_t *)(uintptr_t)usage, k, v)
		CHECK(json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= PROTO_TOKENS_MAX);
}

/* One line of valid UTF-8 (utf8_clean's). */
static void
check_line(const char *s)
{
	json_t *j;

	CHECK((j = json_string(s)) != NULL);
	json_decref(j);
	for (; *s != '\0'; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

/* What decodes is usable as is, and goes through the codec unchanged. */
static void
check_decoded(const struct proc_result *res)
{
	struct proc_result again;
	char err[256], *text;
	size_t len;

	if (res->ok) {
		CHECK(res->data != NULL);
		check_usage(json_object_get(res->extra, "usage"));
	} else {
		CHECK(res->kind < KIND_COUNT);
		CHECK(res->retry >= -1 && res->retry <= RETRY_YES);
		CHECK(res->retry_after_ms >= -1 &&
		    res->retry_after_ms <= PROTO_RETRY_AFTER_MAX);
		CHECK(res->quota_rpm >= 0 &&
		    res->quota_rpm <= PROTO_QUOTA_RPM_MAX);
		check_line(res->message);
	}
	CHECK((text = proto_result_encode(res, &len)) != NULL);
	CHECK(proto_result_decode(text, len, &again, err, sizeof(err)) == 0);
	CHECK(again.ok == res->ok);
	if (res->ok) {
		CHECK(json_equal(again.data, res->data));
		CHECK(json_equal(again.extra, res->extra) ||
		    (again.extra == NULL && res->extra == NULL));
	} else {
		CHECK(again.kind == res->kind && again.retry == res->retry);
		CHECK(strcmp(again.message, res->message) == 0);
		CHECK(again.retry_after_ms == res->retry_after_ms);
		CHECK(again.quota_rpm == res->quota_rpm);
		CHECK(again.unreachable == res->unreachable);
	}
	proc_result_release(&again);
	free(text);
}

/* run.c's record_ok, for what it does with the numbers. */
static void
on_ok(struct sup *s, const struct proc_result *res, double est)
{
	const json_t *usage = json_object_get(res->extra, "usage");
	json_t *before = json_deep_copy(s->st.tokens), *v;
	const char *k;
	double cost;

	CHECK(before != NULL);
	state_add_usage(&s->st, usage);
	json_object_foreach(before, k, v)
		CHECK(json_integer_value(json_object_get(s->st.tokens, k)) >=
		    json_integer_value(v));
	json_decref(before);
	cost = price_cost(s->price, usage);
	CHECK(isfinite(cost) && cost >= 0);
	gate_success(&s->g, est, proto_usage(res, "total_tokens"),
	    proto_usage(res, "output_tokens"));
	CHECK(isfinite(s->g.avg_output) && s->g.avg_output >= 0);
	CHECK(isfinite(s->g.avg_total) && s->g.avg_total >= 0);
}

/* run.c's on_result and attempt_failed, for a failure. */
static void
on_failed(struct sup *s, const struct proc_result *res)
{
	struct failure f = {
		.kind = res->kind,
		.message = res->message,
		.retry_after = res->retry_after_ms > 0 ? res->retry_after_ms :
		    -1,
		.retry = res->retry,
		.quota_rpm = res->quota_rpm,
		.unreachable = res->unreachable,
	};
	struct attempt a = { .attempts = 1 };
	struct verdict v;

	retry_decide(&s->g, &a, &f, &s->ro, s->now, &v);
	(void)gate_events(&s->g);
	if (v.what == VERDICT_RETRY) {
		CHECK(v.not_before >= s->now);
		if (f.kind == KIND_RATE_LIMITED && f.retry_after > 0)
			CHECK(v.not_before >= s->now + (f.retry_after <
			    GATE_RETRY_AFTER_CAP_MS ? f.retry_after :
			    GATE_RETRY_AFTER_CAP_MS));
	}
	if (v.what == VERDICT_STOP || v.stop.status != 0)
		CHECK(v.stop.status > 0 && v.stop.why[0] != '\0');
}

/* run.c's cb_next for one row, then the row's RESULT. */
static void
one_row(struct sup *s, const char *payload, size_t len)
{
	struct proc_result res;
	struct gate_stop stop;
	double est, in, cost;
	int64_t wake, wait;
	char err[256];

	est = gate_estimate(&s->g, ROW_BYTES);
	in = est - s->g.avg_output;
	CHECK(isfinite(est) && est >= 0 && isfinite(in));
	cost = price_estimate(s->price, (long long)in,
	    (long long)s->g.avg_output);
	CHECK(isfinite(cost) && cost >= 0);
	/* The supervisor would wait; the harness only checks the wait. */
	wait = gate_take(&s->g, est, s->now);
	CHECK(wait >= 0 && wait <= BUCKET_WAIT_MAX);
	if (proto_result_decode(payload, len, &res, err, sizeof(err)) == -1) {
		CHECK(err[0] != '\0' && res.data == NULL && res.extra == NULL);
		check_line(err);
		return;
	}
	check_decoded(&res);
	if (!res.unreachable)
		gate_answered(&s->g);
	if (res.ok)
		on_ok(s, &res, est);
	else
		on_failed(s, &res);
	proc_result_release(&res);
	(void)gate_check(&s->g, s->now, &stop, &wake);
}

static void
sup_init(struct sup *s, const uint8_t *opt)
{
	static struct price_table prices;
	struct gate_opts go = {
		.tpm = tpms[opt[0] % 5],
		.rpm = rpms[opt[0] / 5 % 4],
		.workers = 4,
		.max_outage_ms = 900000,
		.unreachable_ms = 900000,
		.pause_ms = 1000,
		.prompt_bytes = 200,
	};

	if (prices.n == 0)
		price_table_init(&prices);
	memset(s, 0, sizeof(*s));
	s->now = 1000000;
	gate_init(&s->g, &go, s->now);
	s->ro = (struct retry_opts){ .retries = 3, .backoff_base_ms = 1000,
	    .backoff_cap_ms = 60000 };
	s->st.tokens = (opt[1] & 0x80) ? json_pack("{s:I, s:I}",
	    "total_tokens", (json_int_t)(LLONG_MAX - 5), "prompt_tokens",
	    (json_int_t)-7) : json_object();
	CHECK(s->st.tokens != NULL);
	s->price = &prices.v[(opt[1] & 0x7f) % prices.n];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 2, *end = (const char *)data +
	    size, *nul;
	struct sup s;
	int n;

	if (size < 2)
		return 0;
	sup_init(&s, data);
	for (n = 0; n < RESULTS_MAX && p <= end; n++, s.now += 1000) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			nul = end;
		one_row(&s, p, (size_t)(nul - p));
		p = nul + 1;
	}
	json_decref(s.st.tokens);
	return 0;
}
