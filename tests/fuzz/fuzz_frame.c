/*
 * fuzz_frame: libFuzzer harness for the frame reader (frame.c), the
 * supervisor's side of every worker channel.  Built by `make fuzz`; seeds
 * in tests/fuzz/corpus/frame/.
 *
 * Input: byte 0 picks the largest payload accepted (maxes[]), bytes 1-4
 * seed the sizes of the chunks the stream arrives in; the rest is the
 * stream.  A reference decoder, written from frame.h's table, reads the
 * whole stream at once; three readers must agree with it frame for frame
 * (type, id, length, payload bytes) and end the same way (EPROTO or
 * EMSGSIZE at the same frame, or the same bytes pending):
 *  - one fed with frame_reader_feed() in chunks of random sizes;
 *  - one filled with frame_reader_fill() from a non-blocking pipe written
 *    in chunks of random sizes, as the supervisor reads a worker;
 *  - one reading with frame_recv() from a pipe closed after the stream,
 *    as a worker reads (0 at a clean end, EIO inside a frame).
 * Also checked: no frame is longer than the maximum, every payload is
 * NUL-terminated in place, and the pipe reader's buffer never grows past
 * what one frame of the maximum needs (the length is checked before
 * anything is allocated: a lying header costs no memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/io.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define STREAM_MAX	60000	/* below a pipe's 64 KiB: writes never block */
#define READ_CHUNK	65536	/* frame.c's FRAME_READ_CHUNK */

/*
 * Not FRAME_MAX_DEFAULT: a header of 64 MiB under it is honest and costs
 * its 64 MiB (milliseconds of fuzzing each time); 128 KiB checks
 * the same code.
 */
static const size_t maxes[] = {
	0, 1, 2, 15, 16, 17, 100, 1000, 4096, 65536, 1u << 17,
};

/* What the reference decoder, or a reader, made of a stream. */
struct outcome {
	struct frame	 f[STREAM_MAX / FRAME_HDR_SIZE + 1];
	size_t		 n;
	int		 err;		/* EPROTO, EMSGSIZE, or 0 */
	size_t		 pending;	/* bytes left when err is 0 */
};

/* The chunk sizes: xorshift32, seeded by the input. */
static uint32_t
next_size(uint32_t *st, size_t left)
{
	uint32_t x = *st != 0 ? *st : 1;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	/* Mostly small chunks, sometimes large ones. */
	x = (x & 0x100) ? x % 4 + 1 : (x & 0x200) ? x % 64 + 1 : x % 4096 + 1;
	return x < left ? x : (uint32_t)left;
}

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* frame.h: magic, type 1..FRAME_TYPE_MAX, length <= max, then payload. */
static void
reference(const uint8_t *p, size_t len, size_t max, struct outcome *o)
{
	size_t off = 0;
	uint64_t type, n;

	memset(o, 0, sizeof(*o));
	while (len - off >= FRAME_HDR_SIZE) {
		type = le(p + off + 2, 2);
		n = le(p + off + 4, 4);
		if (le(p + off, 2) != FRAME_MAGIC || type < 1 ||
		    type > FRAME_TYPE_MAX) {
			o->err = EPROTO;
			return;
		}
		if (n > max) {
			o->err = EMSGSIZE;
			return;
		}
		if (len - off - FRAME_HDR_SIZE < n)
			break;
		o->f[o->n++] = (struct frame){ .type = (enum frame_type)type,
		    .id = le(p + off + 8, 8), .len = (uint32_t)n,
		    .payload = (const char *)p + off + FRAME_HDR_SIZE };
		off += FRAME_HDR_SIZE + n;
	}
	o->pending = len - off;
}

/* A frame handed out must be the reference's next one. */
static void
check_frame(const struct outcome *ref, size_t *k, const struct frame *f,
    size_t max)
{
	const struct frame *e;

	CHECK(*k < ref->n);
	e = &ref->f[(*k)++];
	CHECK(f->len <= max);
	CHECK(f->type == e->type && f->id == e->id && f->len == e->len);
	CHECK(memcmp(f->payload, e->payload, f->len) == 0);
	CHECK(f->payload[f->len] == '\0');
}

/* Takes every whole frame; returns false after an error (checked). */
static bool
drain(struct frame_reader *r, const struct outcome *ref, size_t *k,
    size_t max)
{
	struct frame f;
	int rc;

	while ((rc = frame_reader_next(r, &f)) == 1)
		check_frame(ref, k, &f, max);
	if (rc == 0)
		return true;
	CHECK(rc == -1 && ref->err != 0 && errno == ref->err);
	CHECK(*k == ref->n);
	return false;
}

static void
check_end(const struct frame_reader *r, const struct outcome *ref, size_t k,
    bool ok)
{
	CHECK(k == ref->n);
	CHECK(ok == (ref->err == 0));
	if (ok)
		CHECK(frame_reader_pending(r) == ref->pending);
}

static void
by_feed(const uint8_t *p, size_t len, size_t max, uint32_t seed,
    const struct outcome *ref)
{
	struct frame_reader r;
	size_t off = 0, n, k = 0;
	bool ok = true;

	frame_reader_init(&r, max);
	while (ok && off < len) {
		n = next_size(&seed, len - off);
		CHECK(frame_reader_feed(&r, p + off, n) == 0);
		off += n;
		ok = drain(&r, ref, &k, max);
	}
	if (ok)
		ok = drain(&r, ref, &k, max);
	check_end(&r, ref, k, ok);
	frame_reader_release(&r);
}

/* One frame of the maximum, and a read's worth past it, doubled. */
static void
check_cap(const struct frame_reader *r, size_t max)
{
	size_t bound = 2 * (FRAME_HDR_SIZE + max + READ_CHUNK);

	CHECK(r->b.cap <= (bound > 4096 ? bound : 4096));
}

static void
by_fill(const uint8_t *p, size_t len, size_t max, uint32_t seed,
    const struct outcome *ref)
{
	struct frame_reader r;
	size_t off = 0, n, k = 0;
	ssize_t got = 0;
	bool ok = true;
	int fds[2];

	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
	frame_reader_init(&r, max);
	while (ok && off < len) {
		n = next_size(&seed, len - off);
		CHECK(write_full(fds[1], p + off, n) == 0);
		off += n;
		while (ok && (got = frame_reader_fill(&r, fds[0])) > 0) {
			check_cap(&r, max);
			ok = drain(&r, ref, &k, max);
		}
		CHECK(!ok || (got == -1 && errno == EAGAIN));
	}
	check_end(&r, ref, k, ok);
	frame_reader_release(&r);
	close(fds[0]);
	close(fds[1]);
}

static void
by_recv(const uint8_t *p, size_t len, size_t max, const struct outcome *ref)
{
	struct frame_reader r;
	struct frame f;
	size_t k = 0;
	int fds[2], rc;

	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK(write_full(fds[1], p, len) == 0);
	close(fds[1]);
	frame_reader_init(&r, max);
	while ((rc = frame_recv(&r, fds[0], &f)) == 1)
		check_frame(ref, &k, &f, max);
	CHECK(k == ref->n);
	if (ref->err != 0)
		CHECK(rc == -1 && errno == ref->err);
	else if (ref->pending > 0)
		CHECK(rc == -1 && errno == EIO);
	else
		CHECK(rc == 0);
	frame_reader_release(&r);
	close(fds[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome ref;
	uint32_t seed;
	size_t max;

	if (size < 5)
		return 0;
	max = maxes[data[0] % NELEM(maxes)];
	seed = (uint32_t)le(data + 1, 4) | 1;
	data += 5;
	size -= 5;
	if (size > STREAM_MAX)
		size = STREAM_MAX;
	reference(data, size, max, &ref);
	by_feed(data, size, max, seed, &ref);
	by_fill(data, size, max, seed * 7 + 1, &ref);
	by_recv(data, size, max, &ref);
	return 0;
}
