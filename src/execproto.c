/*
 * execproto: the exec processor's lines.  Invariant: an answer that
 * decodes is one the supervisor can record as it is: a known kind, a
 * message of valid UTF-8, token counts that are integers from 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/execproto.h"
#include "rowpool/kind.h"
#include "rowpool/proto.h"
#include "rowpool/utf8.h"

char *
execproto_request(const json_t *row, uint64_t index, size_t *len)
{
	json_t *o;
	char *s, *line;
	size_t n;

	if (json_object_get(row, "row") != NULL) {
		errno = EEXIST;
		return NULL;
	}
	o = json_pack("{s:I}", "row", (json_int_t)index);
	if (o == NULL || json_object_update(o, (json_t *)(uintptr_t)row) ==
	    -1 || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		errno = ENOMEM;
		return NULL;
	}
	json_decref(o);
	n = strlen(s);
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

/* ---- answers ---- */

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_NULL:
		return "null";
	default:
		return "true or false";
	}
}

/* A count for the total, cut as the RESULT's encoder cuts it: three
 * counts near INT64_MAX must not overflow the sum. */
static long long
count(const json_t *usage, const char *k)
{
	long long v = json_integer_value(json_object_get(usage, k));

	return v > PROTO_TOKENS_MAX ? PROTO_TOKENS_MAX : v;
}

/* The answer's usage, checked, with its total; NULL when it has none. */
static int
usage(const json_t *o, json_t **out, char *err, size_t errlen)
{
	const json_t *u = json_object_get(o, "usage"), *v;
	const char *k;

	*out = NULL;
	if (u == NULL)
		return 0;
	if (!json_is_object(u))
		goto bad;
	json_object_foreach((json_t *)(uintptr_t)u, k, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			goto bad;
	if ((*out = json_deep_copy(u)) == NULL)
		goto nomem;
	if (json_object_get(u, "total_tokens") == NULL &&
	    json_object_set_new(*out, "total_tokens", json_integer(
	    count(u, "prompt_tokens") + count(u, "output_tokens") +
	    count(u, "thoughts_tokens"))) == -1)
		goto nomem;
	return 0;
bad:
	snprintf(err, errlen, "'usage' is not an object of token counts "
	    "(integers from 0)");
	return -1;
nomem:
	json_decref(*out);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
answer_ok(const json_t *o, struct proc_result *res, char *err,
    size_t errlen)
{
	json_t *data = json_object_get(o, "data"), *u;

	if (data == NULL) {
		snprintf(err, errlen, "\"ok\": true without 'data'");
		return -1;
	}
	if (usage(o, &u, err, errlen) == -1)
		return -1;
	if (u != NULL && (res->extra = json_pack("{s:o}", "usage", u)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	proc_result_ok(res, json_incref(data));
	return 0;
}

static int
answer_failed(const json_t *o, struct proc_result *res, char *err,
    size_t errlen)
{
	const json_t *kind = json_object_get(o, "kind");
	const json_t *msg = json_object_get(o, "message");
	const json_t *retry = json_object_get(o, "retry");
	int k;

	if (!json_is_string(kind)) {
		snprintf(err, errlen, "\"ok\": false without a 'kind' string");
		return -1;
	}
	if ((k = kind_parse(json_string_value(kind))) == -1) {
		snprintf(err, errlen, "'kind' '%.40s' is not one of rowpool's "
		    "error kinds", json_string_value(kind));
		return -1;
	}
	if (msg != NULL && !json_is_string(msg)) {
		snprintf(err, errlen, "'message' is %s, not a string",
		    type_name(msg));
		return -1;
	}
	if (retry != NULL && !json_is_boolean(retry)) {
		snprintf(err, errlen, "'retry' is %s, not true or false",
		    type_name(retry));
		return -1;
	}
	/* msgbuf makes it one line of UTF-8, cut with "...". */
	proc_result_error(res, (enum kind)k, "%s", msg != NULL ?
	    json_string_value(msg) : "");
	if (retry != NULL)
		res->retry = json_is_true(retry) ? RETRY_YES : RETRY_NO;
	return 0;
}

/* The answer's "row", when it has one, is the row's. */
static int
same_row(const json_t *o, uint64_t index, char *err, size_t errlen)
{
	const json_t *row = json_object_get(o, "row");

	if (row == NULL || (json_is_integer(row) &&
	    json_integer_value(row) >= 0 &&
	    (uint64_t)json_integer_value(row) == index))
		return 0;
	if (json_is_integer(row))
		snprintf(err, errlen, "the answer is for row %lld",
		    (long long)json_integer_value(row));
	else
		snprintf(err, errlen, "'row' is %s, not a row number",
		    type_name(row));
	return -1;
}

int
execproto_answer(const char *line, size_t len, uint64_t index,
    struct proc_result *res, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o, *ok;
	int rc = -1;

	proc_result_init(res);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	ok = json_object_get(o, "ok");
	if (o == NULL)
		snprintf(err, errlen, "not JSON: %s", jerr.text);
	else if (!json_is_object(o))
		snprintf(err, errlen, "%s, not a JSON object", type_name(o));
	else if (same_row(o, index, err, errlen) == -1)
		;
	else if (!json_is_boolean(ok))
		snprintf(err, errlen, "no 'ok': true or false");
	else
		rc = (json_is_true(ok) ? answer_ok : answer_failed)(o, res,
		    err, errlen);
	json_decref(o);
	if (rc == -1) {
		proc_result_release(res);
		utf8_clean(err);	/* jansson quotes the line as it is */
	}
	return rc;
}
