/*
 * What the fuzz harnesses (tests/fuzz/) found, one test per finding, so
 * that it stays fixed without a fuzzer: each names its harness and the
 * day, and its input is under tests/data/fuzz/ or written out here.
 * tests/README.md lists them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "rowpool/frame.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "rowpool/llm.h"
#include "rowpool/manifest.h"
#include "rowpool/proto.h"
#include "rowpool/state.h"
#include "scratch.h"

#define FIXTURES	"tests/data/fuzz"

static char *
fixture(const char *name, size_t *len)
{
	char path[PATH_MAX];

	scratch_fmt(path, sizeof(path), "%s/%s", FIXTURES, name);
	return scratch_read(path, len);
}

/*
 * fuzz_frame, 2026-12-01: frame_reader_fill() and frame_reader_next() on a
 * reader that had allocated nothing yet did arithmetic on its NULL buffer
 * (undefined behaviour, reported by UBSan).  The input is 5 bytes of the
 * harness's own, then 10 bytes of a header.
 */
Test(fuzz_regress, frame_reader_before_its_first_byte, .timeout = 10)
{
	struct frame_reader r;
	struct frame f;
	size_t len;
	char *in = fixture("frame-fill-fresh-reader", &len);
	int fds[2];

	cr_assert_eq(len, 15);
	cr_assert_eq(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	frame_reader_init(&r, 100);
	cr_assert_eq(frame_reader_next(&r, &f), 0);
	cr_assert_eq(frame_reader_fill(&r, fds[0]), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(write_full(fds[1], in + 5, len - 5), 0);
	cr_assert_eq(frame_reader_fill(&r, fds[0]), 10);
	cr_assert_eq(frame_reader_next(&r, &f), 0);
	cr_assert_eq(frame_reader_pending(&r), 10);
	frame_reader_release(&r);
	close(fds[0]);
	close(fds[1]);
	free(in);
}

/*
 * State recovery, as fuzz_state drives it: a scratch input of three rows,
 * a journal of the records given, a manifest that agrees with them.
 */
static struct state st;
static char in_path[PATH_MAX], out_path[PATH_MAX], dir[PATH_MAX];
static char fp[64];
static json_t *settings;

struct rec {
	uint64_t	 row;		/* JOURNAL_REPLACES or'd in */
	const char	*text;
};

static void
state_setup(void)
{
	static const char rows[] = "name,note\nAda,1\nGrace,2\nLinus,3\n";

	scratch_setup();
	scratch_fmt(in_path, sizeof(in_path), "%s/in.csv", scratch_dir);
	scratch_fmt(out_path, sizeof(out_path), "%s/out.jsonl", scratch_dir);
	scratch_fmt(dir, sizeof(dir), "%s/st", scratch_dir);
	scratch_write(in_path, rows, strlen(rows));
	cr_assert_eq(input_fingerprint(in_path, fp, sizeof(fp)), 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	settings = json_object();
}

static void
state_teardown(void)
{
	state_release(&st);
	json_decref(settings);
	scratch_teardown();
}

static uint64_t
write_journal(const struct rec *r, size_t n)
{
	char path[PATH_MAX];
	struct journal *j;
	uint64_t len;
	size_t i;

	scratch_fmt(path, sizeof(path), "%s/journal", dir);
	cr_assert_not_null(j = journal_open(path, 0, NULL, NULL, NULL));
	for (i = 0; i < n; i++)
		cr_assert_eq(journal_append(j, r[i].row, r[i].text,
		    (uint32_t)strlen(r[i].text)), 0);
	cr_assert_eq(journal_sync(j, NULL), 0);
	len = journal_length(j);
	journal_close(j);
	return len;
}

static void
write_manifest(const char *fingerprint, uint64_t len, int ok, int failed)
{
	json_t *m = json_pack("{s:i, s:{s:s}, s:{}, s:I, s:i, s:i, s:i}",
	    "version", 1, "input", "fingerprint", fingerprint, "settings",
	    "journal_length", (json_int_t)len, "rows_done", ok + failed,
	    "ok", ok, "failed", failed);

	cr_assert_not_null(m);
	cr_assert_eq(manifest_commit(dir, m, NULL), 0);
	json_decref(m);
}

/* state_open and state_recover, as a resume does. */
static int
resume(void)
{
	struct state_opts o = { .input = in_path, .output = out_path,
	    .dir = dir, .log_path = "none", .settings = settings };

	state_release(&st);
	state_init(&st, &o);
	cr_assert_eq(state_open(&st), 0, "%s", st.why);
	return state_recover(&st, fp);
}

/*
 * fuzz_state, 2026-12-01: a record that holds "status":"failed" was counted
 * failed and its kind looked up with kind_parse(NULL), a crash.  Such a
 * record may well be ok: an answer whose data has a "status" of "failed"
 * (a schema with a status field), which crashed the supervisor as soon as
 * it journaled the row.  Its own "status" decides now.
 */
Test(fuzz_regress, an_ok_answer_with_status_failed_in_its_data,
    .init = state_setup, .fini = state_teardown, .timeout = 20)
{
	json_t *rec = json_pack("{s:i, s:s, s:i, s:{s:s}}", "row", 0,
	    "status", "ok", "attempts", 1, "data", "status", "failed");

	cr_assert_eq(resume(), 0, "%s", st.why);
	cr_assert_eq(state_record(&st, 0, rec, true), 0, "%s", st.why);
	cr_assert_eq(st.nok, 1);
	cr_assert_eq(st.nfailed, 0);
	cr_assert_eq(state_commit(&st, 3), 0, "%s", st.why);
	json_decref(rec);
	cr_assert_eq(resume(), 0, "%s", st.why);
	cr_assert_eq(st.nok, 1);
	cr_assert_eq(st.nfailed, 0);
}

/* The same crash at recovery, from a failed record with no error kind. */
Test(fuzz_regress, a_failed_record_without_a_kind, .init = state_setup,
    .fini = state_teardown, .timeout = 20)
{
	const struct rec r[] = {
		{ 0, "{\"row\":0,\"status\":\"failed\",\"attempts\":1}" },
		{ 1, "{\"row\":1,\"status\":\"ok\",\"data\":{}}" },
	};

	write_manifest(fp, write_journal(r, 2), 1, 1);
	cr_assert_eq(resume(), 0, "%s", st.why);
	cr_assert_eq(st.nfailed, 1);
	cr_assert_eq(st.nkind[KIND_COUNT], 1);
}

/*
 * fuzz_state, 2026-12-01: a row that failed with a kind this rowpool does
 * not know (a newer one wrote it), then done again, was uncounted as if
 * it had been ok: the counts disagreed with a right manifest, and the
 * state was refused.
 */
Test(fuzz_regress, a_row_of_an_unknown_kind_done_again, .init = state_setup,
    .fini = state_teardown, .timeout = 20)
{
	const struct rec r[] = {
		{ 0, "{\"row\":0,\"status\":\"ok\",\"data\":{}}" },
		{ 1, "{\"row\":1,\"status\":\"failed\",\"error\":"
		    "{\"kind\":\"newkind\",\"message\":\"x\"}}" },
		{ 1 | JOURNAL_REPLACES, "{\"row\":1,\"status\":\"ok\","
		    "\"data\":{}}" },
	};

	write_manifest(fp, write_journal(r, 3), 2, 0);
	cr_assert_eq(resume(), 0, "%s", st.why);
	cr_assert_eq(st.nok, 2);
	cr_assert_eq(st.nfailed, 0);
	cr_assert_eq(st.nkind[KIND_COUNT], 0);
}

/*
 * fuzz_state, 2026-12-01: a record (with a right CRC) for row 2^40 made
 * recovery grow the done set to 2^40 bits, 128 GiB: each row takes a byte
 * of the input at least, so a row past its size is damage.
 */
Test(fuzz_regress, a_row_past_the_end_of_the_input, .init = state_setup,
    .fini = state_teardown, .timeout = 20)
{
	const struct rec r[] = {
		{ 0, "{\"row\":0,\"status\":\"ok\",\"data\":{}}" },
		{ UINT64_C(1) << 40, "{\"status\":\"ok\",\"data\":{}}" },
	};

	char want[128];

	write_manifest(fp, write_journal(r, 2), 2, 0);
	cr_assert_eq(resume(), -1);
	cr_assert_eq(st.status, EX_DATAERR);
	scratch_fmt(want, sizeof(want), "offset %zu names a row past the "
	    "input's end", JOURNAL_HDR_SIZE + strlen(r[0].text));
	cr_assert_not_null(strstr(st.why, want), "%s", st.why);
}

/*
 * fuzz_state, 2026-12-01: a damaged manifest's bytes went into the message
 * as they were: a control byte, or a line break in its fingerprint,
 * reached the terminal and broke the one line of -q.
 */
Test(fuzz_regress, a_manifest_quoted_in_one_line, .init = state_setup,
    .fini = state_teardown, .timeout = 20)
{
	char path[PATH_MAX];
	size_t len, i;
	char *text = fixture("state-control-byte-in-message", &len);

	write_manifest("12:x\ny\033[2J", 0, 0, 0);
	cr_assert_eq(resume(), -1);
	cr_assert_eq(st.status, EX_DATAERR);
	cr_assert_not_null(strstr(st.why, "12:x?y?[2J"), "%s", st.why);
	/* The harness's input: the manifest is what precedes the NUL. */
	scratch_fmt(path, sizeof(path), "%s/manifest", dir);
	scratch_write(path, text, strlen(text));
	free(text);
	cr_assert_eq(resume(), -1);
	for (i = 0; st.why[i] != '\0'; i++)
		cr_assert((unsigned char)st.why[i] >= 0x20 &&
		    st.why[i] != 0x7f, "%s", st.why);
	cr_assert_not_null(strstr(st.why, "line 1, column 1"), "%s", st.why);
}

/*
 * fuzz_proto's inputs: two bytes of options, then RESULT payloads, each
 * ended by a NUL (the last by the end of the file).  Decodes them all,
 * asserting that every message is one line of valid UTF-8 and every
 * usage decoded in proto.h's range; returns what decoding payload idx
 * returned, its message in why.
 */
static void
assert_one_line(const char *s)
{
	json_t *j = json_string(s);

	cr_assert_not_null(j, "not UTF-8: %s", s);
	json_decref(j);
	for (; *s != '\0'; s++)
		cr_assert((unsigned char)*s >= 0x20 && *s != 0x7f, "%s", s);
}

static int
replay_result(const char *name, int idx, char *why, size_t whylen)
{
	struct proc_result res;
	char err[256], *p, *end, *nul, *text;
	int i, rc, ret = 2;
	size_t len;
	const char *k;
	json_t *v;

	text = fixture(name, &len);
	cr_assert_geq(len, 2);
	for (i = 0, p = text + 2, end = text + len; p <= end; i++, p = nul + 1) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			nul = end;
		err[0] = '\0';
		rc = proto_result_decode(p, (size_t)(nul - p), &res, err,
		    sizeof(err));
		if (i == idx) {
			ret = rc;
			strlcpy(why, err, whylen);
		}
		if (rc == -1) {
			assert_one_line(err);
			continue;
		}
		json_object_foreach(json_object_get(res.extra, "usage"), k, v)
			cr_assert(json_is_integer(v) && json_integer_value(v) >=
			    0 && json_integer_value(v) <= PROTO_TOKENS_MAX);
		proc_result_release(&res);
	}
	free(text);
	cr_assert_neq(ret, 2, "%s has no payload %d", name, idx);
	return ret;
}

#define USAGE_RANGE	"is not a number from 0 to 1000000000000"

/*
 * fuzz_proto, 2026-12-01: an ok RESULT's "usage" was taken as it came: a
 * negative total_tokens made the totals (and --max-tokens's count) go
 * down, and one that was not an object was passed on.  The usage is an
 * object of counts from 0 to PROTO_TOKENS_MAX now, or the result is a
 * protocol error.
 */
Test(fuzz_regress, a_result_with_a_negative_usage)
{
	char why[256];

	cr_assert_eq(replay_result("proto-usage-negative", 0, why,
	    sizeof(why)), 0);
	cr_assert_eq(replay_result("proto-usage-negative", 5, why,
	    sizeof(why)), -1);
	cr_assert_str_eq(why, "'usage' 'total_tokens' " USAGE_RANGE);
}

Test(fuzz_regress, a_result_whose_usage_is_not_an_object)
{
	char why[256];

	cr_assert_eq(replay_result("proto-usage-not-object", 2, why,
	    sizeof(why)), -1);
	cr_assert_str_eq(why, "ok result with a 'usage' that is not an "
	    "object");
}

/*
 * Found by reading the above: two usages of 9e18 made the supervisor's
 * sum overflow (UBSan: signed integer overflow in state_add_usage), and
 * a server's usageMetadata can say that.  The worker sends the most
 * proto.h allows, so that the row is not a protocol error.
 */
Test(fuzz_regress, a_result_whose_usage_overflows_a_sum)
{
	struct proc_result in, out;
	char why[256], *text;
	size_t len;

	cr_assert_eq(replay_result("proto-usage-overflow", 1, why,
	    sizeof(why)), -1);
	cr_assert_str_eq(why, "'usage' 'total_tokens' " USAGE_RANGE);

	proc_result_init(&in);
	proc_result_ok(&in, json_true());
	in.extra = json_pack("{s:{s:I, s:I, s:s, s:i}, s:s}", "usage",
	    "total_tokens", (json_int_t)9000000000000000000LL,
	    "prompt_tokens", (json_int_t)-3, "note", "x", "output_tokens", 7,
	    "model_version", "m");
	cr_assert_not_null(text = proto_result_encode(&in, &len));
	cr_assert_eq(proto_result_decode(text, len, &out, why, sizeof(why)),
	    0, "%s", why);
	cr_assert_eq(proto_usage(&out, "total_tokens"), PROTO_TOKENS_MAX);
	cr_assert_eq(proto_usage(&out, "prompt_tokens"), 0);
	cr_assert_eq(proto_usage(&out, "output_tokens"), 7);
	cr_assert_null(json_object_get(json_object_get(out.extra, "usage"),
	    "note"));
	cr_assert_str_eq(json_string_value(json_object_get(out.extra,
	    "model_version")), "m");
	free(text);
	proc_result_release(&in);
	proc_result_release(&out);
}

/*
 * fuzz_proto, 2026-12-01: a payload's control byte went into the protocol
 * error's message as jansson quoted it ("near '\x04'"), and from there
 * into the log line and the row's record.
 */
Test(fuzz_regress, a_result_message_quoting_a_control_byte)
{
	char why[256];

	cr_assert_eq(replay_result("proto-error-control-byte", 3, why,
	    sizeof(why)), -1);
	cr_assert_not_null(strstr(why, "near '?'"), "%s", why);
}

/*
 * Found by reading the above: a kind's name was quoted cut to 40 bytes,
 * perhaps inside a character, and with its line breaks: the message was
 * not valid UTF-8, and the row's failed record could not be made (the
 * run stopped with "out of memory").
 */
Test(fuzz_regress, a_result_message_quoting_a_bad_kind)
{
	static const char payload[] = "{\"ok\":false,\"kind\":\"a\\nb"
	    "cdefghijklmnopqrstuvwxyz0123456789ab\u00e9\"}";
	struct proc_result res;
	char why[256];

	cr_assert_eq(proto_result_decode(payload, strlen(payload), &res, why,
	    sizeof(why)), -1);
	assert_one_line(why);
	cr_assert_str_eq(why, "'kind' 'a?bcdefghijklmnopqrstuvwxyz0123456789"
	    "ab?' is not an error kind");
}

/*
 * Found by reading the above: the token totals start from the manifest,
 * which may hold anything, and adding to a total near the most a JSON
 * integer holds overflowed.  A total stops there now.
 */
Test(fuzz_regress, token_totals_stop_at_the_most, .init = state_setup,
    .fini = state_teardown, .timeout = 20)
{
	json_t *usage = json_pack("{s:I, s:i}", "total_tokens",
	    (json_int_t)PROTO_TOKENS_MAX, "prompt_tokens", 3);

	cr_assert_eq(resume(), 0, "%s", st.why);
	json_object_set_new(st.tokens, "total_tokens",
	    json_integer(LLONG_MAX - 5));
	json_object_set_new(st.tokens, "prompt_tokens", json_integer(-7));
	state_add_usage(&st, usage);
	state_add_usage(&st, usage);
	cr_assert_eq(json_integer_value(json_object_get(st.tokens,
	    "total_tokens")), LLONG_MAX);
	cr_assert_eq(json_integer_value(json_object_get(st.tokens,
	    "prompt_tokens")), -1);
	json_decref(usage);
}

/*
 * fuzz_retry, 2026-12-01: a 429 whose RetryInfo asked for more than
 * PROTO_RETRY_AFTER_MAX ms ("9223336018427387s", the fixture's first
 * field) was sent by the worker as it came, and the supervisor refused
 * the RESULT: the row failed as a protocol error, not rate limited.  The
 * encoder sends the most the decoder takes.
 */
Test(fuzz_regress, a_retry_delay_past_what_proto_takes)
{
	struct proc_result res, got;
	struct llm_outcome o;
	char body[512], err[256], *in, *text;
	size_t len;

	in = fixture("retry-delay-past-proto", &len);
	cr_assert_str_eq(in, "9223336018427387s");
	scratch_fmt(body, sizeof(body), "{\"error\":{\"code\":429,\"message\":"
	    "\"x\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
	    "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":"
	    "\"%s\"}]}}", in);
	cr_assert_eq(gemini_parse(429, body, strlen(body), &o), 0);
	cr_assert_eq(o.kind, KIND_RATE_LIMITED);
	cr_assert_gt(o.retry_after_ms, PROTO_RETRY_AFTER_MAX);
	proc_result_init(&res);
	proc_result_error(&res, o.kind, "%s", o.message);
	res.retry_after_ms = o.retry_after_ms;
	cr_assert_not_null(text = proto_result_encode(&res, &len));
	cr_assert_eq(proto_result_decode(text, len, &got, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(got.kind, KIND_RATE_LIMITED);
	cr_assert_eq(got.retry_after_ms, PROTO_RETRY_AFTER_MAX);
	free(text);
	free(in);
	llm_outcome_release(&o);
	proc_result_release(&res);
	proc_result_release(&got);
}
