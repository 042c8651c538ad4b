/*
 * batchfile: request lines out, response lines in.  Invariant: a key is
 * a row index written in decimal and nothing else, so a line whose key
 * is not one of ours is refused rather than guessed at.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/batchfile.h"

int
batchfile_request_line(struct buf *out, uint64_t row, const char *request,
    size_t len)
{
	char head[64];
	int n;

	n = snprintf(head, sizeof(head), "{\"key\":\"%" PRIu64
	    "\",\"request\":", row);
	if (buf_add(out, head, (size_t)n) == -1 ||
	    buf_add(out, request, len) == -1 || buf_add(out, "}\n", 2) == -1)
		return -1;
	return 0;
}

/* A key as rowpool writes them; -1 when it is not one. */
static int
parse_key(const char *s, uint64_t *row)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || (s[0] == '0' && s[1] != '\0') ||
	    strlen(s) > 19)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*row = v;
	return 0;
}

static int
blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

/* An error's HTTP status: its code when it is one, else 500. */
static long
error_status(const json_t *err)
{
	json_int_t c = json_integer_value(json_object_get(err, "code"));

	return c >= 400 && c <= 599 ? (long)c : 500;
}

static enum batchfile_line
bad(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return BATCHFILE_BAD;
}

enum batchfile_line
batchfile_response_line(const char *line, size_t len, uint64_t *row,
    long *status, char **body, char *err, size_t errlen)
{
	json_t *o, *resp, *e, *wrap;
	enum batchfile_line kind;

	*body = NULL;
	if (blank(line, len))
		return BATCHFILE_BLANK;
	if ((o = json_loadb(line, len, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return bad(err, errlen, "line is not a JSON object");
	}
	resp = json_object_get(o, "response");
	e = json_object_get(o, "error");
	if (parse_key(json_string_value(json_object_get(o, "key")), row) == -1)
		kind = bad(err, errlen, "its key is not a row number");
	else if (json_is_object(resp)) {
		kind = BATCHFILE_RESPONSE;
		*status = 200;
		*body = json_dumps(resp, JSON_COMPACT);
	} else if (e != NULL) {
		kind = BATCHFILE_ERROR;
		*status = error_status(e);
		wrap = json_pack("{s:O}", "error", e);
		*body = wrap != NULL ? json_dumps(wrap, JSON_COMPACT) : NULL;
		json_decref(wrap);
	} else
		kind = bad(err, errlen, "line has neither a response nor an "
		    "error");
	json_decref(o);
	if (kind != BATCHFILE_BAD && *body == NULL)
		return bad(err, errlen, "out of memory");
	return kind;
}
