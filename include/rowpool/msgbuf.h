/*
 * msgbuf: a bounded buffer for one error message, built in pieces.  It
 * never overruns the caller's buffer; a message cut short ends in "...",
 * and msgbuf_finish() turns control bytes into '?' so that a message that
 * quotes user text (a column name, a JSON key) stays on one line.
 *
 * Calling sequence:
 *  1. msgbuf_init(&b, err, errlen)   (err may be NULL or errlen 0: then
 *     every call does nothing);
 *  2. msgbuf_add(&b, fmt, ...) any number of times;
 *  3. msgbuf_finish(&b).
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

#endif
