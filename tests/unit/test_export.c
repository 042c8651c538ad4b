/*
 * export: the ordered walk of a journal with gaps (a run not finished)
 * and replacements (--retry-failed), tried on table-driven journals
 * against a plain model of "the last record of each row, in row order";
 * the CSV writer's quoting, read back by rowpool's own CSV reader; the
 * sheet's columns and cells; and whole exports of hand-made states.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rowpool/csv.h"
#include "rowpool/csvw.h"
#include "rowpool/export.h"
#include "rowpool/input.h"
#include "rowpool/journal.h"
#include "rowpool/output.h"
#include "rowpool/sheet.h"
#include "scratch.h"

TestSuite(export, .init = scratch_setup, .fini = scratch_teardown,
    .timeout = 60);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXREC		40000
#define MAXROW		40000

struct rec {
	uint64_t	 row;
	bool		 repl;
};

static struct rec	recs[MAXREC];
static uint64_t		rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* ---- journals ---- */

/* Record i's payload: its row and where it is in the journal. */
static int
payload(char *buf, size_t len, uint64_t row, size_t i)
{
	scratch_fmt(buf, len, "{\"row\":%llu,\"seq\":%zu}",
	    (unsigned long long)row, i);
	return (int)strlen(buf);
}

/* Writes recs[0 .. n) as a journal; returns the committed length. */
static uint64_t
write_journal(const char *path, size_t n)
{
	struct journal *j;
	const char *step;
	uint64_t len;
	char buf[128];
	size_t i;
	int plen;

	unlink(path);
	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j, "%s", strerror(errno));
	for (i = 0; i < n; i++) {
		plen = payload(buf, sizeof(buf), recs[i].row, i);
		cr_assert_eq(journal_append(j, recs[i].row | (recs[i].repl ?
		    JOURNAL_REPLACES : 0), buf, (uint32_t)plen), 0);
	}
	cr_assert_eq(journal_sync(j, &step), 0);
	len = journal_length(j);
	journal_close(j);
	return len;
}

static size_t
seq(uint64_t from, uint64_t to, size_t at)
{
	while (from < to)
		recs[at++] = (struct rec){ from++, false };
	return at;
}

static void
shuffle_windows(size_t from, size_t to, size_t w)
{
	size_t b, i, k, n;
	struct rec t;

	for (b = from; b < to; b += w) {
		n = to - b < w ? to - b : w;
		for (i = n - 1; i > 0; i--) {
			k = rng_below(i + 1);
			t = recs[b + i];
			recs[b + i] = recs[b + k];
			recs[b + k] = t;
		}
	}
}

/* Removes recs[i], keeping the order of the rest. */
static size_t
drop(size_t i, size_t n)
{
	memmove(&recs[i], &recs[i + 1], (n - i - 1) * sizeof(recs[0]));
	return n - 1;
}

/* Moves recs[i] to the end. */
static void
to_end(size_t i, size_t n)
{
	struct rec t = recs[i];

	memmove(&recs[i], &recs[i + 1], (n - i - 1) * sizeof(recs[0]));
	recs[n - 1] = t;
}

/* ---- the walk: journals with gaps and replacements ---- */

static size_t
gen_empty(void)
{
	return 0;
}

/* Only row 7: rows 0-6 are not done yet. */
static size_t
gen_one_late_row(void)
{
	recs[0] = (struct rec){ 7, false };
	return 1;
}

static size_t
gen_every_third_missing(void)
{
	size_t n = 0;
	uint64_t r;

	for (r = 0; r < 3000; r++)
		if (r % 3 != 1)
			recs[n++] = (struct rec){ r, false };
	return n;
}

/* A run killed: rows in flight in windows of 16, some never done. */
static size_t
gen_partial_run(void)
{
	size_t n = seq(0, 20000, 0), k;

	shuffle_windows(0, n, 16);
	n -= 10;
	for (k = 0; k < 20; k++)
		n = drop(rng_below(n), n);
	return n;
}

static size_t
gen_reversed_with_gaps(void)
{
	size_t n = 0;
	uint64_t r;

	for (r = 10000; r-- > 0;)
		if (r % 7 != 0)
			recs[n++] = (struct rec){ r, false };
	return n;
}

/* The first 5000 rows never done: far more than the window. */
static size_t
gen_leading_gap(void)
{
	return seq(5000, 10000, 0);
}

static size_t
gen_gap_over_window(void)
{
	return seq(10000, 10100, seq(0, 100, 0));
}

/* A run killed twice: holes filled first, new rows after. */
static size_t
gen_resumed_with_holes(void)
{
	size_t n = 0;
	uint64_t r;

	for (r = 0; r < 9950; r++)
		if (r % 200 != 7)
			recs[n++] = (struct rec){ r, false };
	for (r = 7; r < 9950; r += 400)
		recs[n++] = (struct rec){ r, false };
	n = seq(9950, 11000, n);
	shuffle_windows(n - 1050, n, 8);
	return n;
}

/* --retry-failed: rows done again, near and far, twice, and a straggler. */
static size_t
gen_replacements(void)
{
	static const uint64_t again[] = { 0, 3, 4095, 4096, 9998, 3, 5000 };
	size_t n = 0, i;
	uint64_t r;

	for (r = 0; r < 10000; r++)
		if (r != 5000 && r % 1000 != 500)
			recs[n++] = (struct rec){ r, false };
	recs[n++] = (struct rec){ 5000, false };	/* a straggler */
	for (i = 0; i < NELEM(again); i++)
		recs[n++] = (struct rec){ again[i], true };
	for (r = 1; r < 10000; r += 97)
		if (r % 1000 != 500)
			recs[n++] = (struct rec){ r, true };
	return n;
}

/* Stragglers far behind, and gaps, and rows never done at the end. */
static size_t
gen_stragglers_and_gaps(void)
{
	size_t n = 0, k;
	uint64_t r;

	for (r = 0; r < 20000; r++)
		if (r % 1000 != 999)
			recs[n++] = (struct rec){ r, false };
	for (k = 0; k < 30; k++)
		to_end(rng_below(n - 30), n);
	return n;
}

/* Displacement up to just under the window, with gaps. */
static size_t
gen_window4096_with_gaps(void)
{
	size_t n = seq(0, 3 * 4096 + 100, 0), i;

	shuffle_windows(0, n, 4096);
	for (i = n; i-- > 0;)
		if (recs[i].row % 100 == 42)
			n = drop(i, n);
	return n;
}

static const struct walk_case {
	const char	*name;
	size_t		(*gen)(void);
} walk_cases[] = {
	{ "empty", gen_empty },
	{ "one row, late", gen_one_late_row },
	{ "every third row missing", gen_every_third_missing },
	{ "partial run", gen_partial_run },
	{ "reversed, with gaps", gen_reversed_with_gaps },
	{ "leading gap", gen_leading_gap },
	{ "gap over the window", gen_gap_over_window },
	{ "resumed, with holes", gen_resumed_with_holes },
	{ "replacements", gen_replacements },
	{ "stragglers and gaps", gen_stragglers_and_gaps },
	{ "windows of 4096, with gaps", gen_window4096_with_gaps },
};

/* The model: each row's last record (by its index in the journal). */
static size_t	last_rec[MAXROW];
static bool	present[MAXROW];

static size_t
model(size_t n, uint64_t *max)
{
	size_t i, rows = 0;

	memset(present, 0, sizeof(present));
	*max = 0;
	for (i = 0; i < n; i++) {
		cr_assert_lt(recs[i].row, MAXROW);
		rows += !present[recs[i].row];
		present[recs[i].row] = true;
		last_rec[recs[i].row] = i;
		if (recs[i].row > *max)
			*max = recs[i].row;
	}
	return rows;
}

struct seen {
	const char	*name;
	size_t		 count;
	uint64_t	 last;
};

static int
check_visit(void *arg, uint64_t row, const char *p, uint32_t len,
    const char **step)
{
	struct seen *s = arg;
	char want[128];
	int n;

	cr_assert(s->count == 0 || row > s->last, "%s: row %llu after %llu",
	    s->name, (unsigned long long)row, (unsigned long long)s->last);
	cr_assert(row < MAXROW && present[row], "%s: row %llu has no record",
	    s->name, (unsigned long long)row);
	n = payload(want, sizeof(want), row, last_rec[row]);
	cr_assert(len == (uint32_t)n && memcmp(p, want, len) == 0,
	    "%s: row %llu: got %.*s, want %s", s->name,
	    (unsigned long long)row, (int)len, p, want);
	s->last = row;
	s->count++;
	return 0;
}

Test(export, walk_in_row_order_with_gaps)
{
	const char *jpath = scratch_path("journal");
	const struct walk_case *c;
	const char *step;
	uint64_t committed, max;
	struct seen s;
	size_t i, n, rows;

	for (i = 0; i < NELEM(walk_cases); i++) {
		c = &walk_cases[i];
		rng_state = 0x2545f4914f6cdd1du + i;
		n = c->gen();
		rows = model(n, &max);
		committed = write_journal(jpath, n);
		s = (struct seen){ .name = c->name };
		step = NULL;
		cr_assert_eq(output_walk(jpath, committed, UINT64_MAX,
		    check_visit, &s, &step), 0, "%s: %s: %s", c->name, step,
		    strerror(errno));
		cr_assert_eq(s.count, rows, "%s: %zu rows, want %zu", c->name,
		    s.count, rows);
		if (n == 0)
			continue;
		/* Bounded by the rows the run knows of: the last one fits. */
		s = (struct seen){ .name = c->name };
		cr_assert_eq(output_walk(jpath, committed, max + 1,
		    check_visit, &s, &step), 0, "%s: nrows", c->name);
		cr_assert_eq(output_walk(jpath, committed, max, check_visit,
		    &s, &step), -1, "%s: a row past nrows", c->name);
		cr_assert(errno == EBADMSG && strcmp(step, "check") == 0);
	}
}

static int
count_visit(void *arg, uint64_t row, const char *p, uint32_t len,
    const char **step)
{
	(*(size_t *)arg)++;
	return 0;
}

static size_t
gen_dup_near_gap(void)
{
	size_t n = seq(0, 100, 0);

	recs[n++] = (struct rec){ 150, false };
	recs[n++] = (struct rec){ 150, false };
	return n;
}

static size_t
gen_dup_far_with_gaps(void)
{
	size_t n = 0;
	uint64_t r;

	for (r = 0; r < 10000; r += 2)
		recs[n++] = (struct rec){ r, false };
	recs[n++] = (struct rec){ 10, false };
	return n;
}

static size_t
gen_dup_both_late(void)
{
	size_t n = seq(5000, 10000, 0);

	recs[n++] = (struct rec){ 3, false };
	recs[n++] = (struct rec){ 3, false };
	return n;
}

static size_t
gen_dup_in_window(void)
{
	size_t n = seq(0, 3000, 0);

	recs[n++] = (struct rec){ 2990, false };
	return n;
}

/* A plain record twice for a row is refused, gaps or not. */
Test(export, walk_refuses_a_row_twice)
{
	static const struct walk_case bad[] = {
		{ "twice, after a gap", gen_dup_near_gap },
		{ "twice, far apart, with gaps", gen_dup_far_with_gaps },
		{ "twice, both stragglers", gen_dup_both_late },
		{ "twice, in the window", gen_dup_in_window },
	};
	const char *jpath = scratch_path("journal");
	const char *step;
	uint64_t committed;
	size_t i, n, count;

	for (i = 0; i < NELEM(bad); i++) {
		n = bad[i].gen();
		committed = write_journal(jpath, n);
		step = NULL;
		count = 0;
		cr_expect_eq(output_walk(jpath, committed, UINT64_MAX,
		    count_visit, &count, &step), -1, "%s", bad[i].name);
		cr_expect(errno == EBADMSG && step != NULL &&
		    strcmp(step, "check") == 0, "%s: %s: %s", bad[i].name,
		    step, strerror(errno));
	}
}

static int
failing_visit(void *arg, uint64_t row, const char *p, uint32_t len,
    const char **step)
{
	if (row < 3)
		return 0;
	*step = "mine";
	errno = ENOSPC;
	return -1;
}

Test(export, walk_stops_when_visit_fails)
{
	const char *jpath = scratch_path("journal");
	const char *step = NULL;
	uint64_t committed;

	committed = write_journal(jpath, seq(0, 10, 0));
	cr_assert_eq(output_walk(jpath, committed, UINT64_MAX, failing_visit,
	    NULL, &step), -1);
	cr_expect_eq(errno, ENOSPC);
	cr_expect_str_eq(step, "mine");
}

/* ---- CSV: quoting ---- */

static const struct quote_case {
	const char	*fields[3];
	size_t		 n;
	const char	*want;
} quote_cases[] = {
	{ { "a", "b" }, 2, "a,b\r\n" },
	{ { "a,b" }, 1, "\"a,b\"\r\n" },
	{ { "say \"hi\"" }, 1, "\"say \"\"hi\"\"\"\r\n" },
	{ { "\"" }, 1, "\"\"\"\"\r\n" },
	{ { "two\nlines", "x" }, 2, "\"two\nlines\",x\r\n" },
	{ { "cr\r", "crlf\r\n" }, 2, "\"cr\r\",\"crlf\r\n\"\r\n" },
	{ { "" }, 1, "\"\"\r\n" },	/* an empty line would be no record */
	{ { "", "" }, 2, ",\r\n" },
	{ { "", "x", "" }, 3, ",x,\r\n" },
	{ { " spaces ", "tab\t" }, 2, " spaces ,tab\t\r\n" },
	{ { "\xc3\xa9,\xc3\xbc", "\xe6\x97\xa5" }, 2,
	    "\"\xc3\xa9,\xc3\xbc\",\xe6\x97\xa5\r\n" },
	{ { "a\"b" }, 1, "\"a\"\"b\"\r\n" },
	{ { "=1+2", "-3" }, 2, "=1+2,-3\r\n" },	/* written as it is */
};

Test(export, csv_quoting)
{
	const struct quote_case *c;
	struct csvw w;
	size_t i, k;

	csvw_init(&w);
	for (i = 0; i < NELEM(quote_cases); i++) {
		c = &quote_cases[i];
		csvw_clear(&w);
		for (k = 0; k < c->n; k++)
			cr_assert_eq(csvw_field(&w, c->fields[k],
			    strlen(c->fields[k])), 0);
		cr_assert_eq(csvw_end(&w), 0);
		cr_expect(w.len == strlen(c->want) &&
		    memcmp(w.buf, c->want, w.len) == 0, "case %zu: got "
		    "[%.*s], want [%s]", i, (int)w.len, w.buf, c->want);
	}
	csvw_release(&w);
}

/* What the writer writes, rowpool's RFC 4180 reader reads back. */
Test(export, csv_round_trip)
{
	const char *path = scratch_path("t.csv");
	const struct quote_case *c;
	struct csv_reader *r;
	struct csv_record rec;
	struct csvw w;
	size_t i, k;
	int fd;

	csvw_init(&w);
	for (i = 0; i < NELEM(quote_cases); i++) {
		for (k = 0; k < quote_cases[i].n; k++)
			csvw_field(&w, quote_cases[i].fields[k],
			    strlen(quote_cases[i].fields[k]));
		cr_assert_eq(csvw_end(&w), 0);
	}
	scratch_write(path, w.buf, w.len);
	csvw_release(&w);
	cr_assert_neq(fd = open(path, O_RDONLY), -1);
	cr_assert_not_null(r = csv_new(fd, 1 << 16, 0));
	for (i = 0; i < NELEM(quote_cases); i++) {
		c = &quote_cases[i];
		cr_assert_eq(csv_next(r, &rec), CSV_RECORD, "case %zu", i);
		cr_assert_eq(rec.nfields, c->n, "case %zu", i);
		for (k = 0; k < c->n; k++)
			cr_expect(rec.fields[k].len == strlen(c->fields[k]) &&
			    memcmp(rec.fields[k].ptr, c->fields[k],
			    rec.fields[k].len) == 0, "case %zu field %zu", i,
			    k);
	}
	cr_expect_eq(csv_next(r, &rec), CSV_EOF);
	csv_free(r);
	close(fd);
}

/* ---- CSV: columns and cells ---- */

/* JSON written with ' for ", parsed; NULL for NULL. */
static json_t *
js(const char *text)
{
	char buf[2048];
	json_error_t jerr;
	json_t *v;
	size_t i;

	if (text == NULL)
		return NULL;
	cr_assert_lt(strlen(text), sizeof(buf));
	for (i = 0; text[i] != '\0'; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	buf[i] = '\0';
	v = json_loads(buf, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(v, "%s: %s", buf, jerr.text);
	return v;
}

#define RES	"status,error_kind,error_message"

static const struct header_case {
	const char	*name;
	const char	*settings;	/* NULL: none */
	const char	*input;	/* columns, '|' between; NULL none */
	const char	*want;
} header_cases[] = {
	{ "no settings", NULL, NULL, RES ",data" },
	{ "no schema setting (echo)", "{'processor':'echo'}", NULL,
	    RES ",data" },
	{ "no schema given: {text}", "{'schema':null}", NULL, RES ",text" },
	{ "flat, by name", "{'schema':{'type':'object','properties':{"
	    "'score':{'type':'integer'},'name':{'type':'string'},"
	    "'tags':{'type':'array','items':{'type':'string'}}}}}", NULL,
	    RES ",name,score,tags" },
	{ "nested objects: dotted", "{'schema':{'type':'object',"
	    "'properties':{'name':{},'address':{'type':'object',"
	    "'properties':{'zip':{},'city':{}}}}}}", NULL,
	    RES ",address.city,address.zip,name" },
	{ "propertyOrdering first", "{'schema':{'type':'object',"
	    "'propertyOrdering':['score','name','nope','score'],"
	    "'properties':{'name':{},'score':{},'age':{}}}}", NULL,
	    RES ",score,name,age" },
	{ "nullable, upper case, three deep", "{'schema':{'type':'OBJECT',"
	    "'properties':{'a':{'type':['object','null'],'properties':{"
	    "'b':{'properties':{'c':{}}}}}}}}", NULL, RES ",a.b.c" },
	{ "free-form, anyOf, object or string: one column each",
	    "{'schema':{'properties':{'meta':{'type':'object'},"
	    "'x':{'anyOf':[{'properties':{'y':{}}},{'type':'null'}]},"
	    "'z':{'type':['object','string'],'properties':{'y':{}}}}}}",
	    NULL, RES ",meta,x,z" },
	{ "an array schema", "{'schema':{'type':'array','items':{}}}", NULL,
	    RES ",data" },
	{ "a digest in an old manifest", "{'schema':{'digest':"
	    "'300:0123456789abcdef','lines':12}}", NULL, RES ",data" },
	{ "no properties", "{'schema':{'type':'object','properties':{}}}",
	    NULL, RES ",data" },
	{ "input columns first", "{'processor':'echo'}", "id|name",
	    "id,name," RES ",data" },
	{ "names taken", "{'schema':{'properties':{'name':{},'status':{},"
	    "'data':{},'a.b':{},'a':{'properties':{'b':{}}}}}}",
	    "name|status|input.status",
	    "name,input.status,input.input.status," RES
	    ",a.b,data.a.b,data,data.name,data.status" },
};

static void
add_inputs(struct sheet *sh, const char *cols)
{
	char buf[256], *p = buf, *k;

	if (cols == NULL)
		return;
	strlcpy(buf, cols, sizeof(buf));
	while ((k = strsep(&p, "|")) != NULL)
		cr_assert_eq(sheet_add_input(sh, k), 0);
}

Test(export, sheet_columns)
{
	const struct header_case *c;
	struct sheet sh;
	struct csvw w;
	json_t *settings;
	size_t i, n;

	csvw_init(&w);
	for (i = 0; i < NELEM(header_cases); i++) {
		c = &header_cases[i];
		settings = js(c->settings);
		sheet_init(&sh);
		add_inputs(&sh, c->input);
		cr_assert_eq(sheet_add_result(&sh, settings), 0);
		csvw_clear(&w);
		cr_assert_eq(sheet_header(&sh, &w), 0);
		n = strlen(c->want);
		cr_expect(w.len == n + 2 && memcmp(w.buf, c->want, n) == 0,
		    "%s: got [%.*s], want [%s]", c->name, (int)w.len, w.buf,
		    c->want);
		sheet_release(&sh);
		json_decref(settings);
	}
	csvw_release(&w);
}

#define ALL_ROW	"\"{\"\"a\"\":1,\"\"b\"\":{\"\"c\"\":\"\"d\"\"}}\"," \
	"pending,,,\r\n"

Test(export, sheet_input_all)
{
	struct sheet sh;
	struct csvw w;
	json_t *in = js("{'a':1,'b':{'c':'d'}}");

	csvw_init(&w);
	sheet_init(&sh);
	cr_assert_eq(sheet_add_input_all(&sh), 0);
	cr_assert_eq(sheet_add_result(&sh, NULL), 0);
	cr_assert_eq(sheet_header(&sh, &w), 0);
	csvw_clear(&w);
	cr_assert_eq(sheet_row(&sh, &w, in, NULL), 0);
	cr_expect_eq(w.len, strlen(ALL_ROW));
	cr_expect(memcmp(w.buf, ALL_ROW, w.len) == 0, "%.*s", (int)w.len,
	    w.buf);
	sheet_release(&sh);
	csvw_release(&w);
	json_decref(in);
}

#define SCHEMA	"{'schema':{'type':'object','properties':{'name':{}," \
	"'score':{},'tags':{},'ok':{},'ratio':{},'address':{'type':'object'," \
	"'properties':{'city':{},'zip':{}}}}}}"

static const struct cell_case {
	const char	*name;
	const char	*input;
	const char	*result;	/* NULL: pending */
	const char	*want;
} cell_cases[] = {
	{ "ok: strings, numbers, booleans, arrays, null",
	    "{'id':'1','note':'a, b'}",
	    "{'row':0,'status':'ok','data':{'name':'x','score':3,"
	    "'tags':['a','b'],'address':{'city':'Paris','zip':null},"
	    "'ok':true,'ratio':2.5,'extra':1}}",
	    "1,\"a, b\",ok,,,Paris,,x,true,2.5,3,\"[\"\"a\"\",\"\"b\"\"]\"" },
	{ "failed, no input (a bad input row)", NULL,
	    "{'row':1,'status':'failed','error':{'kind':'timeout',"
	    "'message':'took \\'too\\' long, 3 tries'}}",
	    ",,failed,timeout,\"took \"\"too\"\" long, 3 tries\",,,,,,," },
	{ "pending", "{'id':'3','note':'multi\\nline'}", NULL,
	    "3,\"multi\nline\",pending,,,,,,,,," },
	{ "a null object, a missing key, a nested object where a value was",
	    "{'id':'4'}",
	    "{'row':4,'status':'ok','data':{'address':null,'name':{'a':1}}}",
	    "4,,ok,,,,,\"{\"\"a\"\":1}\",,,," },
	{ "ok without data", "{'id':'5','note':''}",
	    "{'row':5,'status':'ok'}", "5,,ok,,,,,,,,," },
};

Test(export, sheet_cells)
{
	const struct cell_case *c;
	json_t *settings = js(SCHEMA), *in, *res;
	struct sheet sh;
	struct csvw w;
	size_t i, n;

	csvw_init(&w);
	sheet_init(&sh);
	add_inputs(&sh, "id|note");
	cr_assert_eq(sheet_add_result(&sh, settings), 0);
	for (i = 0; i < NELEM(cell_cases); i++) {
		c = &cell_cases[i];
		in = js(c->input);
		res = js(c->result);
		csvw_clear(&w);
		cr_assert_eq(sheet_row(&sh, &w, in, res), 0);
		n = strlen(c->want);
		cr_expect(w.len == n + 2 && memcmp(w.buf, c->want, n) == 0,
		    "%s: got [%.*s], want [%s]", c->name, (int)w.len, w.buf,
		    c->want);
		json_decref(in);
		json_decref(res);
	}
	sheet_release(&sh);
	csvw_release(&w);
	json_decref(settings);
}

/* ---- whole exports of hand-made states ---- */

#define INPUT	"id,name\n0,a\n1,b\n2,\"c, d\"\n3,e\n4,f\n5,g\n"

struct jrec {
	uint64_t	 row;
	const char	*payload;	/* ' for " */
};

/* Rows 2, 0 and 5 of 6 done (out of order), row 0 failed. */
static const struct jrec partial[] = {
	{ 2, "{'row':2,'status':'ok','data':{'id':'2','name':'c, d'}}" },
	{ 0, "{'row':0,'status':'failed','error':{'kind':'timeout',"
	    "'message':'no answer'}}" },
	{ 5, "{'row':5,'status':'ok','data':{'id':'5','name':'g'}}" },
};

static char *
dq(const char *text)
{
	char *s = strdup(text), *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static uint64_t
journal_of(const struct jrec *jr, size_t n)
{
	const char *path = scratch_path("st/journal");
	struct journal *j;
	const char *step;
	uint64_t len;
	size_t i;
	char *p;

	cr_assert_not_null(j = journal_open(path, 0, NULL, NULL, NULL));
	for (i = 0; i < n; i++) {
		p = dq(jr[i].payload);
		cr_assert_eq(journal_append(j, jr[i].row, p,
		    (uint32_t)strlen(p)), 0);
		free(p);
	}
	cr_assert_eq(journal_sync(j, &step), 0);
	len = journal_length(j);
	journal_close(j);
	return len;
}

/* st/ for in.csv (INPUT); rows_total -1: null. */
static void
make_state(const struct jrec *jr, size_t n, int64_t rows_total)
{
	const char *in = scratch_path("in.csv");
	char fp[64];
	json_t *m;

	scratch_write(in, INPUT, strlen(INPUT));
	cr_assert_eq(input_fingerprint(in, fp, sizeof(fp)), 0);
	cr_assert_eq(mkdir(scratch_path("st"), 0700), 0);
	m = json_pack("{s:i, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:i}, s:I, "
	    "s:o}", "version", 1, "input", "path", "in.csv", "abspath", in,
	    "fingerprint", fp, "settings", "processor", "echo", "format",
	    "csv", "max_row_bytes", 1048576, "journal_length",
	    (json_int_t)journal_of(jr, n), "rows_total", rows_total < 0 ?
	    json_null() : json_integer(rows_total));
	cr_assert_eq(json_dump_file(m, scratch_path("st/manifest"), 0), 0);
	json_decref(m);
}

/* Exports st/ into out; returns the status, *text the output. */
static int
export_to(enum export_format f, bool with_input, bool failed_only,
    char **text, struct export_result *r)
{
	struct export_opts o = { .target = scratch_path("st"),
	    .output = scratch_path("out"), .format = f,
	    .with_input = with_input, .failed_only = failed_only };
	size_t len;
	int rc;

	unlink(o.output);
	rc = export_run(&o, r);
	*text = rc == 0 ? scratch_read(o.output, &len) : NULL;
	return rc;
}

static void
expect_export(enum export_format f, bool with_input, bool failed_only,
    const char *want)
{
	struct export_result r;
	char *got, *w = dq(want);

	cr_assert_eq(export_to(f, with_input, failed_only, &got, &r), 0,
	    "%s", r.why);
	cr_expect_str_eq(got, w);
	free(got);
	free(w);
}

#define P(n)	"{'row':" #n ",'status':'pending'}\n"
/* Results without their closing brace, to be followed by more keys. */
#define R0	"{'row':0,'status':'failed','error':{'kind':'timeout'," \
	"'message':'no answer'}"
#define R2	"{'row':2,'status':'ok','data':{'id':'2','name':'c, d'}"
#define R5	"{'row':5,'status':'ok','data':{'id':'5','name':'g'}"

Test(export, partial_run_as_jsonl)
{
	make_state(partial, NELEM(partial), 6);
	expect_export(EXPORT_JSONL, false, false,
	    R0 "}\n" P(1) R2 "}\n" P(3) P(4) R5 "}\n");
	expect_export(EXPORT_JSONL, false, true, R0 "}\n");
}

Test(export, partial_run_with_input)
{
	make_state(partial, NELEM(partial), 6);
	expect_export(EXPORT_JSONL, true, false,
	    "{'row':0,'status':'failed','error':{'kind':'timeout',"
	    "'message':'no answer'},'input':{'id':'0','name':'a'}}\n"
	    "{'row':1,'status':'pending','input':{'id':'1','name':'b'}}\n"
	    "{'row':2,'status':'ok','data':{'id':'2','name':'c, d'},"
	    "'input':{'id':'2','name':'c, d'}}\n"
	    "{'row':3,'status':'pending','input':{'id':'3','name':'e'}}\n"
	    "{'row':4,'status':'pending','input':{'id':'4','name':'f'}}\n"
	    "{'row':5,'status':'ok','data':{'id':'5','name':'g'},"
	    "'input':{'id':'5','name':'g'}}\n");
	expect_export(EXPORT_CSV, true, false,
	    "id,name,status,error_kind,error_message,data\r\n"
	    "0,a,failed,timeout,no answer,\r\n"
	    "1,b,pending,,,\r\n"
	    "2,'c, d',ok,,,'{''id'':''2'',''name'':''c, d''}'\r\n"
	    "3,e,pending,,,\r\n"
	    "4,f,pending,,,\r\n"
	    "5,g,ok,,,'{''id'':''5'',''name'':''g''}'\r\n");
	expect_export(EXPORT_CSV, false, true,
	    "status,error_kind,error_message,data\r\n"
	    "failed,timeout,no answer,\r\n");
}

/* Only the input the run read, or that input with rows appended. */
Test(export, input_changed_grown_or_missing)
{
	const char *in = scratch_path("in.csv");
	struct export_result r;
	char *got;

	make_state(partial, NELEM(partial), 6);
	scratch_write(in, INPUT "6,h\n", strlen(INPUT) + 4);
	expect_export(EXPORT_JSONL, true, false,
	    R0 ",'input':{'id':'0','name':'a'}}\n"
	    "{'row':1,'status':'pending','input':{'id':'1','name':'b'}}\n"
	    R2 ",'input':{'id':'2','name':'c, d'}}\n"
	    "{'row':3,'status':'pending','input':{'id':'3','name':'e'}}\n"
	    "{'row':4,'status':'pending','input':{'id':'4','name':'f'}}\n"
	    R5 ",'input':{'id':'5','name':'g'}}\n"
	    "{'row':6,'status':'pending','input':{'id':'6','name':'h'}}\n");
	/* Without the input, the rows are the run's. */
	expect_export(EXPORT_JSONL, false, false,
	    R0 "}\n" P(1) R2 "}\n" P(3) P(4) R5 "}\n");
	scratch_write(in, "id,name\n0,A\n", 12);
	cr_expect_eq(export_to(EXPORT_JSONL, true, false, &got, &r),
	    EX_DATAERR);
	cr_expect(strstr(r.why, "changed since the run") != NULL, "%s", r.why);
	cr_expect_eq(scratch_size(scratch_path("out")), -1);
	unlink(in);
	cr_expect_eq(export_to(EXPORT_CSV, true, false, &got, &r),
	    EX_NOINPUT, "%s", r.why);
}

/* An old manifest without rows_total: the input's rows are counted. */
Test(export, rows_total_unknown)
{
	make_state(partial, NELEM(partial), -1);
	expect_export(EXPORT_JSONL, false, false,
	    R0 "}\n" P(1) R2 "}\n" P(3) P(4) R5 "}\n");
	/* Without the input, up to the last row done. */
	unlink(scratch_path("in.csv"));
	expect_export(EXPORT_JSONL, false, false,
	    R0 "}\n" P(1) R2 "}\n" P(3) P(4) R5 "}\n");
}

static const struct jrec past_total[] = {
	{ 0, "{'row':0,'status':'ok'}" },
	{ 6, "{'row':6,'status':'ok'}" },
};

static const struct jrec twice[] = {
	{ 1, "{'row':1,'status':'ok'}" },
	{ 1, "{'row':1,'status':'ok'}" },
};

static const struct jrec not_object[] = {
	{ 0, "['row',0]" },
};

Test(export, damaged_states_refused)
{
	static const struct {
		const char		*name;
		const struct jrec	*jr;
		size_t			 n;
		enum export_format	 f;
	} bad[] = {
		{ "a row past rows_total", past_total, 2, EXPORT_JSONL },
		{ "a row twice", twice, 2, EXPORT_JSONL },
		{ "not an object (JSONL)", not_object, 1, EXPORT_JSONL },
		{ "not an object (CSV)", not_object, 1, EXPORT_CSV },
	};
	struct export_result r;
	char *got;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		scratch_teardown();
		scratch_setup();
		make_state(bad[i].jr, bad[i].n, 6);
		cr_expect_eq(export_to(bad[i].f, false, false, &got, &r),
		    EX_DATAERR, "%s: %s", bad[i].name, r.why);
		cr_expect_eq(scratch_size(scratch_path("out")), -1, "%s",
		    bad[i].name);
	}
}

Test(export, damaged_or_short_journal)
{
	const char *jpath = scratch_path("st/journal");
	struct export_result r;
	size_t len;
	char *img, *got;

	make_state(partial, NELEM(partial), 6);
	img = scratch_read(jpath, &len);
	img[len / 2] ^= 1;
	scratch_write(jpath, img, len);
	cr_expect_eq(export_to(EXPORT_JSONL, false, false, &got, &r),
	    EX_DATAERR);
	cr_expect(strstr(r.why, "damaged") != NULL, "%s", r.why);
	img[len / 2] ^= 1;
	scratch_write(jpath, img, len - 1);
	cr_expect_eq(export_to(EXPORT_JSONL, false, false, &got, &r),
	    EX_DATAERR);
	cr_expect(strstr(r.why, "shorter") != NULL, "%s", r.why);
	free(img);
}

/* Records past the committed length (a run going on) do not count. */
Test(export, only_committed_records)
{
	const char *jpath = scratch_path("st/journal");
	struct journal *j;
	const char *step;
	json_t *m;

	make_state(partial, NELEM(partial), 6);
	m = json_load_file(scratch_path("st/manifest"), 0, NULL);
	cr_assert_not_null(j = journal_open(jpath, (uint64_t)
	    json_integer_value(json_object_get(m, "journal_length")), NULL,
	    NULL, NULL));
	cr_assert_eq(journal_append(j, 1, "{\"row\":1}", 9), 0);
	cr_assert_eq(journal_append(j, 2, "{\"row\":2}", 9), 0);
	cr_assert_eq(journal_sync(j, &step), 0);
	journal_close(j);
	json_decref(m);
	expect_export(EXPORT_JSONL, false, false,
	    R0 "}\n" P(1) R2 "}\n" P(3) P(4) R5 "}\n");
}

Test(export, nothing_committed_yet)
{
	make_state(NULL, 0, 6);
	unlink(scratch_path("st/journal"));
	expect_export(EXPORT_JSONL, false, false,
	    P(0) P(1) P(2) P(3) P(4) P(5));
}

Test(export, no_state_or_bad_output)
{
	struct export_opts o = { .target = scratch_path("nothing"),
	    .output = scratch_path("out"), .format = EXPORT_JSONL };
	struct export_result r;

	cr_expect_eq(export_run(&o, &r), EX_NOINPUT);
	cr_expect(strstr(r.why, "nothing.state/manifest") != NULL, "%s",
	    r.why);
	make_state(partial, NELEM(partial), 6);
	o.target = scratch_path("st");
	o.output = scratch_path("in.csv");
	cr_expect_eq(export_run(&o, &r), EX_USAGE, "%s", r.why);
	o.output = scratch_path("st/out");
	cr_expect_eq(export_run(&o, &r), EX_USAGE, "%s", r.why);
	o.output = scratch_path("nodir/out");
	cr_expect_eq(export_run(&o, &r), EX_CANTCREAT, "%s", r.why);
	unlink(scratch_path("st/manifest"));
	o.output = scratch_path("out");
	cr_expect_eq(export_run(&o, &r), EX_NOINPUT, "%s", r.why);
	cr_expect(strstr(r.why, "has no manifest") != NULL, "%s", r.why);
}
