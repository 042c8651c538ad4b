/*
 * csv: a streaming RFC 4180 record parser.  It reads from a file
 * descriptor through a readbuf (readbuf.h) and hands out one record at a
 * time as (pointer, length) fields, never holding more than one record
 * (at most max_record_bytes) in memory.
 *
 * Grammar, and what it does with input RFC 4180 does not allow:
 *  - Fields are separated by ','; records end at LF, CRLF or a bare CR.
 *    CR, LF and CRLF each count as one line end for line numbers, inside
 *    quoted fields too.
 *  - A field that starts with '"' is quoted: it runs to the next lone '"';
 *    inside it "" stands for one '"', and ',', CR and LF are data.
 *  - A '"' anywhere in an unquoted field is data: a"b"c is the field a"b"c.
 *  - Bytes between a closing quote and the next separator are kept and the
 *    field goes on unquoted, as Python's csv module does: "ab"cd"e",x gives
 *    the two fields abcd"e" and x.
 *  - A blank line (a line end right after a line end, or at the start of
 *    the input) is no record: it is skipped.  A line holding only ','
 *    is a record of empty fields, and "" alone is a record of one empty
 *    field.
 *  - A missing final line end is fine.  A quoted field still open at end
 *    of input is CSV_UNTERMINATED, reported at the line of its opening
 *    quote; it swallows the rest of the input.
 *  - Field bytes are kept as they are: no trimming, no decoding, NUL and
 *    invalid UTF-8 included; checking them is the caller's business.
 *  - A record's size is its raw bytes from its first byte up to, not
 *    including, its line end (quotes and separators count).  A record
 *    larger than max_record_bytes is CSV_TOOBIG: it is read to its end,
 *    quotes tracked, and thrown away; the next call goes on with the next
 *    record.
 *
 * Calling sequence:
 *  1. r = csv_new(fd, max_record_bytes, flags);
 *  2. call csv_next(r, &rec) until it returns CSV_EOF or CSV_ERROR; each
 *     record stays valid until the next call;
 *  3. csv_free(r); the caller closes fd.
 *
 * Mechanism tier: statuses, or -1 with errno; never prints or exits.
 */
#ifndef ROWPOOL_CSV_H
#define ROWPOOL_CSV_H

#include <stddef.h>

#include "rowpool/readbuf.h"

/* Skip a UTF-8 byte-order mark (EF BB BF) at the start of the input. */
#define CSV_SKIP_BOM		READBUF_SKIP_BOM

#define CSV_READ_SIZE		READBUF_SIZE

struct csv_field {
	const char	*ptr;	/* never NULL; not NUL-terminated */
	size_t		 len;
};

struct csv_record {
	const struct csv_field	*fields;	/* CSV_RECORD; reader's */
	size_t			 nfields;	/* CSV_RECORD: at least 1 */
	unsigned long		 line;		/* 1-based line it starts on */
	unsigned long		 quote_line;	/* CSV_UNTERMINATED: the '"' */
	size_t			 bytes;		/* raw size, see above */
};

enum csv_status {
	CSV_ERROR = -1,		/* read(2) failed or out of memory: errno */
	CSV_EOF = 0,		/* no more records */
	CSV_RECORD,		/* rec holds a record */
	CSV_TOOBIG,		/* a record over the maximum was skipped */
	CSV_UNTERMINATED	/* a quote still open at end of input */
};

struct csv_reader;

/*
 * Returns a reader of fd, which must stay open until csv_free (the reader
 * does not close it), or NULL with errno (ENOMEM; EINVAL when
 * max_record_bytes is 0).  flags: 0 or CSV_SKIP_BOM.
 */
struct csv_reader	*csv_new(int fd, size_t max_record_bytes, int flags);

/*
 * Reads the next record into rec.  Blocks on the fd.  After CSV_ERROR the
 * reader must not be used again except to free it.  fields and nfields
 * are only set for CSV_RECORD (nfields is 0 otherwise).
 */
enum csv_status		 csv_next(struct csv_reader *r, struct csv_record *rec);

/*
 * Sets how many bytes each read(2) asks for, 1 to CSV_READ_SIZE (default
 * CSV_READ_SIZE): readbuf_set_read_size().  For tests: 1 proves records
 * survive any split.
 */
void	csv_set_read_size(struct csv_reader *r, size_t n);

/* Frees the reader and its buffers; NULL is fine. */
void	csv_free(struct csv_reader *r);

#endif
