/*
 * input: turns a CSV or JSONL file into rows, each a JSON object text
 * (see input.h), on top of the csv and jsonl readers.
 *
 * The invariant that resume depends on: every record the reader hands out
 * (good or bad) takes the next index, and nothing else does, so the same
 * bytes always give the same numbering.  CSV rows are checked (field
 * count, NUL, strict UTF-8) before they are turned into JSON with our own
 * escaper: the header's names are escaped once, at open.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/endian.h>

#include <jansson.h>

#include "rowpool/buf.h"
#include "rowpool/csv.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/jsonl.h"
#include "rowpool/msgbuf.h"
#include "rowpool/utf8.h"

#define FP_CHUNK	(64u * 1024)

struct input {
	enum input_format	 fmt;
	int			 fd;
	char			*path;
	char			*name;		/* in messages */
	size_t			 max;
	uint64_t		 next;		/* index of the next record */
	struct csv_reader	*csv;
	struct jsonl_reader	*jsonl;

	char			**cols;		/* ncols names, then NULL */
	size_t			 ncols;
	char			*keys;		/* {"name": then ,"name": */
	size_t			*keyoff;	/* ncols + 1 offsets */

	struct buf		 out;		/* the row's JSON text */
};

enum field_problem {
	FIELD_OK,
	FIELD_NUL,
	FIELD_UTF8
};

static void	input_vmsg(char *, size_t, const char *, unsigned long,
		    const char *, va_list)
		    __attribute__((format(printf, 5, 0)));
static void	input_msg(char *, size_t, const char *, unsigned long,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
static enum input_status input_fail(struct input *, struct input_row *,
		    enum input_status, unsigned long, const char *, ...)
		    __attribute__((format(printf, 5, 6)));

/* Messages: "FILE:LINE: problem", or "FILE: problem" for line 0. */
static void
input_vmsg(char *buf, size_t len, const char *path, unsigned long line,
    const char *fmt, va_list ap)
{
	struct msgbuf b;

	msgbuf_init(&b, buf, len);
	if (line > 0)
		msgbuf_add(&b, "%s:%lu: ", path, line);
	else
		msgbuf_add(&b, "%s: ", path);
	msgbuf_vadd(&b, fmt, ap);
	msgbuf_finish(&b);
}

static void
input_msg(char *buf, size_t len, const char *path, unsigned long line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	input_vmsg(buf, len, path, line, fmt, ap);
	va_end(ap);
}

/* Fills row->error and returns st; keeps errno. */
static enum input_status
input_fail(struct input *in, struct input_row *row, enum input_status st,
    unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	row->json = NULL;
	row->len = 0;
	va_start(ap, fmt);
	input_vmsg(row->error, sizeof(row->error), in->name, line, fmt, ap);
	va_end(ap);
	errno = saved;
	return st;
}

static enum input_status
input_ioerr(struct input *in, struct input_row *row, const char *what)
{
	return input_fail(in, row, INPUT_IOERR, 0, "%s: %s", what,
	    strerror(errno));
}

enum input_format
input_format_from_path(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return 0;
	if (strcasecmp(dot, ".csv") == 0)
		return INPUT_CSV;
	if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0)
		return INPUT_JSONL;
	return 0;
}

static enum field_problem
field_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t k;

	while (p < e) {
		if (*p == '\0')
			return FIELD_NUL;
		if (*p < 0x80)
			p++;
		else if ((k = utf8_decode(p, (size_t)(e - p), NULL)) > 0)
			p += k;
		else
			return FIELD_UTF8;
	}
	return FIELD_OK;
}

/* Escapes one byte that JSON does not allow bare into o; returns the end. */
static char *
json_escape_byte(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '\\';
	switch (c) {
	case '"':
	case '\\':
		*o++ = (char)c;
		break;
	case '\b':
		*o++ = 'b';
		break;
	case '\f':
		*o++ = 'f';
		break;
	case '\n':
		*o++ = 'n';
		break;
	case '\r':
		*o++ = 'r';
		break;
	case '\t':
		*o++ = 't';
		break;
	default:
		memcpy(o, "u00", 3);
		o[3] = hex[c >> 4];
		o[4] = hex[c & 0xf];
		o += 5;
	}
	return o;
}

/*
 * Appends lead (JSON text as it is: a separator, an escaped key), then s
 * between quotes as a JSON string (RFC 8259: '"', '\' and U+0000..U+001F
 * escaped; s is valid UTF-8, so the rest goes as it is).  One
 * reservation for both: this runs for every field of every row.
 */
static int
json_quote(struct buf *b, const char *lead, size_t llen, const char *s,
    size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	char *o;

	if (n > (SIZE_MAX - 2) / 6 - llen ||
	    buf_reserve(b, llen + 6 * n + 2) == -1) {
		errno = ENOMEM;
		return -1;
	}
	o = b->p + b->len;
	memcpy(o, lead, llen);
	o += llen;
	*o++ = '"';
	for (; p < e; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			*o++ = (char)*p;
		else
			o = json_escape_byte(o, *p);
	}
	*o++ = '"';
	buf_setlen(b, (size_t)(o - b->p));
	return 0;
}

/* Builds {"col":"value",...} from a checked record into in->out. */
static int
csv_to_json(struct input *in, const struct csv_record *rec)
{
	const struct csv_field *f;
	size_t i;

	buf_reset(&in->out);
	for (i = 0; i < rec->nfields; i++) {
		f = &rec->fields[i];
		if (json_quote(&in->out, in->keys + in->keyoff[i],
		    in->keyoff[i + 1] - in->keyoff[i], f->ptr, f->len) == -1)
			return -1;
	}
	return buf_add(&in->out, i == 0 ? "{}" : "}", i == 0 ? 2 : 1);
}

static enum input_status
csv_check_row(struct input *in, const struct csv_record *rec,
    struct input_row *row)
{
	size_t i;

	if (rec->nfields != in->ncols)
		return input_fail(in, row, INPUT_BAD, rec->line,
		    "expected %zu field%s, found %zu", in->ncols,
		    in->ncols == 1 ? "" : "s", rec->nfields);
	for (i = 0; i < rec->nfields; i++) {
		switch (field_check(rec->fields[i].ptr, rec->fields[i].len)) {
		case FIELD_OK:
			break;
		case FIELD_NUL:
			return input_fail(in, row, INPUT_BAD, rec->line,
			    "NUL byte in field %zu", i + 1);
		case FIELD_UTF8:
			return input_fail(in, row, INPUT_BAD, rec->line,
			    "invalid UTF-8 in field %zu", i + 1);
		}
	}
	return INPUT_ROW;
}

static enum input_status
csv_row(struct input *in, const struct csv_record *rec,
    struct input_row *row, bool want)
{
	enum input_status st;

	if ((st = csv_check_row(in, rec, row)) != INPUT_ROW)
		return st;
	row->json = NULL;
	row->len = 0;
	if (!want)
		return INPUT_ROW;
	if (csv_to_json(in, rec) == -1)
		return input_ioerr(in, row, "row");
	row->json = in->out.p;
	row->len = in->out.len;
	return INPUT_ROW;
}

/*
 * A record the reader handed out, good or bad: it takes the next index.
 * Returns INPUT_ROW, or INPUT_BAD when it was too big.
 */
static enum input_status
input_take(struct input *in, struct input_row *row, unsigned long line,
    bool toobig)
{
	row->index = in->next++;
	row->line = line;
	if (toobig)
		return input_fail(in, row, INPUT_BAD, line,
		    "row larger than %zu bytes", in->max);
	return INPUT_ROW;
}

static enum input_status
input_next_csv(struct input *in, struct input_row *row, bool want)
{
	struct csv_record rec;
	enum csv_status st;

	if ((st = csv_next(in->csv, &rec)) == CSV_ERROR)
		return input_ioerr(in, row, "read");
	if (st == CSV_EOF)
		return INPUT_EOF;
	if (input_take(in, row, rec.line, st == CSV_TOOBIG) != INPUT_ROW)
		return INPUT_BAD;
	if (st == CSV_UNTERMINATED)
		return input_fail(in, row, INPUT_BAD, rec.quote_line,
		    "unterminated quoted field");
	return csv_row(in, &rec, row, want);
}

/*
 * jansson counts every value, scalars too, as one level, and the
 * supervisor parses a worker's result, which holds the row one level down
 * ({"ok":true,"data":ROW} from the echo processor), with jansson's limit:
 * a row INPUT_MAX_DEPTH deep must stay 2 levels inside it.
 */
static_assert(INPUT_MAX_DEPTH + 2 <= JSON_PARSER_MAX_DEPTH,
    "a row at INPUT_MAX_DEPTH must survive the result envelope");

/* What jansson lets through or words poorly: raw NUL, deep nesting. */
static enum input_status
jsonl_prescan(struct input *in, const struct jsonl_line *l,
    struct input_row *row)
{
	size_t col;

	switch (jsonl_check(l->ptr, l->len, INPUT_MAX_DEPTH, &col)) {
	case JSONL_NUL:
		return input_fail(in, row, INPUT_BAD, l->line,
		    "NUL byte at column %zu", col);
	case JSONL_DEEP:
		return input_fail(in, row, INPUT_BAD, l->line,
		    "nested deeper than %d levels", INPUT_MAX_DEPTH);
	case JSONL_CLEAN:
		break;
	}
	return INPUT_ROW;
}

/*
 * Checks a line with jsonl_check, then with jansson, which rejects
 * invalid UTF-8, \u0000, control characters in strings and trailing
 * garbage itself.  Every row accepted here parses again in the worker.
 */
static enum input_status
jsonl_row(struct input *in, const struct jsonl_line *l,
    struct input_row *row)
{
	enum input_status st;
	json_error_t jerr;
	json_t *v;
	bool obj;

	if ((st = jsonl_prescan(in, l, row)) != INPUT_ROW)
		return st;
	v = json_loadb(l->ptr, l->len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return input_fail(in, row, INPUT_BAD, l->line,
		    "invalid JSON at column %d: %s", jerr.column, jerr.text);
	obj = json_is_object(v);
	json_decref(v);
	if (!obj)
		return input_fail(in, row, INPUT_BAD, l->line,
		    "not a JSON object");
	row->json = l->ptr;
	row->len = l->len;
	return INPUT_ROW;
}

static enum input_status
input_next_jsonl(struct input *in, struct input_row *row, bool want)
{
	struct jsonl_line l;
	enum jsonl_status st;

	if ((st = jsonl_next(in->jsonl, &l)) == JSONL_ERROR)
		return input_ioerr(in, row, "read");
	if (st == JSONL_EOF)
		return INPUT_EOF;
	if (input_take(in, row, l.line, st == JSONL_TOOBIG) != INPUT_ROW)
		return INPUT_BAD;
	return jsonl_row(in, &l, row);
}

enum input_status
input_next(struct input *in, struct input_row *row, bool want)
{
	row->json = NULL;
	row->len = 0;
	row->error[0] = '\0';
	if (in->fmt == INPUT_CSV)
		return input_next_csv(in, row, want);
	return input_next_jsonl(in, row, want);
}

/* A UTF-16 or UTF-32 file shows a BOM or NULs in its first record. */
static const char *
header_wide(const struct csv_record *rec)
{
	const struct csv_field *f = &rec->fields[0];
	size_t i;

	if (f->len >= 4 && (memcmp(f->ptr, "\xff\xfe\0\0", 4) == 0 ||
	    memcmp(f->ptr, "\0\0\xfe\xff", 4) == 0))
		return "UTF-32";
	if (f->len >= 2 && (memcmp(f->ptr, "\xff\xfe", 2) == 0 ||
	    memcmp(f->ptr, "\xfe\xff", 2) == 0))
		return "UTF-16";
	for (i = 0; i < rec->nfields; i++)
		if (memchr(rec->fields[i].ptr, '\0', rec->fields[i].len))
			return "UTF-16";
	return NULL;
}

struct colref {
	const char	*name;
	size_t		 idx;
};

static int
colref_cmp(const void *a, const void *b)
{
	const struct colref *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Finds the first column (in file order) whose name repeats an earlier
 * one, in O(n log n) since a header may have many columns.  Returns 0, 1
 * with *first and *dup set, or -1 (ENOMEM).
 */
static int
header_find_dup(struct input *in, size_t *first, size_t *dup)
{
	struct colref *v;
	size_t i, n = in->ncols;
	int found = 0;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = (struct colref){ .name = in->cols[i], .idx = i };
	qsort(v, n, sizeof(*v), colref_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i].name, v[i - 1].name) != 0)
			continue;
		if (i >= 2 && strcmp(v[i - 2].name, v[i].name) == 0)
			continue;	/* a third one: the second came first */
		if (!found || v[i].idx < *dup) {
			*first = v[i - 1].idx;
			*dup = v[i].idx;
			found = 1;
		}
	}
	free(v);
	return found;
}

static enum input_status
header_dups(struct input *in, struct input_row *row, unsigned long line)
{
	size_t first = 0, dup = 0;
	int r;

	if ((r = header_find_dup(in, &first, &dup)) == -1)
		return input_ioerr(in, row, "header");
	if (r == 0)
		return INPUT_ROW;
	return input_fail(in, row, INPUT_FATAL, line,
	    "duplicate column name '%.64s' (columns %zu and %zu)",
	    in->cols[dup], first + 1, dup + 1);
}

static enum input_status
header_check(struct input *in, const struct csv_record *rec,
    struct input_row *row)
{
	const char *wide;
	size_t i;

	if ((wide = header_wide(rec)) != NULL)
		return input_fail(in, row, INPUT_FATAL, 0,
		    "looks like %s; rowpool reads UTF-8 only", wide);
	for (i = 0; i < rec->nfields; i++) {
		if (rec->fields[i].len == 0)
			return input_fail(in, row, INPUT_FATAL, rec->line,
			    "empty column name (column %zu)", i + 1);
		if (field_check(rec->fields[i].ptr, rec->fields[i].len) !=
		    FIELD_OK)
			return input_fail(in, row, INPUT_FATAL, rec->line,
			    "invalid UTF-8 in column name %zu", i + 1);
	}
	return INPUT_ROW;
}

/* Copies the names into one block: the pointer array, then the bytes. */
static int
header_store(struct input *in, const struct csv_record *rec)
{
	size_t i, n = rec->nfields, total = 0;
	char *p;

	for (i = 0; i < n; i++)
		total += rec->fields[i].len + 1;
	if ((in->cols = malloc((n + 1) * sizeof(char *) + total)) == NULL)
		return -1;
	p = (char *)(in->cols + n + 1);
	for (i = 0; i < n; i++) {
		memcpy(p, rec->fields[i].ptr, rec->fields[i].len);
		p[rec->fields[i].len] = '\0';
		in->cols[i] = p;
		p += rec->fields[i].len + 1;
	}
	in->cols[n] = NULL;
	in->ncols = n;
	return 0;
}

/* Escapes every {"name": or ,"name": once, into keys. */
static int
header_keys(struct input *in)
{
	struct buf keys = BUF_INIT;
	size_t i;

	if ((in->keyoff = calloc(in->ncols + 1, sizeof(size_t))) == NULL)
		return -1;
	for (i = 0; i < in->ncols; i++) {
		in->keyoff[i] = keys.len;
		if (json_quote(&keys, i == 0 ? "{" : ",", 1, in->cols[i],
		    strlen(in->cols[i])) == -1 || buf_add(&keys, ":", 1) == -1)
			goto fail;
	}
	in->keyoff[in->ncols] = keys.len;
	if ((in->keys = buf_detach(&keys, NULL)) == NULL)
		goto fail;
	return 0;
fail:
	buf_release(&keys);
	return -1;
}

static enum input_status
header_read(struct input *in, struct input_row *row)
{
	struct csv_record rec;

	switch (csv_next(in->csv, &rec)) {
	case CSV_ERROR:
		return input_ioerr(in, row, "read");
	case CSV_EOF:
		return input_fail(in, row, INPUT_FATAL, 0,
		    "empty file: no header");
	case CSV_TOOBIG:
		return input_fail(in, row, INPUT_FATAL, rec.line,
		    "header larger than %zu bytes", in->max);
	case CSV_UNTERMINATED:
		return input_fail(in, row, INPUT_FATAL, rec.quote_line,
		    "unterminated quoted field in header");
	case CSV_RECORD:
		break;
	}
	if (header_check(in, &rec, row) != INPUT_ROW)
		return INPUT_FATAL;
	if (header_store(in, &rec) == -1 || header_keys(in) == -1)
		return input_ioerr(in, row, "header");
	return header_dups(in, row, rec.line);
}

static enum input_status
input_start(struct input *in, struct input_row *row)
{
	if (in->fmt != INPUT_CSV && in->fmt != INPUT_JSONL) {
		errno = EINVAL;
		return input_fail(in, row, INPUT_FATAL, 0,
		    "unknown input format (expected .csv, .jsonl or .ndjson)");
	}
	if ((in->fd = open(in->path, O_RDONLY | O_CLOEXEC)) == -1)
		return input_ioerr(in, row, "open");
	if (in->fmt == INPUT_JSONL) {
		if ((in->jsonl = jsonl_new(in->fd, in->max)) == NULL)
			return input_ioerr(in, row, "open");
		return INPUT_ROW;
	}
	if ((in->csv = csv_new(in->fd, in->max, CSV_SKIP_BOM)) == NULL)
		return input_ioerr(in, row, "open");
	return header_read(in, row);
}

struct input *
input_open(const char *path, enum input_format fmt, size_t max_row_bytes,
    enum input_status *status, char *err, size_t errlen)
{
	return input_open_as(path, path, fmt, max_row_bytes, status, err,
	    errlen);
}

struct input *
input_open_as(const char *path, const char *name, enum input_format fmt,
    size_t max_row_bytes, enum input_status *status, char *err,
    size_t errlen)
{
	struct input_row r0 = { .line = 0 };
	struct input *in;
	int saved;

	*status = INPUT_IOERR;
	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->path = strdup(path)) == NULL ||
	    (in->name = strdup(name)) == NULL) {
		saved = errno;
		if (in != NULL) {
			free(in->path);
			free(in->name);
		}
		free(in);
		input_msg(err, errlen, name, 0, "%s", strerror(saved));
		errno = saved;
		return NULL;
	}
	in->fd = -1;
	in->fmt = fmt != 0 ? fmt : input_format_from_path(path);
	in->max = max_row_bytes > 0 ? max_row_bytes : INPUT_MAX_ROW_DEFAULT;
	if ((*status = input_start(in, &r0)) != INPUT_ROW) {
		saved = errno;
		input_close(in);
		strlcpy(err, r0.error, errlen);
		errno = saved;
		return NULL;
	}
	return in;
}

const char *const *
input_columns(const struct input *in, size_t *ncols)
{
	*ncols = in->ncols;
	return (const char *const *)in->cols;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	csv_free(in->csv);
	jsonl_free(in->jsonl);
	if (in->fd != -1)
		close(in->fd);
	free(in->cols);
	free(in->keys);
	free(in->keyoff);
	buf_release(&in->out);
	free(in->path);
	free(in->name);
	free(in);
}

/*
 * The fingerprint hash, rp64: each 8-byte little-endian word w of the
 * file (the last one padded with zero bytes) goes through
 * h = (h ^ w) * K; h ^= h >> 32, from h = FP_SEED; then the size is mixed
 * in and the result finished as MurmurHash3's fmix64.  Each step is a
 * bijection of h, so a change in any one word always changes the result,
 * and it runs at several GB/s, unlike a byte-at-a-time hash.
 */
#define FP_SEED	UINT64_C(0x243f6a8885a308d3)
#define FP_K	UINT64_C(0x9e3779b97f4a7c15)

/* The last word: n < 8 bytes, padded with zero bytes. */
static uint64_t
fp_tail(const unsigned char *p, size_t n)
{
	unsigned char w[8] = { 0 };

	memcpy(w, p, n);
	return le64dec(w);
}

static uint64_t
fp_update(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		h = (h ^ le64dec(p + i)) * FP_K;
		h ^= h >> 32;
	}
	if (i < n) {
		h = (h ^ fp_tail(p + i, n - i)) * FP_K;
		h ^= h >> 32;
	}
	return h;
}

static uint64_t
fp_final(uint64_t h, uint64_t size)
{
	h ^= size;
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

uint64_t
input_hash(const void *p, size_t n)
{
	return fp_final(fp_update(FP_SEED, p, n), n);
}

/* Hashes the whole of fd; only the last chunk may be short. */
static int
fp_file(int fd, uint64_t limit, uint64_t *hash, uint64_t *size)
{
	unsigned char *buf;
	uint64_t h = FP_SEED, total = 0;
	size_t want;
	ssize_t n;

	if ((buf = malloc(FP_CHUNK)) == NULL)
		return -1;
	do {
		want = limit - total < FP_CHUNK ? (size_t)(limit - total) :
		    FP_CHUNK;
		if ((n = read_full(fd, buf, want)) == -1) {
			free(buf);
			return -1;
		}
		h = fp_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	} while ((size_t)n == FP_CHUNK);
	free(buf);
	*hash = fp_final(h, total);
	*size = total;
	return 0;
}

/* The fingerprint of the first limit bytes of path (all: UINT64_MAX). */
static int
fingerprint_upto(const char *path, uint64_t limit, char *out, size_t outlen)
{
	uint64_t hash, size;
	int fd, n, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fp_file(fd, limit, &hash, &size) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if (limit != UINT64_MAX && size < limit) {
		errno = ENODATA;
		return -1;
	}
	n = snprintf(out, outlen, "%" PRIu64 ":%016" PRIx64, size, hash);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int
input_fingerprint(const char *path, char *out, size_t outlen)
{
	return fingerprint_upto(path, UINT64_MAX, out, outlen);
}

int
input_fingerprint_prefix(const char *path, uint64_t size, char *out,
    size_t outlen)
{
	return fingerprint_upto(path, size, out, outlen);
}

int
input_count(const char *path, const char *name, enum input_format fmt,
    size_t max_row_bytes, uint64_t *rows)
{
	struct input_row row;
	enum input_status st, ost;
	struct input *in;
	char err[INPUT_ERROR_MAX];

	if ((in = input_open_as(path, name, fmt, max_row_bytes, &ost, err,
	    sizeof(err))) == NULL)
		return -1;
	*rows = 0;
	while ((st = input_next(in, &row, false)) == INPUT_ROW ||
	    st == INPUT_BAD)
		*rows = row.index + 1;
	input_close(in);
	if (st != INPUT_EOF) {
		errno = st == INPUT_IOERR ? errno : EBADMSG;
		return -1;
	}
	return 0;
}
