/*
 * fuzz_retry: libFuzzer harness for the retry delays a server asks for,
 * from the text to the decision: llm_parse_duration_ms (RetryInfo's
 * retryDelay, "58.2s"), llm_message_delay_ms ("Please retry in 600ms."),
 * a 429 through gemini_parse and openai_parse, the worker's RESULT
 * message (proto), and retry_decide with the gate.  Built by `make
 * fuzz`; seeds in tests/fuzz/corpus/retry/.
 *
 * Input: the retryDelay string, a NUL, the error message, a NUL, a
 * QuotaFailure's quotaValue (a string, as Gemini sends it), a NUL, then
 * bytes that pick --max-outage, the backoff, the retries and the attempt.  A
 * reference, written from llm.h and llm_local.h with exact arithmetic
 * (128-bit), runs beside.  Checked:
 *  - a duration is digits[.digits] and "s" and nothing else, in ms
 *    rounded up, or -1; a delay in a message follows the first "retry
 *    in " or "try again in " (any case) as N or N.F then "s" or "ms" not
 *    followed by a letter; -1 only for values a long cannot hold, never
 *    below 9e14 ms;
 *  - a Gemini 429 with that RetryInfo and message is rate_limited, to be
 *    retried, after the RetryInfo's delay, else the message's; an OpenAI
 *    429 after the message's;
 *  - the worker's RESULT message of that outcome decodes in the
 *    supervisor, to the same delay and quota, or the most proto.h allows
 *    (a worker must not fail the protocol for what a server said);
 *  - retry_decide retries the row, not charged, not before the delay
 *    (capped at GATE_RETRY_AFTER_CAP_MS) and not after it and the backoff
 *    cap; the run stops (75) exactly when the wait passes --max-outage.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <jansson.h>

#include "rowpool/gate.h"
#include "rowpool/llm.h"
#include "rowpool/proto.h"
#include "rowpool/retry.h"
#include "llm_local.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define SURE_MAX	((__int128)900000000000000)	/* ms always taken */

typedef __int128	big;

static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * digits[.digits] at s, exactly: the value in thousandths, rounded up,
 * in *milli, and in *units when it counts whole units (ms) instead.
 * Returns the end, or NULL.  Values past 2^100 are cut there (too big
 * for a long anyway).
 */
static const char *
decimal(const char *s, big *milli, big *units)
{
	big whole = 0, frac = 0;
	int n = 0, k = 0;
	bool more = false;

	for (; digit(*s); s++, n++)
		if (whole < ((big)1 << 100))
			whole = whole * 10 + (*s - '0');
	if (n == 0)
		return NULL;
	if (*s == '.') {
		for (s++; digit(*s); s++, k++)
			if (k < 3)
				frac = frac * 10 + (*s - '0');
			else
				more |= *s != '0';
		if (k == 0)
			return NULL;
		for (; k < 3; k++)
			frac *= 10;
	}
	*milli = whole * 1000 + frac + more;
	*units = whole + (frac > 0 || more);
	return s;
}

/* What a parse may give for exact: exact, or -1 when a long is small. */
static bool
agrees(long got, big exact)
{
	if (exact < 0)
		return got == -1;
	if (got == -1)
		return exact > SURE_MAX;
	return (big)got == exact;
}

static big
ref_duration(const char *s)
{
	big ms, units;
	const char *end = decimal(s, &ms, &units);

	return end != NULL && strcmp(end, "s") == 0 ? ms : -1;
}

/*
 * The delay in msg, or -1.  A value past SURE_MAX may be too big for a
 * long: then the parser may take it or go on to the next marker, so
 * such values are also possible answers, in alt[].
 */
static big
ref_message_delay(const char *msg, big alt[2], int *nalt)
{
	static const char *const markers[] = { "retry in ", "try again in " };
	const char *p, *end;
	big ms, units, v;
	size_t i;

	*nalt = 0;
	for (i = 0; i < 2; i++) {
		if ((p = strcasestr(msg, markers[i])) == NULL)
			continue;
		if ((end = decimal(p + strlen(markers[i]), &ms, &units)) ==
		    NULL)
			continue;
		if (end[0] == 'm' && end[1] == 's' && !alpha(end[2]))
			v = units;
		else if (end[0] == 's' && !alpha(end[1]))
			v = ms;
		else
			continue;
		if (v <= SURE_MAX)
			return v;
		alt[(*nalt)++] = v;
	}
	return -1;
}

/*
 * A 429 from each API, with the delay they carry (-1 when none); the
 * Gemini one's outcome in *out (kind 0 when it was not UTF-8).
 */
static void
check_parsers(const char *delay, const char *msg, const char *quota,
    long d, long m, struct llm_outcome *out)
{
	struct llm_outcome o;
	long want = d >= 0 ? d : m;
	json_t *body;
	char *text;

	llm_outcome_init(out);
	body = json_pack("{s:{s:i, s:s%, s:s, s:[{s:s, s:s%}, {s:s, s:[{s:s, "
	    "s:s%}]}]}}", "error", "code", 429, "message", msg, strlen(msg),
	    "status", "RESOURCE_EXHAUSTED", "details", "@type",
	    "type.googleapis.com/google.rpc.RetryInfo", "retryDelay", delay,
	    strlen(delay), "@type", "type.googleapis.com/google.rpc."
	    "QuotaFailure", "violations", "quotaId",
	    "GenerateRequestsPerMinutePerProjectPerModel", "quotaValue", quota,
	    strlen(quota));
	if (body == NULL)	/* not UTF-8 */
		return;
	CHECK((text = json_dumps(body, JSON_COMPACT)) != NULL);
	CHECK(gemini_parse(429, text, strlen(text), out) == 0);
	CHECK(!out->ok && out->kind == KIND_RATE_LIMITED &&
	    out->retry == RETRY_YES);
	CHECK(out->retry_after_ms == want && out->quota_rpm >= 0);
	free(text);
	json_decref(body);

	body = json_pack("{s:{s:s%, s:s, s:s}}", "error", "message", msg,
	    strlen(msg), "type", "requests", "code", "rate_limit_exceeded");
	CHECK(body != NULL);
	CHECK((text = json_dumps(body, JSON_COMPACT)) != NULL);
	CHECK(openai_parse(429, text, strlen(text), &o) == 0);
	CHECK(!o.ok && o.kind == KIND_RATE_LIMITED);
	CHECK(o.retry_after_ms == m);
	llm_outcome_release(&o);
	free(text);
	json_decref(body);
}

/*
 * proc_llm's outcome(), encoded by the worker, decoded by the pool:
 * returns the delay the supervisor goes by.
 */
static long
through_proto(const struct llm_outcome *o)
{
	struct proc_result res, got;
	char err[256], *text;
	size_t len;

	proc_result_init(&res);
	proc_result_error(&res, o->kind, "%s", o->message);
	res.retry = (int)o->retry;
	res.retry_after_ms = o->retry_after_ms;
	res.quota_rpm = o->quota_rpm;
	CHECK((text = proto_result_encode(&res, &len)) != NULL);
	CHECK(proto_result_decode(text, len, &got, err, sizeof(err)) == 0);
	CHECK(got.kind == o->kind && got.retry == (int)o->retry);
	CHECK(got.retry_after_ms == (o->retry_after_ms < PROTO_RETRY_AFTER_MAX ?
	    o->retry_after_ms : PROTO_RETRY_AFTER_MAX));
	CHECK(got.quota_rpm == (o->quota_rpm < PROTO_QUOTA_RPM_MAX ?
	    o->quota_rpm : PROTO_QUOTA_RPM_MAX));
	res.retry_after_ms = got.retry_after_ms;
	proc_result_release(&got);
	proc_result_release(&res);
	free(text);
	return res.retry_after_ms;
}

/* run.c's on_result() and attempt_failed(), for one 429. */
static void
check_decision(long after, const uint8_t *p, size_t n)
{
	const int64_t now = 1000000;
	struct gate_opts go = {
		.workers = 4,
		.max_outage_ms = n > 0 ? (int64_t)p[0] * 60000 : 900000,
		.unreachable_ms = 900000,
		.pause_ms = 1000,
	};
	struct retry_opts ro = {
		.retries = n > 4 ? p[4] % 6 : 3,
		.backoff_base_ms = n > 1 ? (int64_t)p[1] * 100 + 1 : 1000,
		.backoff_cap_ms = n > 2 ? (int64_t)p[2] * 1000 + 1 : 60000,
	};
	/* The attempt in flight: one the retries allow. */
	struct attempt a = { .attempts = n > 3 ? p[3] % (ro.retries + 1) + 1 :
	    1 };
	struct failure f = {
		.kind = KIND_RATE_LIMITED,
		.message = "HTTP 429: slow down",
		.retry_after = after > 0 ? after : -1,
		.retry = RETRY_YES,
	};
	int64_t wait = f.retry_after > 0 ? f.retry_after : go.pause_ms;
	int64_t floor = f.retry_after < GATE_RETRY_AFTER_CAP_MS ?
	    f.retry_after : GATE_RETRY_AFTER_CAP_MS;
	int64_t top = ro.backoff_cap_ms > floor ? ro.backoff_cap_ms : floor;
	struct verdict v;
	struct gate g;

	gate_init(&g, &go, now);
	retry_decide(&g, &a, &f, &ro, now, &v);
	CHECK(v.what == VERDICT_RETRY && !v.charged);
	CHECK(v.not_before >= now + (floor > 0 ? floor : 0));
	CHECK(v.not_before <= now + top);
	CHECK((v.stop.status == EX_TEMPFAIL) == (wait > go.max_outage_ms));
	CHECK(v.stop.status == 0 || v.stop.status == EX_TEMPFAIL);
}

/* The NUL-terminated field at *p, moved past; NULL when there is none. */
static char *
field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	char *s;

	if (nul == NULL)
		return NULL;
	CHECK((s = strndup((const char *)*p, (size_t)(nul - *p))) != NULL);
	*p = nul + 1;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *delay, *msg = NULL, *quota = NULL;
	struct llm_outcome o;
	big rd, rm, alt[2];
	long d, m;
	int nalt;

	if ((delay = field(&p, end)) == NULL ||
	    (msg = field(&p, end)) == NULL ||
	    (quota = field(&p, end)) == NULL)
		goto out;
	d = llm_parse_duration_ms(delay);
	rd = ref_duration(delay);
	CHECK(agrees(d, rd));
	CHECK(llm_parse_duration_ms(NULL) == -1);
	m = llm_message_delay_ms(msg);
	rm = ref_message_delay(msg, alt, &nalt);
	CHECK((big)m == rm || (nalt > 0 && (big)m == alt[0]) ||
	    (nalt > 1 && (big)m == alt[1]));
	CHECK(llm_message_delay_ms(NULL) == -1);

	check_parsers(delay, msg, quota, d, m, &o);
	if (o.kind == KIND_RATE_LIMITED)
		check_decision(through_proto(&o), p, (size_t)(end - p));
	llm_outcome_release(&o);
out:
	free(delay);
	free(msg);
	free(quota);
	return 0;
}
