/*
 * A whole run (run_main) driven by fake workers through the run_opts test
 * seam: what the supervisor's policy does with results that lie or stop
 * the run, without any processor or network.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/journal.h"
#include "rowpool/manifest.h"
#include "rowpool/run.h"

static char dir[64];

static void
setup(void)
{
	char path[128];
	FILE *f;
	int i;

	strlcpy(dir, "/tmp/rowpool-run.XXXXXX", sizeof(dir));
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/in.csv", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("a,b\n", f);
	for (i = 0; i < 20; i++)
		fprintf(f, "%d,x\n", i);
	fclose(f);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
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
		a = answer(f.id);
		if (frame_send(fd, FRAME_RESULT, f.id, a, strlen(a)) == -1)
			return 1;
	}
	return 0;
}

static int
run_with(const char *(*answer)(uint64_t))
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
	rc = run_main(&o);
	json_decref(o.settings);
	return rc;
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
