/*
 * status: hand-written manifests in a scratch state directory, its lock
 * held by the test (libbsd pidfile_open, as the supervisor does), left
 * stale, or absent; what status_read makes of them, as the object, the
 * text and the JSON; and cmd_status's exit statuses.
 */
#include <sys/stat.h>

#include <bsd/libutil.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "rowpool/cmd.h"
#include "rowpool/status.h"
#include "scratch.h"

TestSuite(status, .init = scratch_setup, .fini = scratch_teardown);

/* 2026-12-01T10:19:41Z */
#define UPDATED		1796120381.0

enum lock { NONE, STALE, HELD, HELD_EMPTY };

/* "PID" in text becomes this process's pid. */
static void
put_pid(char *buf, size_t len, const char *text)
{
	const char *p;
	char pid[16];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if ((p = strstr(text, "PID")) == NULL) {
		scratch_fmt(buf, len, "%s", text);
		return;
	}
	scratch_fmt(buf, len, "%.*s%s%s", (int)(p - text), text, pid, p + 3);
}

static void
write_manifest(const char *text)
{
	char buf[4096];

	put_pid(buf, sizeof(buf), text);
	scratch_write(scratch_path("manifest"), buf, strlen(buf));
}

/* A manifest of today's fields, plus a "run" member when run is set. */
static void
write_old(const char *total, int done, const char *run)
{
	char buf[2048];

	scratch_fmt(buf, sizeof(buf), "{\"version\":1,\"input\":{\"path\":"
	    "\"in.csv\",\"fingerprint\":\"3:0\"},\"settings\":{},"
	    "\"journal_length\":0,\"rows_done\":%d,\"ok\":%d,\"failed\":0,"
	    "\"rows_total\":%s,\"tokens\":{}%s%s}\n", done, done, total,
	    run != NULL ? ",\"run\":" : "", run != NULL ? run : "");
	write_manifest(buf);
}

/*
 * The lock as the test wants it: a held one (as the supervisor holds it)
 * is returned, for release_lock.
 */
static struct pidfh *
set_lock(enum lock l)
{
	struct pidfh *pfh;
	pid_t other;

	if (l == STALE)
		scratch_write(scratch_path("lock"), "999999", 6);
	if (l != HELD && l != HELD_EMPTY)
		return NULL;
	pfh = pidfile_open(scratch_path("lock"), 0600, &other);
	cr_assert_not_null(pfh, "pidfile_open: %s", strerror(errno));
	if (l == HELD)
		cr_assert_eq(pidfile_write(pfh), 0);
	return pfh;
}

static void
release_lock(struct pidfh *pfh)
{
	if (pfh != NULL)
		pidfile_remove(pfh);
	unlink(scratch_path("lock"));
}

static json_t *
read_ok(double now)
{
	struct status st;
	enum status_code rc;
	json_t *o;

	rc = status_read(&st, scratch_dir, now);
	cr_assert_eq(rc, STATUS_OK, "status_read: %d %s", rc, st.why);
	o = json_incref(st.obj);
	status_release(&st);
	return o;
}

/* What a printer writes, as a string to free. */
static char *
printed(int (*print)(FILE *, const json_t *), const json_t *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	cr_assert_not_null(fp = open_memstream(&text, &len));
	cr_assert_eq(print(fp, o), 0);
	fclose(fp);
	return text;
}

static char *
first_line(const json_t *o)
{
	char *text = printed(status_print_text, o);

	text[strcspn(text, "\n")] = '\0';
	return text;
}

/* Integer member k of o, -1 when null. */
static long long
int_or(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	cr_assert_not_null(v, "no key '%s'", k);
	return json_is_null(v) ? -1 : json_integer_value(v);
}

/* Boolean member k of o: 1, 0, or -1 when null. */
static int
bool_or(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	cr_assert_not_null(v, "no key '%s'", k);
	return json_is_null(v) ? -1 : json_is_true(v);
}

/* ---- the verdict: lock x manifest ---- */

#define S	"\"started\":\"2026-12-01T10:00:00Z\""
#define LIVE	"\"retry_queue\":2,\"in_flight\":3,\"rows_per_s\":4.5," \
		"\"eta_s\":5"

static const struct vcase {
	const char	*name;
	const char	*total;
	int		 done;
	const char	*run;		/* the "run" member, or NULL */
	enum lock	 lock;
	const char	*state;
	int		 died;		/* -1: null */
	int		 exit_status;	/* -1: null */
	bool		 live;		/* retry_queue... not null */
	const char	*line;		/* the text's first line */
} vcases[] = {
	{ "older rowpool, no lock", "40", 20, NULL, NONE, "stopped", -1, -1,
	    false, "state:      stopped" },
	{ "older rowpool, stale lock", "40", 20, NULL, STALE, "stopped", -1,
	    -1, false, "state:      stopped" },
	{ "older rowpool, total unknown", "null", 20, NULL, NONE, "stopped",
	    -1, -1, false, "state:      stopped" },
	{ "older rowpool, complete", "40", 40, NULL, STALE, "finished", 0, -1,
	    false, "state:      finished" },
	{ "older rowpool, locked", "40", 20, NULL, HELD, "running", 0, -1,
	    false, "state:      running (pid PID)" },
	{ "locked, pid not written yet", "40", 20, NULL, HELD_EMPTY,
	    "running", 0, -1, false, "state:      running (pid unknown)" },
	{ "said running, no lock: died", "40", 20, "{\"state\":\"running\","
	    "\"pid\":1," S "," LIVE "}", STALE, "stopped", 1, -1, false,
	    "state:      stopped (the last run ended without a word: "
	    "killed?), started 2026-12-01T10:00:00Z" },
	{ "stopped, with why", "40", 20, "{\"state\":\"stopped\",\"pid\":1,"
	    "\"exit_status\":75,\"why\":\"interrupted by SIGINT\"," S "}",
	    STALE, "stopped", 0, 75, false, "state:      stopped (exit 75: "
	    "interrupted by SIGINT), started 2026-12-01T10:00:00Z" },
	{ "finished", "40", 40, "{\"state\":\"finished\",\"pid\":1,"
	    "\"exit_status\":1," S "}", NONE, "finished", 0, 1, false,
	    "state:      finished (exit 1), started 2026-12-01T10:00:00Z" },
	{ "said finished, rows missing", "40", 39, "{\"state\":\"finished\","
	    "\"exit_status\":0}", NONE, "stopped", 0, 0, false,
	    "state:      stopped (exit 0)" },
	{ "running, its own run", "40", 20, "{\"state\":\"running\","
	    "\"pid\":PID," S "," LIVE "}", HELD, "running", 0, -1, true,
	    "state:      running (pid PID), started 2026-12-01T10:00:00Z" },
	{ "running, the last run's block", "40", 20, "{\"state\":\"stopped\","
	    "\"pid\":1,\"exit_status\":75,\"why\":\"x\"," S "," LIVE "}", HELD,
	    "running", 0, -1, false, "state:      running (pid PID)" },
};

static void
check_vcase(const struct vcase *c)
{
	struct pidfh *pfh;
	char want[256];
	json_t *o;
	char *line;

	write_old(c->total, c->done, c->run);
	pfh = set_lock(c->lock);
	o = read_ok(UPDATED);
	cr_expect_str_eq(json_string_value(json_object_get(o, "state")),
	    c->state, "%s", c->name);
	cr_expect_eq(bool_or(o, "died"), c->died, "%s", c->name);
	cr_expect_eq(int_or(o, "exit_status"), c->exit_status, "%s", c->name);
	cr_expect_eq(int_or(o, "retry_queue") != -1, c->live, "%s", c->name);
	cr_expect_eq(int_or(o, "pid"), c->lock == HELD ? (long long)getpid() :
	    -1, "%s", c->name);
	put_pid(want, sizeof(want), c->line);
	line = first_line(o);
	cr_expect_str_eq(line, want, "%s", c->name);
	free(line);
	json_decref(o);
	release_lock(pfh);
}

Test(status, verdict)
{
	size_t i;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
		check_vcase(&vcases[i]);
}

/* ---- a whole status, as text and as JSON ---- */

/* Every field a manifest of this rowpool may have. */
static const char full[] = "{\"version\":1,\"input\":{\"path\":"
    "\"leads.csv\",\"fingerprint\":\"1:2\"},\"settings\":{},"
    "\"journal_length\":10,\"rows_done\":41200,\"ok\":41020,\"failed\":180,"
    "\"cached\":212,"
    "\"rows_total\":615000,\"failed_by_kind\":{\"invalid_output\":60,"
    "\"timeout\":120},\"tokens\":{\"prompt_tokens\":1234567,"
    "\"cached_tokens\":5,\"output_tokens\":234567,\"thoughts_tokens\":0,"
    "\"total_tokens\":1469134},\"run\":{\"state\":\"running\","
    "\"pid\":PID,\"started\":\"2026-12-01T10:00:00Z\","
    "\"updated\":\"2026-12-01T10:19:41Z\",\"updated_epoch\":1796120381.0,"
    "\"retry_queue\":12,\"in_flight\":10,\"rows_per_s\":35.2,"
    "\"eta_s\":17520},\"cost_usd\":1.23}";

Test(status, text_of_a_running_job)
{
	struct pidfh *pfh;
	char want[1024];
	json_t *o;
	char *text;

	write_manifest(full);
	pfh = set_lock(HELD);
	o = read_ok(UPDATED + 3.04);
	put_pid(want, sizeof(want),
	    "state:      running (pid PID), started 2026-12-01T10:00:00Z\n"
	    "rows:       41200 of 615000 done (6.7%), 41020 ok, 180 failed\n"
	    "cache:      212 rows answered from the response cache\n"
	    "failed:     timeout 120, invalid_output 60\n"
	    "queue:      12 to retry, 10 in flight\n"
	    "rate:       35.2 rows/s over the last minute, ETA 4h 52m\n"
	    "tokens:     prompt 1234567, output 234567, thoughts 0, total "
	    "1469134, cached 5\n"
	    "cost:       $1.23 (estimated)\n"
	    "checkpoint: 2026-12-01T10:19:41Z (3 s ago)\n");
	text = printed(status_print_text, o);
	cr_expect_str_eq(text, want);
	free(text);
	json_decref(o);
	release_lock(pfh);
}

Test(status, json_of_a_running_job)
{
	struct pidfh *pfh;
	char tmpl[2048], want[2048];
	json_t *o;
	char *text;

	write_manifest(full);
	pfh = set_lock(HELD);
	o = read_ok(UPDATED + 3.04);
	scratch_fmt(tmpl, sizeof(tmpl), "{\"version\": 1, \"state_dir\": "
	    "\"%s\", \"input\": \"leads.csv\", \"state\": \"running\", "
	    "\"pid\": PID, \"died\": false, \"exit_status\": null, "
	    "\"why\": null, \"started\": \"2026-12-01T10:00:00Z\", "
	    "\"checkpoint\": \"2026-12-01T10:19:41Z\", "
	    "\"checkpoint_age_s\": 3.0, \"rows_total\": 615000, "
	    "\"rows_done\": 41200, \"ok\": 41020, \"failed\": 180, "
	    "\"cached\": 212, \"failed_by_kind\": {\"invalid_output\": 60, \"timeout\": 120}, "
	    "\"retry_queue\": 12, \"in_flight\": 10, \"rows_per_s\": 35.2, "
	    "\"eta_s\": 17520, \"tokens\": {\"prompt_tokens\": 1234567, "
	    "\"cached_tokens\": 5, \"output_tokens\": 234567, "
	    "\"thoughts_tokens\": 0, \"total_tokens\": 1469134}, "
	    "\"cost_usd\": 1.23, \"shard\": null, "
	    "\"fingerprint\": \"1:2\", \"batches\": null}\n", scratch_dir);
	put_pid(want, sizeof(want), tmpl);
	text = printed(status_print_json, o);
	cr_expect_str_eq(text, want);
	free(text);
	json_decref(o);
	release_lock(pfh);
}

/* Stopped or finished: no live numbers, whatever "run" kept. */
Test(status, text_of_a_stopped_job)
{
	char buf[2048];
	json_t *o;
	char *text;

	scratch_fmt(buf, sizeof(buf), "%.*s", (int)(strstr(full,
	    "\"running\"") - full), full);
	strlcat(buf, "\"stopped\",\"exit_status\":75,\"why\":\"interrupted\","
	    "\"pid\":1,\"updated\":\"2026-12-01T10:19:41Z\",\"updated_epoch\":"
	    "1796120381,\"retry_queue\":12,\"in_flight\":10,\"rows_per_s\":"
	    "35.2,\"eta_s\":17520},\"cost_usd\":0.0042}", sizeof(buf));
	write_manifest(buf);
	o = read_ok(UPDATED + 3725);
	text = printed(status_print_text, o);
	cr_expect_str_eq(text,
	    "state:      stopped (exit 75: interrupted)\n"
	    "rows:       41200 of 615000 done (6.7%), 41020 ok, 180 failed\n"
	    "cache:      212 rows answered from the response cache\n"
	    "failed:     timeout 120, invalid_output 60\n"
	    "tokens:     prompt 1234567, output 234567, thoughts 0, total "
	    "1469134, cached 5\n"
	    "cost:       $0.0042 (estimated)\n"
	    "checkpoint: 2026-12-01T10:19:41Z (1h 2m ago)\n");
	cr_expect(json_is_null(json_object_get(o, "in_flight")));
	cr_expect(json_is_null(json_object_get(o, "eta_s")));
	free(text);
	json_decref(o);
}

static void
set_mtime(const char *path, double t)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = (time_t)t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * What an older rowpool's manifest leaves out is "unknown"; its
 * checkpoint is the manifest's mtime.
 */
Test(status, text_of_an_older_manifest)
{
	struct pidfh *pfh;
	json_t *o;
	char *text;

	write_manifest("{\"version\":1,\"input\":{\"path\":\"in.csv\","
	    "\"fingerprint\":\"1:2\"},\"settings\":{},\"journal_length\":5,"
	    "\"rows_done\":7,\"ok\":5,\"failed\":2,\"rows_total\":null}");
	set_mtime(scratch_path("manifest"), UPDATED - 60);
	pfh = set_lock(HELD_EMPTY);
	o = read_ok(UPDATED);
	text = printed(status_print_text, o);
	cr_expect_str_eq(text,
	    "state:      running (pid unknown)\n"
	    "rows:       7 of unknown done, 5 ok, 2 failed\n"
	    "failed:     kinds unknown\n"
	    "queue:      unknown\n"
	    "rate:       unknown, ETA unknown\n"
	    "tokens:     unknown\n"
	    "cost:       unknown\n"
	    "checkpoint: 2026-12-01T10:18:41Z (1m 0s ago)\n");
	free(text);
	json_decref(o);
	release_lock(pfh);
}

/* ---- a manifest read leniently ---- */

Test(status, wrong_types_are_null)
{
	struct pidfh *pfh;
	json_t *o, *t;

	write_manifest("{\"version\":1,\"input\":\"in.csv\",\"rows_done\":"
	    "\"many\",\"ok\":-1,\"failed\":1.5,\"rows_total\":[],\"tokens\":"
	    "{\"prompt_tokens\":\"x\",\"output_tokens\":3},\"failed_by_kind\":"
	    "7,\"cost_usd\":-2,\"run\":{\"state\":\"running\",\"pid\":\"me\","
	    "\"started\":5,\"updated\":1,\"updated_epoch\":\"y\","
	    "\"rows_per_s\":\"fast\"}}");
	pfh = set_lock(HELD);
	o = read_ok(UPDATED);
	cr_expect(json_is_null(json_object_get(o, "input")));
	cr_expect_eq(int_or(o, "rows_done"), -1);
	cr_expect_eq(int_or(o, "ok"), -1);
	cr_expect_eq(int_or(o, "failed"), -1);
	cr_expect_eq(int_or(o, "rows_total"), -1);
	cr_expect(json_is_null(json_object_get(o, "failed_by_kind")));
	cr_expect(json_is_null(json_object_get(o, "cost_usd")));
	cr_expect(json_is_null(json_object_get(o, "started")));
	cr_expect(json_is_null(json_object_get(o, "rows_per_s")));
	t = json_object_get(o, "tokens");
	cr_expect_eq(json_object_size(t), 1);
	cr_expect_eq(json_integer_value(json_object_get(t, "output_tokens")),
	    3);
	cr_expect_str_eq(json_string_value(json_object_get(o, "state")),
	    "running");
	json_decref(o);
	release_lock(pfh);
}

static enum status_code
read_fails(double now, char *why, size_t len)
{
	struct status st;
	enum status_code rc;

	rc = status_read(&st, scratch_dir, now);
	cr_expect_null(st.obj);
	strlcpy(why, st.why, len);
	status_release(&st);
	return rc;
}

Test(status, no_manifest_yet)
{
	struct pidfh *pfh;
	char why[1024], want[1024];

	cr_expect_eq(read_fails(UPDATED, why, sizeof(why)), STATUS_NOMANIFEST);
	scratch_fmt(want, sizeof(want), "no run has committed in '%s' yet",
	    scratch_dir);
	cr_expect_str_eq(why, want);
	pfh = set_lock(HELD);
	cr_expect_eq(read_fails(UPDATED, why, sizeof(why)), STATUS_NOMANIFEST);
	scratch_fmt(want, sizeof(want), "no run has committed in '%s' yet "
	    "(pid %ld is starting one)", scratch_dir, (long)getpid());
	cr_expect_str_eq(why, want);
	release_lock(pfh);
}

Test(status, bad_manifests)
{
	static const struct {
		const char	*text;
		const char	*why;	/* the message's end */
	} cases[] = {
		{ "{\"version\":1,", "line 1, column 13: " },
		{ "[1]", "an array, not a JSON object" },
		{ "{\"version\":2}", "not a version this rowpool reads" },
		{ "{\"rows_done\":3}", "not a version this rowpool reads" },
		{ "", "empty file" },
	};
	char why[1024], want[PATH_MAX + 32];
	size_t i;

	scratch_fmt(want, sizeof(want), "manifest '%s/manifest': ",
	    scratch_dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scratch_write(scratch_path("manifest"), cases[i].text,
		    strlen(cases[i].text));
		cr_expect_eq(read_fails(UPDATED, why, sizeof(why)),
		    STATUS_BADMANIFEST, "%s", cases[i].text);
		cr_expect_eq(strncmp(why, want, strlen(want)), 0, "%s", why);
		cr_expect_not_null(strstr(why, cases[i].why), "%s: %s",
		    cases[i].text, why);
	}
}

Test(status, unreadable_manifest)
{
	char why[1024];

	if (geteuid() == 0)
		cr_skip_test("root reads any file");
	write_old("40", 20, NULL);
	cr_assert_eq(chmod(scratch_path("manifest"), 0), 0);
	cr_expect_eq(read_fails(UPDATED, why, sizeof(why)), STATUS_ERROR);
}

/* ---- durations in the text: the rate line's ETA ---- */

Test(status, durations)
{
	static const struct {
		double		 eta;
		const char	*line;
	} cases[] = {
		{ 0, "ETA 0 s\n" }, { 59.4, "ETA 59 s\n" },
		{ 61, "ETA 1m 1s\n" }, { 3599, "ETA 59m 59s\n" },
		{ 3600, "ETA 1h 0m\n" }, { 90061, "ETA 1d 1h\n" },
		{ 1e300, "ETA 11574074d 1h\n" },
	};
	json_t *o;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = json_pack("{s:s, s:n, s:f, s:f}", "state", "running",
		    "pid", "rows_per_s", 1.0, "eta_s", cases[i].eta);
		text = printed(status_print_text, o);
		cr_expect_not_null(strstr(text, cases[i].line), "%s", text);
		free(text);
		json_decref(o);
	}
}

/* ---- the lock ---- */

Test(status, probe)
{
	struct pidfh *pfh;
	pid_t pid = -1, other;

	cr_expect_eq(status_probe(scratch_dir, &pid), 0, "no lock file");
	cr_expect_eq(pid, 0);
	scratch_write(scratch_path("lock"), "999999", 6);
	cr_expect_eq(status_probe(scratch_dir, &pid), 0, "stale");
	pfh = pidfile_open(scratch_path("lock"), 0600, &other);
	cr_assert_not_null(pfh);
	cr_expect_eq(status_probe(scratch_dir, &pid), 1, "held, no pid");
	cr_expect_eq(pid, 0);
	cr_assert_eq(pidfile_write(pfh), 0);
	cr_expect_eq(status_probe(scratch_dir, &pid), 1, "held");
	cr_expect_eq(pid, getpid());
	pidfile_close(pfh);
	cr_expect_eq(status_probe(scratch_dir, &pid), 0, "let go");
	/* The probe let go too: the next run takes the lock. */
	pfh = pidfile_open(scratch_path("lock"), 0600, &other);
	cr_expect_not_null(pfh, "%s", strerror(errno));
	pidfile_remove(pfh);
	cr_expect_eq(status_probe(scratch_dir, &pid), 0, "removed");
}

/* ---- which directory ---- */

Test(status, find_dir)
{
	char dir[PATH_MAX], want[PATH_MAX], arg[PATH_MAX];

	cr_assert_eq(mkdir(scratch_path("out.jsonl.state"), 0700), 0);
	scratch_write(scratch_path("out.jsonl"), "", 0);
	cr_expect_eq(status_find_dir(scratch_path("out.jsonl"), dir,
	    sizeof(dir)), 0);
	cr_expect_str_eq(dir, scratch_path("out.jsonl.state"));
	/* A state directory named as such. */
	cr_expect_eq(status_find_dir(scratch_path("out.jsonl.state"), dir,
	    sizeof(dir)), 0);
	cr_expect_str_eq(dir, scratch_path("out.jsonl.state"));
	/* The output need not exist yet. */
	cr_assert_eq(unlink(scratch_path("out.jsonl")), 0);
	cr_expect_eq(status_find_dir(scratch_path("out.jsonl"), dir,
	    sizeof(dir)), 0);
	/* A directory with a lock is a state directory, not an output. */
	scratch_write(scratch_path("lock"), "", 0);
	scratch_fmt(want, sizeof(want), "%s", scratch_dir);
	cr_assert_eq(mkdir(scratch_path(".state"), 0700), 0);
	cr_expect_eq(status_find_dir(scratch_dir, dir, sizeof(dir)), 0);
	cr_expect_str_eq(dir, want);
	scratch_fmt(arg, sizeof(arg), "%s/nothing", scratch_dir);
	cr_expect_eq(status_find_dir(arg, dir, sizeof(dir)), -1);
	cr_expect_eq(errno, ENOENT);
	/* A bare directory: a run that has not made its lock yet. */
	cr_assert_eq(mkdir(scratch_path("new"), 0700), 0);
	cr_expect_eq(status_find_dir(scratch_path("new"), dir, sizeof(dir)),
	    0);
	cr_expect_str_eq(dir, scratch_path("new"));
}

/* ---- the command's exit statuses ---- */

static int
run_cmd(const char *a1, const char *a2)
{
	char name[] = "status";
	char *argv[] = { name, (char *)(uintptr_t)a1, (char *)(uintptr_t)a2,
	    NULL };
	int argc = a1 == NULL ? 1 : a2 == NULL ? 2 : 3;

	optind = 0;	/* glibc: start over */
	return cmd_status(argc, argv);
}

Test(status, cmd_exit_statuses)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
	cr_expect_eq(run_cmd(NULL, NULL), EX_USAGE);
	cr_expect_eq(run_cmd("--frobnicate", scratch_dir), EX_USAGE);
	cr_expect_eq(run_cmd(scratch_dir, scratch_dir), EX_USAGE);
	cr_expect_eq(run_cmd("", NULL), EX_USAGE);
	cr_expect_eq(run_cmd("--help", NULL), 0);
	cr_expect_eq(run_cmd(scratch_path("nothing"), NULL), EX_NOINPUT);
	cr_expect_eq(run_cmd(scratch_dir, NULL), EX_NOINPUT);
	scratch_write(scratch_path("manifest"), "{", 1);
	cr_expect_eq(run_cmd("--json", scratch_dir), EX_DATAERR);
	write_old("40", 40, NULL);
	cr_expect_eq(run_cmd(scratch_dir, NULL), 0);
	cr_expect_eq(run_cmd("--json", scratch_dir), 0);
}
