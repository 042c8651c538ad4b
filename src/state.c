/*
 * state: the state directory and what is committed in it.
 * Invariants:
 *  - only the process holding DIR/lock writes the journal, the manifest
 *    and DIR/input; the output is written only by the holder of
 *    OUTPUT.lock;
 *  - nothing written here is the input, by any name;
 *  - a row is final once its record is in the journal; it is committed
 *    once a manifest names a journal length that covers it; the manifest
 *    is believed only where the journal agrees with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bsd/libutil.h>

#include "rowpool/durable.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "rowpool/manifest.h"
#include "rowpool/msgbuf.h"
#include "rowpool/sigcatch.h"
#include "rowpool/state.h"

#define MANIFEST_VERSION	1

/*
 * Records the first failure; later ones do not overwrite it.  A message
 * may quote a damaged manifest: msgbuf turns its control bytes into '?'.
 */
static void __attribute__((format(printf, 3, 4)))
state_fail(struct state *s, int status, const char *fmt, ...)
{
	va_list ap;

	if (s->status != 0)
		return;
	s->status = status;
	va_start(ap, fmt);
	msgbuf_vformat(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* A read of a stream input was interrupted: stop? */
static bool
interrupted(struct state *s)
{
	if (s->o.interrupted == NULL || !s->o.interrupted(s->o.arg))
		return false;
	state_fail(s, EX_TEMPFAIL, "input '%s': interrupted", s->in_name);
	return true;
}

static int
state_names(struct state *s)
{
		int n;

	n = s->o.dir != NULL ?
	    snprintf(s->dir, sizeof(s->dir), "%s", s->o.dir) :
	    snprintf(s->dir, sizeof(s->dir), "%s.state", s->o.output);
	if (n < 0 || (size_t)n >= sizeof(s->dir) ||
	    path_join(s->jpath, sizeof(s->jpath), s->dir, "journal") == -1)
		return state_fail(s, EX_CANTCREAT, "state '%s': %s", s->dir,
		    strerror(ENAMETOOLONG)), -1;
	return 0;
}

/*
 * pidfile_open, once more after 10 ms when the lock is held: rowpool
 * status tests the lock by taking it shared for a moment.
 */
static struct pidfh *
lock_open(const char *path, pid_t *other)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct pidfh *pfh;

	if ((pfh = pidfile_open(path, 0600, other)) != NULL || errno != EEXIST)
		return pfh;
	nanosleep(&ts, NULL);
	return pidfile_open(path, 0600, other);
}

/*
 * Who holds a lock, for a message: "pid N", or, when the holder has taken
 * the flock but not yet written its pid (pidfile_open waits 100 ms for it,
 * then gives -1: a loaded machine), "another run".
 */
static const char *
lock_holder(pid_t other, char *buf, size_t len)
{
	if (other <= 0)
		return "another run (its pid not written yet)";
	snprintf(buf, len, "pid %ld", (long)other);
	return buf;
}

/*
 * The output is locked too (OUTPUT.lock, an flock like the state's), so
 * that two runs with different --state never write one output.
 */
static int
lock_output(struct state *s)
{
	char path[PATH_MAX], who[32];
	pid_t other = 0;
	int n;

	n = snprintf(path, sizeof(path), "%s.lock", s->o.output);
	if (n < 0 || (size_t)n >= sizeof(path))
		return state_fail(s, EX_CANTCREAT, "output '%s': %s",
		    s->o.output, strerror(ENAMETOOLONG)), -1;
	if ((s->out_pfh = lock_open(path, &other)) == NULL) {
		if (errno == EEXIST)
			return state_fail(s, EX_TEMPFAIL, "output '%s' is being "
			    "written by %s (a run with another --state)",
			    s->o.output, lock_holder(other, who, sizeof(who))),
			    -1;
		return state_fail(s, EX_CANTCREAT, "lock '%s': %s", path,
		    strerror(errno)), -1;
	}
	pidfile_write(s->out_pfh);
	/* Best effort: a leftover it cannot remove costs disk, not rows. */
	(void)durable_remove_stale(s->o.output);
	return 0;
}

static int
make_and_lock(struct state *s)
{
	char path[PATH_MAX], who[32];
	pid_t other = 0;

	if (mkdir(s->dir, 0700) == 0) {
		/* The new directory's entry must outlive a power cut too. */
		if (path_dirname(path, sizeof(path), s->dir) == -1 ||
		    fsync_dir(path) == -1)
			return state_fail(s, io_exit_status(errno), "state "
			    "'%s': fsync of its directory: %s", s->dir,
			    strerror(errno)), -1;
	} else if (errno != EEXIST)
		return state_fail(s, EX_CANTCREAT, "state '%s': mkdir: %s",
		    s->dir, strerror(errno)), -1;
	path_join(path, sizeof(path), s->dir, "lock");
	if ((s->pfh = lock_open(path, &other)) == NULL) {
		if (errno == EEXIST)
			return state_fail(s, EX_TEMPFAIL, "state '%s' is in use "
			    "by %s", s->dir, lock_holder(other, who, sizeof(who))),
			    -1;
		return state_fail(s, EX_CANTCREAT, "lock '%s': %s", path,
		    strerror(errno)), -1;
	}
	pidfile_write(s->pfh);
	return lock_output(s);
}

/* The output's directory must take a new file before hours of work. */
static int
check_output_dir(struct state *s)
{
	char dir[PATH_MAX];
	struct stat st;

	if (stat(s->o.output, &st) == 0 && S_ISDIR(st.st_mode))
		return state_fail(s, EX_CANTCREAT, "output '%s': %s",
		    s->o.output, strerror(EISDIR)), -1;
	if (path_dirname(dir, sizeof(dir), s->o.output) == -1 ||
	    stat(dir, &st) == -1)
		return state_fail(s, EX_CANTCREAT, "output '%s': %s",
		    s->o.output, strerror(errno)), -1;
	if (!S_ISDIR(st.st_mode))
		return state_fail(s, EX_CANTCREAT, "output '%s': %s",
		    s->o.output, strerror(ENOTDIR)), -1;
	if (access(dir, W_OK) == -1)
		return state_fail(s, EX_CANTCREAT, "output '%s': %s",
		    s->o.output, strerror(errno)), -1;
	return 0;
}

static bool
same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return stat(path, &b) == 0 && a->st_dev == b.st_dev &&
	    a->st_ino == b.st_ino;
}

/*
 * Nothing rowpool writes may be the input, by any name (a symlink, a
 * hard link): not the output, its lock, the log, nor the state directory
 * or a file in it.  Compared by device and inode, before any work.
 */
static int
check_not_input(struct state *s, const struct stat *in)
{
	const char *what[] = { "output", "output lock", "log", "state "
	    "directory" };
	char lock[PATH_MAX], dir[PATH_MAX];
	const char *path[4];
	struct stat ds;
	size_t i;

	snprintf(lock, sizeof(lock), "%s.lock", s->o.output);
	path[0] = s->o.output;
	path[1] = lock;
	path[2] = s->log;
	path[3] = s->dir;
	for (i = 0; i < 4; i++)
		if (same_file(in, path[i]))
			return state_fail(s, EX_USAGE, "%s '%s' is the input "
			    "'%s'; rowpool would overwrite it", what[i],
			    path[i], s->o.input), -1;
	if (path_dirname(dir, sizeof(dir), s->o.input) == 0 &&
	    stat(dir, &ds) == 0 && same_file(&ds, s->dir))
		return state_fail(s, EX_USAGE, "state directory '%s' holds the "
		    "input '%s'; use another --state", s->dir,
		    s->o.input), -1;
	return 0;
}

/*
 * Settings as the manifest keeps them: a long text (a 600 KB prompt) or a
 * big schema becomes its digest, {"digest": "BYTES:HASH", "lines": N},
 * so the manifest stays small, and a change is still caught.
 */
#define SETTING_TEXT_MAX	256

static json_t *
setting_digest(const json_t *v)
{
	char *text = NULL, digest[64];
	const char *p;
	size_t len, lines = 0, i;
	json_t *d;

	if (json_is_string(v)) {
		p = json_string_value(v);
		len = json_string_length(v);
	} else if (json_is_object(v) || json_is_array(v)) {
		if ((text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) ==
		    NULL)
			return NULL;
		p = text;
		len = strlen(text);
	} else
		return json_deep_copy(v);
	if (len <= SETTING_TEXT_MAX) {
		free(text);
		return json_deep_copy(v);
	}
	for (i = 0; i < len; i++)
		lines += p[i] == '\n';
	lines += len > 0 && p[len - 1] != '\n';
	snprintf(digest, sizeof(digest), "%zu:%016llx", len,
	    (unsigned long long)input_hash(p, len));
	free(text);
	d = json_pack("{s:s, s:I}", "digest", digest, "lines",
	    (json_int_t)lines);
	return d;
}

static json_t *
settings_digest(const json_t *settings)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)(uintptr_t)settings, k, v)
		if (out == NULL || json_object_set_new(out, k,
		    setting_digest(v)) == -1) {
			json_decref(out);
			return NULL;
		}
	return out;
}

static json_t *
manifest_new(struct state *s, const char *fingerprint)
{
	json_t *set = settings_digest(s->o.settings);
	char abs[PATH_MAX];

	if (set == NULL)
		return NULL;
	if (realpath(s->in_path, abs) == NULL)
		strlcpy(abs, s->in_path, sizeof(abs));
	return json_pack("{s:i, s:{s:s, s:s, s:s}, s:o, s:I, s:I, s:I, s:I, "
	    "s:n}", "version", MANIFEST_VERSION, "input", "path", s->o.input,
	    "abspath", abs, "fingerprint", fingerprint, "settings", set,
	    "journal_length", (json_int_t)0, "rows_done", (json_int_t)0,
	    "ok", (json_int_t)0, "failed", (json_int_t)0, "rows_total");
}

/* A setting's value, short, for a message: never a whole prompt. */
static void
describe(const json_t *v, char *buf, size_t len)
{
	json_t *d = v != NULL ? setting_digest(v) : NULL;
	const char *dg = json_string_value(json_object_get(d, "digest"));
	char *text;

	if (v == NULL)
		snprintf(buf, len, "unset");
	else if (dg != NULL && json_object_size(d) == 2)
		snprintf(buf, len, "%.*s bytes in %lld line%s, hash %s",
		    (int)strcspn(dg, ":"), dg, (long long)json_integer_value(
		    json_object_get(d, "lines")), json_integer_value(
		    json_object_get(d, "lines")) == 1 ? "" : "s",
		    dg + strcspn(dg, ":") + 1);
	else if ((text = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY)) !=
	    NULL) {
		snprintf(buf, len, "%s", text);
		free(text);
	} else
		snprintf(buf, len, "?");
	json_decref(d);
}

static int
setting_changed(struct state *s, const char *k, const json_t *was,
    const json_t *now)
{
	char a[320], b[320], key[64], from[PATH_MAX + 32] = "";
	const char *file;

	describe(was, a, sizeof(a));
	describe(now, b, sizeof(b));
	snprintf(key, sizeof(key), "%s_file", k);
	if ((file = json_string_value(json_object_get(s->o.sources,
	    key))) != NULL)
		snprintf(from, sizeof(from), " (--%s '%s')", k, file);
	state_fail(s, EX_DATAERR, "state '%s': setting '%s'%s changed "
	    "(was %s; now %s); rerun with the same settings, or "
	    "with --restart to start over", s->dir, k, from, a, b);
	return -1;
}

/*
 * Compares the settings that change results, as digests (a manifest of
 * an older rowpool holds the whole texts); says which one changed.
 */
static int
settings_check(struct state *s, const json_t *was_raw)
{
	json_t *now = settings_digest(s->o.settings);
	json_t *was = settings_digest(was_raw), *v;
	const char *k;
	int rc = -1;

	if (now == NULL || was == NULL) {
		state_fail(s, EX_OSERR, "out of memory");
		goto out;
	}
	json_object_foreach(now, k, v)
		if (!json_equal(v, json_object_get(was, k))) {
			setting_changed(s, k, json_object_get(was_raw, k),
			    json_object_get(s->o.settings, k));
			goto out;
		}
	json_object_foreach(was, k, v)
		if (json_object_get(now, k) == NULL) {
			setting_changed(s, k, json_object_get(was_raw, k),
			    NULL);
			goto out;
		}
	rc = 0;
out:
	json_decref(now);
	json_decref(was);
	return rc;
}

/* ---- the manifest, checked field by field ---- */

static int
bad_field(struct state *s, const char *field, const char *why)
{
	return state_fail(s, EX_DATAERR, "state '%s': manifest field '%s' %s; "
	    "the manifest was edited or damaged: restore it, or rerun with "
	    "--restart to start over", s->dir, field, why), -1;
}

/* Integer field k of m, at least 0; -1 after run_fail otherwise. */
static int
count_field(struct state *s, const json_t *m, const char *k, uint64_t *out)
{
	const json_t *v = json_object_get(m, k);

	if (v == NULL)
		return bad_field(s, k, "is missing");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_field(s, k, "is not a count");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
manifest_fields(struct state *s, const json_t *m, uint64_t *committed)
{
	const json_t *in = json_object_get(m, "input"), *v;
	uint64_t total;

	if (!json_is_integer(json_object_get(m, "version")))
		return bad_field(s, "version", "is not a number");
	if (json_integer_value(json_object_get(m, "version")) !=
	    MANIFEST_VERSION)
		return state_fail(s, EX_DATAERR, "state '%s': manifest version "
		    "not supported; rerun with --restart", s->dir), -1;
	if (!json_is_object(in) ||
	    !json_is_string(json_object_get(in, "fingerprint")))
		return bad_field(s, "input", "has no fingerprint");
	if (!json_is_object(json_object_get(m, "settings")))
		return bad_field(s, "settings", "is not an object");
	if (count_field(s, m, "journal_length", committed) == -1 ||
	    count_field(s, m, "rows_done", &s->ndone) == -1 ||
	    count_field(s, m, "ok", &s->m_ok) == -1 ||
	    count_field(s, m, "failed", &s->m_failed) == -1)
		return -1;
	if (s->m_ok + s->m_failed != s->ndone)
		return bad_field(s, "rows_done", "is not 'ok' plus 'failed'");
	v = json_object_get(m, "rows_total");
	if (v != NULL && !json_is_null(v) && (count_field(s, m, "rows_total",
	    &total) == -1 || total < s->ndone))
		return s->status ? -1 : bad_field(s, "rows_total",
		    "is less than 'rows_done'");
	v = json_object_get(m, "tokens");
	if (v != NULL && !json_is_object(v))
		return bad_field(s, "tokens", "is not an object");
	return 0;
}

/*
 * The input grew: its first bytes are exactly the ones the state was
 * made from, which ended at the end of a line, and rows were appended.
 * The rows done keep their index; the new ones are simply not done yet.
 */
static bool
appended(struct state *s, const char *was, const char *now)
{
	unsigned long long old, cur;
	char fp[64], last;
	int fd;

	if (sscanf(was, "%llu:", &old) != 1 || sscanf(now, "%llu:", &cur) !=
	    1 || old == 0 || cur <= old)
		return false;
	if (input_fingerprint_prefix(s->in_path, old, fp, sizeof(fp)) == -1 ||
	    strcmp(fp, was) != 0)
		return false;
	if ((fd = open(s->in_path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (pread(fd, &last, 1, (off_t)old - 1) != 1 ||
	    (last != '\n' && last != '\r')) {
		close(fd);
		state_fail(s, EX_DATAERR, "input '%s' grew, but its last line "
		    "had no line end, so the rows appended change it; rerun "
		    "with --restart to start over", s->in_name);
		return false;
	}
	close(fd);
	s->appended = cur - old;
	return true;
}

static int
manifest_check(struct state *s, json_t *m, const char *fingerprint,
    uint64_t *committed)
{
	const char *fp;

	if (manifest_fields(s, m, committed) == -1)
		return -1;
	fp = json_string_value(json_object_get(json_object_get(m, "input"),
	    "fingerprint"));
	if (strcmp(fp, fingerprint) != 0 && !appended(s, fp, fingerprint))
		return state_fail(s, EX_DATAERR, "input '%s' changed since the "
		    "run in '%s' began (fingerprint %s, now %s); rerun with "
		    "--restart to start over", s->o.input, s->dir,
		    fp, fingerprint), -1;
	if (settings_check(s, json_object_get(m, "settings")) == -1)
		return -1;
	json_object_update(s->tokens, json_object_get(m, "tokens"));
	/* Optional: an older rowpool, or no --cache, wrote none. */
	if (json_integer_value(json_object_get(m, "cached")) > 0)
		s->ncached = (uint64_t)json_integer_value(json_object_get(m,
		    "cached"));
	if (json_is_number(json_object_get(m, "cost_usd")) && s->cost_usd >= 0)
		s->cost_usd = json_number_value(json_object_get(m, "cost_usd"));
	return 0;
}

/* ---- results, as the journal says ---- */

/*
 * How a record ended: -1 ok, else failed, of that kind (KIND_COUNT when
 * unknown).  Most records are ok and do not hold the failed status's
 * text: those are not parsed.  One that holds it may still be ok (an
 * answer's data with "status":"failed" in it): its own "status" decides.
 */
static int
record_kind(const char *payload, uint32_t len)
{
	static const char failed[] = "\"status\":\"failed\"";
	const char *st;
	json_t *rec;
	int k;

	if (memmem(payload, len, failed, sizeof(failed) - 1) == NULL)
		return -1;
	if ((rec = json_loadb(payload, len, 0, NULL)) == NULL)
		return KIND_COUNT;
	st = json_string_value(json_object_get(rec, "status"));
	if (json_is_object(rec) && (st == NULL || strcmp(st, "failed") != 0))
		k = -1;
	else if ((k = kind_parse(json_string_value(json_object_get(
	    json_object_get(rec, "error"), "kind")))) == -1)
		k = KIND_COUNT;
	json_decref(rec);
	return k;
}

/* Counts row's new last result; -1 with ENOMEM. */
static int
count_result(struct state *s, uint64_t row, const char *payload,
    uint32_t len)
{
	int k = record_kind(payload, len);

	if (k == -1) {
		s->nok++;
		return 0;
	}
	s->nfailed++;
	s->nkind[k]++;
	return bitset_set(&s->failed[k], row);
}

/* Row's last result is about to be replaced: uncount it. */
static void
forget_result(struct state *s, uint64_t row)
{
	int k;

	for (k = 0; k <= KIND_COUNT; k++)
		if (bitset_test(&s->failed[k], row)) {
			bitset_clear(&s->failed[k], row);
			s->nkind[k]--;
			s->nfailed--;
			return;
		}
	s->nok--;
}

static int
visit_done(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct state *s = arg;
	bool repl = (row & JOURNAL_REPLACES) != 0;

	row &= ~JOURNAL_REPLACES;
	/* Damage, and a bitset of its size: every row takes an input byte. */
	if (row >= s->rows_max) {
		s->dup_off = off + 1;
		s->bad_row = true;
		return 1;
	}
	if (bitset_test(&s->done, row) != repl) {
		s->dup_off = off + 1;	/* 0 means none */
		s->bad_replace = repl;
		return 1;
	}
	if (repl)
		forget_result(s, row);
	else if (bitset_set(&s->done, row) == -1) {
		s->visit_errno = errno;
		return 1;
	}
	s->nrecords += !repl;
	if (count_result(s, row, payload, len) == -1) {
		s->visit_errno = errno;
		return 1;
	}
	return 0;
}

static int
unlink_state(struct state *s)
{
	char path[PATH_MAX];

	path_join(path, sizeof(path), s->dir, MANIFEST_NAME);
	/* The manifest goes first: a journal without one counts for nothing. */
	if ((io_unlink(path) == -1 && errno != ENOENT) ||
	    (io_unlink(s->jpath) == -1 && errno != ENOENT) ||
	    fsync_dir(s->dir) == -1)
		return state_fail(s, io_exit_status(errno), "state '%s': "
		    "--restart: %s", s->dir, strerror(errno)), -1;
	return 0;
}

/*
 * The journal must be there and hold what the manifest committed; and
 * results without a manifest are never thrown away silently.
 */
static int
journal_present(struct state *s, bool have_manifest, uint64_t committed)
{
	struct stat st;

	if (stat(s->jpath, &st) == -1) {
		if (errno != ENOENT)
			return state_fail(s, EX_IOERR, "journal '%s': %s",
			    s->jpath, strerror(errno)), -1;
		if (committed > 0)
			return state_fail(s, EX_DATAERR, "journal '%s' is "
			    "missing, but the manifest says %llu bytes of it "
			    "were committed; restore it, or rerun with "
			    "--restart to start over", s->jpath,
			    (unsigned long long)committed), -1;
		return 0;
	}
	if (!have_manifest && st.st_size > 0)
		return state_fail(s, EX_DATAERR, "state '%s': journal holds %lld "
		    "bytes of results but there is no manifest (deleted?); "
		    "restore '%s/%s', or rerun with --restart to discard them "
		    "and start over", s->dir, (long long)st.st_size,
		    s->dir, MANIFEST_NAME), -1;
	if ((uint64_t)st.st_size < committed)
		return state_fail(s, EX_DATAERR, "journal '%s' is %lld bytes, "
		    "shorter than the %llu committed; refusing to resume "
		    "(rerun with --restart to start over)", s->jpath,
		    (long long)st.st_size, (unsigned long long)committed), -1;
	return 0;
}

static int
journal_recover(struct state *s, uint64_t committed)
{
	struct stat st;
	uint64_t bad = 0;

	s->rows_max = stat(s->in_path, &st) == 0 ? (uint64_t)st.st_size :
	    UINT64_MAX;
	s->j = journal_open(s->jpath, committed, visit_done, s, &bad);
	if (s->j == NULL && s->visit_errno != 0)
		return state_fail(s, EX_OSERR, "journal '%s': %s", s->jpath,
		    strerror(s->visit_errno)), -1;
	if (s->j == NULL && s->dup_off != 0)
		return state_fail(s, EX_DATAERR, "journal '%s': record at offset "
		    "%llu %s; refusing to resume (rerun with --restart to start "
		    "over)", s->jpath, (unsigned long long)(s->dup_off - 1),
		    s->bad_row ? "names a row past the input's end" :
		    s->bad_replace ? "replaces a row never done" :
		    "repeats a row"), -1;
	if (s->j == NULL && (errno == EBADMSG || errno == ENODATA))
		return state_fail(s, EX_DATAERR, "journal '%s': damaged record "
		    "at offset %llu; refusing to resume (rerun with --restart "
		    "to start over)", s->jpath, (unsigned long long)bad), -1;
	if (s->j == NULL)
		return state_fail(s, EX_IOERR, "journal '%s': %s", s->jpath,
		    strerror(errno)), -1;
	if (s->nrecords != s->ndone)
		return bad_field(s, "rows_done", s->nrecords < s->ndone ?
		    "counts more rows than the journal holds" :
		    "counts fewer rows than the journal holds");
	if (s->nok != s->m_ok || s->nfailed != s->m_failed)
		return bad_field(s, s->nok != s->m_ok ? "ok" : "failed",
		    "disagrees with the journal");
	return 0;
}

/* Loads the manifest, checks it still applies, recovers the journal. */
static int
recover(struct state *s, const char *fingerprint)
{
	char err[512];
	uint64_t committed = 0;
	json_t *m;
	int rc;

	if (s->o.restart && unlink_state(s) == -1)
		return -1;
	if ((m = manifest_load(s->dir, err, sizeof(err))) == NULL &&
	    errno != ENOENT)
		return state_fail(s, EX_DATAERR, "state '%s': %s; rerun with "
		    "--restart to start over", s->dir, err), -1;
	rc = m != NULL ? manifest_check(s, m, fingerprint, &committed) : 0;
	if (rc == 0)
		rc = journal_present(s, m != NULL, committed);
	json_decref(m);
	if (rc == -1 || journal_recover(s, committed) == -1)
		return -1;
	return 0;
}

static int
stat_input(struct state *s, struct stat *st)
{
	const char *in = s->o.input;

	s->in_name = in;
	if (strcmp(in, "-") == 0) {
		s->in_name = "(stdin)";
		s->spooled = true;
		return 0;
	}
	if (stat(in, st) == -1)
		return state_fail(s, errno == ENOENT || errno == EACCES ||
		    errno == ENOTDIR ? EX_NOINPUT : EX_IOERR, "input '%s': %s",
		    in, strerror(errno)), -1;
	if (S_ISDIR(st->st_mode))
		return state_fail(s, EX_NOINPUT, "input '%s': %s", in,
		    strerror(EISDIR)), -1;
	s->spooled = !S_ISREG(st->st_mode);
	if (strlcpy(s->in_path, in, sizeof(s->in_path)) >= sizeof(s->in_path))
		return state_fail(s, EX_NOINPUT, "input '%s': %s", in,
		    strerror(ENAMETOOLONG)), -1;
	return 0;
}

/*
 * Waits until fd can be read, or a signal came (true: stop).  The
 * signals are blocked while the handler's notes are looked at, and let
 * in only inside ppoll(2): one that comes just before the wait still
 * ends it (a pipe may never end, a FIFO may never get a writer).
 */
static bool
wait_readable(struct state *s, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	sigset_t block, old;
	bool stop;
	int n;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigcatch_test_raise("spool");	/* the race: a signal just before */
	while (!(stop = interrupted(s))) {
		n = ppoll(&pfd, 1, NULL, &old);
		if (n > 0 || (n == -1 && errno != EINTR))
			break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return stop;
}

/* A pipe may never end: a signal stops the copy. */
static int
spool_copy(struct state *s, int fd, struct durable *d, const char **step)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		if (wait_readable(s, fd))
			return 0;	/* s->status says why */
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (durable_write(d, buf, (size_t)n, step) == -1)
			return -1;
	}
	if (n == -1)
		*step = "read";
	return n == -1 ? -1 : 0;
}

/* open(2) of a FIFO waits for a writer: a signal stops the wait. */
static int
spool_open(struct state *s)
{
	int fd;

	/* Not blocking: a FIFO's open would wait for a writer. */
	while ((fd = open(s->o.input, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) ==
	    -1 && errno == EINTR && !interrupted(s))
		;
	return fd;
}

/* Copies a stream input whole into STATE/input, durably. */
static int
spool_input(struct state *s)
{
	const char *step = "open";
	struct durable d;
	int fd = STDIN_FILENO, rc;

	path_join(s->in_path, sizeof(s->in_path), s->dir, "input");
	if (strcmp(s->o.input, "-") != 0 && (fd = spool_open(s)) == -1)
		return s->status ? -1 : state_fail(s, EX_NOINPUT, "input '%s': "
		    "%s", s->o.input, strerror(errno)), -1;
	if ((rc = durable_open(&d, s->in_path, 0600, &step)) == 0 &&
	    (rc = spool_copy(s, fd, &d, &step)) == 0 && s->status == 0)
		rc = durable_commit(&d, &step);
	else
		durable_abort(&d);
	if (fd != STDIN_FILENO)
		close(fd);
	if (s->status != 0)
		return -1;
	if (rc == -1)
		return state_fail(s, strcmp(step, "read") == 0 ? EX_NOINPUT :
		    EX_IOERR, "input '%s': spooling into '%s': %s: %s",
		    s->in_name, s->in_path, step, strerror(errno)), -1;
	return 0;
}

/* --retry-failed: the rows to do again, by the kind they failed with. */
static int
select_redo(struct state *s)
{
	uint64_t row, from;
	int k;

	for (k = 0; k < KIND_COUNT; k++)
		for (from = 0; (s->o.retry_kinds & (1u << k)) &&
		    bitset_next(&s->failed[k], from, &row); from = row + 1) {
			if (bitset_set(&s->redo, row) == -1)
				return state_fail(s, EX_OSERR, "out of memory"),
				    -1;
			s->nredo++;
		}
	return 0;
}

/*
 * DIR/settings.json: the settings in full (the manifest keeps digests of
 * long ones), for rowpool export (the schema's fields) and for people.
 */
static int
write_settings(struct state *s)
{
	char path[PATH_MAX], *text;
	const char *step = "write";
	int rc;

	if (path_join(path, sizeof(path), s->dir, "settings.json") == -1 ||
	    (text = json_dumps(s->o.settings, JSON_INDENT(2))) == NULL)
		return state_fail(s, EX_OSERR, "out of memory"), -1;
	rc = durable_replace(path, 0600, text, strlen(text), &step);
	free(text);
	if (rc == -1)
		return state_fail(s, io_exit_status(errno), "state '%s': %s: "
		    "%s", path, step, strerror(errno)), -1;
	return 0;
}

/* ---- the calling sequence ---- */

void
state_init(struct state *s, const struct state_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->in_name = o->input;
	s->tokens = json_object();
	s->run = json_object();
	bitset_init(&s->done);
	bitset_init(&s->redo);
}

int
state_open(struct state *s)
{
	struct stat in;
	int n;

	if (state_names(s) == -1)
		return -1;
	n = s->o.log_path == NULL ?
	    snprintf(s->log, sizeof(s->log), "%s/log", s->dir) :
	    strcmp(s->o.log_path, "none") == 0 ? 0 :	/* --log none */
	    snprintf(s->log, sizeof(s->log), "%s", s->o.log_path);
	if (n < 0 || (size_t)n >= sizeof(s->log))
		return state_fail(s, EX_CANTCREAT, "log '%s': %s", s->log,
		    strerror(ENAMETOOLONG)), -1;
	if (stat_input(s, &in) == -1 ||
	    (!s->spooled && check_not_input(s, &in) == -1) ||
	    check_output_dir(s) == -1 || make_and_lock(s) == -1)
		return -1;
	return 0;
}

int
state_spool(struct state *s)
{
	return s->spooled ? spool_input(s) : 0;
}

int
state_recover(struct state *s, const char *fingerprint)
{
	if (recover(s, fingerprint) == -1 || select_redo(s) == -1)
		return -1;
	if ((s->manifest = manifest_new(s, fingerprint)) == NULL)
		return state_fail(s, EX_OSERR, "out of memory"), -1;
	return write_settings(s);
}

bool
state_wanted(const struct state *s, uint64_t row)
{
	return !bitset_test(&s->done, row) || bitset_test(&s->redo, row);
}

static int
record_fail(struct state *s, int err)
{
	state_fail(s, io_exit_status(err), "journal '%s': %s", s->jpath,
	    strerror(err));
	s->commit_failed = true;
	return -1;
}

int
state_record(struct state *s, uint64_t row, const json_t *rec, bool ok)
{
	bool repl = bitset_test(&s->redo, row);
	char *text;
	size_t len;
	int rc;

	if (bitset_test(&s->done, row) && !repl)
		abort();	/* a row finalized twice: a bug, never a result */
	if ((text = json_dumps(rec, JSON_COMPACT)) == NULL)
		return record_fail(s, ENOMEM);
	len = strlen(text);
	if (!repl && bitset_set(&s->done, row) == -1)
		rc = -1;
	else
		rc = journal_append(s->j, row | (repl ? JOURNAL_REPLACES : 0),
		    text, (uint32_t)len);
	if (rc == 0 && repl) {
		forget_result(s, row);
		bitset_clear(&s->redo, row);
		s->nredo--;
	}
	s->ndone += rc == 0 && !repl;
	if (rc == 0)
		rc = count_result(s, row, text, (uint32_t)len);
	free(text);
	(void)ok;
	return rc == 0 ? 0 : record_fail(s, errno);
}


void
state_add_usage(struct state *s, const json_t *usage)
{
	const char *k;
	json_int_t sum;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)usage, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		/* A manifest's total may be anything: stop at the most. */
		if (__builtin_add_overflow(json_integer_value(json_object_get(
		    s->tokens, k)), json_integer_value(v), &sum))
			sum = LLONG_MAX;
		json_object_set_new(s->tokens, k, json_integer(sum));
	}
}

static json_t *
by_kind(const struct state *s)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k <= KIND_COUNT; k++)
		if (s->nkind[k] > 0)
			json_object_set_new(o, k < KIND_COUNT ?
			    kind_name((enum kind)k) : "unknown",
			    json_integer((json_int_t)s->nkind[k]));
	return o;
}

static void
manifest_counts(struct state *s, int64_t rows_total)
{
	json_object_set_new(s->manifest, "journal_length",
	    json_integer((json_int_t)journal_length(s->j)));
	json_object_set_new(s->manifest, "rows_done",
	    json_integer((json_int_t)s->ndone));
	json_object_set_new(s->manifest, "ok", json_integer((json_int_t)s->nok));
	json_object_set_new(s->manifest, "failed",
	    json_integer((json_int_t)s->nfailed));
	json_object_set(s->manifest, "tokens", s->tokens);
	json_object_set_new(s->manifest, "cached",
	    json_integer((json_int_t)s->ncached));
	json_object_set_new(s->manifest, "failed_by_kind", by_kind(s));
	json_object_set_new(s->manifest, "cost_usd", s->cost_usd >= 0 ?
	    json_real(s->cost_usd) : json_null());
	json_object_set(s->manifest, "run", s->run);
	json_object_set_new(s->manifest, "rows_total", rows_total >= 0 ?
	    json_integer((json_int_t)rows_total) : json_null());
	json_object_set_new(s->manifest, "rows_input",
	    json_integer((json_int_t)s->rows_input));
}

int
state_commit(struct state *s, int64_t rows_total)
{
	const char *step = "write";

	if (s->commit_failed)
		return -1;
	if (journal_sync(s->j, &step) == -1) {
		state_fail(s, io_exit_status(errno), "checkpoint '%s': %s: %s",
		    s->jpath, step, strerror(errno));
		s->commit_failed = true;
		return -1;
	}
	manifest_counts(s, rows_total);
	if (manifest_commit(s->dir, s->manifest, &step) == -1) {
		state_fail(s, io_exit_status(errno), "checkpoint '%s/%s': %s: %s",
		    s->dir, MANIFEST_NAME, step, strerror(errno));
		s->commit_failed = true;
		return -1;
	}
	return 0;
}

void
state_child(struct state *s)
{
	pidfile_close(s->pfh);
	pidfile_close(s->out_pfh);
	s->pfh = s->out_pfh = NULL;
}

void
state_release(struct state *s)
{
	int k;

	if (s->j != NULL)
		journal_close(s->j);
	json_decref(s->manifest);
	json_decref(s->tokens);
	bitset_release(&s->done);
	bitset_release(&s->redo);
	for (k = 0; k <= KIND_COUNT; k++)
		bitset_release(&s->failed[k]);
	json_decref(s->run);
	s->run = NULL;
	if (s->out_pfh != NULL)
		pidfile_remove(s->out_pfh);
	if (s->pfh != NULL)
		pidfile_remove(s->pfh);
	s->j = NULL;
	s->manifest = s->tokens = NULL;
	s->pfh = s->out_pfh = NULL;
}
