/*
 * The exec processor's lines: the row as CMD gets it, and a table of
 * answers, each read as the result it makes or refused with the reason
 * (a protocol error for the row).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/execproto.h"
#include "rowpool/proto.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

Test(execproto, request_is_the_row_with_its_number_first)
{
	json_t *row = json_pack("{s:s, s:s}", "name", "a\nb", "city", "X");
	char *line;
	size_t len;

	cr_assert_not_null(line = execproto_request(row, 7, &len));
	cr_assert_str_eq(line,
	    "{\"row\":7,\"name\":\"a\\nb\",\"city\":\"X\"}\n");
	cr_assert_eq(len, strlen(line));
	free(line);
	json_object_set_new(row, "row", json_string("mine"));
	errno = 0;
	cr_assert_null(execproto_request(row, 7, &len));
	cr_assert_eq(errno, EEXIST);
	json_decref(row);
}

struct answer_case {
	const char	*line;
	int		 rc;
	int		 ok;
	enum kind	 kind;		/* !ok */
	int		 retry;		/* !ok: -1, RETRY_NO, RETRY_YES */
	const char	*data;		/* ok: the JSON, or the message */
	long long	 total;		/* ok: usage's total_tokens, -1: none */
	const char	*why;		/* rc -1: part of the reason */
};

static const struct answer_case cases[] = {
	{ "{\"ok\":true,\"data\":{\"a\":1}}", 0, 1, 0, 0, "{\"a\":1}", -1,
	    NULL },
	{ "{\"ok\":true,\"data\":null,\"row\":7,\"later\":[1]}", 0, 1, 0, 0,
	    "null", -1, NULL },
	{ "  {\"ok\":true,\"data\":\"x\"}\r", 0, 1, 0, 0, "\"x\"", -1, NULL },
	{ "{\"ok\":true,\"data\":1,\"usage\":{\"prompt_tokens\":10,"
	    "\"output_tokens\":2,\"thoughts_tokens\":1}}", 0, 1, 0, 0, "1", 13,
	    NULL },
	{ "{\"ok\":true,\"data\":1,\"usage\":{\"prompt_tokens\":10,"
	    "\"total_tokens\":99}}", 0, 1, 0, 0, "1", 99, NULL },
	/* Counts past PROTO_TOKENS_MAX: the total made of them cut, never
	 * an overflow (the RESULT's encoder cuts each count too). */
	{ "{\"ok\":true,\"data\":1,\"usage\":{\"prompt_tokens\":"
	    "9223372036854775807,\"output_tokens\":9223372036854775807,"
	    "\"thoughts_tokens\":9223372036854775807}}", 0, 1, 0, 0, "1",
	    3 * PROTO_TOKENS_MAX, NULL },
	{ "{\"ok\":false,\"kind\":\"invalid_output\",\"message\":\"no\"}", 0,
	    0, KIND_INVALID_OUTPUT, -1, "no", 0, NULL },
	{ "{\"ok\":false,\"kind\":\"http\",\"retry\":false}", 0, 0, KIND_HTTP,
	    RETRY_NO, "", 0, NULL },
	{ "{\"ok\":false,\"kind\":\"blocked\",\"retry\":true,\"message\":"
	    "\"caf\\u00e9\"}", 0, 0, KIND_BLOCKED, RETRY_YES, "caf\xc3\xa9", 0,
	    NULL },
	/* A message is one line of the log: control bytes become '?'. */
	{ "{\"ok\":false,\"kind\":\"http\",\"message\":\"a\\nb\\u0007\"}",
	    0, 0, KIND_HTTP, -1, "a?b?", 0, NULL },
	{ "", -1, 0, 0, 0, NULL, 0, "not JSON" },
	{ "garbage", -1, 0, 0, 0, NULL, 0, "not JSON" },
	/* jansson quotes the bad bytes; the reason stays one line (found
	 * by fuzz_execproto). */
	{ "{\"ok\":true,\"data\":null,\"row\":7\a{\"ok\"", -1, 0, 0, 0,
	    NULL, 0, "not JSON: '}' expected near '?'" },
	{ "{\"ok\":true,\"data\":1}{}", -1, 0, 0, 0, NULL, 0, "not JSON" },
	{ "{\"ok\":true,\"data\":1,\"data\":2}", -1, 0, 0, 0, NULL, 0,
	    "not JSON" },
	{ "[1]", -1, 0, 0, 0, NULL, 0, "an array, not a JSON object" },
	{ "\"ok\"", -1, 0, 0, 0, NULL, 0, "a string, not a JSON object" },
	{ "{}", -1, 0, 0, 0, NULL, 0, "no 'ok'" },
	{ "{\"ok\":1,\"data\":1}", -1, 0, 0, 0, NULL, 0, "no 'ok'" },
	{ "{\"ok\":true}", -1, 0, 0, 0, NULL, 0, "without 'data'" },
	{ "{\"ok\":true,\"data\":1,\"row\":8}", -1, 0, 0, 0, NULL, 0,
	    "the answer is for row 8" },
	{ "{\"ok\":true,\"data\":1,\"row\":\"7\"}", -1, 0, 0, 0, NULL, 0,
	    "'row' is a string" },
	{ "{\"ok\":true,\"data\":1,\"usage\":[]}", -1, 0, 0, 0, NULL, 0,
	    "'usage' is not an object of token counts" },
	{ "{\"ok\":true,\"data\":1,\"usage\":{\"prompt_tokens\":-1}}", -1, 0,
	    0, 0, NULL, 0, "'usage' is not" },
	{ "{\"ok\":true,\"data\":1,\"usage\":{\"prompt_tokens\":1.5}}", -1,
	    0, 0, 0, NULL, 0, "'usage' is not" },
	{ "{\"ok\":false}", -1, 0, 0, 0, NULL, 0, "without a 'kind'" },
	{ "{\"ok\":false,\"kind\":\"oops\"}", -1, 0, 0, 0, NULL, 0,
	    "'kind' 'oops' is not one of rowpool's error kinds" },
	{ "{\"ok\":false,\"kind\":\"http\",\"message\":{}}", -1, 0, 0, 0,
	    NULL, 0, "'message' is an object" },
	{ "{\"ok\":false,\"kind\":\"http\",\"retry\":\"yes\"}", -1, 0, 0, 0,
	    NULL, 0, "'retry' is a string, not true or false" },
};

static void
check_ok(const struct answer_case *c, const struct proc_result *res)
{
	json_t *want = json_loads(c->data, JSON_DECODE_ANY, NULL);
	json_t *usage = json_object_get(res->extra, "usage");

	cr_assert(res->ok, "%s", c->line);
	cr_assert(json_equal(res->data, want), "%s", c->line);
	json_decref(want);
	if (c->total == -1)
		cr_assert_null(res->extra, "%s", c->line);
	else
		cr_assert_eq(json_integer_value(json_object_get(usage,
		    "total_tokens")), c->total, "%s", c->line);
}

Test(execproto, answers)
{
	const struct answer_case *c;
	struct proc_result res;
	char err[256];
	const char *p;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		c = &cases[i];
		err[0] = '\0';
		cr_assert_eq(execproto_answer(c->line, strlen(c->line), 7, &res,
		    err, sizeof(err)), c->rc, "%s: %s", c->line, err);
		if (c->rc == -1) {
			cr_assert(strstr(err, c->why) != NULL, "%s: %s",
			    c->line, err);
			for (p = err; *p != '\0'; p++)
				cr_assert((unsigned char)*p >= 0x20, "%s", err);
			cr_assert(res.data == NULL && res.extra == NULL);
		} else if (c->ok)
			check_ok(c, &res);
		else {
			cr_assert(!res.ok, "%s", c->line);
			cr_assert_eq(res.kind, c->kind, "%s", c->line);
			cr_assert_eq(res.retry, c->retry, "%s", c->line);
			cr_assert_str_eq(res.message, c->data, "%s", c->line);
			cr_assert(!res.restart && !res.unreachable);
		}
		proc_result_release(&res);
	}
}
