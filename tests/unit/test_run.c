/*
 * A whole run (run_main) driven by fake workers through the run_opts test
 * seam: what the supervisor's policy does with results that lie or stop
 * the run, without any processor or network.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/journal.h"
#include "rowpool/manifest.h"
#include "rowpool/run.h"
#include "fault.h"
#include "scratch.h"

static char dir[64];

/* DIR/in.csv: a header and n rows. */
static void
write_rows(int n)
{
	char path[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/in.csv", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("a,b\n", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%d,x\n", i);
	fclose(f);
}

static void
setup(void)
{
	strlcpy(dir, "/tmp/rowpool-run.XXXXXX", sizeof(dir));
	cr_assert_not_null(mkdtemp(dir));
	write_rows(20);
}

static void
teardown(void)
{
	cr_assert_eq(scratch_rmtree(dir), 0, "remove '%s': %s", dir,
	    strerror(errno));
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When set, workers append "ROW MS" to DIR/sent for each task received. */
static bool log_sent;

static void
append_sent(uint64_t row)
{
	char path[128], line[64];
	int fd, n;

	snprintf(path, sizeof(path), "%s/sent", dir);
	n = snprintf(line, sizeof(line), "%llu %lld\n",
	    (unsigned long long)row, (long long)now_ms());
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, line, (size_t)n), n);
	close(fd);
}

/* The tasks workers received, in order: rows and times; returns count. */
static size_t
read_sent(uint64_t *rows, int64_t *ms, size_t max)
{
	char path[128];
	unsigned long long row;
	long long t;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sent", dir);
	cr_assert_not_null(f = fopen(path, "r"));
	while (n < max && fscanf(f, "%llu %lld", &row, &t) == 2) {
		rows[n] = row;
		ms[n++] = t;
	}
	fclose(f);
	return n;
}

/* Answers each row with the payload the test picked for it. */
static int
fake_worker(int fd, void *arg)
{
	const char *(*answer)(uint64_t) = (const char *(*)(uint64_t))arg;
	struct frame_reader rd;
	struct frame f;
	const char *a;

	frame_send(fd, FRAME_READY, 0, NULL, 0);
	frame_reader_init(&rd, 1 << 20);
	while (frame_recv(&rd, fd, &f) == 1) {
		if (log_sent)
			append_sent(f.id);
		a = answer(f.id);
		if (frame_send(fd, FRAME_RESULT, f.id, a, strlen(a)) == -1) {
			frame_reader_release(&rd);
			return 1;
		}
	}
	frame_reader_release(&rd);
	return 0;
}

/* Tunes the options of one run; may be NULL. */
typedef void tweak_fn(struct run_opts *);

static int
run_tweaked(const char *(*answer)(uint64_t), tweak_fn *tweak)
{
	static char in[128], out[128];
	struct run_opts o;
	int rc;

	snprintf(in, sizeof(in), "%s/in.csv", dir);
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	run_opts_init(&o);
	o.input = in;
	o.output = out;
	o.format = INPUT_CSV;
	o.processor = "echo";
	o.workers = 3;
	o.retries = 1;
	o.backoff_base_ms = 1;
	o.quiet = true;
	o.settings = json_pack("{s:s}", "processor", "echo");
	o.worker_main = fake_worker;
	o.worker_arg = (void *)answer;
	if (tweak != NULL)
		tweak(&o);
	rc = run_main(&o);
	json_decref(o.settings);
	return rc;
}

static int
run_with(const char *(*answer)(uint64_t))
{
	return run_tweaked(answer, NULL);
}

/* The committed manifest's integer field k. */
static json_int_t
committed(const char *k)
{
	char state[128];
	json_int_t v;
	json_t *m;

	snprintf(state, sizeof(state), "%s/out.jsonl.state", dir);
	cr_assert_not_null(m = manifest_load(state, NULL, 0));
	v = json_integer_value(json_object_get(m, k));
	json_decref(m);
	return v;
}

/* Line row+1 of the output, parsed. */
static json_t *
result(uint64_t row)
{
	char path[128], line[4096];
	json_error_t jerr;
	uint64_t i = 0;
	json_t *v = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	cr_assert_not_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (i++ == row)
			v = json_loads(line, 0, &jerr);
	fclose(f);
	cr_assert_not_null(v, "no line for row %llu", (unsigned long long)row);
	return v;
}

static const char *
lying(uint64_t row)
{
	if (row == 3)
		return "{\"ok\":true}";
	if (row == 4)
		return "{\"ok\":false}";
	if (row == 5)
		return "{\"ok\":false,\"kind\":\"blocked\",\"message\":\"no\"}";
	if (row == 6)
		return "{\"ok\":false,\"kind\":\"truncated\",\"message\":\"m\"}";
	return "{\"ok\":true,\"data\":{\"x\":1},\"usage\":{\"total_tokens\":5}}";
}

Test(run, results_that_lie_cost_only_their_row, .init = setup,
    .fini = teardown, .timeout = 30)
{
	static const struct {
		uint64_t	 row;
		const char	*status, *kind;
		int		 attempts;
	} want[] = {
		{ 0, "ok", NULL, 1 },
		{ 3, "failed", "protocol", 2 },
		{ 4, "failed", "protocol", 2 },
		{ 5, "failed", "blocked", 1 },
		{ 6, "failed", "truncated", 2 },
		{ 19, "ok", NULL, 1 },
	};
	json_t *r;
	size_t i;

	cr_assert_eq(run_with(lying), 1, "some rows failed: exit 1");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		r = result(want[i].row);
		cr_assert_str_eq(json_string_value(json_object_get(r,
		    "status")), want[i].status, "row %zu", i);
		cr_assert_eq(json_integer_value(json_object_get(r, "attempts")),
		    want[i].attempts, "row %llu attempts",
		    (unsigned long long)want[i].row);
		if (want[i].kind != NULL)
			cr_assert_str_eq(json_string_value(json_object_get(
			    json_object_get(r, "error"), "kind")),
			    want[i].kind);
		else
			cr_assert_eq(json_integer_value(json_object_get(
			    json_object_get(r, "usage"), "total_tokens")), 5);
		json_decref(r);
	}
}

static const char *
refused(uint64_t row)
{
	if (row == 7)
		return "{\"ok\":false,\"kind\":\"auth\",\"message\":\"bad\"}";
	return "{\"ok\":true,\"data\":1}";
}

static const char *
all_ok(uint64_t row)
{
	return "{\"ok\":true,\"data\":2}";
}

Test(run, auth_stops_the_run_and_leaves_the_row_undone, .init = setup,
    .fini = teardown, .timeout = 30)
{
	char path[128];
	json_t *r;

	cr_assert_eq(run_with(refused), 77);
	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	cr_assert_eq(access(path, F_OK), -1, "no output after a stop");
	/* The same command, once the key is fixed, does row 7 too. */
	cr_assert_eq(run_with(all_ok), 0);
	r = result(7);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
	    "ok");
	json_decref(r);
}

/* A committed journal that holds a row twice is refused, naming where. */
Test(run, journal_with_a_repeated_row_is_refused, .init = setup,
    .fini = teardown, .timeout = 30)
{
	char state[128], jpath[160];
	struct journal *j;
	json_t *m;
	uint64_t len;

	cr_assert_eq(run_with(all_ok), 0);
	snprintf(state, sizeof(state), "%s/out.jsonl.state", dir);
	snprintf(jpath, sizeof(jpath), "%s/journal", state);
	cr_assert_not_null(m = manifest_load(state, NULL, 0));
	len = (uint64_t)json_integer_value(json_object_get(m,
	    "journal_length"));
	cr_assert_not_null(j = journal_open(jpath, len, NULL, NULL, NULL));
	cr_assert_eq(journal_append(j, 0, "{\"row\":0}", 9), 0);
	cr_assert_eq(journal_sync(j, NULL), 0);
	json_object_set_new(m, "journal_length",
	    json_integer((json_int_t)journal_length(j)));
	journal_close(j);
	cr_assert_eq(manifest_commit(state, m, NULL), 0);
	json_decref(m);
	cr_assert_eq(run_with(all_ok), 65);
}

/* An HTML error page (a retryable, transient failure) for rows 17-19. */
static const char *
poisoned_tail(uint64_t row)
{
	if (row >= 17)
		return "{\"ok\":false,\"kind\":\"http\",\"message\":\"HTTP 502: "
		    "body is not JSON\"}";
	return "{\"ok\":true,\"data\":1}";
}

static void
outage_opts(struct run_opts *o)
{
	o->workers = 2;
	o->retries = 3;
	o->max_outage_ms = 20 * 1000;
}

/*
 * Rows that fail transiently on their own, at the end of the input, open
 * the breaker (10 failures in a row); they must still end failed, and the
 * run complete, instead of being probed uncharged until --max-outage.
 */
Test(run, rows_that_break_the_api_end_failed_not_the_run, .init = setup,
    .fini = teardown, .timeout = 60)
{
	json_t *r;
	uint64_t row;

	cr_assert_eq(run_tweaked(poisoned_tail, outage_opts), 1);
	for (row = 17; row < 20; row++) {
		r = result(row);
		cr_assert_str_eq(json_string_value(json_object_get(r,
		    "status")), "failed");
		cr_assert_eq(json_integer_value(json_object_get(r,
		    "attempts")), 4, "row %llu", (unsigned long long)row);
		json_decref(r);
	}
}

static const char *
all_down(uint64_t row)
{
	return "{\"ok\":false,\"kind\":\"network\",\"message\":\"Connection "
	    "reset by peer\"}";
}

static void
short_outage_opts(struct run_opts *o)
{
	o->workers = 2;
	o->retries = 3;
	o->max_outage_ms = 3000;
}

/*
 * A real outage (every row fails) stops the run with exit 75 and charges
 * no row: nothing is recorded failed, so the rerun does every row.
 */
Test(run, an_outage_stops_the_run_and_charges_no_row, .init = setup,
    .fini = teardown, .timeout = 60)
{
	cr_assert_eq(run_tweaked(all_down, short_outage_opts), 75);
	cr_assert_eq(committed("failed"), 0, "an outage failed rows");
	cr_assert_eq(committed("rows_done"), 0);
	cr_assert_eq(run_with(all_ok), 0);
}

static int64_t api_back_at;	/* down_then_up: monotonic ms */

static const char *
down_then_up(uint64_t row)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 < api_back_at)
		return all_down(row);
	return "{\"ok\":true,\"data\":3}";
}

/*
 * Attempts made while the breaker is open are not charged: once the API
 * is back, the failed attempts charged to rows are the ones made before
 * it opened (fewer than the threshold of 10), whatever happened after.
 */
Test(run, attempts_during_an_outage_are_not_charged, .init = setup,
    .fini = teardown, .timeout = 60)
{
	struct timespec ts;
	json_int_t charged = 0;
	uint64_t row;
	json_t *r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	api_back_at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 2500;
	cr_assert_eq(run_tweaked(down_then_up, outage_opts), 0);
	for (row = 0; row < 20; row++) {
		r = result(row);
		charged += json_integer_value(json_object_get(r,
		    "attempts")) - 1;
		json_decref(r);
	}
	cr_assert_leq(charged, 9, "%lld failed attempts charged",
	    (long long)charged);
}

/* Row 7 is told to come back in 28 hours. */
static const char *
told_to_wait(uint64_t row)
{
	if (row == 7)
		return "{\"ok\":false,\"kind\":\"rate_limited\",\"message\":"
		    "\"quota\",\"retry_after_ms\":100000000}";
	return "{\"ok\":true,\"data\":1}";
}

/*
 * A retryDelay longer than --max-outage does not pause the run for it:
 * the run stops at once (exit 75) with the row undone, and resumes.
 */
Test(run, a_retry_delay_past_max_outage_stops_the_run, .init = setup,
    .fini = teardown, .timeout = 30)
{
	json_t *r;

	cr_assert_eq(run_with(told_to_wait), 75);
	cr_assert_lt(committed("rows_done"), 20);
	cr_assert_eq(committed("failed"), 0);
	cr_assert_eq(run_with(all_ok), 0);
	r = result(7);
	cr_assert_eq(json_integer_value(json_object_get(r, "attempts")), 1);
	json_decref(r);
}

static const char *
refused_connection(uint64_t row)
{
	return "{\"ok\":false,\"kind\":\"network\",\"unreachable\":true,"
	    "\"message\":\"Failed to connect to 127.0.0.1 port 1\"}";
}

static void
quick_unreachable(struct run_opts *o)
{
	o->unreachable_ms = 500;
	o->retries = 1;
}

/*
 * An endpoint never reached (a mistyped port) stops the run with exit 69
 * and fails no row: the rerun, once the endpoint is right, does them all.
 */
Test(run, an_api_never_reached_stops_the_run_with_69, .init = setup,
    .fini = teardown, .timeout = 30)
{
	cr_assert_eq(run_tweaked(refused_connection, quick_unreachable), 69);
	cr_assert_eq(committed("rows_done"), 0);
	cr_assert_eq(run_with(all_ok), 0);
}

/* Rows 0-9 answer; then row 10's connection is refused. */
static const char *
reached_then_refused(uint64_t row)
{
	return row == 10 ? refused_connection(row) :
	    "{\"ok\":true,\"data\":1}";
}

static void
one_worker_quick_unreachable(struct run_opts *o)
{
	quick_unreachable(o);
	o->workers = 1;
}

/* Once the API has answered, a refused connection is the row's attempt. */
Test(run, unreachable_after_an_answer_is_charged, .init = setup,
    .fini = teardown, .timeout = 60)
{
	json_t *r;

	cr_assert_eq(run_tweaked(reached_then_refused,
	    one_worker_quick_unreachable), 1);
	r = result(10);
	cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
	    "failed");
	cr_assert_eq(json_integer_value(json_object_get(r, "attempts")), 2);
	json_decref(r);
}

/*
 * A checkpoint that fails for want of memory is a system error (71), one
 * that fails on the disk an I/O error (74): the exit-code table's split.
 */
Test(run, a_checkpoint_out_of_memory_is_71_an_io_error_74, .init = setup,
    .fini = teardown, .timeout = 30)
{
	fault_fsync_arm(4, ENOMEM);
	cr_assert_eq(run_with(all_ok), 71);
	fault_reset();
	cr_assert_eq(run_with(all_ok), 0, "resumes");
}

Test(run, a_checkpoint_io_error_is_74, .init = setup, .fini = teardown,
    .timeout = 30)
{
	fault_fsync_arm(4, EIO);
	cr_assert_eq(run_with(all_ok), 74);
	fault_reset();
	cr_assert_eq(run_with(all_ok), 0, "resumes");
}

/* ---- the policies, as seen from the workers ---- */

/* Row 5's first attempt gets a 429 asking for 1.5 s; rows take 0.1 s. */
static const char *
one_429(uint64_t row)
{
	static bool told;	/* per worker process */
	char path[128];

	snprintf(path, sizeof(path), "%s/told", dir);
	if (row == 5 && !told && access(path, F_OK) == -1) {
		told = true;
		close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		append_sent(1000000);	/* the 429's time */
		return "{\"ok\":false,\"kind\":\"rate_limited\",\"message\":"
		    "\"quota\",\"retry_after_ms\":1500}";
	}
	usleep(100 * 1000);	/* rows still flow when the 429 comes */
	return "{\"ok\":true,\"data\":1}";
}

static void
three_workers(struct run_opts *o)
{
	o->workers = 3;
}

/*
 * A 429 pauses dispatch for every worker until its retryDelay: no task
 * reaches any worker between the 429 (give it 300 ms to be read) and
 * the end of the delay.
 */
Test(run, a_429_pauses_every_worker, .init = setup, .fini = teardown,
    .timeout = 30)
{
	uint64_t rows[64];
	int64_t ms[64], t429 = -1;
	size_t n, i;

	log_sent = true;
	cr_assert_eq(run_tweaked(one_429, three_workers), 0);
	n = read_sent(rows, ms, 64);
	for (i = 0; i < n; i++)
		if (rows[i] == 1000000)
			t429 = ms[i];
	cr_assert_neq(t429, -1, "no 429 was sent");
	for (i = 0; i < n; i++)
		cr_assert(rows[i] == 1000000 || ms[i] <= t429 + 300 ||
		    ms[i] >= t429 + 1500, "row %llu sent %lld ms after the "
		    "429", (unsigned long long)rows[i],
		    (long long)(ms[i] - t429));
}

/* Row 0 names a per-minute quota of 600 in its 429. */
static const char *
names_quota(uint64_t row)
{
	static bool told;

	if (row == 0 && !told) {
		told = true;
		return "{\"ok\":false,\"kind\":\"rate_limited\",\"message\":"
		    "\"q\",\"retry_after_ms\":1,\"quota_rpm\":600}";
	}
	return "{\"ok\":true,\"data\":1}";
}

static void
one_worker(struct run_opts *o)
{
	o->workers = 1;
}

/*
 * Quota learning: after a 429 that names 600 requests a minute, requests
 * go no faster than 98% of it (one per 102 ms).
 */
Test(run, a_named_quota_paces_the_run, .init = setup, .fini = teardown,
    .timeout = 30)
{
	uint64_t rows[64];
	int64_t ms[64];
	size_t n, i;

	log_sent = true;
	cr_assert_eq(run_tweaked(names_quota, one_worker), 0);
	n = read_sent(rows, ms, 64);
	cr_assert_eq(n, 21, "20 rows and one retry");
	for (i = 2; i < n; i++)
		cr_assert_geq(ms[i] - ms[i - 1], 95, "request %zu came %lld ms "
		    "after the one before", i, (long long)(ms[i] - ms[i - 1]));
}

/* Each row fails its own way (or the streak would stop the run). */
static const char *
never_valid(uint64_t row)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "{\"ok\":false,\"kind\":\"invalid_output\","
	    "\"message\":\"answer lacks field %c\"}", (int)('a' + row % 20));
	return buf;
}

static void
forty_retries(struct run_opts *o)
{
	o->workers = 2;
	o->retries = 3;
}

/*
 * The retry budget: with no success at all, at most 20 retries go out
 * while fresh rows are left; the rest wait for the end of the input.
 */
Test(run, the_retry_budget_is_drawn, .init = setup, .fini = teardown,
    .timeout = 30)
{
	uint64_t rows[128];
	int64_t ms[128];
	unsigned seen[20] = { 0 }, retries = 0;
	size_t n, i, last_fresh = 0;

	log_sent = true;
	cr_assert_eq(run_tweaked(never_valid, forty_retries), 1);
	n = read_sent(rows, ms, 128);
	cr_assert_eq(n, 80, "every row still gets its 4 attempts");
	for (i = 0; i < n; i++)
		if (seen[rows[i]]++ == 0)
			last_fresh = i;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < last_fresh; i++)
		retries += seen[rows[i]]++ > 0;
	cr_assert_leq(retries, 20, "%u retries before the last fresh row",
	    retries);
}

/*
 * A second SIGINT kills at once: the row in flight would take 30 s and
 * --grace is 60 s, so only a kill ends this run inside the test's time.
 */
static int
interrupting_worker(int fd, void *arg)
{
	struct frame_reader rd;
	struct frame f;
	char log[128], text[8192];
	size_t len;
	FILE *fp;
	int i, rc;

	frame_send(fd, FRAME_READY, 0, NULL, 0);
	frame_reader_init(&rd, 1 << 20);
	rc = frame_recv(&rd, fd, &f);
	frame_reader_release(&rd);
	if (rc != 1)
		return 1;
	kill(getppid(), SIGINT);
	snprintf(log, sizeof(log), "%s/out.jsonl.state/log", dir);
	for (i = 0; i < 2000; i++) {	/* until the first one is seen */
		len = 0;
		if ((fp = fopen(log, "r")) != NULL) {
			len = fread(text, 1, sizeof(text) - 1, fp);
			fclose(fp);
		}
		text[len] = '\0';
		if (strstr(text, "SIGINT: finishing") != NULL)
			break;
		usleep(10000);
	}
	kill(getppid(), SIGINT);
	sleep(30);
	return 0;
}

static void
long_grace(struct run_opts *o)
{
	o->workers = 1;
	o->grace_ms = 60 * 1000;
	o->worker_main = interrupting_worker;
}

Test(run, a_second_sigint_kills_at_once, .init = setup, .fini = teardown,
    .timeout = 20)
{
	cr_assert_eq(run_tweaked(all_ok, long_grace), 75);
	cr_assert_eq(committed("rows_done"), 0);
}

/* Every answer breaks the schema the same way: the setup is wrong. */
static const char *
all_alike(uint64_t row)
{
	return "{\"ok\":false,\"kind\":\"invalid_output\",\"message\":"
	    "\"answer breaks the schema: 'score' is missing\"}";
}

/* Row 2 onwards answer 404 for the model (rows 0 and 1 went through). */
static const char *
model_gone(uint64_t row)
{
	if (row < 2)
		return "{\"ok\":true,\"data\":1}";
	return "{\"ok\":false,\"kind\":\"http\",\"retry\":\"no\",\"message\":"
	    "\"HTTP 404 NOT_FOUND: models/gemini-9 is not found\"}";
}

static void
twenty_rows_one_worker(struct run_opts *o)
{
	o->workers = 1;
	o->retries = 3;
}

/*
 * The first 20 attempts all fail alike: stop with 78 and leave those
 * rows undone; 20 alike in a row later: the same.  The rerun after the
 * fix does them.
 */
Test(run, a_systematic_failure_stops_the_run, .init = setup,
    .fini = teardown, .timeout = 30)
{
	cr_assert_eq(run_tweaked(all_alike, twenty_rows_one_worker), 78);
	cr_assert_eq(committed("rows_done"), 0, "those rows stay undone");
	write_rows(60);
	cr_assert_eq(run_tweaked(model_gone, one_worker), 78);
	cr_assert_eq(committed("rows_done"), 2);
	cr_assert_eq(committed("failed"), 0);
	cr_assert_eq(run_with(all_ok), 0);
}

static const char *
costs_100(uint64_t row)
{
	return "{\"ok\":true,\"data\":1,\"usage\":{\"total_tokens\":100}}";
}

static void
cap_1000(struct run_opts *o)
{
	o->workers = 2;
	o->max_tokens = 1000;
}

static void
cap_5000(struct run_opts *o)
{
	o->workers = 2;
	o->max_tokens = 5000;
}

/*
 * The spend guard: a run capped at 1,000 tokens, each row costing 100,
 * stops (75) with at most 1,000 spent plus what was in flight (2 rows);
 * a rerun with a higher cap goes on and finishes.
 */
Test(run, the_spend_guard_stops_at_the_cap, .init = setup,
    .fini = teardown, .timeout = 30)
{
	char state[128];
	json_t *m;
	json_int_t spent;

	cr_assert_eq(run_tweaked(costs_100, cap_1000), 75);
	snprintf(state, sizeof(state), "%s/out.jsonl.state", dir);
	cr_assert_not_null(m = manifest_load(state, NULL, 0));
	spent = json_integer_value(json_object_get(json_object_get(m,
	    "tokens"), "total_tokens"));
	json_decref(m);
	cr_assert(spent >= 900 && spent <= 1200, "spent %lld", (long long)spent);
	cr_assert_lt(committed("rows_done"), 20);
	cr_assert_eq(run_tweaked(costs_100, cap_5000), 0);
}

static const char *
costly(uint64_t row)
{
	return "{\"ok\":true,\"data\":1,\"usage\":{\"prompt_tokens\":1000,"
	    "\"output_tokens\":100,\"total_tokens\":1100}}";
}

/* gemini-2.5-flash: 1000 in, 100 out = $0.00055 a row. */
static void
cost_cap(struct run_opts *o)
{
	o->workers = 1;
	json_object_set_new(o->settings, "model",
	    json_string("gemini-2.5-flash"));
	o->max_cost = 0.002;
}

/* --max-cost: the same guard for the estimated cost. */
Test(run, the_cost_guard_stops_at_the_cap, .init = setup,
    .fini = teardown, .timeout = 30)
{
	char state[128];
	double cost;
	json_t *m;

	cr_assert_eq(run_tweaked(costly, cost_cap), 75);
	snprintf(state, sizeof(state), "%s/out.jsonl.state", dir);
	cr_assert_not_null(m = manifest_load(state, NULL, 0));
	cost = json_number_value(json_object_get(m, "cost_usd"));
	json_decref(m);
	cr_assert(cost > 0.0015 && cost <= 0.0026, "cost %f", cost);
	cr_assert_lt(committed("rows_done"), 6);
}
