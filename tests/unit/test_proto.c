/*
 * The RESULT message: what the worker encodes, the supervisor decodes to
 * the same result; and every malformed payload is refused with a reason.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/proto.h"

static void
round_trip(const struct proc_result *in, struct proc_result *out)
{
	char err[256], *text;
	size_t len;

	cr_assert_not_null(text = proto_result_encode(in, &len));
	cr_assert_eq(proto_result_decode(text, len, out, err, sizeof(err)),
	    0, "%s: %s", text, err);
	free(text);
}

Test(proto, ok_results_round_trip)
{
	struct proc_result in, out;

	proc_result_init(&in);
	proc_result_ok(&in, json_pack("{s:i, s:[s]}", "score", 3, "tags",
	    "x"));
	in.extra = json_pack("{s:{s:i, s:i}, s:s}", "usage", "total_tokens",
	    12, "output_tokens", 5, "model_version", "m-1");
	round_trip(&in, &out);
	cr_assert(out.ok);
	cr_assert(json_equal(out.data, in.data));
	cr_assert(json_equal(out.extra, in.extra));
	cr_assert_eq(proto_usage(&out, "total_tokens"), 12);
	cr_assert_eq(proto_usage(&out, "output_tokens"), 5);
	cr_assert_eq(proto_usage(&out, "thoughts_tokens"), 0);
	proc_result_release(&in);
	proc_result_release(&out);
}

Test(proto, failures_round_trip)
{
	struct proc_result in, out;
	int k;

	for (k = 0; k < KIND_COUNT; k++) {
		proc_result_init(&in);
		proc_result_error(&in, (enum kind)k, "what %d: \xc3\xa9", k);
		in.retry_after_ms = k * 100 - 1;
		in.retry = k % 4 - 1;
		in.quota_rpm = k * 7;
		in.unreachable = k % 2;
		in.restart = k % 3 == 0;
		round_trip(&in, &out);
		cr_assert(!out.ok);
		cr_assert_eq(out.kind, (enum kind)k);
		cr_assert_str_eq(out.message, in.message);
		cr_assert_eq(out.retry_after_ms, in.retry_after_ms);
		cr_assert_eq(out.retry, in.retry);
		cr_assert_eq(out.quota_rpm, in.quota_rpm);
		cr_assert_eq(out.unreachable, in.unreachable);
		cr_assert_eq(out.restart, in.restart);
		proc_result_release(&in);
		proc_result_release(&out);
	}
}

Test(proto, malformed_payloads_are_refused)
{
	static const struct {
		const char	*payload;
		const char	*why;
	} cases[] = {
		{ "", "not a JSON object" },
		{ "{\"ok\":tru", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{}", "boolean 'ok'" },
		{ "{\"ok\":1,\"data\":2}", "boolean 'ok'" },
		{ "{\"ok\":true}", "without 'data'" },
		{ "{\"ok\":false}", "without a 'kind'" },
		{ "{\"ok\":false,\"kind\":3}", "without a 'kind'" },
		{ "{\"ok\":false,\"kind\":\"bogus\"}", "not an error kind" },
		{ "{\"ok\":false,\"kind\":\"http\",\"message\":1}",
		    "bad 'message'" },
		{ "{\"ok\":false,\"kind\":\"http\",\"retry\":\"maybe\"}",
		    "bad 'retry'" },
		{ "{\"ok\":false,\"kind\":\"http\",\"unreachable\":1}",
		    "bad 'unreachable'" },
		{ "{\"ok\":false,\"kind\":\"crash\",\"restart\":\"yes\"}",
		    "bad 'restart'" },
		{ "{\"ok\":false,\"kind\":\"http\",\"retry_after_ms\":\"9\"}",
		    "'retry_after_ms' is not a number" },
		{ "{\"ok\":false,\"kind\":\"http\",\"retry_after_ms\":-5}",
		    "'retry_after_ms' is not a number" },
		{ "{\"ok\":false,\"kind\":\"rate_limited\",\"quota_rpm\":-1}",
		    "'quota_rpm' is not a number" },
		{ "{\"ok\":true,\"data\":1,\"data\":2}", "not a JSON object" },
	};
	struct proc_result res;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(proto_result_decode(cases[i].payload,
		    strlen(cases[i].payload), &res, err, sizeof(err)), -1,
		    "%s", cases[i].payload);
		cr_assert(strstr(err, cases[i].why) != NULL, "%s: %s",
		    cases[i].payload, err);
		cr_assert_null(res.data);
		cr_assert_null(res.extra);
	}
}

/* A failure's unknown keys are ignored; a missing message is empty. */
Test(proto, lenient_where_it_costs_nothing)
{
	static const char p[] = "{\"ok\":false,\"kind\":\"network\","
	    "\"later\":[1]}";
	struct proc_result res;
	char err[256];

	cr_assert_eq(proto_result_decode(p, sizeof(p) - 1, &res, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.kind, KIND_NETWORK);
	cr_assert_str_eq(res.message, "");
	cr_assert_eq(res.retry_after_ms, -1);
	cr_assert_eq(res.retry, -1);
	proc_result_release(&res);
}

/* LOG payloads: the row (or none) and the line come back; a line of the
 * log is one line of UTF-8 whatever the worker sent. */
Test(proto, log_lines)
{
	static const char *const bad[] = { "", "[]", "{}", "{\"line\":1}",
	    "{\"line\":\"x\",\"row\":-1}", "{\"line\":\"x\",\"row\":\"1\"}" };
	static const char cut[] = "{\"line\":\"0123456789abcd\xc3\xa9\"}";
	char line[16], *p;
	uint64_t row;
	size_t len, i;

	cr_assert_not_null(p = proto_log_encode(7, "hello", &len));
	cr_assert_str_eq(p, "{\"line\":\"hello\",\"row\":7}");
	cr_assert_eq(proto_log_decode(p, len, &row, line, sizeof(line)), 0);
	cr_assert_eq(row, 7);
	cr_assert_str_eq(line, "hello");
	free(p);
	cr_assert_not_null(p = proto_log_encode(PROC_NO_ROW, "a\tb\rc", &len));
	cr_assert_eq(proto_log_decode(p, len, &row, line, sizeof(line)), 0);
	cr_assert_eq(row, PROC_NO_ROW);
	cr_assert_str_eq(line, "a?b?c");
	free(p);
	cr_assert_null(proto_log_encode(1, "caf\xe9", &len));
	/* Cut to the buffer, never inside a character. */
	cr_assert_eq(proto_log_decode(cut, strlen(cut), &row, line,
	    sizeof(line)), 0);
	cr_assert_str_eq(line, "0123456789abcd?");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(proto_log_decode(bad[i], strlen(bad[i]), &row,
		    line, sizeof(line)), -1, "%s", bad[i]);
}
