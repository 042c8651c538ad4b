/*
 * jsonl: streaming line reader for JSON Lines (see jsonl.h).
 *
 * Bytes go from a readbuf (readbuf.h) into its record, the line, a run
 * at a time up to the next LF; the readbuf keeps the line within the
 * maximum.  jsonl_check, a pure scan of one line's text, is here because
 * it is the JSONL rules, not JSON, that it enforces.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/buf.h"
#include "rowpool/jsonl.h"
#include "rowpool/readbuf.h"
#include "rowpool/utf8.h"

struct jsonl_reader {
	struct readbuf	 in;		/* in.rec: the current line */
	unsigned long	 line;		/* number of the current line */
};

static bool
jsonl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Moves bytes up to the next LF into the line.  Returns 1 at LF, 0, -1. */
static int
jsonl_scan(struct jsonl_reader *r)
{
	const char *p = r->in.buf + r->in.pos, *nl;
	size_t n = r->in.end - r->in.pos;

	if ((nl = memchr(p, '\n', n)) != NULL)
		n = (size_t)(nl - p);
	if (readbuf_keep(&r->in, p, n) == -1)
		return -1;
	r->in.pos += n;
	if (nl == NULL)
		return 0;
	r->in.pos++;
	return 1;
}

/*
 * Hands out the line just read, trimmed.  Returns JSONL_EOF for a blank
 * line, which the caller skips.
 */
static enum jsonl_status
jsonl_emit(struct jsonl_reader *r, struct jsonl_line *l)
{
	const char *lb = r->in.rec.p;
	size_t s = 0, e = r->in.rec.len;

	l->line = r->line;
	l->bytes = r->in.raw;
	if (r->in.skip)
		return JSONL_TOOBIG;
	while (s < e && jsonl_is_space(lb[s]))
		s++;
	while (e > s && jsonl_is_space(lb[e - 1]))
		e--;
	if (s == e)
		return JSONL_EOF;
	buf_setlen(&r->in.rec, e);
	l->ptr = r->in.rec.p + s;
	l->len = e - s;
	return JSONL_LINE;
}

/* Reads one physical line: 1 when there is one, 0 at end of file, -1. */
static int
jsonl_read_line(struct jsonl_reader *r)
{
	int n;

	r->line++;
	readbuf_begin(&r->in);
	for (;;) {
		if ((n = jsonl_scan(r)) != 0)
			return n;
		if ((n = readbuf_fill(&r->in)) == -1)
			return -1;
		if (n == 0)
			return r->in.raw > 0;
	}
}

enum jsonl_status
jsonl_next(struct jsonl_reader *r, struct jsonl_line *l)
{
	enum jsonl_status st;
	int n;

	memset(l, 0, sizeof(*l));
	do {
		if ((n = jsonl_read_line(r)) == -1)
			return JSONL_ERROR;
		if (n == 0)
			return JSONL_EOF;
		st = jsonl_emit(r, l);
	} while (st == JSONL_EOF);
	return st;
}

struct jsonl_reader *
jsonl_new(int fd, size_t max_line_bytes)
{
	struct jsonl_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (readbuf_init(&r->in, fd, max_line_bytes,
	    READBUF_SKIP_BOM) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

void
jsonl_set_read_size(struct jsonl_reader *r, size_t n)
{
	readbuf_set_read_size(&r->in, n);
}

void
jsonl_free(struct jsonl_reader *r)
{
	if (r == NULL)
		return;
	readbuf_release(&r->in);
	free(r);
}

/* Where jsonl_check is in a line's text. */
struct jsonl_pos {
	size_t	 depth;
	bool	 str;		/* inside a string */
	bool	 esc;		/* just after a backslash inside one */
};

/* Steps over one byte other than NUL; false when it nests too deep. */
static bool
jsonl_step(struct jsonl_pos *s, unsigned char c, size_t max_depth)
{
	if (s->esc)
		s->esc = false;
	else if (s->str) {
		s->esc = c == '\\';
		s->str = c != '"';
	} else if (c == '"')
		s->str = true;
	else if (c == '{' || c == '[')
		return ++s->depth <= max_depth;
	else if ((c == '}' || c == ']') && s->depth > 0)
		s->depth--;
	return true;
}

enum jsonl_problem
jsonl_check(const char *p, size_t len, size_t max_depth, size_t *col)
{
	const unsigned char *u = (const unsigned char *)p;
	struct jsonl_pos s = { .depth = 0 };
	size_t i, chars = 0;

	for (i = 0; i < len; i++) {
		if (!utf8_is_cont(u[i]))
			chars++;
		*col = chars;
		if (u[i] == '\0')
			return JSONL_NUL;
		if (!jsonl_step(&s, u[i], max_depth))
			return JSONL_DEEP;
	}
	*col = 0;
	return JSONL_CLEAN;
}
