/*
 * csv: streaming RFC 4180 record parser (see csv.h for the grammar).
 *
 * A state machine over a read buffer: every byte read is looked at once,
 * in runs where it can be (the body of an unquoted or a quoted field),
 * and field bytes are copied into one record buffer.  The invariant: the
 * record buffer only ever holds the current record, and never more than
 * max bytes of it, because a record is switched to skipping as soon as its
 * raw size goes over the maximum.  All parsing state lives in the reader,
 * so a record may be split across reads at any byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/csv.h"
#include "rowpool/io.h"

enum csv_state {
	ST_START,	/* between records: skipping line ends */
	ST_FIELD,	/* at the start of a field */
	ST_UNQUOTED,	/* inside an unquoted field */
	ST_QUOTED,	/* inside a quoted field */
	ST_QUOTE	/* just after a '"' inside a quoted field */
};

struct csv_reader {
	int			 fd;
	int			 flags;
	size_t			 max;
	size_t			 readsz;
	bool			 primed;	/* BOM checked */
	bool			 eof;

	char			*buf;		/* read buffer */
	size_t			 pos;
	size_t			 end;
	int			 last;		/* byte before buf[0], or -1 */

	enum csv_state		 state;
	unsigned long		 line;		/* line of buf[pos] */
	unsigned long		 recline;
	unsigned long		 quoteline;
	size_t			 raw;		/* raw bytes of this record */
	bool			 skip;		/* too big: drop its bytes */

	char			*rec;		/* field bytes, back to back */
	size_t			 reclen;
	size_t			 reccap;
	size_t			 fstart;	/* current field's start */
	struct csv_field	*fields;	/* len only until csv_emit */
	size_t			 nfields;
	size_t			 fcap;
};

static bool
csv_is_delim(char c)
{
	return c == ',' || c == '\n' || c == '\r';
}

/* Counts the line end at buf[i]: CR, or LF not preceded by CR. */
static void
csv_newline(struct csv_reader *r, size_t i)
{
	int prev;

	if (r->buf[i] == '\r') {
		r->line++;
		return;
	}
	prev = i > 0 ? (unsigned char)r->buf[i - 1] : r->last;
	if (prev != '\r')
		r->line++;
}

static void
csv_count(struct csv_reader *r, size_t n)
{
	r->raw += n;
	if (r->raw > r->max)
		r->skip = true;
}

static int
csv_grow(void **p, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap > 0 ? *cap : first;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((np = reallocarray(*p, ncap, size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Appends n field bytes; they count towards the record's size. */
static int
csv_add(struct csv_reader *r, const char *p, size_t n)
{
	csv_count(r, n);
	if (r->skip || n == 0)
		return 0;
	if (csv_grow((void **)&r->rec, &r->reccap, r->reclen + n, 1,
	    4096) == -1)
		return -1;
	memcpy(r->rec + r->reclen, p, n);
	r->reclen += n;
	return 0;
}

static int
csv_end_field(struct csv_reader *r)
{
	if (r->skip)
		return 0;
	if (csv_grow((void **)&r->fields, &r->fcap, r->nfields + 1,
	    sizeof(*r->fields), 16) == -1)
		return -1;
	r->fields[r->nfields].ptr = NULL;
	r->fields[r->nfields].len = r->reclen - r->fstart;
	r->nfields++;
	r->fstart = r->reclen;
	return 0;
}

static void
csv_begin(struct csv_reader *r)
{
	r->recline = r->line;
	r->raw = 0;
	r->skip = false;
	r->reclen = 0;
	r->fstart = 0;
	r->nfields = 0;
	r->state = ST_FIELD;
}

/*
 * The byte at pos is ',', CR or LF: it ends the field, and a line end ends
 * the record too.  Returns 1 at the end of a record, 0, or -1.
 */
static int
csv_delim(struct csv_reader *r)
{
	char c = r->buf[r->pos];

	if (csv_end_field(r) == -1)
		return -1;
	if (c == ',') {
		csv_count(r, 1);
		r->pos++;
		r->state = ST_FIELD;
		return 0;
	}
	csv_newline(r, r->pos);
	r->pos++;
	r->state = ST_START;
	return 1;
}

/* Blank lines, and the LF of a CRLF that ended the last record. */
static void
csv_skip_blank(struct csv_reader *r)
{
	char c;

	while (r->pos < r->end) {
		c = r->buf[r->pos];
		if (c != '\n' && c != '\r') {
			csv_begin(r);
			return;
		}
		csv_newline(r, r->pos);
		r->pos++;
	}
}

static int
csv_field_start(struct csv_reader *r)
{
	char c = r->buf[r->pos];

	if (c == '"') {
		r->quoteline = r->line;
		csv_count(r, 1);
		r->pos++;
		r->state = ST_QUOTED;
		return 0;
	}
	if (csv_is_delim(c))
		return csv_delim(r);
	r->state = ST_UNQUOTED;
	return 0;
}

static int
csv_unquoted(struct csv_reader *r)
{
	const char *p = r->buf + r->pos, *e = r->buf + r->end, *q;

	for (q = p; q < e && !csv_is_delim(*q); q++)
		continue;
	if (csv_add(r, p, (size_t)(q - p)) == -1)
		return -1;
	r->pos = (size_t)(q - r->buf);
	if (q == e)
		return 0;
	return csv_delim(r);
}

static int
csv_quoted(struct csv_reader *r)
{
	size_t i;
	char c;

	for (i = r->pos; i < r->end; i++) {
		c = r->buf[i];
		if (c == '"')
			break;
		if (c == '\n' || c == '\r')
			csv_newline(r, i);
	}
	if (csv_add(r, r->buf + r->pos, i - r->pos) == -1)
		return -1;
	r->pos = i;
	if (i < r->end) {
		csv_count(r, 1);
		r->pos++;
		r->state = ST_QUOTE;
	}
	return 0;
}

/* After a '"' in a quoted field: "" is a quote, else the field is closed. */
static int
csv_after_quote(struct csv_reader *r)
{
	char c = r->buf[r->pos];

	if (c == '"') {
		if (csv_add(r, r->buf + r->pos, 1) == -1)
			return -1;
		r->pos++;
		r->state = ST_QUOTED;
		return 0;
	}
	if (csv_is_delim(c))
		return csv_delim(r);
	r->state = ST_UNQUOTED;	/* lenient: "ab"cd is abcd */
	return 0;
}

/* Parses buffered bytes.  Returns 1 at the end of a record, 0, or -1. */
static int
csv_scan(struct csv_reader *r)
{
	int done = 0;

	while (done == 0 && r->pos < r->end) {
		switch (r->state) {
		case ST_START:
			csv_skip_blank(r);
			break;
		case ST_FIELD:
			done = csv_field_start(r);
			break;
		case ST_UNQUOTED:
			done = csv_unquoted(r);
			break;
		case ST_QUOTED:
			done = csv_quoted(r);
			break;
		case ST_QUOTE:
			done = csv_after_quote(r);
			break;
		}
	}
	return done;
}

/* Returns 1 when bytes were read, 0 at end of file, or -1. */
static int
csv_fill(struct csv_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->end > 0)
		r->last = (unsigned char)r->buf[r->end - 1];
	if ((n = read_some(r->fd, r->buf, r->readsz)) == -1)
		return -1;
	r->pos = 0;
	r->end = (size_t)n;
	if (n == 0)
		r->eof = true;
	return n > 0;
}

/* The first read: gets at least 3 bytes, unless the file is shorter. */
static int
csv_prime(struct csv_reader *r)
{
	size_t want;
	ssize_t n;

	r->primed = true;
	if ((r->flags & CSV_SKIP_BOM) == 0)
		return 0;
	while (r->end < 3 && !r->eof) {
		want = CSV_READ_SIZE - r->end;
		if (want > r->readsz)
			want = r->readsz;
		n = read_some(r->fd, r->buf + r->end, want);
		if (n == -1)
			return -1;
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
	if (r->end >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
	return 0;
}

static enum csv_status
csv_emit(struct csv_reader *r, struct csv_record *rec)
{
	const char *base = r->rec != NULL ? r->rec : "";
	size_t i, off = 0;

	rec->line = r->recline;
	rec->bytes = r->raw;
	if (r->skip)
		return CSV_TOOBIG;
	for (i = 0; i < r->nfields; i++) {
		r->fields[i].ptr = base + off;
		off += r->fields[i].len;
	}
	rec->fields = r->fields;
	rec->nfields = r->nfields;
	return CSV_RECORD;
}

/* End of input: ends the record in progress, if any. */
static enum csv_status
csv_finish(struct csv_reader *r, struct csv_record *rec)
{
	enum csv_state st = r->state;

	r->state = ST_START;
	switch (st) {
	case ST_START:
		return CSV_EOF;
	case ST_QUOTED:
		rec->line = r->recline;
		rec->quote_line = r->quoteline;
		rec->bytes = r->raw;
		return CSV_UNTERMINATED;
	default:
		if (csv_end_field(r) == -1)
			return CSV_ERROR;
		return csv_emit(r, rec);
	}
}

enum csv_status
csv_next(struct csv_reader *r, struct csv_record *rec)
{
	int n;

	memset(rec, 0, sizeof(*rec));
	if (!r->primed && csv_prime(r) == -1)
		return CSV_ERROR;
	for (;;) {
		if ((n = csv_scan(r)) == -1)
			return CSV_ERROR;
		if (n == 1)
			return csv_emit(r, rec);
		if ((n = csv_fill(r)) == -1)
			return CSV_ERROR;
		if (n == 0)
			return csv_finish(r, rec);
	}
}

struct csv_reader *
csv_new(int fd, size_t max_record_bytes, int flags)
{
	struct csv_reader *r;

	if (max_record_bytes == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->buf = malloc(CSV_READ_SIZE)) == NULL) {
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->flags = flags;
	r->max = max_record_bytes;
	r->readsz = CSV_READ_SIZE;
	r->last = -1;
	r->line = 1;
	r->state = ST_START;
	return r;
}

void
csv_set_read_size(struct csv_reader *r, size_t n)
{
	if (n < 1)
		n = 1;
	if (n > CSV_READ_SIZE)
		n = CSV_READ_SIZE;
	r->readsz = n;
}

void
csv_free(struct csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->rec);
	free(r->fields);
	free(r);
}
