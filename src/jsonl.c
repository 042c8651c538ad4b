/*
 * jsonl: streaming line reader for JSON Lines (see jsonl.h).
 *
 * Bytes go from the read buffer into one line buffer, a run at a time up
 * to the next LF.  The invariant: the line buffer never holds more than
 * max bytes, because a line is switched to skipping as soon as it grows
 * past the maximum.  jsonl_check, a pure scan of one line's text, is
 * here because it is the JSONL rules, not JSON, that it enforces.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/io.h"
#include "rowpool/jsonl.h"
#include "rowpool/utf8.h"

struct jsonl_reader {
	int		 fd;
	size_t		 max;
	size_t		 readsz;
	bool		 eof;

	char		*buf;		/* read buffer */
	size_t		 pos;
	size_t		 end;

	char		*lb;		/* the current line */
	size_t		 len;
	size_t		 cap;
	size_t		 raw;		/* its size, skipped bytes included */
	bool		 skip;		/* too big: drop its bytes */
	unsigned long	 line;		/* number of the current line */
};

static bool
jsonl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
jsonl_add(struct jsonl_reader *r, const char *p, size_t n)
{
	size_t ncap;
	char *np;

	r->raw += n;
	if (r->raw > r->max)
		r->skip = true;
	if (r->skip || n == 0)
		return 0;
	if (r->len + n + 1 > r->cap) {
		ncap = r->cap > 0 ? r->cap : 4096;
		while (ncap < r->len + n + 1)
			ncap *= 2;
		if ((np = realloc(r->lb, ncap)) == NULL)
			return -1;
		r->lb = np;
		r->cap = ncap;
	}
	memcpy(r->lb + r->len, p, n);
	r->len += n;
	return 0;
}

/* Moves bytes up to the next LF into the line.  Returns 1 at LF, 0, -1. */
static int
jsonl_scan(struct jsonl_reader *r)
{
	const char *p = r->buf + r->pos, *nl;
	size_t n = r->end - r->pos;

	if ((nl = memchr(p, '\n', n)) != NULL)
		n = (size_t)(nl - p);
	if (jsonl_add(r, p, n) == -1)
		return -1;
	r->pos += n;
	if (nl == NULL)
		return 0;
	r->pos++;
	return 1;
}

static int
jsonl_fill(struct jsonl_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if ((n = read_some(r->fd, r->buf, r->readsz)) == -1)
		return -1;
	r->pos = 0;
	r->end = (size_t)n;
	if (n == 0)
		r->eof = true;
	return n > 0;
}

/*
 * Hands out the line just read, trimmed.  Returns JSONL_EOF for a blank
 * line, which the caller skips.
 */
static enum jsonl_status
jsonl_emit(struct jsonl_reader *r, struct jsonl_line *l)
{
	size_t s = 0, e = r->len;

	l->line = r->line;
	l->bytes = r->raw;
	if (r->skip)
		return JSONL_TOOBIG;
	while (s < e && jsonl_is_space(r->lb[s]))
		s++;
	while (e > s && jsonl_is_space(r->lb[e - 1]))
		e--;
	if (s == e)
		return JSONL_EOF;
	r->lb[e] = '\0';
	l->ptr = r->lb + s;
	l->len = e - s;
	return JSONL_LINE;
}

/* Reads one physical line: 1 when there is one, 0 at end of file, -1. */
static int
jsonl_read_line(struct jsonl_reader *r)
{
	int n;

	r->line++;
	r->len = 0;
	r->raw = 0;
	r->skip = false;
	for (;;) {
		if ((n = jsonl_scan(r)) != 0)
			return n;
		if ((n = jsonl_fill(r)) == -1)
			return -1;
		if (n == 0)
			return r->raw > 0;
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

	if (max_line_bytes == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->buf = malloc(JSONL_READ_SIZE)) == NULL) {
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->max = max_line_bytes;
	r->readsz = JSONL_READ_SIZE;
	return r;
}

void
jsonl_set_read_size(struct jsonl_reader *r, size_t n)
{
	if (n < 1)
		n = 1;
	if (n > JSONL_READ_SIZE)
		n = JSONL_READ_SIZE;
	r->readsz = n;
}

void
jsonl_free(struct jsonl_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->lb);
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
