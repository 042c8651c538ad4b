/*
 * status: a state directory read from outside its run.  Invariants:
 *  - nothing here writes into the state directory, and the lock is
 *    never held past the one flock(2) call that tests it;
 *  - the status object is built once, from the manifest and the lock;
 *    the text is printed from that object, never from the manifest;
 *  - the manifest is read leniently: a field that is missing or of the
 *    wrong type becomes null, and only a file that is not a JSON object
 *    of a known version is refused.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "rowpool/manifest.h"
#include "rowpool/msgbuf.h"
#include "rowpool/batchstate.h"
#include "rowpool/status.h"

#define MANIFEST_VERSION	1
#define LOCK_NAME		"lock"
#define DIED_WHY		"the last run ended without a word: killed?"

/* What the lock and the manifest's "run" say together. */
struct verdict {
	const char	*state;		/* "running", "stopped", "finished" */
	bool		 locked;
	int		 died;		/* 1, 0, or -1: not known */
	bool		 current;	/* "run" is the lock holder's own */
	bool		 ended;		/* "run" says how it ended */
};

/* Sets the message (and errno, for STATUS_ERROR); returns code. */
static enum status_code __attribute__((format(printf, 4, 5)))
status_fail(struct status *st, enum status_code code, int err,
    const char *fmt, ...)
{
	va_list ap;

	st->err = err;
	va_start(ap, fmt);
	msgbuf_vformat(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	return code;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- finding the directory ---- */

static bool
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool
has_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	return path_join(path, sizeof(path), dir, name) == 0 &&
	    lstat(path, &sb) == 0;
}

static int
copy_path(char *dir, size_t len, const char *path)
{
	if (strlcpy(dir, path, len) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
status_find_dir(const char *arg, char *dir, size_t len)
{
	int n;

	if (is_dir(arg) && (has_file(arg, MANIFEST_NAME) ||
	    has_file(arg, LOCK_NAME)))
		return copy_path(dir, len, arg);
	n = snprintf(dir, len, "%s.state", arg);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (is_dir(dir))
		return 0;
	if (is_dir(arg))
		return copy_path(dir, len, arg);
	errno = ENOENT;
	return -1;
}

/* ---- the lock ---- */

/*
 * The pid in the pidfile.  pidfile_open takes the lock before
 * pidfile_write writes the pid, so an empty file is read again a few
 * times, as libbsd's pidfile_open does.  0: not written (yet).
 */
static pid_t
lock_pid(int fd)
{
	char buf[24], *end;
	ssize_t n = 0;
	long v;
	int i;

	for (i = 0; i < 4 && n <= 0; i++) {
		if (i > 0)
			nap_ms(5);
		if (lseek(fd, 0, SEEK_SET) == -1 ||
		    (n = read_some(fd, buf, sizeof(buf) - 1)) == -1)
			return 0;
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno != 0 || v <= 0 || v > INT_MAX ||
	    strspn(end, " \t\r\n") != strlen(end))
		return 0;
	return (pid_t)v;
}

int
status_probe(const char *dir, pid_t *pid)
{
	char path[PATH_MAX];
	int fd, rc, saved;

	*pid = 0;
	if (path_join(path, sizeof(path), dir, LOCK_NAME) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 0 : -1;
	while ((rc = flock(fd, LOCK_SH | LOCK_NB)) == -1 && errno == EINTR)
		;
	if (rc == 0) {
		/* Free: let go at once, so a run starting now gets it. */
		flock(fd, LOCK_UN);
		close(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*pid = lock_pid(fd);
	close(fd);
	return 1;
}

/* ---- the manifest's fields, leniently ---- */

static json_t *
ref(const json_t *v)
{
	return json_incref((json_t *)(uintptr_t)v);
}

static json_t *
count_or_null(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 ? ref(v) :
	    NULL;
}

static json_t *
number_or_null(const json_t *v)
{
	return json_is_number(v) && json_number_value(v) >= 0 &&
	    isfinite(json_number_value(v)) ? ref(v) : NULL;
}

static json_t *
string_or_null(const json_t *v)
{
	return json_is_string(v) ? ref(v) : NULL;
}

/* An object of counts ("tokens", "failed_by_kind"), other values left. */
static json_t *
counts_or_null(const json_t *v)
{
	const char *k;
	json_t *out, *c;

	if (!json_is_object(v) || (out = json_object()) == NULL)
		return NULL;
	json_object_foreach((json_t *)(uintptr_t)v, k, c)
		if (count_or_null(c) != NULL)
			json_object_set_new(out, k, c);
	return out;
}

/* Sets key k of o to v, or to null when v is NULL; -1 out of memory. */
static int
put(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v != NULL ? v : json_null());
}

static bool
is_str(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Every row of a known total is done. */
static bool
complete(const json_t *m)
{
	const json_t *t = json_object_get(m, "rows_total");
	const json_t *d = json_object_get(m, "rows_done");

	return json_is_integer(t) && json_is_integer(d) &&
	    json_integer_value(t) == json_integer_value(d);
}

/* ---- the verdict ---- */

/*
 * The lock says whether a supervisor runs; "run" says how the last one
 * ended.  A "run" that says running with no lock held is a supervisor
 * that died without committing its end.  With the lock held, "run" is
 * the holder's own only if it names the holder's pid (or, without pids,
 * says running): otherwise it is the last run's, before this one's first
 * checkpoint.
 */
static struct verdict
judge(const json_t *m, int locked, pid_t pid)
{
	const json_t *run = json_object_get(m, "run");
	const json_t *rs = json_object_get(run, "state");
	json_int_t rpid = json_integer_value(json_object_get(run, "pid"));
	struct verdict v = { "stopped", locked == 1, -1, false, false };

	if (v.locked) {
		v.state = "running";
		v.died = 0;
		v.current = json_is_object(run) && (rpid > 0 && pid > 0 ?
		    rpid == pid : is_str(rs, "running"));
		return v;
	}
	if (complete(m) && (rs == NULL || is_str(rs, "finished"))) {
		v.state = "finished";
		v.died = 0;
		v.ended = rs != NULL;
		return v;
	}
	if (json_is_string(rs)) {
		v.died = is_str(rs, "running");
		v.ended = !v.died;
	}
	return v;
}

/* ---- the status object ---- */

static int
put_state(json_t *o, const json_t *m, const struct verdict *v, pid_t pid)
{
	const json_t *run = json_object_get(m, "run");
	int rc = 0;

	rc |= put(o, "state", json_string(v->state));
	rc |= put(o, "pid", v->locked && pid > 0 ? json_integer(pid) : NULL);
	rc |= put(o, "died", v->died < 0 ? NULL : json_boolean(v->died));
	rc |= put(o, "exit_status", v->ended ?
	    count_or_null(json_object_get(run, "exit_status")) : NULL);
	rc |= put(o, "why", v->died == 1 ? json_string(DIED_WHY) : v->ended ?
	    string_or_null(json_object_get(run, "why")) : NULL);
	rc |= put(o, "started", !v->locked || v->current ?
	    string_or_null(json_object_get(run, "started")) : NULL);
	return rc;
}

/*
 * Seconds, at least 0, at most ~30,000 years: a clock set back, a
 * damaged field.  (No libm: the tool does not link it.)
 */
static double
clamp(double s)
{
	return s > 0 ? (s < 1e12 ? s : 1e12) : 0;
}

static double
tenths(double s)
{
	return (double)(long long)(clamp(s) * 10 + 0.5) / 10;
}

static int
rfc3339(char *buf, size_t len, double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (gmtime_r(&s, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

/*
 * The last checkpoint: "run" says when, or else the manifest's mtime
 * does (it is replaced by each checkpoint), for an older rowpool's.
 */
static int
put_checkpoint(json_t *o, const json_t *m, double mtime, double now)
{
	const json_t *run = json_object_get(m, "run");
	const json_t *u = json_object_get(run, "updated");
	const json_t *e = json_object_get(run, "updated_epoch");
	double at = json_is_number(e) ? json_number_value(e) : mtime;
	char buf[64];
	json_t *when = NULL;
	int rc = 0;

	if (json_is_string(u))
		when = ref(u);
	else if (mtime >= 0 && rfc3339(buf, sizeof(buf), mtime) == 0)
		when = json_string(buf);
	rc |= put(o, "checkpoint", when);
	rc |= put(o, "checkpoint_age_s", at >= 0 && isfinite(at) ?
	    json_real(tenths(now - at)) : NULL);
	return rc;
}

static int
put_rows(json_t *o, const json_t *m)
{
	static const char *const keys[] = { "rows_total", "rows_done", "ok",
	    "failed", "cached" };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		rc |= put(o, keys[i], count_or_null(json_object_get(m,
		    keys[i])));
	rc |= put(o, "failed_by_kind", counts_or_null(json_object_get(m,
	    "failed_by_kind")));
	return rc;
}

/* The numbers that only a running supervisor's own "run" has. */
static int
put_live(json_t *o, const json_t *m, const struct verdict *v)
{
	const json_t *run = v->current ? json_object_get(m, "run") : NULL;
	int rc = 0;

	rc |= put(o, "retry_queue", count_or_null(json_object_get(run,
	    "retry_queue")));
	rc |= put(o, "in_flight", count_or_null(json_object_get(run,
	    "in_flight")));
	rc |= put(o, "rows_per_s", number_or_null(json_object_get(run,
	    "rows_per_s")));
	rc |= put(o, "eta_s", number_or_null(json_object_get(run, "eta_s")));
	return rc;
}

/* Batch mode's chunks (batchstate.h), or null when it never ran here. */
static json_t *
batches_or_null(const char *dir)
{
	json_t *root, *a;

	if (batchstate_load(dir, &root) != 1)
		return json_null();
	a = batchstate_json(root);
	json_decref(root);
	return a;
}

static json_t *
status_build(const json_t *m, const char *dir, int locked, pid_t pid,
    double mtime, double now)
{
	struct verdict v = judge(m, locked, pid);
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= put(o, "version", json_integer(STATUS_VERSION));
	rc |= put(o, "state_dir", json_string(dir));
	rc |= put(o, "input", string_or_null(json_object_get(
	    json_object_get(m, "input"), "path")));
	rc |= put_state(o, m, &v, pid);
	rc |= put_checkpoint(o, m, mtime, now);
	rc |= put_rows(o, m);
	rc |= put_live(o, m, &v);
	rc |= put(o, "tokens", counts_or_null(json_object_get(m, "tokens")));
	rc |= put(o, "cost_usd", number_or_null(json_object_get(m,
	    "cost_usd")));
	rc |= put(o, "shard", string_or_null(json_object_get(
	    json_object_get(m, "settings"), "shard")));
	rc |= put(o, "fingerprint", string_or_null(json_object_get(
	    json_object_get(m, "input"), "fingerprint")));
	rc |= put(o, "batches", batches_or_null(dir));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- reading ---- */

static enum status_code
load_failed(struct status *st, const char *dir, int err, const char *msg)
{
	if (err == ENOENT)
		return status_fail(st, STATUS_NOMANIFEST, 0, "no run has "
		    "committed in '%s' yet", dir);
	if (err == EBADMSG)
		return status_fail(st, STATUS_BADMANIFEST, 0, "manifest "
		    "'%s/%s': %s", dir, MANIFEST_NAME, msg);
	return status_fail(st, STATUS_ERROR, err, "manifest '%s/%s': %s", dir,
	    MANIFEST_NAME, strerror(err));
}

/*
 * A rename never leaves the manifest missing, but --restart removes it
 * before the new run's first checkpoint: one more read after a pause.
 */
static enum status_code
load(struct status *st, const char *dir, json_t **m, double *mtime)
{
	char err[512], path[PATH_MAX];
	const json_t *v;
	struct stat sb;
	int i;

	for (i = 0; i < 2; i++) {
		if (i > 0)
			nap_ms(10);
		if ((*m = manifest_load(dir, err, sizeof(err))) != NULL ||
		    errno != ENOENT)
			break;
	}
	if (*m == NULL)
		return load_failed(st, dir, errno, err);
	v = json_object_get(*m, "version");
	if (!json_is_integer(v) || json_integer_value(v) != MANIFEST_VERSION)
		return status_fail(st, STATUS_BADMANIFEST, 0, "manifest "
		    "'%s/%s': not a version this rowpool reads", dir,
		    MANIFEST_NAME);
	/* A later checkpoint's mtime at worst: a second younger. */
	*mtime = path_join(path, sizeof(path), dir, MANIFEST_NAME) == 0 &&
	    stat(path, &sb) == 0 ? (double)sb.st_mtim.tv_sec +
	    sb.st_mtim.tv_nsec / 1e9 : -1;
	return STATUS_OK;
}

/*
 * The lock first, then the manifest: a run that ends in between has
 * committed its end before it let go of the lock.  A manifest that says
 * running with no lock held is tested again, for a run started since.
 */
enum status_code
status_read(struct status *st, const char *dir, double now)
{
	enum status_code rc;
	double mtime = -1;
	json_t *m = NULL;
	pid_t pid = 0;
	int locked;

	memset(st, 0, sizeof(*st));
	if ((locked = status_probe(dir, &pid)) == -1)
		return status_fail(st, STATUS_ERROR, errno, "lock '%s/%s': %s",
		    dir, LOCK_NAME, strerror(errno));
	if ((rc = load(st, dir, &m, &mtime)) != STATUS_OK) {
		if (rc == STATUS_NOMANIFEST && locked && pid > 0)
			status_fail(st, rc, 0, "no run has committed in '%s' "
			    "yet (pid %ld is starting one)", dir, (long)pid);
		json_decref(m);
		return rc;
	}
	if (!locked && judge(m, 0, 0).died == 1 &&
	    (locked = status_probe(dir, &pid)) == -1)
		locked = 0;
	st->obj = status_build(m, dir, locked, pid, mtime, now);
	json_decref(m);
	if (st->obj == NULL)
		return status_fail(st, STATUS_ERROR, ENOMEM, "%s",
		    strerror(ENOMEM));
	return STATUS_OK;
}

void
status_release(struct status *st)
{
	json_decref(st->obj);
	st->obj = NULL;
}

/* ---- printing ---- */

int
status_print_json(FILE *fp, const json_t *obj)
{
	if (json_dumpf(obj, fp, JSON_REAL_PRECISION(10)) == -1) {
		errno = ferror(fp) ? EIO : ENOMEM;
		return -1;
	}
	if (fputc('\n', fp) == EOF || fflush(fp) == EOF)
		return -1;
	return 0;
}

/* ---- the text ---- */

#define LABEL	"%-12s"

static const char *
str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool
has(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return v != NULL && !json_is_null(v);
}

/* A count as text, or "unknown". */
static const char *
count_text(char *buf, size_t len, const json_t *o, const char *k)
{
	if (!has(o, k))
		return "unknown";
	snprintf(buf, len, "%lld", (long long)json_integer_value(
	    json_object_get(o, k)));
	return buf;
}

/* "3 s", "5m 12s", "4h 52m", "2d 3h". */
static void
duration(char *buf, size_t len, double s)
{
	long long t = (long long)(clamp(s) + 0.5);

	if (t < 60)
		snprintf(buf, len, "%lld s", t);
	else if (t < 3600)
		snprintf(buf, len, "%lldm %llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lldh %lldm", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %lldh", t / 86400, t % 86400 / 3600);
}

static void
text_state(FILE *fp, const json_t *o)
{
	const char *state = str_of(o, "state"), *why = str_of(o, "why");
	const char *started = str_of(o, "started");
	long long code = json_integer_value(json_object_get(o, "exit_status"));

	fprintf(fp, LABEL "%s", "state:", state);
	if (strcmp(state, "running") == 0 && has(o, "pid"))
		fprintf(fp, " (pid %lld)", (long long)json_integer_value(
		    json_object_get(o, "pid")));
	else if (strcmp(state, "running") == 0)
		fprintf(fp, " (pid unknown)");
	else if (has(o, "exit_status") && why != NULL)
		fprintf(fp, " (exit %lld: %s)", code, why);
	else if (has(o, "exit_status"))
		fprintf(fp, " (exit %lld)", code);
	else if (why != NULL)
		fprintf(fp, " (%s)", why);
	if (started != NULL)
		fprintf(fp, ", started %s", started);
	fputc('\n', fp);
}

static void
text_rows(FILE *fp, const json_t *o)
{
	char d[24], t[24], ok[24], f[24], pct[24] = "";
	json_int_t done = json_integer_value(json_object_get(o, "rows_done"));
	json_int_t total = json_integer_value(json_object_get(o, "rows_total"));

	if (has(o, "rows_done") && has(o, "rows_total") && total > 0)
		snprintf(pct, sizeof(pct), " (%.1f%%)", 100.0 * (double)done /
		    (double)total);
	fprintf(fp, LABEL "%s of %s done%s, %s ok, %s failed\n", "rows:",
	    count_text(d, sizeof(d), o, "rows_done"),
	    count_text(t, sizeof(t), o, "rows_total"), pct,
	    count_text(ok, sizeof(ok), o, "ok"),
	    count_text(f, sizeof(f), o, "failed"));
}

struct kind_count {
	const char	*name;
	json_int_t	 n;
};

/* "cache:" only when rows came from the response cache. */
static void
text_cached(FILE *fp, const json_t *o)
{
	json_int_t n = json_integer_value(json_object_get(o, "cached"));

	if (n > 0)
		fprintf(fp, LABEL "%lld rows answered from the response cache\n",
		    "cache:", (long long)n);
}

/* Most first, then by name. */
static int
kind_cmp(const void *a, const void *b)
{
	const struct kind_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* "failed:" only when rows failed or kinds are known; -1 out of memory. */
static int
text_failed(FILE *fp, const json_t *o)
{
	json_t *kinds = json_object_get(o, "failed_by_kind"), *v;
	struct kind_count *kc;
	const char *k;
	size_t n = 0, i;

	if (json_object_size(kinds) == 0) {
		if (json_integer_value(json_object_get(o, "failed")) > 0)
			fprintf(fp, LABEL "kinds unknown\n", "failed:");
		return 0;
	}
	if ((kc = calloc(json_object_size(kinds), sizeof(*kc))) == NULL)
		return -1;
	json_object_foreach(kinds, k, v)
		kc[n++] = (struct kind_count){ k, json_integer_value(v) };
	qsort(kc, n, sizeof(*kc), kind_cmp);
	fprintf(fp, LABEL, "failed:");
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s %lld", i > 0 ? ", " : "", kc[i].name,
		    (long long)kc[i].n);
	fputc('\n', fp);
	free(kc);
	return 0;
}

/* "queue:" and "rate:", live numbers: only while running. */
static void
text_live(FILE *fp, const json_t *o)
{
	char q[24], f[24], eta[32] = "unknown";

	if (!has(o, "retry_queue") && !has(o, "in_flight"))
		fprintf(fp, LABEL "unknown\n", "queue:");
	else
		fprintf(fp, LABEL "%s to retry, %s in flight\n", "queue:",
		    count_text(q, sizeof(q), o, "retry_queue"),
		    count_text(f, sizeof(f), o, "in_flight"));
	if (has(o, "eta_s"))
		duration(eta, sizeof(eta), json_number_value(json_object_get(o,
		    "eta_s")));
	if (has(o, "rows_per_s"))
		fprintf(fp, LABEL "%.1f rows/s over the last minute, ETA %s\n",
		    "rate:", json_number_value(json_object_get(o,
		    "rows_per_s")), eta);
	else
		fprintf(fp, LABEL "unknown, ETA %s\n", "rate:", eta);
}

static bool
is_main_token(const char *k)
{
	return strcmp(k, "prompt_tokens") == 0 ||
	    strcmp(k, "output_tokens") == 0 ||
	    strcmp(k, "thoughts_tokens") == 0 ||
	    strcmp(k, "total_tokens") == 0;
}

/* One count, named without its "_tokens". */
static void
text_token(FILE *fp, const char *k, const json_t *v, bool *first)
{
	size_t n = strlen(k), s = strlen("_tokens");

	if (n > s && strcmp(k + n - s, "_tokens") == 0)
		n -= s;
	fprintf(fp, "%s%.*s %lld", *first ? "" : ", ", (int)n, k,
	    (long long)json_integer_value(v));
	*first = false;
}

/* prompt, output, thoughts, total first; then the others, as they come. */
static void
text_tokens(FILE *fp, const json_t *o)
{
	static const char *const main_keys[] = { "prompt_tokens",
	    "output_tokens", "thoughts_tokens", "total_tokens" };
	json_t *t = json_object_get(o, "tokens"), *v;
	bool first = true;
	const char *k;
	size_t i;

	fprintf(fp, LABEL, "tokens:");
	if (!json_is_object(t) || json_object_size(t) == 0) {
		fprintf(fp, "%s\n", json_is_object(t) ? "none" : "unknown");
		return;
	}
	for (i = 0; i < sizeof(main_keys) / sizeof(main_keys[0]); i++)
		if ((v = json_object_get(t, main_keys[i])) != NULL)
			text_token(fp, main_keys[i], v, &first);
	json_object_foreach(t, k, v)
		if (!is_main_token(k))
			text_token(fp, k, v, &first);
	fputc('\n', fp);
}

static void
text_cost(FILE *fp, const json_t *o)
{
	double c = json_number_value(json_object_get(o, "cost_usd"));

	if (!has(o, "cost_usd"))
		fprintf(fp, LABEL "unknown\n", "cost:");
	else
		fprintf(fp, LABEL "$%.*f (estimated)\n", "cost:",
		    c >= 1 || c == 0 ? 2 : 4, c);
}

static void
text_checkpoint(FILE *fp, const json_t *o)
{
	const char *when = str_of(o, "checkpoint");
	char age[32];

	fprintf(fp, LABEL "%s", "checkpoint:", when != NULL ? when :
	    "unknown");
	if (has(o, "checkpoint_age_s")) {
		duration(age, sizeof(age), json_number_value(json_object_get(o,
		    "checkpoint_age_s")));
		fprintf(fp, " (%s ago)", age);
	}
	fputc('\n', fp);
}

int
status_print_text(FILE *fp, const json_t *obj)
{
	text_state(fp, obj);
	text_rows(fp, obj);
	text_cached(fp, obj);
	if (text_failed(fp, obj) == -1)
		return -1;
	if (is_str(json_object_get(obj, "state"), "running"))
		text_live(fp, obj);
	text_tokens(fp, obj);
	text_cost(fp, obj);
	batchstate_print(fp, json_object_get(obj, "batches"));
	text_checkpoint(fp, obj);
	if (fflush(fp) == EOF)
		return -1;
	if (ferror(fp)) {
		errno = EIO;
		return -1;
	}
	return 0;
}
