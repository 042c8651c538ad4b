/*
 * readbuf: a record parser's input (see readbuf.h).  Invariants: last is
 * the byte just before buf[0] in the input, so that a parser can look one
 * byte back across a refill (a CRLF split in two); and rec never holds
 * more than max bytes, because a record is switched to skipping as soon
 * as its raw size goes over the maximum.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/io.h"
#include "rowpool/readbuf.h"

#define BOM	"\xef\xbb\xbf"

int
readbuf_init(struct readbuf *rb, int fd, size_t max, int flags)
{
	*rb = (struct readbuf){ .fd = fd, .flags = flags,
	    .readsz = READBUF_SIZE, .last = -1, .rec = BUF_INIT, .max = max };
	if (max == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((rb->buf = malloc(READBUF_SIZE)) == NULL)
		return -1;
	return 0;
}

/* Appends one read(2) of up to n bytes.  1, 0 at end of file, or -1. */
static int
readbuf_read(struct readbuf *rb, size_t n)
{
	ssize_t got;

	if (rb->eof)
		return 0;
	if (n > rb->readsz)
		n = rb->readsz;
	if ((got = read_some(rb->fd, rb->buf + rb->end, n)) == -1)
		return -1;
	if (got == 0)
		rb->eof = true;
	rb->end += (size_t)got;
	return got > 0;
}

/* The first read: 3 bytes or the whole input, to see a BOM whole. */
static int
readbuf_start(struct readbuf *rb)
{
	int n = 1;

	rb->started = true;
	if ((rb->flags & READBUF_SKIP_BOM) == 0)
		return readbuf_read(rb, READBUF_SIZE);
	while (rb->end < 3 && n == 1)
		if ((n = readbuf_read(rb, READBUF_SIZE - rb->end)) == -1)
			return -1;
	if (rb->end >= 3 && memcmp(rb->buf, BOM, 3) == 0)
		rb->pos = 3;
	return rb->end > 0;
}

int
readbuf_fill(struct readbuf *rb)
{
	if (rb->eof)
		return 0;
	if (rb->end > 0)
		rb->last = (unsigned char)rb->buf[rb->end - 1];
	rb->pos = rb->end = 0;
	if (!rb->started)
		return readbuf_start(rb);
	return readbuf_read(rb, READBUF_SIZE);
}

void
readbuf_set_read_size(struct readbuf *rb, size_t n)
{
	if (n < 1)
		n = 1;
	if (n > READBUF_SIZE)
		n = READBUF_SIZE;
	rb->readsz = n;
}

void
readbuf_begin(struct readbuf *rb)
{
	buf_reset(&rb->rec);
	rb->raw = 0;
	rb->skip = false;
}

void
readbuf_count(struct readbuf *rb, size_t n)
{
	rb->raw += n;
	if (rb->raw > rb->max)
		rb->skip = true;
}

int
readbuf_keep(struct readbuf *rb, const char *p, size_t n)
{
	readbuf_count(rb, n);
	if (rb->skip || n == 0)
		return 0;
	return buf_add(&rb->rec, p, n);
}

void
readbuf_release(struct readbuf *rb)
{
	free(rb->buf);
	rb->buf = NULL;
	buf_release(&rb->rec);
}
