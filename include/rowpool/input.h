/*
 * input: the streaming row reader.  It turns a CSV file (RFC 4180, with a
 * header row) or a JSONL file (one object per line) into a sequence of
 * rows, each a JSON object text, without ever holding more than one row
 * (at most max_row_bytes) in memory.
 *
 * Every input record gets a row index, 0-based, in file order, whether it
 * is good or bad: a bad record still uses up its index, so the output has
 * exactly one line per input record and the same file always numbers its
 * rows the same way (resume depends on it).
 *
 * CSV rules (see README "Input" and csv.h): fields separated by ',',
 * records by LF, CRLF or a bare CR; quoted fields may hold ',', '"' doubled,
 * and any line ending; a UTF-8 BOM at the start is skipped; blank lines (no
 * bytes at all between two line endings) are skipped and get no row index;
 * field bytes are kept as they are (no trimming).  A stray quote inside an
 * unquoted field is kept as data, and so are bytes after a closing quote
 * ("ab"c is abc).  A row is {"column":"value",...}, in header order, every
 * value a string.  Per-record errors (INPUT_BAD), checked in this order:
 *	FILE:LINE: row larger than N bytes	(raw bytes, line end excluded)
 *	FILE:LINE: unterminated quoted field	(LINE of the opening quote;
 *						 it ran to end of file)
 *	FILE:LINE: expected 3 fields, found 4
 *	FILE:LINE: NUL byte in field 2		(fields count from 1)
 *	FILE:LINE: invalid UTF-8 in field 3	(strict: no overlongs,
 *						 surrogates or > U+10FFFF)
 * File-level errors (INPUT_FATAL, from input_open): an empty file (no
 * header), a header over max_row_bytes or with an unterminated quote, an
 * empty, duplicate or not UTF-8 column name, a UTF-16/UTF-32 file (a BOM,
 * or NULs in the header): "FILE: looks like UTF-16; rowpool reads UTF-8
 * only" (or UTF-32).
 *
 * Every message is one line of valid UTF-8: control bytes and invalid
 * UTF-8 that it quotes from the input or the path become '?'.
 *
 * JSONL rules: one JSON object per line (LF or CRLF); blank or whitespace-
 * only lines are skipped; a line that is not a JSON object, has duplicate
 * keys, holds invalid UTF-8, a raw control character in a string, a NUL
 * (raw anywhere, or \u0000), an integer jansson cannot hold, objects and
 * arrays nested more than INPUT_MAX_DEPTH deep, or is longer than
 * max_row_bytes is a bad row ("FILE:LINE: row larger than N bytes",
 * "FILE:LINE: NUL byte at column N", "FILE:LINE: nested deeper than 1024
 * levels", "FILE:LINE: invalid JSON at column N: jansson's reason",
 * "FILE:LINE: not a JSON object", checked in this order).  Columns count
 * characters from the first non-blank one.  A good row's text is the
 * line itself, without its line end and surrounding blanks.
 *
 * Mechanism tier: statuses and messages, never prints or exits.
 */
#ifndef ROWPOOL_INPUT_H
#define ROWPOOL_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum input_format {
	INPUT_CSV = 1,
	INPUT_JSONL = 2
};

enum input_status {
	INPUT_ROW,	/* a good row: row->json holds it */
	INPUT_BAD,	/* a bad row: row->error says why; its index is used up */
	INPUT_EOF,	/* no more rows */
	INPUT_FATAL,	/* the file cannot be read as this format: row->error */
	INPUT_IOERR	/* read(2) failed: row->error, errno set */
};

#define INPUT_ERROR_MAX		512
#define INPUT_MAX_ROW_DEFAULT	(1024u * 1024)	/* max_row_bytes 0 means this */
/*
 * JSONL nesting limit: {} is 1 deep, {"a":[]} 2.  Below jansson's own
 * (JSON_PARSER_MAX_DEPTH, 2048) so that a row that passes here also
 * passes the worker and the supervisor, which parses it once more inside
 * a result (input.c checks the margin at compile time).
 */
#define INPUT_MAX_DEPTH		1024

struct input_row {
	uint64_t	 index;	/* 0-based row index */
	unsigned long	 line;	/* 1-based line the record starts on */
	char		*json;	/* INPUT_ROW: NUL-terminated JSON object text */
	size_t		 len;	/* its length */
	/* INPUT_BAD/FATAL/IOERR: "FILE:LINE: problem", e.g.
	 * "leads.csv:12: expected 3 fields, found 4" */
	char		 error[INPUT_ERROR_MAX];
};

struct input;

/*
 * Guesses the format from the file name: ".csv" -> INPUT_CSV, ".jsonl" or
 * ".ndjson" -> INPUT_JSONL (case-insensitive).  Returns 0 when it cannot.
 */
enum input_format	input_format_from_path(const char *path);

/*
 * Opens path (O_CLOEXEC) and, for CSV, reads the header.  fmt 0 means
 * input_format_from_path(path); max_row_bytes 0 means
 * INPUT_MAX_ROW_DEFAULT.  Returns the reader with *status INPUT_ROW, or
 * NULL on failure with a message "FILE[:LINE]: problem" in err (FILE is
 * path as given) and *status set to INPUT_IOERR (errno set; ENOENT when
 * the file does not exist, ENOMEM) or INPUT_FATAL (a bad header, a UTF-16
 * file, an unknown format...).
 */
struct input	*input_open(const char *path, enum input_format fmt,
		    size_t max_row_bytes, enum input_status *status,
		    char *err, size_t errlen);
/* As input_open, but messages name the file name instead of path. */
struct input	*input_open_as(const char *path, const char *name,
		    enum input_format fmt, size_t max_row_bytes,
		    enum input_status *status, char *err, size_t errlen);

/*
 * Reads the next record.  When want is false the caller does not need the
 * row (it is already done): the reader may skip building row->json (it is
 * then NULL for CSV), but the record is still checked, gets its index and
 * the status is INPUT_ROW or INPUT_BAD as usual.  row->json is owned by
 * the reader and valid until the next call; it is NULL unless INPUT_ROW.
 * index and line are set for INPUT_ROW and INPUT_BAD.  After INPUT_IOERR
 * (errno set; ENOMEM too) or INPUT_EOF, only input_close is useful.
 * Blocks on file reads.
 */
enum input_status	input_next(struct input *in, struct input_row *row,
			    bool want);

/*
 * Counts the records of a whole file (good and bad rows), reading it as
 * input_next(want false) does: the cheap first pass that gives a run
 * its total.  Returns 0, or -1 with errno (EBADMSG: a file-level
 * problem, which input_open reports in full).
 */
int	input_count(const char *path, const char *name, enum input_format fmt,
	    size_t max_row_bytes, uint64_t *rows);

/* Column names (CSV header, in order); NULL and 0 for JSONL. */
const char *const	*input_columns(const struct input *in, size_t *ncols);

void	input_close(struct input *in);

/*
 * Fingerprint of the file's contents: its size in decimal, ':', and a
 * 64-bit hash of every byte (rp64, defined in input.c) in 16 lower-case hex
 * digits, e.g. "56472:9f3b2c01a4d5e6f7", at most 40 characters with the
 * NUL.  Reads the file in 64 KiB chunks.  Returns 0, or -1 with errno
 * (from open/read; ERANGE when outlen is too small).
 */
int	input_fingerprint(const char *path, char *out, size_t outlen);
/*
 * The fingerprint the file's first size bytes would have as a file of
 * their own; -1 with ENODATA when the file is shorter.
 */
int	input_fingerprint_prefix(const char *path, uint64_t size, char *out,
	    size_t outlen);

/* The fingerprint's hash (rp64) of n bytes at p. */
uint64_t	input_hash(const void *p, size_t n);

#endif
