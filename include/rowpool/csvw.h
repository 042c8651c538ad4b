/*
 * csvw: the CSV record writer, RFC 4180: fields separated by ',', records
 * ended by CRLF, a field quoted when it holds ',', '"', CR or LF, with
 * each '"' inside doubled.  Nothing else is quoted; field bytes are
 * written as they are.  A record of one empty field is written as ""
 * (an empty line would be no record at all to a reader).  It builds
 * records in memory, for the caller to write out.
 *
 * Calling sequence:
 *  1. csvw_init(&w);
 *  2. csvw_field(&w, ...) for each field of a record, then csvw_end(&w);
 *     repeat for more records; they are w.buf[0 .. w.len);
 *  3. csvw_clear(&w) once they are written out; repeat 2-3;
 *  4. csvw_release(&w).
 *
 * Mechanism tier: -1 with errno (ENOMEM), never prints or exits.
 */
#ifndef ROWPOOL_CSVW_H
#define ROWPOOL_CSVW_H

#include <stddef.h>

struct csvw {
	char	*buf;		/* the record so far (owned) */
	size_t	 len;
	size_t	 cap;
	size_t	 start;		/* where the record being built starts */
	size_t	 nfields;	/* fields in the current record so far */
};

void	csvw_init(struct csvw *w);
/* Appends a field of n bytes at p (may be NULL when n is 0). */
int	csvw_field(struct csvw *w, const char *p, size_t n);
/* Ends the record with CRLF; the next field starts a new one. */
int	csvw_end(struct csvw *w);
/* Empties the buffer, keeping the memory. */
void	csvw_clear(struct csvw *w);
void	csvw_release(struct csvw *w);

#endif
