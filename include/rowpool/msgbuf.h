/*
 * msgbuf: a bounded buffer for one error message, built in pieces in the
 * caller's storage (an err/errlen pair, a fixed message field).  It never
 * overruns it; a message cut short ends in "..." at a character boundary
 * (msgbuf_cut(), the one way rowpool cuts a message), and msgbuf_finish()
 * turns control bytes and broken UTF-8 into '?' (utf8_clean()) so that a
 * message that quotes user or server text stays one line that JSON can
 * carry.  Growable bytes are buf.h's business, not this module's.
 *
 * Calling sequence:
 *  1. msgbuf_init(&b, err, errlen)   (err may be NULL or errlen 0: then
 *     every call does nothing);
 *  2. msgbuf_add(&b, fmt, ...) any number of times;
 *  3. msgbuf_finish(&b).
 * msgbuf_format() does all three for a message made in one piece.
 *
 * Mechanism tier: no allocation, never prints or exits.
 */
#ifndef ROWPOOL_MSGBUF_H
#define ROWPOOL_MSGBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct msgbuf {
	char	*p;
	size_t	 cap;
	size_t	 len;	/* bytes written, the NUL excluded */
	bool	 cut;	/* something did not fit */
};

void	msgbuf_init(struct msgbuf *b, char *p, size_t cap);
void	msgbuf_add(struct msgbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	msgbuf_vadd(struct msgbuf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Bytes still free, the NUL excluded: 0 once full. */
size_t	msgbuf_room(const struct msgbuf *b);
void	msgbuf_finish(struct msgbuf *b);

/* The whole sequence: p (cap bytes; may be NULL) holds the message. */
void	msgbuf_format(char *p, size_t cap, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	msgbuf_vformat(char *p, size_t cap, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

/*
 * Ends the message at s, whose storage is size bytes, in "..." because it
 * did not fit: keeps its longest prefix of at most len and at most
 * size - 4 bytes that does not end inside a UTF-8 character, then writes
 * "..." and the NUL.  With size under 4, s is what fits of "...".  s must
 * hold len bytes of the message and one more (its NUL, or more of it),
 * all within size.
 */
void	msgbuf_cut(char *s, size_t size, size_t len);

#endif
