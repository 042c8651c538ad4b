/*
 * Batch mode's pure parts: the rows of a chunk as ranges (rowset), the
 * request lines rowpool writes and the response lines it reads
 * (batchfile), table-driven.
 */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "rowpool/batchfile.h"
#include "rowpool/rowset.h"

static char *
ranges(const struct rowset *s)
{
	json_t *j = rowset_json(s);
	char *t = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return t;
}

Test(rowset, add_in_any_order_keeps_ranges)
{
	static const struct {
		uint64_t	 rows[8];
		size_t		 n;
		const char	*want;
	} cases[] = {
		{ { 0, 1, 2, 3 }, 4, "[[0,3]]" },
		{ { 3, 2, 1, 0 }, 4, "[[0,3]]" },
		{ { 0, 2, 4 }, 3, "[[0,0],[2,2],[4,4]]" },
		{ { 0, 2, 1 }, 3, "[[0,2]]" },		/* joins two */
		{ { 10, 5, 7, 6, 5 }, 5, "[[5,7],[10,10]]" },	/* twice */
		{ { 100, 0, 50, 99, 51 }, 5, "[[0,0],[50,51],[99,100]]" },
	};
	struct rowset s;
	size_t i, k;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rowset_init(&s);
		for (k = 0; k < cases[i].n; k++)
			cr_assert_eq(rowset_add(&s, cases[i].rows[k]), 0);
		got = ranges(&s);
		cr_assert_str_eq(got, cases[i].want, "case %zu", i);
		for (k = 0; k < cases[i].n; k++)
			cr_assert(rowset_has(&s, cases[i].rows[k]));
		free(got);
		rowset_release(&s);
	}
}

Test(rowset, has_count_and_json_round_trip)
{
	struct rowset s, t;
	json_t *j;
	uint64_t r;

	rowset_init(&s);
	for (r = 0; r < 1000; r += 3)
		rowset_add(&s, r);
	for (r = 2000; r < 3000; r++)
		rowset_add(&s, r);
	cr_assert_eq(s.count, 334 + 1000);
	cr_assert(rowset_has(&s, 999) && !rowset_has(&s, 998));
	cr_assert(rowset_has(&s, 2999) && !rowset_has(&s, 3000));
	j = rowset_json(&s);
	cr_assert_eq(rowset_from_json(&t, j), 0);
	cr_assert_eq(t.count, s.count);
	cr_assert_eq(t.n, s.n);
	for (r = 0; r < 3100; r++)
		cr_assert_eq(rowset_has(&t, r), rowset_has(&s, r), "row %llu",
		    (unsigned long long)r);
	json_decref(j);
	rowset_release(&s);
	rowset_release(&t);
}

Test(rowset, from_json_refuses_what_it_never_writes)
{
	static const char *const bad[] = {
		"{}", "[[1]]", "[[2,1]]", "[[0,3],[2,5]]", "[[0,3],[4,5]]",
		"[[5,6],[0,1]]", "[[-1,2]]", "[[0,\"1\"]]", "[1,2]",
	};
	struct rowset s;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		cr_assert_not_null(j);
		cr_assert_eq(rowset_from_json(&s, j), -1, "%s", bad[i]);
		cr_assert_eq(s.count, 0);
		json_decref(j);
	}
}

Test(batchfile, request_line)
{
	struct buf b = BUF_INIT;

	cr_assert_eq(batchfile_request_line(&b, 17, "{\"contents\":[]}", 15), 0);
	cr_assert_str_eq(b.p, "{\"key\":\"17\",\"request\":{\"contents\":[]}}\n");
	buf_release(&b);
}

Test(batchfile, response_lines)
{
	static const struct {
		const char		*line;
		enum batchfile_line	 kind;
		uint64_t		 row;
		long			 status;
		const char		*body;
	} cases[] = {
		{ "", BATCHFILE_BLANK, 0, 0, NULL },
		{ "  \r", BATCHFILE_BLANK, 0, 0, NULL },
		{ "{\"key\":\"3\",\"response\":{\"candidates\":[]}}",
		  BATCHFILE_RESPONSE, 3, 200, "{\"candidates\":[]}" },
		{ "{\"response\":{},\"key\":\"18446744073\"}",
		  BATCHFILE_RESPONSE, 18446744073ull, 200, "{}" },
		{ "{\"key\":\"0\",\"error\":{\"code\":503,\"message\":\"busy\"}}",
		  BATCHFILE_ERROR, 0, 503,
		  "{\"error\":{\"code\":503,\"message\":\"busy\"}}" },
		{ "{\"key\":\"9\",\"error\":{\"code\":13,\"message\":\"x\"}}",
		  BATCHFILE_ERROR, 9, 500,
		  "{\"error\":{\"code\":13,\"message\":\"x\"}}" },
		{ "not json", BATCHFILE_BAD, 0, 0, NULL },
		{ "[1]", BATCHFILE_BAD, 0, 0, NULL },
		{ "{\"key\":\"07\",\"response\":{}}", BATCHFILE_BAD, 0, 0, NULL },
		{ "{\"key\":\"-1\",\"response\":{}}", BATCHFILE_BAD, 0, 0, NULL },
		{ "{\"key\":7,\"response\":{}}", BATCHFILE_BAD, 0, 0, NULL },
		{ "{\"key\":\"a\",\"response\":{}}", BATCHFILE_BAD, 0, 0, NULL },
		{ "{\"key\":\"12345678901234567890\",\"response\":{}}",
		  BATCHFILE_BAD, 0, 0, NULL },
		{ "{\"key\":\"4\"}", BATCHFILE_BAD, 0, 0, NULL },
	};
	enum batchfile_line k;
	uint64_t row;
	long status;
	char *body, err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = batchfile_response_line(cases[i].line, strlen(cases[i].line),
		    &row, &status, &body, err, sizeof(err));
		cr_assert_eq(k, cases[i].kind, "case %zu: %s", i, cases[i].line);
		if (k == BATCHFILE_RESPONSE || k == BATCHFILE_ERROR) {
			cr_assert_eq(row, cases[i].row, "case %zu", i);
			cr_assert_eq(status, cases[i].status, "case %zu", i);
			cr_assert_str_eq(body, cases[i].body, "case %zu", i);
		} else
			cr_assert_null(body, "case %zu", i);
		free(body);
	}
}
