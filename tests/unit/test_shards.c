/*
 * shards: hand-made states of the shards of one run (3 shards of a
 * 9-row input), opened, checked and walked as one run: each case merge
 * and export refuse, with its own message; the walk in input order over
 * journals out of order, with gaps and a row of another shard; and
 * whole exports and merges of the shards, which must agree.
 */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "rowpool/buf.h"
#include "rowpool/cmd.h"
#include "rowpool/export.h"
#include "rowpool/input.h"
#include "rowpool/journal.h"
#include "rowpool/shards.h"
#include "scratch.h"

TestSuite(shards, .init = scratch_setup, .fini = scratch_teardown,
    .timeout = 60);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define INPUT	"id,name\n0,a\n1,b\n2,c\n3,d\n4,e\n5,f\n6,g\n7,h\n8,i\n"
#define NROWS	9
#define END	UINT64_MAX

/* How a shard's state is made; zero fields are a well-made shard. */
struct sdef {
	const char	*name;		/* its state directory */
	const char	*shard;		/* "K/N"; NULL: not a shard */
	uint64_t	 rows[12];	/* in journal order, END-terminated */
	uint64_t	 total;		/* its rows; 0: as many as rows */
	const char	*model;		/* NULL: "m" */
	const char	*input;		/* NULL: in.csv */
	bool		 no_rows_input;	/* as an older rowpool */
};

/* The result of row r: ok, but row 4 failed. */
static void
result(struct buf *b, uint64_t r)
{
	char s[128];

	if (r == 4)
		snprintf(s, sizeof(s), "{\"row\":4,\"status\":\"failed\","
		    "\"error\":{\"kind\":\"http\",\"message\":\"HTTP 400\"}}");
	else
		snprintf(s, sizeof(s), "{\"row\":%llu,\"status\":\"ok\","
		    "\"data\":{\"n\":%llu}}", (unsigned long long)r,
		    (unsigned long long)r * 10);
	cr_assert_eq(buf_add(b, s, strlen(s)), 0);
}

static uint64_t
make_journal(const char *dir, const uint64_t *rows, uint64_t *ndone)
{
	char path[PATH_MAX];
	struct journal *j;
	struct buf b;
	const char *step;
	uint64_t len;

	scratch_fmt(path, sizeof(path), "%s/journal", dir);
	cr_assert_not_null(j = journal_open(path, 0, NULL, NULL, NULL));
	buf_init(&b);
	for (*ndone = 0; rows[*ndone] != END; (*ndone)++) {
		buf_reset(&b);
		result(&b, rows[*ndone]);
		cr_assert_eq(journal_append(j, rows[*ndone], b.p,
		    (uint32_t)b.len), 0);
	}
	buf_release(&b);
	cr_assert_eq(journal_sync(j, &step), 0);
	len = journal_length(j);
	journal_close(j);
	return len;
}

static void
make_shard(const struct sdef *d)
{
	const char *in = scratch_path(d->input ? d->input : "in.csv");
	const char *dir = scratch_path(d->name);
	char fp[64], path[PATH_MAX];
	uint64_t len, done;
	json_t *m, *set;

	if (scratch_size(in) == -1)
		scratch_write(in, INPUT, strlen(INPUT));
	cr_assert_eq(input_fingerprint(in, fp, sizeof(fp)), 0);
	cr_assert_eq(mkdir(dir, 0700), 0, "%s: %s", dir, strerror(errno));
	len = make_journal(dir, d->rows, &done);
	set = json_pack("{s:s, s:s, s:i, s:s}", "processor", "echo", "format",
	    "csv", "max_row_bytes", 1048576, "model", d->model ? d->model :
	    "m");
	if (d->shard != NULL)
		json_object_set_new(set, "shard", json_string(d->shard));
	m = json_pack("{s:i, s:{s:s, s:s, s:s}, s:o, s:I, s:I, s:I, s:I, "
	    "s:{s:s}}", "version", 1, "input", "path", "in.csv", "abspath", in,
	    "fingerprint", fp, "settings", set, "journal_length",
	    (json_int_t)len, "rows_done", (json_int_t)done, "rows_total",
	    (json_int_t)(d->total ? d->total : done), "rows_input",
	    (json_int_t)NROWS, "run", "state", "stopped");
	if (d->no_rows_input)
		json_object_del(m, "rows_input");
	scratch_fmt(path, sizeof(path), "%s/manifest", dir);
	cr_assert_eq(json_dump_file(m, path, 0), 0);
	json_decref(m);
}

/* The three shards of the run, finished, their journals out of order. */
#define SHARD(n, k, ...)	{ .name = (n), .shard = (k), \
	.rows = { __VA_ARGS__, END } }
static const struct sdef s0 = SHARD("s0", "0/3", 3, 0, 6);
static const struct sdef s1 = SHARD("s1", "1/3", 4, 1, 7);
static const struct sdef s2 = SHARD("s2", "2/3", 2, 8, 5);

static void
make_run(void)
{
	make_shard(&s0);
	make_shard(&s1);
	make_shard(&s2);
}

static int
collect(void *arg, uint64_t row, const char *payload, uint32_t len,
    const char **step)
{
	struct buf *b = arg;
	char n[32];

	snprintf(n, sizeof(n), "%llu:", (unsigned long long)row);
	return buf_add(b, n, strlen(n)) == -1 ||
	    buf_add(b, payload, len) == -1 || buf_add(b, "\n", 1) == -1 ?
	    -1 : 0;
}

/* "ROW:PAYLOAD\n" for each row shards_walk() hands on; NULL on failure. */
static char *
walk_of(const char *const *args, size_t n, unsigned flags,
    struct shards *ss)
{
	struct buf b;
	char *text = NULL;

	buf_init(&b);
	if (shards_open(ss, args, n, flags) == 0 &&
	    shards_walk(ss, collect, &b) == 0)
		cr_assert_not_null(text = strndup(b.len ? b.p : "",
		    b.len));
	buf_release(&b);
	return text;
}

static char *
results_of(const uint64_t *rows)
{
	struct buf b;
	char n[32], *text;

	buf_init(&b);
	for (; *rows != END; rows++) {
		snprintf(n, sizeof(n), "%llu:", (unsigned long long)*rows);
		cr_assert_eq(buf_add(&b, n, strlen(n)), 0);
		result(&b, *rows);
		cr_assert_eq(buf_add(&b, "\n", 1), 0);
	}
	cr_assert_not_null(text = strndup(b.len ? b.p : "",
	    b.len));
	buf_release(&b);
	return text;
}

static void
expect_walk(const char *const *args, size_t n, unsigned flags,
    const uint64_t *want)
{
	struct shards ss;
	char *got = walk_of(args, n, flags, &ss), *w = results_of(want);

	cr_assert_not_null(got, "%s", ss.why);
	cr_expect_str_eq(got, w);
	shards_release(&ss);
	free(got);
	free(w);
}

Test(shards, walk_in_input_order)
{
	const char *args[] = { scratch_path("s2"), scratch_path("s0"),
	    scratch_path("s1") };
	static const uint64_t all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, END };
	struct shards ss;

	make_run();
	expect_walk(args, 3, 0, all);
	cr_assert_eq(shards_open(&ss, args, 3, 0), 0);
	cr_expect_eq(ss.n, 3);
	cr_expect_eq(ss.rows, NROWS);
	cr_expect_str_eq(shards_first(&ss)->dir, scratch_path("s2"));
	cr_expect(shards_has(&ss, 7));
	shards_release(&ss);
}

/* Shard 1 missing, shard 2 not finished: the rows that are there. */
Test(shards, walk_partial)
{
	static const struct sdef u2 = { .name = "u2", .shard = "2/3",
	    .rows = { 5, END }, .total = 3 };
	const char *args[] = { scratch_path("s0"), scratch_path("u2") };
	static const uint64_t some[] = { 0, 3, 5, 6, END };
	struct shards ss;

	make_shard(&s0);
	make_shard(&u2);
	expect_walk(args, 2, SHARDS_MISSING_OK | SHARDS_UNFINISHED_OK, some);
	cr_assert_eq(shards_open(&ss, args, 2, SHARDS_MISSING_OK |
	    SHARDS_UNFINISHED_OK), 0);
	cr_expect(!shards_has(&ss, 4));
	cr_expect_null(shards_get(&ss, 1));
	shards_release(&ss);
}

/* A state that is not a shard is shard 0/1: the run itself. */
Test(shards, a_run_is_shard_0_of_1)
{
	static const struct sdef run = { .name = "run",
	    .rows = { 8, 7, 6, 5, 4, 3, 2, 0, END }, .total = 9 };
	const char *args[] = { scratch_path("run") };
	static const uint64_t want[] = { 0, 2, 3, 4, 5, 6, 7, 8, END };
	struct shards ss;

	make_shard(&run);
	expect_walk(args, 1, SHARDS_UNFINISHED_OK, want);
	cr_expect_null(walk_of(args, 1, 0, &ss));
	cr_expect(strstr(ss.why, "shard 0/1 ('") != NULL, "%s", ss.why);
	cr_expect(strstr(ss.why, "8 of 9 rows done") != NULL, "%s", ss.why);
	shards_release(&ss);
}

/* A journal that holds a row of another shard is refused, naming it. */
Test(shards, row_of_another_shard)
{
	static const struct sdef bad[] = {
		SHARD("b1", "1/3", 1, 2, 4, 7),	/* 2 is shard 2's */
		SHARD("c1", "1/3", 2),		/* and alone */
		SHARD("d1", "1/3", 1, 4, 7, 8),	/* 8, after its last */
	};
	const char *args[] = { scratch_path("s0"), NULL, scratch_path("s2") };
	struct shards ss;
	size_t i;

	make_shard(&s0);
	make_shard(&s2);
	for (i = 0; i < NELEM(bad); i++) {
		make_shard(&bad[i]);
		args[1] = scratch_path(bad[i].name);
		cr_expect_null(walk_of(args, 3, SHARDS_UNFINISHED_OK, &ss),
		    "%s", bad[i].name);
		cr_expect_eq(ss.status, EX_DATAERR);
		cr_expect(strstr(ss.why, i < 2 ? "claims row 2, which is "
		    "not one of its own" : "claims row 8, which is not one "
		    "of its own") != NULL, "%s: %s", bad[i].name, ss.why);
		shards_release(&ss);
	}
}

/* Each way the shards fail to make one run: its status and message. */
Test(shards, refused)
{
	static const struct sdef other[] = {
		{ .name = "i2", .shard = "2/3", .rows = { 2, 5, 8, END },
		  .input = "other.csv" },
		{ .name = "m2", .shard = "2/3", .rows = { 2, 5, 8, END },
		  .model = "m2" },
		SHARD("n2", "2/4", 2, 6),
		{ .name = "u2", .shard = "2/3", .rows = { 2, END },
		  .total = 3 },
		{ .name = "o2", .shard = "2/3", .rows = { 2, 5, 8, END },
		  .no_rows_input = true },
		SHARD("k3", "3/3", 2),
	};
	static const struct {
		const char	*args[4];
		unsigned	 flags;
		int		 status;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ { "s0", "s2" }, 0, EX_DATAERR, "shard 1/3 is missing; with "
		  "--allow-partial its rows are pending" },
		{ { "s0", "s2" }, SHARDS_MISSING_OK, 0, NULL },
		{ { "s0", "s1", "s1", "s2" }, 0, EX_DATAERR, "are both shard "
		  "1/3: they claim the same rows" },
		{ { "s0", "s1", "i2" }, 0, EX_DATAERR, "was made from another "
		  "input than" },
		{ { "s0", "s1", "m2" }, 0, EX_DATAERR, "was run with another "
		  "'model' than" },
		{ { "s0", "s1", "n2" }, 0, EX_DATAERR, "is one of 4, " },
		{ { "s0", "s1", "u2" }, 0, EX_DATAERR, "shard 2/3 (" },
		{ { "s0", "s1", "u2" }, SHARDS_UNFINISHED_OK, 0, NULL },
		{ { "o2", "s0", "s1" }, 0, EX_DATAERR, "made by an older "
		  "rowpool" },
		{ { "s0", "s1", "nothing" }, 0, EX_NOINPUT, "shard '" },
		{ { "s0", "s1", "k3" }, 0, EX_DATAERR, "'settings.shard' is "
		  "not K/N with K < N" },
	};
	const char *args[4];
	struct shards ss;
	size_t i, n;
	int rc;

	make_run();
	scratch_write(scratch_path("other.csv"), INPUT "9,j\n",
	    strlen(INPUT) + 4);
	for (i = 0; i < NELEM(other); i++)
		make_shard(&other[i]);
	for (i = 0; i < NELEM(cases); i++) {
		for (n = 0; n < 4 && cases[i].args[n] != NULL; n++)
			args[n] = scratch_path(cases[i].args[n]);
		rc = shards_open(&ss, args, n, cases[i].flags);
		cr_expect_eq(ss.status, cases[i].status, "case %zu: %s", i,
		    ss.why);
		cr_expect_eq(rc, cases[i].status ? -1 : 0, "case %zu", i);
		if (cases[i].why != NULL)
			cr_expect(strstr(ss.why, cases[i].why) != NULL,
			    "case %zu: %s", i, ss.why);
		shards_release(&ss);
	}
}

/* ---- export and merge of shards ---- */

#define P(n)	"{\"row\":" #n ",\"status\":\"pending\"}\n"

/* The JSON lines of rows, in order, each its result or pending. */
static char *
lines_of(const char *which)	/* per row: 'r' result, 'p' pending */
{
	struct buf b;
	char p[64];
	uint64_t r;

	buf_init(&b);
	for (r = 0; which[r] != '\0'; r++) {
		if (which[r] == 'r')
			result(&b, r);
		else if (which[r] == 'p') {
			snprintf(p, sizeof(p), "{\"row\":%llu,\"status\":"
			    "\"pending\"}", (unsigned long long)r);
			cr_assert_eq(buf_add(&b, p, strlen(p)), 0);
		} else
			continue;
		cr_assert_eq(buf_add(&b, "\n", 1), 0);
	}
	return buf_detach(&b, NULL);
}

/* Exports the named states into out: the status, *text the output. */
static int
export_of(const char *const names[], size_t n, bool partial,
    enum export_format f, char **text, struct export_result *r)
{
	const char *args[4];
	struct export_opts o = { .output = scratch_path("out"), .format = f,
	    .with_input = f == EXPORT_CSV, .allow_partial = partial };
	size_t i, len;
	int rc;

	for (i = 0; i < n; i++)
		args[i] = scratch_path(names[i]);
	o.target = args[0];
	if (n > 1) {
		o.targets = args;
		o.ntargets = n;
	}
	unlink(o.output);
	rc = export_run(&o, r);
	*text = rc == 0 ? scratch_read(o.output, &len) : NULL;
	if (rc != 0)
		cr_expect_eq(scratch_size(o.output), -1, "%s", r->why);
	return rc;
}

static void
expect_export(const char *const names[], size_t n, bool partial,
    const char *which)
{
	struct export_result r;
	char *got, *want = lines_of(which);

	cr_assert_eq(export_of(names, n, partial, EXPORT_JSONL, &got, &r), 0,
	    "%s", r.why);
	cr_expect_str_eq(got, want);
	free(got);
	free(want);
}

/* rowpool merge -o out [--allow-partial] names...: its status. */
static int
merge_of(const char *const names[], size_t n, bool partial)
{
	static char merge[] = "merge", allow[] = "--allow-partial",
	    o[] = "-o";
	char *argv[8];
	int argc = 0;
	size_t i;

	argv[argc++] = merge;
	if (partial)
		argv[argc++] = allow;
	argv[argc++] = o;
	argv[argc++] = (char *)(uintptr_t)scratch_path("merged");
	for (i = 0; i < n; i++)
		argv[argc++] = (char *)(uintptr_t)scratch_path(names[i]);
	argv[argc] = NULL;
	unlink(scratch_path("merged"));
	return cmd_merge(argc, argv);
}

/* All shards, in any order: one run's export, merge's output. */
Test(shards, export_and_merge_as_one_run)
{
	static const char *const names[] = { "s1", "s2", "s0" };
	struct export_result r;
	char *got, *merged;
	size_t len;

	make_run();
	expect_export(names, 3, false, "rrrrrrrrr");
	cr_assert_eq(merge_of(names, 3, false), 0);
	merged = scratch_read(scratch_path("merged"), &len);
	cr_assert_eq(export_of(names, 3, false, EXPORT_JSONL, &got, &r), 0);
	cr_expect_str_eq(merged, got);
	free(got);
	free(merged);
	cr_assert_eq(export_of(names, 3, false, EXPORT_CSV, &got, &r), 0,
	    "%s", r.why);
	cr_expect_str_eq(got, "id,name,status,error_kind,error_message,data\r\n"
	    "0,a,ok,,,\"{\"\"n\"\":0}\"\r\n" "1,b,ok,,,\"{\"\"n\"\":10}\"\r\n"
	    "2,c,ok,,,\"{\"\"n\"\":20}\"\r\n" "3,d,ok,,,\"{\"\"n\"\":30}\"\r\n"
	    "4,e,failed,http,HTTP 400,\r\n" "5,f,ok,,,\"{\"\"n\"\":50}\"\r\n"
	    "6,g,ok,,,\"{\"\"n\"\":60}\"\r\n" "7,h,ok,,,\"{\"\"n\"\":70}\"\r\n"
	    "8,i,ok,,,\"{\"\"n\"\":80}\"\r\n");
	free(got);
}

/* Missing and unfinished shards, and a shard given alone. */
Test(shards, export_partial_or_alone)
{
	static const struct sdef u2 = { .name = "u2", .shard = "2/3",
	    .rows = { 5, END }, .total = 3 };
	static const char *const s0_u2[] = { "s0", "u2" };
	static const char *const all_u2[] = { "s0", "s1", "u2" };
	static const char *const alone[] = { "s1" };
	struct export_result r;
	char *got, *merged;

	make_run();
	make_shard(&u2);
	cr_expect_eq(export_of(s0_u2, 2, false, EXPORT_JSONL, &got, &r),
	    EX_DATAERR);
	cr_expect(strstr(r.why, "shard 1/3 is missing") != NULL, "%s", r.why);
	expect_export(s0_u2, 2, true, "rpprprrpp");
	expect_export(all_u2, 3, false, "rrprrrrrp");
	/* A shard alone is its own rows (its OUTPUT, when finished). */
	expect_export(alone, 1, false, "-r--r--r-");
	expect_export(alone, 1, true, "prpprpprp");
	/* merge refuses the unfinished shard, or marks its rows pending. */
	cr_expect_eq(merge_of(all_u2, 3, false), EX_DATAERR);
	cr_expect_eq(scratch_size(scratch_path("merged")), -1);
	cr_assert_eq(merge_of(s0_u2, 2, true), 0);
	got = lines_of("rpprprrpp");
	merged = scratch_read(scratch_path("merged"), &(size_t){ 0 });
	cr_expect_str_eq(merged, got);
	free(merged);
	free(got);
}

/* The output may not be in any shard's state directory. */
Test(shards, export_output_in_a_state)
{
	const char *args[] = { scratch_path("s0"), scratch_path("s1"),
	    scratch_path("s2") };
	struct export_opts o = { .target = args[0], .targets = args,
	    .ntargets = 3, .output = scratch_path("s2/out"),
	    .format = EXPORT_JSONL };
	struct export_result r;

	make_run();
	cr_expect_eq(export_run(&o, &r), EX_USAGE);
	cr_expect(strstr(r.why, "is in the state directory") != NULL, "%s",
	    r.why);
	cr_expect_eq(scratch_size(o.output), -1);
}

/* A shard that says it is finished but lacks a row: merge refuses. */
Test(shards, merge_refuses_a_row_without_result)
{
	static const struct sdef g2 = SHARD("g2", "2/3", 2, 5);
	static const char *const names[] = { "s0", "s1", "g2" };

	make_run();
	make_shard(&g2);
	cr_expect_eq(merge_of(names, 3, false), EX_DATAERR);
	cr_expect_eq(scratch_size(scratch_path("merged")), -1);
	/* export says what is there: the row is pending. */
	expect_export(names, 3, false, "rrrrrrrrp");
}
