/*
 * buf: the growable byte buffer (git's strbuf), and buf_grow_array() for
 * arrays of anything else.  Every buffer in rowpool that grows as bytes
 * arrive is one of these: a record or line being read, a frame being
 * collected or sent, a response body, a row's JSON text.
 *
 * Ownership: the buffer owns p, from the first byte reserved until
 * buf_release() or buf_detach().  The fields are the caller's to read:
 * p[0 .. len) are the bytes held.  A caller may also write into the room
 * after them (buf_room() bytes, made with buf_reserve()) and then say how
 * many it wrote with buf_setlen().
 *
 * Invariant: once p is not NULL, p[len] is a NUL (cap counts its byte),
 * so bytes that hold no NUL read as a C string without another copy.
 *
 * Growth: the capacity at least doubles, and becomes at least what is
 * asked for, so n appends cost O(n) copies and one reservation of n bytes
 * allocates n + 1.  It never shrinks before buf_release().
 *
 * Calling sequence:
 *  1. struct buf b = BUF_INIT (or buf_init(&b));
 *  2. buf_add(), or buf_reserve(), writes and buf_setlen(); buf_reset()
 *     and buf_drop() to reuse it;
 *  3. buf_release(&b), or take the bytes with buf_detach().
 *
 * Mechanism tier: -1 with errno ENOMEM (also when a size would overflow
 * size_t), never prints or exits.  A failed call changes nothing.
 */
#ifndef ROWPOOL_BUF_H
#define ROWPOOL_BUF_H

#include <stddef.h>

struct buf {
	char	*p;	/* NULL until the first reservation */
	size_t	 len;	/* bytes held, the NUL excluded */
	size_t	 cap;	/* bytes allocated, the NUL's included */
};

#define BUF_INIT	{ .p = NULL, .len = 0, .cap = 0 }

void	buf_init(struct buf *b);

/* Frees the bytes; b is empty again (BUF_INIT) and may be reused. */
void	buf_release(struct buf *b);

/* Makes room for n more bytes after len (and the NUL).  0, or -1. */
int	buf_reserve(struct buf *b, size_t n);

/* Bytes that can be written after len without growing. */
size_t	buf_room(const struct buf *b);

/* Appends n bytes at p.  0, or -1. */
int	buf_add(struct buf *b, const void *p, size_t n);

/*
 * Sets the length to len, at most len + buf_room(), and writes the NUL:
 * after writing into the room, or to cut the bytes short.
 */
void	buf_setlen(struct buf *b, size_t len);

/* buf_setlen(b, 0), keeping the memory. */
void	buf_reset(struct buf *b);

/* Removes the first n bytes (n <= len), moving the rest to the front. */
void	buf_drop(struct buf *b, size_t n);

/*
 * Hands the bytes over: returns p, NUL-terminated, which the caller
 * frees, and leaves b empty.  *len (may be NULL) is their length.  An
 * empty buffer gives an allocated "".  NULL with ENOMEM.
 */
char	*buf_detach(struct buf *b, size_t *len);

/*
 * Makes room for need elements of size bytes in the array *arr, whose
 * capacity (in elements) is *cap, growing both as a buf grows.  The
 * elements keep their values; the new ones are not initialised.  0, or
 * -1 with ENOMEM, *arr unchanged.  Pass the address of the array's
 * pointer: buf_grow_array((void **)&v, &vcap, n + 1, sizeof(*v)).
 */
int	buf_grow_array(void **arr, size_t *cap, size_t need, size_t size);

#endif
