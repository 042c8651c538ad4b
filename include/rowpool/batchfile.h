/*
 * batchfile: the two JSONL files of Gemini's Batch API, one line per
 * row, keyed by the row's index as a decimal string:
 *
 *   request file (rowpool writes it, in the state directory):
 *     {"key":"17","request":GenerateContentRequest}
 *   responses file (the API writes it; any order):
 *     {"key":"17","response":GenerateContentResponse}
 *     {"key":"17","error":{"code":500,"message":"...","status":"..."}}
 *
 * Domain tier and pure: lines in, lines out; no I/O.
 */
#ifndef ROWPOOL_BATCHFILE_H
#define ROWPOOL_BATCHFILE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/buf.h"

/* The Batch API's input file limit, and what rowpool keeps under it. */
#define BATCHFILE_MAX_BYTES	(2000ull * 1000 * 1000)

/*
 * Appends row's request line (request: the body as JSON text, len bytes)
 * and its newline to out.  Returns 0, or -1 with ENOMEM.
 */
int	batchfile_request_line(struct buf *out, uint64_t row,
	    const char *request, size_t len);

enum batchfile_line {
	BATCHFILE_BLANK,	/* nothing on it */
	BATCHFILE_RESPONSE,	/* *body: the response, status 200 */
	BATCHFILE_ERROR,	/* *body: {"error":...}, *status its code */
	BATCHFILE_BAD		/* not a line of a responses file: err */
};

/*
 * Reads one line of a responses file (len bytes, no newline needed).
 * For RESPONSE and ERROR, *row is its key and *body a malloc'd JSON text
 * to parse as a generateContent response of HTTP status *status (an
 * error's code when it is an HTTP status, else 500).  BAD says why in
 * err ("line is not JSON", "key '' is not a row number", ...); also for
 * running out of memory.
 */
enum batchfile_line	batchfile_response_line(const char *line, size_t len,
			    uint64_t *row, long *status, char **body,
			    char *err, size_t errlen);

#endif
