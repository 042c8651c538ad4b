/* bitset: a growable bit array; unset bits past the end read as 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/bitset.h"
#include "rowpool/buf.h"

void
bitset_init(struct bitset *b)
{
	b->words = NULL;
	b->nwords = 0;
}

void
bitset_release(struct bitset *b)
{
	free(b->words);
	bitset_init(b);
}

/* The new words are zero: unset bits. */
static int
bitset_grow(struct bitset *b, size_t need)
{
	size_t old = b->nwords;

	if (buf_grow_array((void **)&b->words, &b->nwords, need,
	    sizeof(*b->words)) == -1)
		return -1;
	memset(b->words + old, 0, (b->nwords - old) * sizeof(*b->words));
	return 0;
}

int
bitset_set(struct bitset *b, uint64_t i)
{
	if (i / 64 >= b->nwords && bitset_grow(b, i / 64 + 1) == -1)
		return -1;
	b->words[i / 64] |= UINT64_C(1) << (i % 64);
	return 0;
}

bool
bitset_test(const struct bitset *b, uint64_t i)
{
	if (i / 64 >= b->nwords)
		return false;
	return (b->words[i / 64] >> (i % 64)) & 1;
}

void
bitset_clear(struct bitset *b, uint64_t i)
{
	if (i / 64 < b->nwords)
		b->words[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

bool
bitset_next(const struct bitset *b, uint64_t from, uint64_t *out)
{
	size_t w = (size_t)(from / 64);
	uint64_t bits;

	if (w >= b->nwords)
		return false;
	bits = b->words[w] & (~UINT64_C(0) << (from % 64));
	for (;;) {
		if (bits != 0) {
			*out = (uint64_t)w * 64 + (uint64_t)__builtin_ctzll(bits);
			return true;
		}
		if (++w >= b->nwords)
			return false;
		bits = b->words[w];
	}
}
