/*
 * jsonl: a streaming line reader for JSON Lines.  It hands out one line at
 * a time, never holding more than one line (at most max_line_bytes) in
 * memory.  It does not parse JSON: input.c checks each line with
 * jsonl_check, then parses it with jansson.
 *
 *  - A UTF-8 byte-order mark (EF BB BF) at the start of the input is
 *    skipped, as RFC 8259 allows.
 *  - Lines end at LF; a CR before the LF goes with the line end (CRLF).
 *    A missing final LF is fine.  Line numbers count LFs.
 *  - A line's text is handed out without its line end and without leading
 *    or trailing JSON whitespace (space, TAB, CR); lines that hold nothing
 *    else are skipped.
 *  - A line's size is its bytes before the LF.  A line larger than
 *    max_line_bytes is JSONL_TOOBIG: it is read to its LF and thrown away,
 *    and the next call goes on with the next line.
 *
 * Calling sequence:
 *  1. r = jsonl_new(fd, max_line_bytes);
 *  2. call jsonl_next(r, &l) until it returns JSONL_EOF or JSONL_ERROR; each
 *     line stays valid until the next call;
 *  3. jsonl_free(r); the caller closes fd.
 *
 * Mechanism tier: statuses, or -1 with errno; never prints or exits.
 */
#ifndef ROWPOOL_JSONL_H
#define ROWPOOL_JSONL_H

#include <stddef.h>

#include "rowpool/readbuf.h"

#define JSONL_READ_SIZE		READBUF_SIZE

struct jsonl_line {
	char		*ptr;	/* JSONL_LINE: len bytes, NUL-terminated */
	size_t		 len;	/* JSONL_LINE: at least 1 */
	unsigned long	 line;	/* 1-based line number */
	size_t		 bytes;	/* raw size, as compared to the maximum */
};

enum jsonl_status {
	JSONL_ERROR = -1,	/* read(2) failed or out of memory: errno */
	JSONL_EOF = 0,		/* no more lines */
	JSONL_LINE,		/* l holds a line */
	JSONL_TOOBIG		/* a line over the maximum was skipped */
};

struct jsonl_reader;

/*
 * Returns a reader of fd, which must stay open until jsonl_free (the
 * reader does not close it), or NULL with errno (ENOMEM; EINVAL when
 * max_line_bytes is 0).
 */
struct jsonl_reader	*jsonl_new(int fd, size_t max_line_bytes);

/* Reads the next non-blank line into l.  Blocks on the fd. */
enum jsonl_status	 jsonl_next(struct jsonl_reader *r,
			    struct jsonl_line *l);

/*
 * Bytes per read(2), 1 to JSONL_READ_SIZE: readbuf_set_read_size(), for
 * tests, as csv_set_read_size.
 */
void	jsonl_set_read_size(struct jsonl_reader *r, size_t n);

/* Frees the reader and its buffers; NULL is fine. */
void	jsonl_free(struct jsonl_reader *r);

enum jsonl_problem {
	JSONL_CLEAN = 0,	/* neither of the below */
	JSONL_NUL,		/* a NUL byte, in a string or not */
	JSONL_DEEP		/* objects and arrays nested too deep */
};

/*
 * Scans len bytes of a line's text, in order, for the first of what must
 * be refused before jansson parses it:
 *  - a NUL byte anywhere: jansson drops one that follows a number or a
 *    literal when it pushes it back ({"c":3<NUL>} loads as {"c":3});
 *  - an object or array more than max_depth deep ({} is 1 deep, {"a":[]}
 *    2): brackets count outside strings only, which for valid JSON is
 *    exactly its nesting.
 * Anything else wrong with the text is left to jansson.  *col is set to
 * the 1-based column of the byte at fault (0 for JSONL_CLEAN), counted in
 * characters as jansson counts them: every byte but UTF-8 continuation
 * bytes.  Pure: allocates nothing, sets no errno.
 */
enum jsonl_problem	 jsonl_check(const char *p, size_t len,
			    size_t max_depth, size_t *col);

#endif
