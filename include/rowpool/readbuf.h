/*
 * readbuf: the input side of a streaming record parser (the csv and jsonl
 * readers).  Two halves:
 *  - a fixed buffer of READBUF_SIZE bytes, filled from a file descriptor
 *    one read(2) at a time and consumed by the parser from pos to end.
 *    Its test hook, readbuf_set_read_size(), makes every read(2) ask for
 *    as few bytes as one, which proves a parser survives any split;
 *  - the record being read: its raw size, and the bytes of it the parser
 *    keeps, in rec.  A record whose raw size goes over max is skipped:
 *    from then on its bytes are counted but no longer kept, so rec never
 *    holds more than max bytes whatever the input.
 *
 * Calling sequence:
 *  1. readbuf_init(&rb, fd, max, flags); fd stays open until
 *     readbuf_release (the caller closes it);
 *  2. readbuf_begin(&rb) at the start of each record;
 *  3. the parser looks at rb.buf[rb.pos .. rb.end), moving rb.pos on and
 *     passing the record's bytes to readbuf_keep() or readbuf_count();
 *     once it has looked at them all, readbuf_fill(&rb) replaces them
 *     with the next bytes, until it returns 0.  The record is rb.rec
 *     (rb.raw bytes of input; rb.skip when over max);
 *  4. readbuf_release(&rb).
 *
 * Mechanism tier: -1 with errno, never prints or exits.  Blocks on fd;
 * EINTR is io.h's business.
 */
#ifndef ROWPOOL_READBUF_H
#define ROWPOOL_READBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "rowpool/buf.h"

#define READBUF_SIZE	(64u * 1024)

/* Skip a UTF-8 byte-order mark (EF BB BF) at the start of the input. */
#define READBUF_SKIP_BOM	0x01

struct readbuf {
	int		 fd;
	int		 flags;
	size_t		 readsz;	/* bytes each read(2) asks for */
	bool		 started;	/* the first read is done */
	bool		 eof;		/* read(2) has returned 0 */
	char		*buf;		/* READBUF_SIZE bytes */
	size_t		 pos;		/* the next byte to look at */
	size_t		 end;		/* bytes held */
	int		 last;		/* the byte before buf[0], or -1 */

	struct buf	 rec;		/* the record's kept bytes */
	size_t		 max;		/* its largest raw size */
	size_t		 raw;		/* its raw size so far */
	bool		 skip;		/* over max: dropped */
};

/*
 * Returns 0, or -1 with errno: EINVAL when max is 0, ENOMEM.  Reads
 * nothing yet.  flags: 0 or READBUF_SKIP_BOM.
 */
int	readbuf_init(struct readbuf *rb, int fd, size_t max, int flags);

/*
 * Throws the bytes held away and reads the next ones: one read(2) of up
 * to readsz bytes (the first time, with READBUF_SKIP_BOM, as many as
 * make 3 bytes or the whole input, and pos moves past a BOM).  Returns 1
 * when bytes were read, 0 at end of file (then always 0), or -1 with
 * read(2)'s errno.
 */
int	readbuf_fill(struct readbuf *rb);

/* Sets readsz: 1 to READBUF_SIZE (READBUF_SIZE after init); clamped. */
void	readbuf_set_read_size(struct readbuf *rb, size_t n);

/* Starts a new record: rec empty, raw 0, skip false. */
void	readbuf_begin(struct readbuf *rb);

/* Adds n bytes to the record's raw size (quotes, separators). */
void	readbuf_count(struct readbuf *rb, size_t n);

/*
 * Adds n bytes at p to the record: to its raw size, and to rec unless it
 * is skipped.  Returns 0, or -1 with ENOMEM.
 */
int	readbuf_keep(struct readbuf *rb, const char *p, size_t n);

/* Frees the buffers; the fd is left open. */
void	readbuf_release(struct readbuf *rb);

#endif
