/* Frame encoding and decoding, fed one byte at a time and in bulk. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/io.h"

struct fcase {
	enum frame_type	 type;
	uint64_t	 id;
	const char	*payload;
};

static const struct fcase cases[] = {
	{ FRAME_READY, 0, "{}" },
	{ FRAME_TASK, 7, "{\"a\":\"1\"}" },
	{ FRAME_RESULT, UINT64_C(0x0102030405060708), "" },
	{ FRAME_RESULT, 42, "{\"status\":\"ok\",\"data\":{\"x\":[1,2,3]}}" },
	{ FRAME_FATAL, 0, "no processor" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Encodes every case into one buffer, as a stream would carry them. */
static unsigned char *
encode_all(size_t *len)
{
	unsigned char *buf = NULL;
	size_t i, n = 0, plen;

	for (i = 0; i < NCASES; i++) {
		plen = strlen(cases[i].payload);
		buf = realloc(buf, n + FRAME_HDR_SIZE + plen);
		cr_assert_not_null(buf);
		frame_hdr_encode(buf + n, cases[i].type, cases[i].id,
		    (uint32_t)plen);
		memcpy(buf + n + FRAME_HDR_SIZE, cases[i].payload, plen);
		n += FRAME_HDR_SIZE + plen;
	}
	*len = n;
	return buf;
}

static void
check_frame(const struct frame *f, size_t i)
{
	cr_assert_eq(f->type, cases[i].type, "case %zu type", i);
	cr_assert_eq(f->id, cases[i].id, "case %zu id", i);
	cr_assert_eq(f->len, strlen(cases[i].payload));
	cr_assert_str_eq(f->payload, cases[i].payload);
}

Test(frame, one_byte_at_a_time)
{
	struct frame_reader r;
	struct frame f;
	unsigned char *buf;
	size_t len, i, got = 0;
	int rc;

	buf = encode_all(&len);
	frame_reader_init(&r, 1024);
	for (i = 0; i < len; i++) {
		cr_assert_eq(frame_reader_feed(&r, buf + i, 1), 0);
		while ((rc = frame_reader_next(&r, &f)) == 1)
			check_frame(&f, got++);
		cr_assert_eq(rc, 0);
	}
	cr_assert_eq(got, NCASES);
	cr_assert_eq(frame_reader_pending(&r), 0);
	frame_reader_release(&r);
	free(buf);
}

Test(frame, all_at_once_keeps_next_header_intact)
{
	struct frame_reader r;
	struct frame f;
	unsigned char *buf;
	size_t len, got = 0;

	buf = encode_all(&len);
	frame_reader_init(&r, 1024);
	cr_assert_eq(frame_reader_feed(&r, buf, len), 0);
	while (frame_reader_next(&r, &f) == 1)
		check_frame(&f, got++);
	cr_assert_eq(got, NCASES);
	frame_reader_release(&r);
	free(buf);
}

Test(frame, oversized_rejected_before_payload)
{
	struct frame_reader r;
	struct frame f;
	unsigned char hdr[FRAME_HDR_SIZE];

	frame_reader_init(&r, 100);
	frame_hdr_encode(hdr, FRAME_RESULT, 1, 100000);
	cr_assert_eq(frame_reader_feed(&r, hdr, sizeof(hdr)), 0);
	cr_assert_eq(frame_reader_next(&r, &f), -1);
	cr_assert_eq(errno, EMSGSIZE);
	cr_assert_leq(r.b.cap, 4096, "no payload-sized allocation");
	frame_reader_release(&r);
}

Test(frame, huge_length_does_not_allocate)
{
	struct frame_reader r;
	struct frame f;
	unsigned char hdr[FRAME_HDR_SIZE];
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	frame_hdr_encode(hdr, FRAME_RESULT, 1, UINT32_MAX);
	cr_assert_eq(write_full(fds[1], hdr, sizeof(hdr)), 0);
	close(fds[1]);
	frame_reader_init(&r, FRAME_MAX_DEFAULT);
	cr_assert_eq(frame_recv(&r, fds[0], &f), -1);
	cr_assert_eq(errno, EMSGSIZE);
	cr_assert_leq(r.b.cap, 1u << 20);
	frame_reader_release(&r);
	close(fds[0]);
}

Test(frame, garbage_is_eproto)
{
	static const struct {
		const char *what;
		unsigned char bytes[FRAME_HDR_SIZE];
	} bad[] = {
		{ "bad magic", { 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o',
		    'r', 'l', 'd', '!', '!', '!', '!', '!' } },
		{ "type 0", { 0x50, 0x52, 0, 0, 0, 0, 0, 0 } },
		{ "type 99", { 0x50, 0x52, 99, 0, 0, 0, 0, 0 } },
	};
	struct frame_reader r;
	struct frame f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		frame_reader_init(&r, 1024);
		frame_reader_feed(&r, bad[i].bytes, FRAME_HDR_SIZE);
		cr_assert_eq(frame_reader_next(&r, &f), -1, "%s", bad[i].what);
		cr_assert_eq(errno, EPROTO, "%s", bad[i].what);
		frame_reader_release(&r);
	}
}

Test(frame, truncated_at_every_byte_is_eio, .timeout = 10)
{
	struct frame_reader r;
	struct frame f;
	unsigned char *buf;
	size_t len, cut, first;
	int fds[2], rc, nframes;

	buf = encode_all(&len);
	first = FRAME_HDR_SIZE + strlen(cases[0].payload);
	for (cut = 1; cut < len; cut++) {
		cr_assert_eq(pipe(fds), 0);
		cr_assert_eq(write_full(fds[1], buf, cut), 0);
		close(fds[1]);
		frame_reader_init(&r, 1024);
		nframes = 0;
		while ((rc = frame_recv(&r, fds[0], &f)) == 1)
			nframes++;
		cr_assert(cut >= first || nframes == 0);
		if (rc == -1)
			cr_assert_eq(errno, EIO, "cut %zu", cut);
		frame_reader_release(&r);
		close(fds[0]);
	}
	free(buf);
}

Test(frame, large_payload_through_pipe, .timeout = 10)
{
	struct frame_reader r;
	struct frame f;
	size_t big = 3u << 20;
	char *p = malloc(big);
	int fds[2];
	pid_t pid;

	cr_assert_not_null(p);
	memset(p, 'x', big);
	cr_assert_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(frame_send(fds[1], FRAME_RESULT, 9, p, big) == 0 ? 0 : 1);
	}
	close(fds[1]);
	frame_reader_init(&r, FRAME_MAX_DEFAULT);
	cr_assert_eq(frame_recv(&r, fds[0], &f), 1);
	cr_assert_eq(f.len, big);
	cr_assert_eq(f.id, 9);
	cr_assert_eq(memcmp(f.payload, p, big), 0);
	cr_assert_eq(frame_recv(&r, fds[0], &f), 0, "clean EOF");
	frame_reader_release(&r);
	free(p);
}
