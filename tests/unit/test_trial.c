/*
 * trial: one row through a fake processor in a real worker process.  One
 * case per way it can end: an answer (ok or failed, the key redacted),
 * no answer in time, a crash, a processor that cannot start; and the
 * processor runs exactly once, in the worker, never in this process.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "rowpool/trial.h"

#define KEY	"secret-key-12345"

static int	calls[2] = { -1, -1 };	/* a pipe: a byte per process() */
static pid_t	parent;

static int
fake_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	*state = NULL;
	return 0;
}

static void
fake_fini(void *state)
{
}

/* What the row's "do" says: ok, fail, hang, crash, leak. */
static void
fake_process(void *state, json_t *row, uint64_t index,
    struct proc_result *res)
{
	const char *what = json_string_value(json_object_get(row, "do"));

	if (write(calls[1], getpid() == parent ? "P" : "w", 1) != 1)
		abort();
	if (strcmp(what, "hang") == 0)
		for (;;)
			pause();
	if (strcmp(what, "crash") == 0)
		fault_crash();
	if (strcmp(what, "fail") == 0)
		proc_result_error(res, KIND_AUTH, "HTTP 401 UNAUTH: no");
	else if (strcmp(what, "leak") == 0)
		proc_result_error(res, KIND_HTTP, "HTTP 400: key %s not valid",
		    KEY);
	else
		proc_result_ok(res, json_pack("{s:I}", "index",
		    (json_int_t)index));
}

static int
nostart_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "--endpoint: URL too long");
	return -1;
}

static const struct processor fake = {
	.name = "fake", .init = fake_init, .process = fake_process,
	.fini = fake_fini,
};

static const struct processor nostart = {
	.name = "nostart", .init = nostart_init, .process = fake_process,
	.fini = fake_fini,
};

static void
setup(void)
{
	parent = getpid();
	cr_assert_eq(pipe2(calls, O_CLOEXEC | O_NONBLOCK), 0);
}

TestSuite(trial, .init = setup, .timeout = 20);

/* Runs p on {"do": what} as row 7, 400 ms at most. */
static enum trial_status
try(struct trial *t, const struct processor *p, const char *what)
{
	json_t *settings = json_object();
	struct proc_config cfg = { .settings = settings, .api_key = KEY };
	char row[64];
	enum trial_status st;

	snprintf(row, sizeof(row), "{\"do\":\"%s\"}", what);
	st = trial_run(t, p, &cfg, 7, row, 400);
	json_decref(settings);
	return st;
}

/* The processor ran once, in a worker. */
static void
assert_one_call(const char *want)
{
	char buf[8];
	ssize_t n = read(calls[0], buf, sizeof(buf));

	cr_assert_eq(n, (ssize_t)strlen(want), "%zd calls", n);
	cr_assert_eq(memcmp(buf, want, strlen(want)), 0);
}

Test(trial, ok)
{
	struct trial t;

	cr_assert_eq(try(&t, &fake, "ok"), TRIAL_RESULT, "%s", t.why);
	cr_assert(t.res.ok);
	cr_assert_eq(json_integer_value(json_object_get(t.res.data, "index")),
	    7);
	cr_assert_geq(t.latency_ms, 0);
	trial_release(&t);
	assert_one_call("w");
}

Test(trial, failed_answer)
{
	struct trial t;

	cr_assert_eq(try(&t, &fake, "fail"), TRIAL_RESULT, "%s", t.why);
	cr_assert_not(t.res.ok);
	cr_assert_eq(t.res.kind, KIND_AUTH);
	cr_assert_str_eq(t.res.message, "HTTP 401 UNAUTH: no");
	trial_release(&t);
	assert_one_call("w");
}

Test(trial, key_redacted)
{
	struct trial t;

	cr_assert_eq(try(&t, &fake, "leak"), TRIAL_RESULT, "%s", t.why);
	cr_assert_null(strstr(t.res.message, KEY), "%s", t.res.message);
	cr_assert_not_null(strstr(t.res.message, "[redacted]"), "%s",
	    t.res.message);
	trial_release(&t);
}

Test(trial, timeout)
{
	struct trial t;

	cr_assert_eq(try(&t, &fake, "hang"), TRIAL_TIMEOUT);
	cr_assert_str_eq(t.why, "no answer within 400 ms");
	trial_release(&t);
	assert_one_call("w");
}

Test(trial, crash)
{
	struct trial t;

	cr_assert_eq(try(&t, &fake, "crash"), TRIAL_CRASH);
	cr_assert_not_null(strstr(t.why, "signal 11"), "%s", t.why);
	trial_release(&t);
	assert_one_call("w");
}

Test(trial, cannot_start)
{
	struct trial t;

	cr_assert_eq(try(&t, &nostart, "ok"), TRIAL_NOSTART);
	cr_assert_not_null(strstr(t.why, "--endpoint: URL too long"), "%s",
	    t.why);
	trial_release(&t);
	cr_assert_eq(read(calls[0], t.why, 1), -1, "process() was called");
}
