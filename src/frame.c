/*
 * frame: length-prefixed frames between the supervisor and its workers.
 * Invariant: no byte of a payload is buffered before its header has been
 * checked, so an oversized or garbage frame never makes the reader
 * allocate more than the maximum it was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/frame.h"
#include "rowpool/io.h"

#define FRAME_READ_CHUNK	65536

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void
frame_hdr_encode(unsigned char out[FRAME_HDR_SIZE], enum frame_type type,
    uint64_t id, uint32_t len)
{
	put_le(out, FRAME_MAGIC, 2);
	put_le(out + 2, (uint64_t)type, 2);
	put_le(out + 4, len, 4);
	put_le(out + 8, id, 8);
}

int
frame_send(int fd, enum frame_type type, uint64_t id, const void *payload,
    size_t len)
{
	unsigned char hdr[FRAME_HDR_SIZE];
	struct iovec iov[2];

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	frame_hdr_encode(hdr, type, id, (uint32_t)len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	return writev_full(fd, iov, len > 0 ? 2 : 1);
}

void
frame_reader_init(struct frame_reader *r, size_t max_payload)
{
	memset(r, 0, sizeof(*r));
	r->max = max_payload;
}

void
frame_reader_release(struct frame_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Makes room for n more bytes after the held ones, compacting first. */
static int
reader_reserve(struct frame_reader *r, size_t n)
{
	unsigned char *nb;
	size_t ncap;

	if (r->off > 0 && r->off == r->len) {
		r->off = r->len = 0;
	} else if (r->off > 0 && r->len + n > r->cap) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len + n <= r->cap)
		return 0;
	ncap = r->cap ? r->cap : 4096;
	while (ncap < r->len + n)
		ncap *= 2;
	if ((nb = realloc(r->buf, ncap + 1)) == NULL)
		return -1;
	r->buf = nb;
	r->cap = ncap;
	return 0;
}

/* Puts back the byte the last frame's terminating NUL replaced. */
static void
reader_restore(struct frame_reader *r)
{
	if (r->has_saved) {
		r->buf[r->saved_at] = r->saved;
		r->has_saved = 0;
	}
}

int
frame_reader_feed(struct frame_reader *r, const void *p, size_t n)
{
	reader_restore(r);
	if (reader_reserve(r, n) == -1)
		return -1;
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	return 0;
}

/*
 * How much to read next: the rest of the current frame when its header is
 * known and valid (so a big payload arrives in few reads), a chunk
 * otherwise.  A header that fails the checks is left for
 * frame_reader_next to report.
 */
static size_t
reader_want(struct frame_reader *r)
{
	const unsigned char *h;
	size_t held = r->len - r->off;
	uint64_t len;

	if (held < FRAME_HDR_SIZE)
		return FRAME_READ_CHUNK;
	h = r->buf + r->off;	/* not before: buf may still be NULL */
	len = get_le(h + 4, 4);
	if (len > r->max || held >= FRAME_HDR_SIZE + len)
		return FRAME_READ_CHUNK;
	return FRAME_HDR_SIZE + len - held > FRAME_READ_CHUNK ?
	    FRAME_HDR_SIZE + len - held : FRAME_READ_CHUNK;
}

ssize_t
frame_reader_fill(struct frame_reader *r, int fd)
{
	size_t want;
	ssize_t n;

	reader_restore(r);
	want = reader_want(r);
	if (reader_reserve(r, want) == -1)
		return -1;
	n = read_some(fd, r->buf + r->len, want);
	if (n > 0)
		r->len += (size_t)n;
	return n;
}

int
frame_reader_next(struct frame_reader *r, struct frame *f)
{
	unsigned char *h;
	size_t held = r->len - r->off;
	uint64_t type, len;

	reader_restore(r);
	if (r->buf == NULL || held < FRAME_HDR_SIZE)
		return 0;
	h = r->buf + r->off;
	type = get_le(h + 2, 2);
	len = get_le(h + 4, 4);
	if (get_le(h, 2) != FRAME_MAGIC || type == 0 ||
	    type > FRAME_TYPE_MAX) {
		errno = EPROTO;
		return -1;
	}
	if (len > r->max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (held < FRAME_HDR_SIZE + len)
		return 0;
	f->type = (enum frame_type)type;
	f->id = get_le(h + 8, 8);
	f->len = (uint32_t)len;
	f->payload = (const char *)h + FRAME_HDR_SIZE;
	r->off += FRAME_HDR_SIZE + len;
	/*
	 * NUL-terminate in place.  The byte after the payload may be the
	 * next frame's first byte: keep it aside until the next call.  The
	 * buffer always has one spare byte past cap for the last frame.
	 */
	r->saved = r->buf[r->off];
	r->saved_at = r->off;
	r->has_saved = 1;
	r->buf[r->off] = '\0';
	return 1;
}

size_t
frame_reader_pending(const struct frame_reader *r)
{
	return r->len - r->off;
}

int
frame_recv(struct frame_reader *r, int fd, struct frame *f)
{
	ssize_t n;
	int rc;

	for (;;) {
		if ((rc = frame_reader_next(r, f)) != 0)
			return rc;
		if ((n = frame_reader_fill(r, fd)) == -1)
			return -1;
		if (n == 0) {
			if (frame_reader_pending(r) == 0)
				return 0;
			errno = EIO;
			return -1;
		}
	}
}
