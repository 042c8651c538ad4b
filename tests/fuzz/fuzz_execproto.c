/*
 * fuzz_execproto: libFuzzer harness for the exec processor's lines
 * (execproto.c): the answer line a user's program, CMD, writes for a row,
 * as the worker reads it (execproto_answer), and the row line it is sent
 * (execproto_request).  Built by `make fuzz`; seeds in
 * tests/fuzz/corpus/execproto/.
 *
 * Input: byte 0 is the row's number (0-255, the answer's "row" must be
 * it); the rest is the answer line, without its newline; when it is also
 * a JSON object, it is a row too, for execproto_request.
 *
 * Checked:
 *  - a line refused has a reason, one line of UTF-8, and no result;
 *  - a line read is a result the worker can send as it is: ok with data
 *    and a usage of integer counts from 0 with a total_tokens; or a
 *    failure of a known kind, a retry of -1, no or yes, a message of one
 *    line of UTF-8, never a restart (only CMD's own failures restart);
 *    and it encodes as a RESULT that the supervisor decodes (proto.c) to
 *    the same, its usage counts cut to PROTO_TOKENS_MAX;
 *  - a row becomes one line, a JSON object with "row" first and the
 *    row's fields, or is refused (EEXIST) when it has a "row" itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/execproto.h"
#include "rowpool/kind.h"
#include "rowpool/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* One line of valid UTF-8 (utf8_clean's). */
static void
check_line(const char *s)
{
	json_t *j;

	CHECK((j = json_string(s)) != NULL);
	json_decref(j);
	for (; *s != '\0'; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void
check_usage(const json_t *usage, long long max)
{
	const char *k;
	json_t *v;

	if (usage == NULL)
		return;
	CHECK(json_is_object(usage));
	CHECK(json_object_get(usage, "total_tokens") != NULL);
	json_object_foreach((json_t *)(uintptr_t)usage, k, v)
		CHECK(json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= max);
}

/* What the worker would send, and what the supervisor makes of it. */
static void
check_sent(const struct proc_result *res)
{
	struct proc_result again;
	char err[256], *text;
	size_t len;

	CHECK((text = proto_result_encode(res, &len)) != NULL);
	CHECK(proto_result_decode(text, len, &again, err, sizeof(err)) == 0);
	CHECK(again.ok == res->ok);
	if (res->ok) {
		CHECK(json_equal(again.data, res->data));
		check_usage(json_object_get(again.extra, "usage"),
		    PROTO_TOKENS_MAX);
	} else {
		CHECK(again.kind == res->kind && again.retry == res->retry);
		CHECK(strcmp(again.message, res->message) == 0);
		CHECK(!again.restart);
	}
	proc_result_release(&again);
	free(text);
}

static void
check_answer(const char *line, size_t len, uint64_t index)
{
	struct proc_result res;
	char err[256];

	err[0] = '\0';
	if (execproto_answer(line, len, index, &res, err, sizeof(err)) ==
	    -1) {
		CHECK(err[0] != '\0');
		check_line(err);
		CHECK(res.data == NULL && res.extra == NULL);
		return;
	}
	if (res.ok) {
		CHECK(res.data != NULL);
		CHECK(res.extra == NULL ||
		    json_object_size(res.extra) == 1);
		check_usage(json_object_get(res.extra, "usage"), INT64_MAX);
	} else {
		CHECK(res.kind < KIND_COUNT);
		CHECK(res.retry == -1 || res.retry == RETRY_NO ||
		    res.retry == RETRY_YES);
		CHECK(!res.restart && res.data == NULL);
		check_line(res.message);
	}
	check_sent(&res);
	proc_result_release(&res);
}

static void
check_request(const char *line, size_t len, uint64_t index)
{
	json_t *row, *back;
	const char *first;
	char *req;
	size_t n;

	if ((row = json_loadb(line, len, 0, NULL)) == NULL ||
	    !json_is_object(row)) {	/* a row is an object */
		json_decref(row);
		return;
	}
	if ((req = execproto_request(row, index, &n)) == NULL) {
		CHECK(errno == EEXIST && json_object_get(row, "row") != NULL);
		json_decref(row);
		return;
	}
	CHECK(n > 0 && req[n - 1] == '\n' && memchr(req, '\n', n) ==
	    req + n - 1 && strlen(req) == n);
	CHECK((back = json_loadb(req, n, 0, NULL)) != NULL);
	CHECK(json_integer_value(json_object_get(back, "row")) ==
	    (json_int_t)index);
	first = strchr(req, '"') + 1;
	CHECK(strncmp(first, "row\"", 4) == 0);
	CHECK(json_object_size(back) == json_object_size(row) + 1);
	json_object_del(back, "row");
	CHECK(json_equal(back, row));
	json_decref(back);
	json_decref(row);
	free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	check_answer((const char *)data + 1, size - 1, data[0]);
	check_request((const char *)data + 1, size - 1, data[0]);
	return 0;
}
