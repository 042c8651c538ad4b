/*
 * csvw: RFC 4180 records, built in one growing buffer.  Invariant: the
 * buffer holds exactly the bytes of the record's fields so far, each
 * quoted as csvw.h says, so any reader of RFC 4180 (Python's csv module,
 * spreadsheets, rowpool's own csv.c) reads back the same fields.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/csvw.h"

void
csvw_init(struct csvw *w)
{
	memset(w, 0, sizeof(*w));
}

/* Makes room for n more bytes. */
static int
reserve(struct csvw *w, size_t n)
{
	size_t ncap;
	char *nb;

	if (n <= w->cap - w->len)
		return 0;
	if (n > SIZE_MAX / 2 - w->len) {
		errno = ENOMEM;
		return -1;
	}
	ncap = w->cap == 0 ? 256 : w->cap;
	while (ncap - w->len < n)
		ncap *= 2;
	if ((nb = realloc(w->buf, ncap)) == NULL)
		return -1;
	w->buf = nb;
	w->cap = ncap;
	return 0;
}

static bool
needs_quotes(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n')
			return true;
	return false;
}

int
csvw_field(struct csvw *w, const char *p, size_t n)
{
	size_t i, quotes = 0;
	char *o;

	if (needs_quotes(p, n))
		for (i = 0, quotes = 2; i < n; i++)
			quotes += p[i] == '"';
	/* A separator, the field, and its quotes. */
	if (n > SIZE_MAX / 2 || reserve(w, 1 + n + quotes) == -1)
		return -1;
	o = w->buf + w->len;
	if (w->nfields++ > 0)
		*o++ = ',';
	if (quotes > 0)
		*o++ = '"';
	for (i = 0; i < n; i++) {
		if (p[i] == '"' && quotes > 0)
			*o++ = '"';
		*o++ = p[i];
	}
	if (quotes > 0)
		*o++ = '"';
	w->len = (size_t)(o - w->buf);
	return 0;
}

int
csvw_end(struct csvw *w)
{
	if (reserve(w, 4) == -1)
		return -1;
	if (w->nfields <= 1 && w->len == w->start) {
		memcpy(w->buf + w->len, "\"\"", 2);
		w->len += 2;
	}
	memcpy(w->buf + w->len, "\r\n", 2);
	w->len += 2;
	w->start = w->len;
	w->nfields = 0;
	return 0;
}

void
csvw_clear(struct csvw *w)
{
	w->len = w->start = 0;
	w->nfields = 0;
}

void
csvw_release(struct csvw *w)
{
	free(w->buf);
	csvw_init(w);
}
