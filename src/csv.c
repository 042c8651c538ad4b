/*
 * csv: streaming RFC 4180 record parser (see csv.h for the grammar).
 *
 * A state machine over a readbuf (readbuf.h): every byte read is looked
 * at once, in runs where it can be (the body of an unquoted or a quoted
 * field), and field bytes are kept in the readbuf's record, which only
 * ever holds the current record and never more than max bytes of it.
 * All parsing state lives in the reader, so a record may be split across
 * reads at any byte.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/buf.h"
#include "rowpool/csv.h"
#include "rowpool/readbuf.h"

enum csv_state {
	ST_START,	/* between records: skipping line ends */
	ST_FIELD,	/* at the start of a field */
	ST_UNQUOTED,	/* inside an unquoted field */
	ST_QUOTED,	/* inside a quoted field */
	ST_QUOTE	/* just after a '"' inside a quoted field */
};

struct csv_reader {
	struct readbuf		 in;		/* in.rec: field bytes, back
						   to back */
	enum csv_state		 state;
	unsigned long		 line;		/* line of in.buf[in.pos] */
	unsigned long		 recline;
	unsigned long		 quoteline;
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

/* Counts the line end at in.buf[i]: CR, or LF not preceded by CR. */
static void
csv_newline(struct csv_reader *r, size_t i)
{
	int prev;

	if (r->in.buf[i] == '\r') {
		r->line++;
		return;
	}
	prev = i > 0 ? (unsigned char)r->in.buf[i - 1] : r->in.last;
	if (prev != '\r')
		r->line++;
}

static int
csv_end_field(struct csv_reader *r)
{
	if (r->in.skip)
		return 0;
	if (buf_grow_array((void **)&r->fields, &r->fcap, r->nfields + 1,
	    sizeof(*r->fields)) == -1)
		return -1;
	r->fields[r->nfields].ptr = NULL;
	r->fields[r->nfields].len = r->in.rec.len - r->fstart;
	r->nfields++;
	r->fstart = r->in.rec.len;
	return 0;
}

static void
csv_begin(struct csv_reader *r)
{
	readbuf_begin(&r->in);
	r->recline = r->line;
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
	char c = r->in.buf[r->in.pos];

	if (csv_end_field(r) == -1)
		return -1;
	if (c == ',') {
		readbuf_count(&r->in, 1);
		r->in.pos++;
		r->state = ST_FIELD;
		return 0;
	}
	csv_newline(r, r->in.pos);
	r->in.pos++;
	r->state = ST_START;
	return 1;
}

/* Blank lines, and the LF of a CRLF that ended the last record. */
static void
csv_skip_blank(struct csv_reader *r)
{
	char c;

	while (r->in.pos < r->in.end) {
		c = r->in.buf[r->in.pos];
		if (c != '\n' && c != '\r') {
			csv_begin(r);
			return;
		}
		csv_newline(r, r->in.pos);
		r->in.pos++;
	}
}

static int
csv_field_start(struct csv_reader *r)
{
	char c = r->in.buf[r->in.pos];

	if (c == '"') {
		r->quoteline = r->line;
		readbuf_count(&r->in, 1);
		r->in.pos++;
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
	const char *p = r->in.buf + r->in.pos, *e = r->in.buf + r->in.end, *q;

	for (q = p; q < e && !csv_is_delim(*q); q++)
		continue;
	if (readbuf_keep(&r->in, p, (size_t)(q - p)) == -1)
		return -1;
	r->in.pos = (size_t)(q - r->in.buf);
	if (q == e)
		return 0;
	return csv_delim(r);
}

static int
csv_quoted(struct csv_reader *r)
{
	size_t i;
	char c;

	for (i = r->in.pos; i < r->in.end; i++) {
		c = r->in.buf[i];
		if (c == '"')
			break;
		if (c == '\n' || c == '\r')
			csv_newline(r, i);
	}
	if (readbuf_keep(&r->in, r->in.buf + r->in.pos, i - r->in.pos) == -1)
		return -1;
	r->in.pos = i;
	if (i < r->in.end) {
		readbuf_count(&r->in, 1);
		r->in.pos++;
		r->state = ST_QUOTE;
	}
	return 0;
}

/* After a '"' in a quoted field: "" is a quote, else the field is closed. */
static int
csv_after_quote(struct csv_reader *r)
{
	char c = r->in.buf[r->in.pos];

	if (c == '"') {
		if (readbuf_keep(&r->in, r->in.buf + r->in.pos, 1) == -1)
			return -1;
		r->in.pos++;
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

	while (done == 0 && r->in.pos < r->in.end) {
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

static enum csv_status
csv_emit(struct csv_reader *r, struct csv_record *rec)
{
	const char *base = r->in.rec.p != NULL ? r->in.rec.p : "";
	size_t i, off = 0;

	rec->line = r->recline;
	rec->bytes = r->in.raw;
	if (r->in.skip)
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
		rec->bytes = r->in.raw;
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
	for (;;) {
		if ((n = csv_scan(r)) == -1)
			return CSV_ERROR;
		if (n == 1)
			return csv_emit(r, rec);
		if ((n = readbuf_fill(&r->in)) == -1)
			return CSV_ERROR;
		if (n == 0)
			return csv_finish(r, rec);
	}
}

struct csv_reader *
csv_new(int fd, size_t max_record_bytes, int flags)
{
	struct csv_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (readbuf_init(&r->in, fd, max_record_bytes, flags) == -1) {
		free(r);
		return NULL;
	}
	r->line = 1;
	r->state = ST_START;
	return r;
}

void
csv_set_read_size(struct csv_reader *r, size_t n)
{
	readbuf_set_read_size(&r->in, n);
}

void
csv_free(struct csv_reader *r)
{
	if (r == NULL)
		return;
	readbuf_release(&r->in);
	free(r->fields);
	free(r);
}
