/*
 * export: the committed results of a run, in row order, with the rows not
 * done yet as pending, to standard output or a file.  Invariant: rows are
 * written strictly in order, each exactly once, from row 0 to the last
 * row the run knows of (the input's when it is read); the journal, the
 * input and the output advance together, one row at a time, so nothing
 * held grows with the number of rows.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/csvw.h"
#include "rowpool/export.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/output.h"
#include "rowpool/shards.h"
#include "rowpool/sheet.h"
#include "rowpool/sink.h"
#include "rowpool/snapshot.h"

struct exp {
	const struct export_opts *o;
	struct export_result	*r;
	struct snapshot		 own;	/* one target, not a shard */
	struct shards		 ss;	/* several, or a shard */
	bool			 sharded;
	struct snapshot		*snap;	/* own, or the first shard's */
	struct sink		 sink;
	bool			 sink_open;
	struct csvw		 w;
	struct sheet		 sheet;
	struct input		*in;	/* with_input */
	struct input_row	 irow;	/* the current row's input */
	enum input_status	 ist;
	uint64_t		 next;	/* rows below it are written */
	uint64_t		 nrows;	/* when nrows_known */
	bool			 nrows_known;
};

static int __attribute__((format(printf, 3, 4)))
exp_fail(struct exp *x, int status, const char *fmt, ...)
{
	va_list ap;

	if (x->r->status == 0) {
		x->r->status = status;
		va_start(ap, fmt);
		vsnprintf(x->r->why, sizeof(x->r->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
snap_failed(struct exp *x, const struct snapshot *s)
{
	return exp_fail(x, s->status, "%s", s->why);
}

/*
 * The state: one run's, or the shards' (several targets, or one that is
 * a shard).  Every shard must be there, but with allow_partial; a shard
 * given alone is its own rows; a shard not finished has pending rows.
 */
static int
open_state(struct exp *x)
{
	const struct export_opts *o = x->o;
	const char *const *args = o->ntargets > 0 ? o->targets : &o->target;
	size_t n = o->ntargets > 0 ? o->ntargets : 1;
	unsigned flags = SHARDS_UNFINISHED_OK;

	if (n == 1) {
		if (snapshot_open(&x->own, args[0]) == -1)
			return snap_failed(x, &x->own);
		x->snap = &x->own;
		if (x->own.shard_n == 0)
			return 0;
		flags |= SHARDS_MISSING_OK;
	}
	if (o->allow_partial)
		flags |= SHARDS_MISSING_OK;
	x->sharded = true;
	if (shards_open(&x->ss, args, n, flags) == -1)
		return exp_fail(x, x->ss.status, "%s", x->ss.why);
	x->snap = shards_first(&x->ss);
	return 0;
}

/* Is row one to export?  A missing shard's are, with allow_partial. */
static bool
exported(const struct exp *x, uint64_t row)
{
	return !x->sharded || x->o->allow_partial || shards_has(&x->ss, row);
}

static const char *
out_name(const struct exp *x)
{
	return x->o->output != NULL ? x->o->output : "(standard output)";
}

static int
write_failed(struct exp *x, const char *step)
{
	int err = errno;

	x->r->broken_pipe = err == EPIPE && x->o->output == NULL;
	return exp_fail(x, err == ENOMEM ? EX_OSERR : strcmp(step, "open") ==
	    0 ? EX_CANTCREAT : EX_IOERR, "output '%s': %s: %s", out_name(x),
	    step, strerror(err));
}

static int
put(struct exp *x, const void *p, size_t n)
{
	const char *step = "write";

	if (sink_write(&x->sink, p, n, &step) == -1)
		return write_failed(x, step);
	return 0;
}

static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The output must not replace the input or a file of a state. */
static int
check_output(struct exp *x)
{
	const struct snapshot *s;
	char dir[PATH_MAX];
	const char *out = x->o->output;
	unsigned k, n = x->sharded ? x->ss.n : 1;

	if (out == NULL)
		return 0;
	if (same_file(out, x->snap->in_path))
		return exp_fail(x, EX_USAGE, "output '%s' is the input '%s'",
		    out, x->snap->in_path);
	if (path_dirname(dir, sizeof(dir), out) == -1)
		return 0;
	for (k = 0; k < n; k++)
		if ((s = x->sharded ? shards_get(&x->ss, k) : x->snap) !=
		    NULL && same_file(dir, s->dir))
			return exp_fail(x, EX_USAGE, "output '%s' is in the "
			    "state directory '%s'", out, s->dir);
	return 0;
}

static int
open_input(struct exp *x)
{
	enum input_status st;
	char err[INPUT_ERROR_MAX];
	bool grew;

	if (snapshot_input(x->snap, &grew) == -1)
		return snap_failed(x, x->snap);
	if (x->snap->format == 0)
		return exp_fail(x, EX_DATAERR, "input '%s': the run's settings "
		    "do not say its format", x->snap->in_name);
	x->in = input_open_as(x->snap->in_path, x->snap->in_name,
	    x->snap->format, x->snap->max_row_bytes, &st, err, sizeof(err));
	if (x->in == NULL)
		return exp_fail(x, st == INPUT_IOERR ? io_exit_status(errno) :
		    EX_DATAERR, "%s", err);
	return 0;
}

/*
 * Reads the input row of index row into x->irow: 1, or 0 at the end of
 * the input, or -1.
 */
static int
input_fetch(struct exp *x, uint64_t row)
{
	x->ist = input_next(x->in, &x->irow, true);
	if (x->ist == INPUT_EOF)
		return 0;
	if (x->ist == INPUT_IOERR)
		return exp_fail(x, io_exit_status(errno), "%s", x->irow.error);
	if (x->ist == INPUT_FATAL)
		return exp_fail(x, EX_DATAERR, "%s", x->irow.error);
	if (x->irow.index != row)	/* input.h numbers every record */
		return exp_fail(x, EX_SOFTWARE, "input '%s': row %llu read "
		    "as row %llu", x->snap->in_name, (unsigned long long)row,
		    (unsigned long long)x->irow.index);
	return 1;
}

/*
 * The number of rows: the whole input's for shards, the manifest's, or
 * the unchanged input's count.
 */
static void
row_count(struct exp *x)
{
	char fp[64];

	if (x->sharded) {
		x->nrows = x->ss.rows;
		x->nrows_known = true;
		return;
	}
	if (x->snap->rows_total >= 0) {
		x->nrows = (uint64_t)x->snap->rows_total;
		x->nrows_known = true;
		return;
	}
	/* An older manifest: without the input, the rows after the last
	 * one done cannot be listed as pending. */
	x->nrows_known = input_fingerprint(x->snap->in_path, fp,
	    sizeof(fp)) == 0 && strcmp(fp, x->snap->fingerprint) == 0 &&
	    input_count(x->snap->in_path, x->snap->in_name, x->snap->format,
	    x->snap->max_row_bytes, &x->nrows) == 0;
}

/*
 * Adds the keys of a JSONL row that keys lacks, in order: 1, 0 when
 * there would be more than EXPORT_KEYS_MAX, -1 out of memory.
 */
static int
add_keys(json_t *keys, const struct input_row *row)
{
	json_error_t jerr;
	json_t *obj, *v;
	const char *k;
	int rc = 1;

	/* input_next() checked the row: only memory can fail here. */
	if ((obj = json_loadb(row->json, row->len, 0, &jerr)) == NULL)
		return -1;
	json_object_foreach(obj, k, v) {
		if (json_object_get(keys, k) != NULL)
			continue;
		if (json_object_size(keys) == EXPORT_KEYS_MAX)
			rc = 0;
		else if (json_object_set(keys, k, json_null()) == -1)
			rc = -1;
		if (rc != 1)
			break;
	}
	json_decref(obj);
	return rc;
}

/*
 * A first pass over a JSONL input: its keys into keys, in the order they
 * first appear; *many when there are more than EXPORT_KEYS_MAX.
 */
static int
jsonl_keys(struct exp *x, json_t *keys, bool *many)
{
	enum input_status st;
	struct input_row row;
	char err[INPUT_ERROR_MAX];
	struct input *in;
	int rc = 1;

	in = input_open_as(x->snap->in_path, x->snap->in_name, x->snap->format,
	    x->snap->max_row_bytes, &st, err, sizeof(err));
	if (in == NULL)
		return exp_fail(x, st == INPUT_IOERR ? io_exit_status(errno) :
		    EX_DATAERR, "%s", err);
	while (rc == 1 && ((st = input_next(in, &row, true)) == INPUT_ROW ||
	    st == INPUT_BAD))
		if (st == INPUT_ROW)
			rc = add_keys(keys, &row);
	input_close(in);
	*many = rc == 0;
	if (rc == -1)
		return exp_fail(x, EX_OSERR, "%s", strerror(ENOMEM));
	if (rc == 1 && st != INPUT_EOF)
		return exp_fail(x, st == INPUT_IOERR ? io_exit_status(errno) :
		    EX_DATAERR, "%s", row.error);
	return 0;
}

static int
oom(struct exp *x)
{
	return exp_fail(x, EX_OSERR, "%s", strerror(ENOMEM));
}

/* A JSONL input's columns: its keys, or the whole row when too many. */
static int
jsonl_columns(struct exp *x)
{
	json_t *keys = json_object(), *v;
	const char *k;
	bool many = false;
	int rc = 0;

	if (keys == NULL)
		return oom(x);
	if (jsonl_keys(x, keys, &many) == -1)
		rc = -1;
	else if (many)
		rc = sheet_add_input_all(&x->sheet);
	else
		json_object_foreach(keys, k, v)
			if ((rc = sheet_add_input(&x->sheet, k)) == -1)
				break;
	json_decref(keys);
	return rc;
}

/* The columns (sheet.h), and the header written. */
static int
csv_start(struct exp *x)
{
	const char *const *cols = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (x->in != NULL && (cols = input_columns(x->in, &n)) == NULL)
		rc = jsonl_columns(x);
	for (i = 0; i < n && rc == 0; i++)
		rc = sheet_add_input(&x->sheet, cols[i]);
	if (rc == 0)
		rc = sheet_add_result(&x->sheet, x->snap->settings);
	if (rc == 0)
		rc = sheet_header(&x->sheet, &x->w);
	if (rc == -1)
		return x->r->status != 0 ? -1 : oom(x);
	rc = put(x, x->w.buf, x->w.len);
	csvw_clear(&x->w);
	return rc;
}

static int
bad_result(struct exp *x, uint64_t row, const char *why)
{
	return exp_fail(x, EX_DATAERR, "journal '%s': the result of row %llu "
	    "%s", x->snap->jpath, (unsigned long long)row, why);
}

/* A result as an object; NULL after exp_fail. */
static json_t *
parse_result(struct exp *x, uint64_t row, const char *payload, uint32_t len)
{
	json_error_t jerr;
	json_t *res;

	if ((res = json_loadb(payload, len, 0, &jerr)) == NULL &&
	    json_error_code(&jerr) == json_error_out_of_memory)
		return oom(x), NULL;
	if (!json_is_object(res)) {
		json_decref(res);
		return bad_result(x, row, "is not a JSON object"), NULL;
	}
	return res;
}

/* ,"input":ROW} and a newline, ROW null for a bad input row. */
static int
put_input(struct exp *x, bool comma)
{
	bool have = x->ist == INPUT_ROW;

	if ((comma && put(x, ",", 1) == -1) || put(x, "\"input\":", 8) == -1)
		return -1;
	return put(x, have ? x->irow.json : "null", have ? x->irow.len : 4);
}

/* The result as it is, or a pending row, with the input when asked. */
static int
write_jsonl(struct exp *x, uint64_t row, const char *payload, uint32_t len)
{
	char head[64];
	int n;

	if (payload == NULL) {
		n = snprintf(head, sizeof(head), "{\"row\":%llu,\"status\":"
		    "\"pending\"", (unsigned long long)row);
		payload = head;
		len = (uint32_t)n + 1;	/* as if it ended in '}' */
	} else if (len < 2 || payload[0] != '{' || payload[len - 1] != '}')
		return bad_result(x, row, "is not a JSON object");
	if (put(x, payload, len - 1) == -1)
		return -1;
	if (x->in != NULL && put_input(x, len > 2) == -1)
		return -1;
	return put(x, "}\n", 2);
}

static int
write_csv(struct exp *x, const json_t *res)
{
	json_error_t jerr;
	json_t *input = NULL;
	int rc;

	if (x->in != NULL && x->ist == INPUT_ROW &&
	    (input = json_loadb(x->irow.json, x->irow.len, 0, &jerr)) ==
	    NULL)
		return oom(x);	/* input_next() checked the row */
	rc = sheet_row(&x->sheet, &x->w, input, res);
	json_decref(input);
	if (rc == -1)
		return oom(x);
	rc = put(x, x->w.buf, x->w.len);
	csvw_clear(&x->w);
	return rc;
}

static bool
is_failed(const json_t *res)
{
	const char *st = json_string_value(json_object_get(res, "status"));

	return st != NULL && strcmp(st, "failed") == 0;
}

/* Writes row: its result, or pending when payload is NULL. */
static int
emit(struct exp *x, uint64_t row, const char *payload, uint32_t len)
{
	json_t *res = NULL;
	int rc = 0;

	if (x->o->interrupted != NULL && x->o->interrupted())
		return exp_fail(x, EX_TEMPFAIL, "interrupted");
	x->next = row + 1;
	if (payload != NULL && (x->o->format == EXPORT_CSV ||
	    x->o->failed_only) &&
	    (res = parse_result(x, row, payload, len)) == NULL)
		return -1;
	if (!x->o->failed_only || is_failed(res))
		rc = x->o->format == EXPORT_CSV ? write_csv(x, res) :
		    write_jsonl(x, row, payload, len);
	json_decref(res);
	return rc;
}

/* Rows before row with no result are pending; then row's result. */
static int
visit(void *arg, uint64_t row, const char *payload, uint32_t len,
    const char **step)
{
	struct exp *x = arg;
	uint64_t r;
	int rc;

	*step = "export";
	while ((r = x->next) <= row) {
		if (x->in != NULL && (rc = input_fetch(x, r)) != 1)
			return rc == -1 ? -1 : exp_fail(x, EX_DATAERR, "input "
			    "'%s' has %llu rows, but the journal has a result "
			    "for row %llu", x->snap->in_name,
			    (unsigned long long)r, (unsigned long long)row);
		if (!exported(x, r))
			x->next = r + 1;
		else if (emit(x, r, r == row ? payload : NULL, len) == -1)
			return -1;
	}
	return 0;
}

/* The rows after the last result: to the end of the input, or nrows. */
static int
trailing(struct exp *x)
{
	int rc;

	for (;;) {
		if (x->in != NULL && (rc = input_fetch(x, x->next)) != 1) {
			if (rc == -1)
				return -1;
			break;
		}
		if (x->in == NULL && (!x->nrows_known || x->next >= x->nrows))
			break;
		if (!exported(x, x->next))
			x->next++;
		else if (emit(x, x->next, NULL, 0) == -1)
			return -1;
	}
	if (x->nrows_known && x->next < x->nrows)
		return exp_fail(x, EX_DATAERR, "input '%s' has %llu rows, "
		    "fewer than the %llu the run counted", x->snap->in_name,
		    (unsigned long long)x->next,
		    (unsigned long long)x->nrows);
	return 0;
}

/* The journal's results in row order, the gaps pending. */
static int
walk(struct exp *x)
{
	const char *step = "journal";
	struct stat st;

	if (x->sharded) {
		if (shards_walk(&x->ss, visit, x) == 0)
			return 0;
		return x->ss.status != 0 ? exp_fail(x, x->ss.status, "%s",
		    x->ss.why) : -1;
	}
	if (x->snap->committed == 0 && stat(x->snap->jpath, &st) == -1 &&
	    errno == ENOENT)
		return 0;	/* nothing committed yet */
	if (output_walk(x->snap->jpath, x->snap->committed, x->nrows_known ?
	    x->nrows : UINT64_MAX, visit, x, &step) == 0)
		return 0;
	if (x->r->status != 0)
		return -1;
	if (strcmp(step, "alloc") == 0 || errno == ENOMEM)
		return oom(x);
	if (strcmp(step, "check") == 0)
		return exp_fail(x, EX_DATAERR, "journal '%s': a row %s",
		    x->snap->jpath, x->nrows_known ? "past the run's rows, or "
		    "twice" : "twice");
	return exp_fail(x, errno == EBADMSG || errno == ENODATA ||
	    errno == ENOENT ? EX_DATAERR : io_exit_status(errno),
	    "journal '%s': %s", x->snap->jpath, errno == EBADMSG ?
	    "damaged record" : errno == ENODATA ? "shorter than the "
	    "committed length" : strerror(errno));
}

static int
export_steps(struct exp *x)
{
	const char *step = "open";

	if (open_state(x) == -1)
		return -1;
	if (check_output(x) == -1 || (x->o->with_input && open_input(x) == -1))
		return -1;
	row_count(x);
	if (sink_open(&x->sink, x->o->output, &step) == -1)
		return write_failed(x, step);
	x->sink_open = true;
	if ((x->o->format == EXPORT_CSV && csv_start(x) == -1) ||
	    walk(x) == -1 || trailing(x) == -1)
		return -1;
	x->sink_open = false;
	if (sink_commit(&x->sink, &step) == -1)
		return write_failed(x, step);
	return 0;
}

int
export_run(const struct export_opts *o, struct export_result *r)
{
	struct exp x = { .o = o, .r = r };

	memset(r, 0, sizeof(*r));
	csvw_init(&x.w);
	sheet_init(&x.sheet);
	export_steps(&x);
	if (x.sink_open)
		sink_abort(&x.sink);
	if (x.in != NULL)
		input_close(x.in);
	sheet_release(&x.sheet);
	csvw_release(&x.w);
	snapshot_release(&x.own);
	if (x.sharded)
		shards_release(&x.ss);
	return r->status;
}
