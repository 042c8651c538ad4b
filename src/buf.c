/*
 * buf: growable byte buffers and arrays (see buf.h).  One growth rule for
 * both, in buf_next_cap(): at least double, at least what is needed, and
 * ENOMEM rather than a size that wraps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/buf.h"

#define BUF_MIN		64	/* the first allocation, in bytes */
#define ARRAY_MIN	8	/* the first allocation, in elements */

/* The capacity to grow cap to for need, or 0 when none fits a size_t. */
static size_t
buf_next_cap(size_t cap, size_t need, size_t min, size_t size)
{
	size_t ncap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;

	if (ncap < min)
		ncap = min;
	if (ncap < need)
		ncap = need;
	if (ncap > SIZE_MAX / size) {
		if (need > SIZE_MAX / size)
			return 0;
		ncap = need;
	}
	return ncap;
}

static int
buf_grow(void **arr, size_t *cap, size_t need, size_t size, size_t min)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	if ((ncap = buf_next_cap(*cap, need, min, size)) == 0) {
		errno = ENOMEM;
		return -1;
	}
	if ((np = reallocarray(*arr, ncap, size)) == NULL)
		return -1;
	*arr = np;
	*cap = ncap;
	return 0;
}

int
buf_grow_array(void **arr, size_t *cap, size_t need, size_t size)
{
	return buf_grow(arr, cap, need, size, ARRAY_MIN);
}

void
buf_init(struct buf *b)
{
	*b = (struct buf)BUF_INIT;
}

void
buf_release(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t cap = b->cap;

	if (n < cap - b->len)		/* the room there is: cap - len - 1 */
		return 0;
	if (n > SIZE_MAX - 1 - b->len) {
		errno = ENOMEM;
		return -1;
	}
	if (buf_grow((void **)&b->p, &cap, b->len + n + 1, 1, BUF_MIN) == -1)
		return -1;
	if (b->cap == 0)
		b->p[0] = '\0';
	b->cap = cap;
	return 0;
}

size_t
buf_room(const struct buf *b)
{
	return b->cap > 0 ? b->cap - 1 - b->len : 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n >= b->cap - b->len && buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void
buf_setlen(struct buf *b, size_t len)
{
	if (b->p == NULL)
		return;
	b->len = len;
	b->p[len] = '\0';
}

void
buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

void
buf_drop(struct buf *b, size_t n)
{
	if (n == 0)
		return;
	memmove(b->p, b->p + n, b->len - n);
	buf_setlen(b, b->len - n);
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (b->p == NULL && buf_reserve(b, 0) == -1)
		return NULL;
	p = b->p;
	if (len != NULL)
		*len = b->len;
	buf_init(b);
	return p;
}
