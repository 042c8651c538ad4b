/*
 * The exec processor run in this process, as a worker runs it, with
 * small sh programs as CMD: answers, CMD's stderr as log lines tagged
 * with the row, each way CMD can fail (kind, message, restart), the
 * per-row mode, and the supervisor's check of the command.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/processor.h"
#include "scratch.h"

#define NLINES	8

struct said {
	unsigned	 n;
	uint64_t	 row[NLINES];
	char		 line[NLINES][PROC_LOG_MAX + 1];
};

static void
say(void *arg, uint64_t row, const char *line)
{
	struct said *s = arg;

	cr_assert_lt(s->n, NLINES, "too many lines: %s", line);
	cr_assert_leq(strlen(line), PROC_LOG_MAX);
	s->row[s->n] = row;
	snprintf(s->line[s->n++], PROC_LOG_MAX + 1, "%s", line);
}

struct fixture {
	const struct processor	*p;
	json_t			*settings;
	struct proc_config	 cfg;
	struct said		 said;
	void			*state;
	struct proc_result	 res;
	char			 err[512];
};

TestSuite(exec, .init = scratch_setup, .fini = scratch_teardown);

/* Waits for CMD to make the file path: a state it reached. */
static void
wait_for_file(const char *path)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };

	while (access(path, F_OK) == -1)
		nanosleep(&step, NULL);
}

static void
setup(struct fixture *f, const char *script, bool per_row)
{
	memset(f, 0, sizeof(*f));
	f->p = processor_find("exec");
	cr_assert_not_null(f->p);
	f->settings = json_pack("{s:[s, s, s], s:b}", "command", "sh", "-c",
	    script, "exec_per_row", per_row);
	f->cfg = (struct proc_config){ .settings = f->settings, .say = say,
	    .say_arg = &f->said };
	proc_result_init(&f->res);
}

static void
start(struct fixture *f)
{
	cr_assert_eq(f->p->init(&f->state, &f->cfg, f->err, sizeof(f->err)),
	    0, "%s", f->err);
}

static void
row(struct fixture *f, uint64_t index)
{
	json_t *r = json_pack("{s:s}", "name", "x");

	proc_result_release(&f->res);
	f->p->process(f->state, r, index, &f->res);
	json_decref(r);
}

static void
finish(struct fixture *f)
{
	f->p->fini(f->state);
	proc_result_release(&f->res);
	json_decref(f->settings);
}

static void
expect_failure(struct fixture *f, enum kind k, const char *msg, int restart)
{
	cr_assert(!f->res.ok);
	cr_assert_eq(f->res.kind, k, "kind %s: %s", kind_name(f->res.kind),
	    f->res.message);
	cr_assert_str_eq(f->res.message, msg);
	cr_assert_eq(f->res.restart, restart);
}

#define LOOP	"while read -r l; do echo \"got $l\" >&2; " \
		"echo '{\"ok\":true,\"data\":1}'; done"

Test(exec, a_loop_answers_each_row, .timeout = 30)
{
	struct fixture f;

	setup(&f, LOOP, false);
	start(&f);
	row(&f, 5);
	cr_assert(f.res.ok, "%s", f.res.message);
	cr_assert_eq(json_integer_value(f.res.data), 1);
	row(&f, 6);
	cr_assert(f.res.ok, "%s", f.res.message);
	cr_assert_eq(f.said.n, 2);
	cr_assert_eq(f.said.row[0], 5);
	cr_assert_str_eq(f.said.line[0], "sh: got {\"row\":5,\"name\":\"x\"}");
	cr_assert_eq(f.said.row[1], 6);
	finish(&f);
}

/*
 * What CMD wrote on stderr before its answer is the row's, however the
 * two are read (in one poll, or the answer first).
 */
Test(exec, stderr_before_the_answer_is_the_rows, .timeout = 30)
{
	struct fixture f;

	setup(&f, "read -r l; echo early >&2; echo '{\"ok\":true,\"data\":1}'; "
	    "read -r l", false);
	start(&f);
	row(&f, 3);
	cr_assert(f.res.ok, "%s", f.res.message);
	cr_assert_eq(f.said.n, 1);
	cr_assert_eq(f.said.row[0], 3);
	cr_assert_str_eq(f.said.line[0], "sh: early");
	finish(&f);
}

/*
 * A line CMD writes after its answer, before the next row is sent, is
 * not taken for the next row's answer: the next row is out of step.
 */
Test(exec, a_line_before_the_row_is_out_of_step, .timeout = 30)
{
	struct fixture f;
	char script[1024];
	const char *go = scratch_path("go"), *done = scratch_path("written");

	/* The stray line comes once row 0's answer is in (go), and row 1
	 * is sent once it is out (done). */
	snprintf(script, sizeof(script), "read -r l; "
	    "echo '{\"ok\":true,\"data\":1}'; "
	    "until [ -e '%s' ]; do sleep 0.01; done; "
	    "echo '{\"ok\":true,\"data\":2}'; : >'%s'; "
	    "while read -r l; do echo '{\"ok\":true,\"data\":3}'; done",
	    go, done);
	setup(&f, script, false);
	start(&f);
	row(&f, 0);
	cr_assert(f.res.ok, "%s", f.res.message);
	scratch_write(go, "", 0);
	wait_for_file(done);
	row(&f, 1);
	expect_failure(&f, KIND_PROTOCOL, "command 'sh' wrote on its standard "
	    "output before row 1 was sent", 1);
	finish(&f);
}

static const struct {
	const char	*script;
	enum kind	 kind;
	const char	*message;
} failures[] = {
	{ "read -r l; echo dying >&2; exit 3", KIND_CRASH,
	    "command 'sh' exited with status 3" },
	{ "read -r l; kill -SEGV $$", KIND_CRASH,
	    "command 'sh' killed by signal 11 (SIGSEGV)" },
	{ "exec >&-; read -r l; sleep 10", KIND_CRASH,
	    "command 'sh' closed its standard output" },
	{ "read -r l; echo nope", KIND_PROTOCOL,
	    "command 'sh' answered row 9 badly: not JSON: invalid token near "
	    "'nope'" },
	{ "read -r l; printf '{\"ok\":true,\"data\":1}\\n{}\\n'", KIND_PROTOCOL,
	    "command 'sh' answered row 9 with more than one line" },
	{ "read -r l; echo '{\"ok\":false,\"kind\":\"oops\"}'", KIND_PROTOCOL,
	    "command 'sh' answered row 9 badly: 'kind' 'oops' is not one of "
	    "rowpool's error kinds" },
};

/* Each failure of a running CMD: its kind, and CMD must start afresh. */
Test(exec, failures_ask_for_a_restart, .timeout = 60)
{
	struct fixture f;
	size_t i;

	for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		setup(&f, failures[i].script, false);
		start(&f);
		row(&f, 9);
		expect_failure(&f, failures[i].kind, failures[i].message, 1);
		finish(&f);
	}
	setup(&f, failures[0].script, false);
	start(&f);
	row(&f, 9);
	cr_assert_eq(f.said.n, 1);
	cr_assert_eq(f.said.row[0], 9);
	cr_assert_str_eq(f.said.line[0], "sh: dying");
	finish(&f);
}

/* CMD's own failures are the row's, CMD goes on. */
Test(exec, reported_failures_are_results, .timeout = 30)
{
	struct fixture f;

	setup(&f, "while read -r l; do echo '{\"ok\":false,\"kind\":"
	    "\"blocked\",\"message\":\"no\",\"retry\":true}'; done", false);
	start(&f);
	row(&f, 1);
	expect_failure(&f, KIND_BLOCKED, "no", 0);
	cr_assert_eq(f.res.retry, RETRY_YES);
	finish(&f);
}

Test(exec, per_row, .timeout = 30)
{
	struct fixture f;

	setup(&f, "read -r l; echo \"$l\" >&2; test \"$l\" != "
	    "'{\"row\":2,\"name\":\"x\"}' || exit 1; "
	    "echo '{\"ok\":true,'; echo '\"data\":2}'", true);
	start(&f);
	row(&f, 1);
	cr_assert(f.res.ok, "%s", f.res.message);
	cr_assert_eq(json_integer_value(f.res.data), 2);
	row(&f, 2);
	expect_failure(&f, KIND_CRASH, "command 'sh' exited with status 1", 0);
	cr_assert_eq(f.said.n, 2);
	cr_assert_eq(f.said.row[1], 2);
	finish(&f);
}

Test(exec, the_row_number_is_the_processors, .timeout = 30)
{
	struct fixture f;
	json_t *r = json_pack("{s:s}", "row", "mine");

	setup(&f, LOOP, false);
	start(&f);
	f.p->process(f.state, r, 0, &f.res);
	cr_assert_eq(f.res.kind, KIND_INPUT);
	cr_assert(strstr(f.res.message, "field 'row'") != NULL);
	json_decref(r);
	finish(&f);
}

/* A stderr line longer than a log line is cut, and the rest dropped. */
Test(exec, long_stderr_lines_are_cut, .timeout = 30)
{
	struct fixture f;

	setup(&f, "read -r l; head -c 5000 /dev/zero | tr '\\0' x >&2; "
	    "echo >&2; echo short >&2; echo '{\"ok\":true,\"data\":0}'", true);
	start(&f);
	row(&f, 0);
	cr_assert(f.res.ok, "%s", f.res.message);
	cr_assert_eq(f.said.n, 2);
	cr_assert_eq(strlen(f.said.line[0]), strlen("sh: ") + 896 + 3);
	cr_assert(strstr(f.said.line[0], "xxx...") != NULL);
	cr_assert_str_eq(f.said.line[1], "sh: short");
	finish(&f);
}

Test(exec, a_command_that_cannot_start, .timeout = 30)
{
	struct fixture f;

	setup(&f, LOOP, false);
	json_array_set_new(json_object_get(f.settings, "command"), 0,
	    json_string("rowpool-no-such-program"));
	cr_assert_eq(f.p->init(&f.state, &f.cfg, f.err, sizeof(f.err)), -1);
	cr_assert_str_eq(f.err, "cannot run command 'rowpool-no-such-program': "
	    "No such file or directory");
	json_decref(f.settings);
}

Test(exec, the_supervisors_check)
{
	static const char *const cols[] = { "name", "row" };
	struct fixture f;

	setup(&f, LOOP, false);
	cr_assert_eq(f.p->check(&f.cfg, cols, 1, f.err, sizeof(f.err)), 0,
	    "%s", f.err);
	cr_assert_eq(f.p->check(&f.cfg, cols, 2, f.err, sizeof(f.err)), -1);
	cr_assert(strstr(f.err, "column 'row'") != NULL, "%s", f.err);
	json_object_set_new(f.settings, "exec_cwd",
	    json_string("/nonexistent"));
	cr_assert_eq(f.p->check(&f.cfg, NULL, 0, f.err, sizeof(f.err)), -1);
	cr_assert_str_eq(f.err, "--exec-cwd '/nonexistent': No such file or "
	    "directory");
	json_object_del(f.settings, "exec_cwd");
	json_array_set_new(json_object_get(f.settings, "command"), 0,
	    json_string("rowpool-no-such-program"));
	cr_assert_eq(f.p->check(&f.cfg, NULL, 0, f.err, sizeof(f.err)), -1);
	cr_assert_str_eq(f.err, "command 'rowpool-no-such-program': not found "
	    "in PATH");
	json_decref(f.settings);
}
