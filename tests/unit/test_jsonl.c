/*
 * Tests for what the JSONL side refuses before jansson: jsonl_check alone
 * (table-driven), then through input_next, where every row it accepts
 * must also get through the worker's parse and the supervisor's parse of
 * the echo result that holds it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/input.h"
#include "rowpool/jsonl.h"
#include "rowpool/processor.h"
#include "rowpool/proto.h"
#include "scratch.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define T(s)		s, sizeof(s) - 1

TestSuite(jsonl_check, .init = scratch_setup, .fini = scratch_teardown);

Test(jsonl_check, table)
{
	static const struct {
		const char		*text;
		size_t			 len;
		size_t			 max;
		enum jsonl_problem	 want;
		size_t			 col;
	} cases[] = {
		{ T("{\"c\":3}"), 3, JSONL_CLEAN, 0 },
		/* NUL: after a number or literal (jansson drops it there),
		 * in a string, after a backslash, first, last, after UTF-8. */
		{ T("{\"c\":3\0}"), 3, JSONL_NUL, 7 },
		{ T("{\"c\":true\0}"), 3, JSONL_NUL, 10 },
		{ T("{\"c\":\"x\0y\"}"), 3, JSONL_NUL, 8 },
		{ T("{\"c\":\"\\\0\"}"), 3, JSONL_NUL, 8 },
		{ T("\0{}"), 3, JSONL_NUL, 1 },
		{ T("{}\0"), 3, JSONL_NUL, 3 },
		{ T("{\"\xc3\xa9\":1\0}"), 3, JSONL_NUL, 7 },
		/* Other control bytes are jansson's to refuse. */
		{ T("{\"c\":\"\x01\x1f\"}"), 3, JSONL_CLEAN, 0 },
		/* Depth: at the limit, one past (column of the bracket). */
		{ T("{\"a\":[[]]}"), 3, JSONL_CLEAN, 0 },
		{ T("{\"a\":[[[]]]}"), 3, JSONL_DEEP, 8 },
		{ T("[{\"a\":[{}]}]"), 3, JSONL_DEEP, 8 },
		/* Siblings do not add up. */
		{ T("{\"a\":[[]],\"b\":[[]],\"c\":{\"d\":[]}}"), 3,
		    JSONL_CLEAN, 0 },
		/* Brackets in strings do not count, escaped quote or not. */
		{ T("{\"a\":\"[[[[{{{{\"}"), 3, JSONL_CLEAN, 0 },
		{ T("{\"a\":\"\\\"[[[[\"}"), 3, JSONL_CLEAN, 0 },
		/* An escaped backslash ends the escape: the quote closes. */
		{ T("{\"a\":\"\\\\\",\"b\":[[[]]]}"), 3, JSONL_DEEP, 17 },
		/* Stray closers never make room below zero. */
		{ T("]]]][[[["), 3, JSONL_DEEP, 8 },
		{ T("[[[[[[[["), INPUT_MAX_DEPTH, JSONL_CLEAN, 0 },
	};
	enum jsonl_problem got;
	size_t i, col;

	for (i = 0; i < NELEM(cases); i++) {
		col = 99;
		got = jsonl_check(cases[i].text, cases[i].len, cases[i].max,
		    &col);
		cr_assert_eq(got, cases[i].want, "case %zu: got %d", i, got);
		cr_assert_eq(col, cases[i].col, "case %zu: column %zu", i,
		    col);
	}
}

/* {"a":[[...[1]...]]}: objects and arrays depth deep, 1 at the bottom. */
static char *
deep_row(size_t depth)
{
	size_t n = depth - 1, len = 5 + n + 1 + n + 1;
	char *s = malloc(len + 1), *p = s;

	cr_assert_not_null(s);
	memcpy(p, "{\"a\":", 5);
	memset(p += 5, '[', n);
	*(p += n) = '1';
	memset(++p, ']', n);
	memcpy(p += n, "}", 2);
	return s;
}

/* Appends the row and a LF to a growing file image. */
static void
image_add(char **img, size_t *len, const char *row, size_t n)
{
	cr_assert_not_null(*img = realloc(*img, *len + n + 1));
	memcpy(*img + *len, row, n);
	(*img)[*len + n] = '\n';
	*len += n + 1;
}

/*
 * What a good row goes through after the reader: the worker loads it
 * with no flags, echo answers it, the supervisor loads the answer.
 */
static void
survives_worker(const struct input_row *row)
{
	struct proc_result res;
	json_error_t jerr;
	json_t *v;
	char *out;
	size_t len = 0;

	v = json_loadb(row->json, row->len, 0, &jerr);
	cr_assert(v != NULL && json_is_object(v), "worker: %s", jerr.text);
	proc_result_init(&res);
	proc_result_ok(&res, v);
	cr_assert_not_null(out = proto_result_encode(&res, &len));
	proc_result_release(&res);
	v = json_loadb(out, len, 0, &jerr);
	cr_assert(v != NULL && json_is_object(v), "supervisor: %s",
	    jerr.text);
	json_decref(v);
	free(out);
}

struct want {
	enum input_status	 st;
	const char		*msg;	/* BAD: what follows "FILE:LINE: " */
};

/* Reads path twice (want true, then false) against w, one row a line. */
static void
check_file(const char *path, const struct want *w, size_t n)
{
	char err[INPUT_ERROR_MAX], msg[INPUT_ERROR_MAX];
	enum input_status st;
	struct input_row row;
	struct input *in;
	size_t k;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		in = input_open(path, INPUT_JSONL, 0, &st, err, sizeof(err));
		cr_assert_not_null(in, "%s", err);
		for (k = 0; k < n; k++) {
			st = input_next(in, &row, pass == 0);
			cr_assert_eq(st, w[k].st, "line %zu: %s", k + 1,
			    row.error);
			cr_assert_eq(row.index, k);
			cr_assert_eq(row.line, k + 1);
			if (st == INPUT_ROW) {
				survives_worker(&row);
				continue;
			}
			cr_assert_null(row.json);
			scratch_fmt(msg, sizeof(msg), "%s:%zu: %s", path, k + 1,
			    w[k].msg);
			cr_assert(strncmp(row.error, msg, strlen(msg)) == 0,
			    "line %zu: %s", k + 1, row.error);
		}
		cr_assert_eq(input_next(in, &row, true), INPUT_EOF);
		input_close(in);
	}
}

#define GOOD		{ INPUT_ROW, NULL }
#define BAD(m)		{ INPUT_BAD, m }

/* Raw NUL and control bytes: bad rows, each on its line. */
Test(jsonl_check, nul_rows)
{
	static const char data[] =
	    "{\"c\":1}\n"			/* 1 */
	    "{\"c\":3\0}\n"			/* 2 */
	    "{\"c\":\"x\0y\"}\n"		/* 3 */
	    "{\"c\":true\0}\n"			/* 4 */
	    "{\"c\":\"a\x01" "b\"}\n"		/* 5 */
	    "{\"c\":\"a\x1f" "b\"}\n"		/* 6 */
	    "{\"c\":\"a\x7f" "b\"}\n"		/* 7: DEL is allowed */
	    "{\"c\":1}\0\n"			/* 8 */
	    "{\"c\":1\x01}\n"			/* 9 */
	    "\t{\"c\":2\0}\r\n"			/* 10: after the blanks */
	    "{\"c\":2}\n";			/* 11 */
	static const struct want w[] = {
		GOOD,
		BAD("NUL byte at column 7"),
		BAD("NUL byte at column 8"),
		BAD("NUL byte at column 10"),
		BAD("invalid JSON at column "),
		BAD("invalid JSON at column "),
		GOOD,
		BAD("NUL byte at column 8"),
		BAD("invalid JSON at column "),
		BAD("NUL byte at column 7"),
		GOOD,
	};
	const char *path = scratch_path("nul.jsonl");

	scratch_write(path, data, sizeof(data) - 1);
	check_file(path, w, NELEM(w));
}

/*
 * INPUT_MAX_DEPTH deep passes, even with a scalar at the bottom (one more
 * level to jansson) and once more inside the result; one more level, the
 * 2,048 of the issue, or more than jansson takes at all, is a bad row.
 */
Test(jsonl_check, depth_limit)
{
	static const size_t depth[] = { INPUT_MAX_DEPTH, INPUT_MAX_DEPTH + 1,
	    2048, 5000, 2 };
	static const struct want w[] = {
		GOOD,
		BAD("nested deeper than 1024 levels"),
		BAD("nested deeper than 1024 levels"),
		BAD("nested deeper than 1024 levels"),
		GOOD,
		GOOD,
	};
	const char *path = scratch_path("deep.jsonl");
	char *img = NULL, *row, strrow[2 * INPUT_MAX_DEPTH + 16];
	size_t i, len = 0;

	cr_assert_eq(INPUT_MAX_DEPTH, 1024, "README and messages say 1024");
	for (i = 0; i < NELEM(depth); i++) {
		row = deep_row(depth[i]);
		image_add(&img, &len, row, strlen(row));
		free(row);
	}
	/* Brackets in a string are not nesting. */
	memcpy(strrow, "{\"s\":\"", 6);
	memset(strrow + 6, '[', 2 * INPUT_MAX_DEPTH);
	memcpy(strrow + 6 + 2 * INPUT_MAX_DEPTH, "\"}", 2);
	image_add(&img, &len, strrow, 2 * INPUT_MAX_DEPTH + 8);
	scratch_write(path, img, len);
	free(img);
	check_file(path, w, NELEM(w));
}
