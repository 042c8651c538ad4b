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
#include "rowpool/manifest.h"
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
