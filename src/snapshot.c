/*
 * snapshot: a state directory's committed results, read only.
 * Invariant: it never writes into the state and never takes its lock, so
 * it can run beside the run that owns it; it believes the manifest only
 * for the journal's committed length, the settings and the input.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "rowpool/manifest.h"
#include "rowpool/snapshot.h"

#define MANIFEST_VERSION	1

static int __attribute__((format(printf, 3, 4)))
snap_fail(struct snapshot *s, int status, const char *fmt, ...)
{
	va_list ap;

	if (s->status == 0) {
		s->status = status;
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool
has_manifest(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    path_join(path, sizeof(path), dir, MANIFEST_NAME) == 0 &&
	    access(path, F_OK) == 0;
}

/* target itself when it holds a manifest, else target.state. */
static int
locate(struct snapshot *s, const char *target)
{
	struct stat st;
	int n;

	if (has_manifest(target))
		n = snprintf(s->dir, sizeof(s->dir), "%s", target);
	else
		n = snprintf(s->dir, sizeof(s->dir), "%s.state", target);
	if (n < 0 || (size_t)n >= sizeof(s->dir) ||
	    path_join(s->jpath, sizeof(s->jpath), s->dir, "journal") == -1)
		return snap_fail(s, EX_NOINPUT, "state '%s': %s", target,
		    strerror(ENAMETOOLONG));
	if (has_manifest(s->dir))
		return 0;
	if (stat(target, &st) == 0 && S_ISDIR(st.st_mode))
		return snap_fail(s, EX_NOINPUT, "state '%s' has no manifest "
		    "(no checkpoint committed yet, or not a state directory)",
		    target);
	return snap_fail(s, EX_NOINPUT, "no state for '%s': '%s/%s': %s",
	    target, s->dir, MANIFEST_NAME, strerror(ENOENT));
}

static int
bad_field(struct snapshot *s, const char *field, const char *why)
{
	return snap_fail(s, EX_DATAERR, "state '%s': manifest field '%s' %s",
	    s->dir, field, why);
}

static int
count(struct snapshot *s, const char *k, bool nullable, int64_t *out)
{
	const json_t *v = json_object_get(s->manifest, k);

	if (nullable && (v == NULL || json_is_null(v))) {
		*out = -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_field(s, k, v == NULL ? "is missing" :
		    "is not a count");
	*out = json_integer_value(v);
	return 0;
}

/* The input the run read, as the manifest names it. */
static int
input_fields(struct snapshot *s)
{
	const json_t *in = json_object_get(s->manifest, "input");
	const char *abs = json_string_value(json_object_get(in, "abspath"));
	int n;

	s->in_name = json_string_value(json_object_get(in, "path"));
	s->fingerprint = json_string_value(json_object_get(in,
	    "fingerprint"));
	if (s->in_name == NULL || s->fingerprint == NULL)
		return bad_field(s, "input", "has no path or fingerprint");
	if (strcmp(s->in_name, "-") == 0)
		s->in_name = "(stdin)";
	if (abs != NULL)
		n = snprintf(s->in_path, sizeof(s->in_path), "%s", abs);
	else if (strcmp(s->in_name, "(stdin)") == 0)
		n = snprintf(s->in_path, sizeof(s->in_path), "%s/input",
		    s->dir);
	else
		n = snprintf(s->in_path, sizeof(s->in_path), "%s", s->in_name);
	if (n < 0 || (size_t)n >= sizeof(s->in_path))
		return bad_field(s, "input", "holds a path too long");
	return 0;
}

/* settings.shard, "K/N" with K < N, when the run was a shard. */
static int
shard_field(struct snapshot *s)
{
	const json_t *v = json_object_get(json_object_get(s->manifest,
	    "settings"), "shard");
	const char *t = json_string_value(v);
	char extra;

	if (v == NULL)
		return 0;
	if (t == NULL || sscanf(t, "%u/%u%c", &s->shard_k, &s->shard_n,
	    &extra) != 2 || s->shard_k >= s->shard_n)
		return bad_field(s, "settings.shard", "is not K/N with K < N");
	return 0;
}

static int
manifest_fields(struct snapshot *s)
{
	const json_t *m = s->manifest;
	int64_t committed;

	if (json_integer_value(json_object_get(m, "version")) !=
	    MANIFEST_VERSION)
		return snap_fail(s, EX_DATAERR, "state '%s': manifest version "
		    "not supported by this rowpool", s->dir);
	if (count(s, "journal_length", false, &committed) == -1 ||
	    count(s, "rows_total", true, &s->rows_total) == -1 ||
	    count(s, "rows_input", true, &s->rows_input) == -1)
		return -1;
	s->committed = (uint64_t)committed;
	if (!json_is_object(json_object_get(m, "settings")))
		return bad_field(s, "settings", "is not an object");
	if (shard_field(s) == -1)
		return -1;
	return input_fields(s);
}

/* settings.json, or the manifest's settings when there is none. */
static int
load_settings(struct snapshot *s)
{
	char path[PATH_MAX];
	json_error_t jerr;
	struct stat st;

	if (path_join(path, sizeof(path), s->dir, "settings.json") == -1 ||
	    (stat(path, &st) == -1 && errno == ENOENT)) {
		s->settings = json_incref(json_object_get(s->manifest,
		    "settings"));
		return 0;
	}
	s->settings = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(s->settings))
		return snap_fail(s, EX_DATAERR, "state '%s': settings.json: %s",
		    s->dir, s->settings == NULL ? jerr.text :
		    "not an object");
	return 0;
}

/* The input's format and row limit, as the run read it. */
static void
input_settings(struct snapshot *s)
{
	const char *f = json_string_value(json_object_get(s->settings,
	    "format"));
	json_int_t max = json_integer_value(json_object_get(s->settings,
	    "max_row_bytes"));

	if (f != NULL && strcmp(f, "csv") == 0)
		s->format = INPUT_CSV;
	else if (f != NULL && strcmp(f, "jsonl") == 0)
		s->format = INPUT_JSONL;
	else
		s->format = input_format_from_path(s->in_name);
	s->max_row_bytes = max > 0 ? (size_t)max : 0;
}

int
snapshot_open(struct snapshot *s, const char *target)
{
	char err[512];

	memset(s, 0, sizeof(*s));
	s->rows_total = s->rows_input = -1;
	if (locate(s, target) == -1)
		return -1;
	if ((s->manifest = manifest_load(s->dir, err, sizeof(err))) == NULL)
		return snap_fail(s, errno == ENOENT ? EX_NOINPUT : errno ==
		    EBADMSG ? EX_DATAERR : io_exit_status(errno),
		    "state '%s': manifest: %s", s->dir, err);
	if (manifest_fields(s) == -1 || load_settings(s) == -1)
		return -1;
	input_settings(s);
	return 0;
}

/* Size of a fingerprint "SIZE:HASH"; -1 when it is not one. */
static long long
fp_size(const char *fp)
{
	long long n;
	char c;

	return sscanf(fp, "%lld%c", &n, &c) == 2 && c == ':' && n >= 0 ?
	    n : -1;
}

/*
 * The file's first old bytes are the run's whole input, which ended at
 * a line end (else the first new bytes changed its last row).
 */
static bool
grown(const struct snapshot *s, const char *now)
{
	long long old = fp_size(s->fingerprint), cur = fp_size(now);
	char fp[64], last = 0;
	int fd;

	if (old <= 0 || cur <= old || input_fingerprint_prefix(s->in_path,
	    (uint64_t)old, fp, sizeof(fp)) == -1 ||
	    strcmp(fp, s->fingerprint) != 0)
		return false;
	if ((fd = open(s->in_path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (pread(fd, &last, 1, (off_t)old - 1) != 1)
		last = 0;
	close(fd);
	return last == '\n' || last == '\r';
}

int
snapshot_input(struct snapshot *s, bool *grew)
{
	char now[64];

	*grew = false;
	if (input_fingerprint(s->in_path, now, sizeof(now)) == -1)
		return snap_fail(s, errno == ENOENT || errno == EACCES ||
		    errno == ENOTDIR ? EX_NOINPUT : io_exit_status(errno),
		    "input '%s': %s", s->in_path, strerror(errno));
	if (strcmp(now, s->fingerprint) == 0)
		return 0;
	if ((*grew = grown(s, now)))
		return 0;
	return snap_fail(s, EX_DATAERR, "input '%s' changed since the run in "
	    "'%s' read it (fingerprint %s, now %s); its rows cannot be "
	    "matched with the results", s->in_path, s->dir, s->fingerprint,
	    now);
}

void
snapshot_release(struct snapshot *s)
{
	json_decref(s->manifest);
	json_decref(s->settings);
	s->manifest = s->settings = NULL;
}
