/*
 * msgbuf: bounded message buffers (see msgbuf.h).  Invariant: p[len] is
 * always the NUL, and len < cap, whatever was added.
 */
#include <stdio.h>
#include <string.h>

#include "rowpool/msgbuf.h"
#include "rowpool/utf8.h"

void
msgbuf_init(struct msgbuf *b, char *p, size_t cap)
{
	*b = (struct msgbuf){ .p = p, .cap = p != NULL ? cap : 0 };
	if (b->cap > 0)
		p[0] = '\0';
}

void
msgbuf_vadd(struct msgbuf *b, const char *fmt, va_list ap)
{
	size_t room;
	int n;

	if (b->cap == 0 || b->cut)
		return;
	room = b->cap - b->len;
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	if (n >= 0 && (size_t)n < room) {
		b->len += (size_t)n;
		return;
	}
	/* Later pieces would only make a hole in the middle: stop here. */
	b->cut = true;
	if (n >= 0)
		b->len = b->cap - 1;
	/* else the piece cannot be formatted at all: it is dropped. */
	b->p[b->len] = '\0';
}

void
msgbuf_add(struct msgbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgbuf_vadd(b, fmt, ap);
	va_end(ap);
}

size_t
msgbuf_room(const struct msgbuf *b)
{
	return b->cap > 0 && !b->cut ? b->cap - 1 - b->len : 0;
}

void
msgbuf_finish(struct msgbuf *b)
{
	if (b->cap == 0)
		return;
	if (b->cut)
		msgbuf_cut(b->p, b->cap, b->len);
	utf8_clean(b->p);
}

void
msgbuf_vformat(char *p, size_t cap, const char *fmt, va_list ap)
{
	struct msgbuf b;

	msgbuf_init(&b, p, cap);
	msgbuf_vadd(&b, fmt, ap);
	msgbuf_finish(&b);
}

void
msgbuf_format(char *p, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgbuf_vformat(p, cap, fmt, ap);
	va_end(ap);
}

void
msgbuf_cut(char *s, size_t size, size_t len)
{
	size_t cut;

	if (size == 0)
		return;
	cut = size < 4 ? 0 : len < size - 4 ? len : size - 4;
	while (cut > 0 && utf8_is_cont((unsigned char)s[cut]))
		cut--;
	strlcpy(s + cut, "...", size - cut);
}
