/*
 * readbuf: a record parser's input.  The bytes handed out, over every
 * fill, are the input's (less a BOM when asked), whatever the read size;
 * last is always the byte before them; a record over the maximum is
 * counted but no longer kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "rowpool/io.h"
#include "rowpool/readbuf.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define S(s)		s, sizeof(s) - 1

/* A pipe holding len bytes at p, its write end closed; the read end. */
static int
pipe_of(const char *p, size_t len)
{
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write_full(fds[1], p, len), 0);
	close(fds[1]);
	return fds[0];
}

/* An input, its flags, and the bytes the fills must hand out. */
static const struct fill_case {
	const char	*in;
	size_t		 len;
	int		 flags;
	const char	*want;
	size_t		 wantlen;
} fill_cases[] = {
	{ S(""), 0, S("") },
	{ S("a,b\r\nc"), 0, S("a,b\r\nc") },
	{ S("\xef\xbb\xbf" "a\n"), READBUF_SKIP_BOM, S("a\n") },
	{ S("\xef\xbb\xbf" "a\n"), 0, S("\xef\xbb\xbf" "a\n") },
	{ S("\xef\xbb\xbf"), READBUF_SKIP_BOM, S("") },
	{ S("\xef\xbb"), READBUF_SKIP_BOM, S("\xef\xbb") },
	{ S("\xef\xbb\xbe" "x"), READBUF_SKIP_BOM, S("\xef\xbb\xbe" "x") },
	{ S("a\n\xef\xbb\xbf"), READBUF_SKIP_BOM, S("a\n\xef\xbb\xbf") },
	{ S("a NUL\0 inside"), 0, S("a NUL\0 inside") },
};

/*
 * Fills until the end with reads of readsz bytes, collecting what each
 * fill hands out into got; checks last and the size of each fill on the
 * way.  Returns the number of bytes collected.
 */
static size_t
fill_all(const struct fill_case *c, size_t readsz, char *got)
{
	struct readbuf rb;
	size_t n = 0;
	int fd, prev = -1, r;

	fd = pipe_of(c->in, c->len);
	cr_assert_eq(readbuf_init(&rb, fd, 10, c->flags), 0);
	readbuf_set_read_size(&rb, readsz);
	while ((r = readbuf_fill(&rb)) == 1) {
		/* To see a BOM, 2 more at the start. */
		cr_assert_leq(rb.end, readsz + 2);
		cr_assert_eq(rb.last, prev, "%s", c->in);
		memcpy(got + n, rb.buf + rb.pos, rb.end - rb.pos);
		n += rb.end - rb.pos;
		prev = (unsigned char)rb.buf[rb.end - 1];
	}
	cr_assert_eq(r, 0);
	cr_assert_eq(readbuf_fill(&rb), 0, "EOF stays EOF");
	readbuf_release(&rb);
	close(fd);
	return n;
}

Test(readbuf, fill_any_read_size)
{
	static const size_t sizes[] = { 1, 2, 3, 7, READBUF_SIZE };
	const struct fill_case *c;
	char got[64];
	size_t i, k, n;

	for (i = 0; i < NELEM(fill_cases); i++) {
		c = &fill_cases[i];
		for (k = 0; k < NELEM(sizes); k++) {
			n = fill_all(c, sizes[k], got);
			cr_assert_eq(n, c->wantlen, "case %zu, reads of %zu",
			    i, sizes[k]);
			cr_assert_eq(memcmp(got, c->want, n), 0,
			    "case %zu, reads of %zu", i, sizes[k]);
		}
	}
}

/* Read sizes are clamped to 1 .. READBUF_SIZE. */
Test(readbuf, read_size_clamped)
{
	struct readbuf rb;

	cr_assert_eq(readbuf_init(&rb, -1, 1, 0), 0);
	cr_assert_eq(rb.readsz, READBUF_SIZE);
	readbuf_set_read_size(&rb, 0);
	cr_assert_eq(rb.readsz, 1);
	readbuf_set_read_size(&rb, READBUF_SIZE + 1);
	cr_assert_eq(rb.readsz, READBUF_SIZE);
	readbuf_release(&rb);
}

Test(readbuf, errors)
{
	struct readbuf rb;

	errno = 0;
	cr_assert_eq(readbuf_init(&rb, 0, 0, 0), -1, "max 0");
	cr_assert_eq(errno, EINVAL);
	readbuf_release(&rb);
	cr_assert_eq(readbuf_init(&rb, -1, 8, READBUF_SKIP_BOM), 0);
	cr_assert_eq(readbuf_fill(&rb), -1);
	cr_assert_eq(errno, EBADF);
	readbuf_release(&rb);
}

/* Kept bytes stop at the maximum; the raw size goes on. */
Test(readbuf, record_skipped_past_max)
{
	static const struct {
		const char	*keep;	/* NULL: count n bytes */
		size_t		 n;
		size_t		 raw;
		bool		 skip;
		const char	*rec;
	} steps[] = {
		{ "ab", 2, 2, false, "ab" },
		{ NULL, 1, 3, false, "ab" },
		{ "cd", 2, 5, false, "abcd" },
		{ "e", 1, 6, true, "abcd" },
		{ "fgh", 3, 9, true, "abcd" },
		{ NULL, 0, 9, true, "abcd" },
	};
	struct readbuf rb;
	size_t i;

	cr_assert_eq(readbuf_init(&rb, -1, 5, 0), 0);
	readbuf_begin(&rb);
	for (i = 0; i < NELEM(steps); i++) {
		if (steps[i].keep != NULL)
			cr_assert_eq(readbuf_keep(&rb, steps[i].keep,
			    steps[i].n), 0);
		else
			readbuf_count(&rb, steps[i].n);
		cr_assert_eq(rb.raw, steps[i].raw, "step %zu", i);
		cr_assert_eq(rb.skip, steps[i].skip, "step %zu", i);
		cr_assert_str_eq(rb.rec.p, steps[i].rec, "step %zu", i);
		cr_assert_leq(rb.rec.len, rb.max);
	}
	readbuf_begin(&rb);
	cr_assert(rb.raw == 0 && !rb.skip && rb.rec.len == 0);
	cr_assert_eq(readbuf_keep(&rb, "xyz", 3), 0);
	cr_assert_str_eq(rb.rec.p, "xyz");
	readbuf_release(&rb);
}
