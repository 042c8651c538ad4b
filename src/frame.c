/*
 * frame: length-prefixed frames between the supervisor and its workers.
 * Invariant: no byte of a payload is buffered before its header has been
 * checked, so an oversized or garbage frame never makes the reader
 * allocate more than the maximum it was given.
 */
#include <sys/endian.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rowpool/frame.h"
#include "rowpool/io.h"

#define FRAME_READ_CHUNK	65536

void
frame_hdr_encode(unsigned char out[FRAME_HDR_SIZE], enum frame_type type,
    uint64_t id, uint32_t len)
{
	le16enc(out, FRAME_MAGIC);
	le16enc(out + 2, (uint16_t)type);
	le32enc(out + 4, len);
	le64enc(out + 8, id);
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
	*r = (struct frame_reader){ .b = BUF_INIT, .max = max_payload };
}

void
frame_reader_release(struct frame_reader *r)
{
	buf_release(&r->b);
	frame_reader_init(r, 0);
}

/* Makes room for n more bytes after the held ones, compacting first. */
static int
reader_reserve(struct frame_reader *r, size_t n)
{
	if (r->off > 0 && (r->off == r->b.len || n > buf_room(&r->b))) {
		buf_drop(&r->b, r->off);
		r->off = 0;
	}
	return buf_reserve(&r->b, n);
}

/* Puts back the byte the last frame's terminating NUL replaced. */
static void
reader_restore(struct frame_reader *r)
{
	if (r->has_saved) {
		r->b.p[r->saved_at] = (char)r->saved;
		r->has_saved = 0;
	}
}

int
frame_reader_feed(struct frame_reader *r, const void *p, size_t n)
{
	reader_restore(r);
	if (reader_reserve(r, n) == -1)
		return -1;
	return buf_add(&r->b, p, n);
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
	const char *h;
	size_t held = r->b.len - r->off;
	uint64_t len;

	if (held < FRAME_HDR_SIZE)
		return FRAME_READ_CHUNK;
	h = r->b.p + r->off;	/* not before: b.p may still be NULL */
	len = le32dec(h + 4);
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
	n = read_some(fd, r->b.p + r->b.len, want);
	if (n > 0)
		buf_setlen(&r->b, r->b.len + (size_t)n);
	return n;
}

int
frame_reader_next(struct frame_reader *r, struct frame *f)
{
	const char *h;
	size_t held = r->b.len - r->off;
	uint64_t type, len;

	reader_restore(r);
	if (r->b.p == NULL || held < FRAME_HDR_SIZE)
		return 0;
	h = r->b.p + r->off;
	type = le16dec(h + 2);
	len = le32dec(h + 4);
	if (le16dec(h) != FRAME_MAGIC || type == 0 ||
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
	f->id = le64dec(h + 8);
	f->len = (uint32_t)len;
	f->payload = h + FRAME_HDR_SIZE;
	r->off += FRAME_HDR_SIZE + len;
	/*
	 * NUL-terminate in place.  The byte after the payload may be the
	 * next frame's first byte: keep it aside until the next call.  At
	 * the end of the bytes held it is the buf's own NUL.
	 */
	r->saved = (unsigned char)r->b.p[r->off];
	r->saved_at = r->off;
	r->has_saved = 1;
	r->b.p[r->off] = '\0';
	return 1;
}

size_t
frame_reader_pending(const struct frame_reader *r)
{
	return r->b.len - r->off;
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
