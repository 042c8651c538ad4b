/*
 * buf: the growable byte buffer and array.  The invariants every call
 * must keep: p[len] is a NUL, len < cap, growth at least doubles (so
 * appends one byte at a time reallocate O(log n) times), a failed call
 * changes nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "rowpool/buf.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
check_invariant(const struct buf *b, const char *what)
{
	if (b->p == NULL) {
		cr_assert_eq(b->len, 0, "%s", what);
		cr_assert_eq(b->cap, 0, "%s", what);
		return;
	}
	cr_assert_lt(b->len, b->cap, "%s", what);
	cr_assert_eq(b->p[b->len], '\0', "%s: no NUL", what);
	cr_assert_eq(buf_room(b), b->cap - 1 - b->len, "%s", what);
}

/* Every text built by appends of each chunk size reads back whole. */
Test(buf, add_in_chunks)
{
	static const char *const texts[] = {
		"", "a", "hello, world",
		"a longer text that needs more than the first allocation of "
		"sixty-four bytes, so that the buffer has to grow twice",
	};
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 1000 };
	struct buf b = BUF_INIT;
	size_t i, k, off, n, grew, cap;

	for (i = 0; i < NELEM(texts); i++) {
		for (k = 0; k < NELEM(chunks); k++) {
			grew = 0;
			for (off = 0; off < strlen(texts[i]); off += n) {
				n = strlen(texts[i]) - off;
				if (n > chunks[k])
					n = chunks[k];
				cap = b.cap;
				cr_assert_eq(buf_add(&b, texts[i] + off, n), 0);
				grew += b.cap != cap;
				check_invariant(&b, texts[i]);
			}
			cr_assert_eq(b.len, strlen(texts[i]));
			cr_assert(b.len == 0 || strcmp(b.p, texts[i]) == 0,
			    "text %zu, chunks of %zu", i, chunks[k]);
			cr_assert_leq(grew, 3, "text %zu: grew %zu times", i,
			    grew);
			buf_release(&b);
			check_invariant(&b, "released");
		}
	}
}

/* A thousand appends of one byte: a handful of reallocations. */
Test(buf, growth_doubles)
{
	struct buf b = BUF_INIT;
	size_t i, grew = 0, cap;

	for (i = 0; i < 100000; i++) {
		cap = b.cap;
		cr_assert_eq(buf_add(&b, "x", 1), 0);
		grew += b.cap != cap;
	}
	cr_assert_eq(b.len, 100000);
	cr_assert_leq(grew, 12, "grew %zu times", grew);
	buf_release(&b);
}

/* One reservation of n bytes allocates n + 1: no doubling past it. */
Test(buf, reserve_exact)
{
	struct buf b = BUF_INIT;

	cr_assert_eq(buf_reserve(&b, 100000), 0);
	cr_assert_eq(b.cap, 100001);
	cr_assert_eq(b.len, 0);
	check_invariant(&b, "reserved");
	cr_assert_eq(buf_reserve(&b, 100000), 0);
	cr_assert_eq(b.cap, 100001, "room there already: no growth");
	buf_release(&b);
}

/* Writing into the room, then setting the length. */
Test(buf, reserve_write_setlen)
{
	struct buf b = BUF_INIT;

	cr_assert_eq(buf_add(&b, "ab", 2), 0);
	cr_assert_eq(buf_reserve(&b, 5), 0);
	cr_assert_geq(buf_room(&b), 5);
	memcpy(b.p + b.len, "cdefg", 5);
	buf_setlen(&b, b.len + 5);
	check_invariant(&b, "written");
	cr_assert_str_eq(b.p, "abcdefg");
	buf_setlen(&b, 3);
	cr_assert_str_eq(b.p, "abc");
	buf_reset(&b);
	cr_assert_str_eq(b.p, "");
	cr_assert_gt(b.cap, 0, "reset keeps the memory");
	buf_release(&b);
	buf_reset(&b);		/* nothing allocated: nothing to do */
	check_invariant(&b, "reset empty");
}

Test(buf, drop)
{
	static const struct {
		const char	*in;
		size_t		 n;
		const char	*want;
	} cases[] = {
		{ "abcdef", 0, "abcdef" },
		{ "abcdef", 1, "bcdef" },
		{ "abcdef", 5, "f" },
		{ "abcdef", 6, "" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		buf_reset(&b);
		cr_assert_eq(buf_add(&b, cases[i].in, strlen(cases[i].in)), 0);
		buf_drop(&b, cases[i].n);
		check_invariant(&b, cases[i].in);
		cr_assert_str_eq(b.p, cases[i].want, "case %zu", i);
	}
	buf_release(&b);
	buf_drop(&b, 0);
	check_invariant(&b, "drop 0 of nothing");
}

Test(buf, detach)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	s = buf_detach(&b, &len);
	cr_assert_not_null(s, "an empty buffer gives \"\"");
	cr_assert_str_eq(s, "");
	cr_assert_eq(len, 0);
	free(s);
	cr_assert_eq(buf_add(&b, "row", 3), 0);
	s = buf_detach(&b, NULL);
	cr_assert_str_eq(s, "row");
	check_invariant(&b, "detached");
	cr_assert_null(b.p, "the bytes are the caller's now");
	free(s);
}

/* A size that would wrap is ENOMEM, and the buffer is as it was. */
Test(buf, overflow_is_enomem)
{
	struct buf b = BUF_INIT;

	cr_assert_eq(buf_add(&b, "abc", 3), 0);
	errno = 0;
	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(buf_reserve(&b, SIZE_MAX - 3), -1);
	cr_assert_str_eq(b.p, "abc");
	cr_assert_eq(b.len, 3);
	check_invariant(&b, "after ENOMEM");
	buf_release(&b);
}

Test(buf, grow_array)
{
	struct item {
		uint64_t	 a;
		uint32_t	 b;
	} *v = NULL;
	size_t cap = 0, i, grew = 0, old;

	for (i = 0; i < 10000; i++) {
		old = cap;
		cr_assert_eq(buf_grow_array((void **)&v, &cap, i + 1,
		    sizeof(*v)), 0);
		cr_assert_geq(cap, i + 1);
		grew += cap != old;
		v[i] = (struct item){ .a = i * 3, .b = (uint32_t)i };
	}
	for (i = 0; i < 10000; i++)
		cr_assert(v[i].a == i * 3 && v[i].b == i, "element %zu", i);
	cr_assert_leq(grew, 12, "grew %zu times", grew);
	old = cap;
	cr_assert_eq(buf_grow_array((void **)&v, &cap, 5, sizeof(*v)), 0);
	cr_assert_eq(cap, old, "never shrinks");
	errno = 0;
	cr_assert_eq(buf_grow_array((void **)&v, &cap, SIZE_MAX / 8,
	    sizeof(*v)), -1);
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(cap, old);
	cr_assert_eq(v[9999].a, 9999 * 3, "unchanged after ENOMEM");
	free(v);
}
