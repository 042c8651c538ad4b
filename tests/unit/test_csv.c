/*
 * Tests for the csv record parser: a table of inputs and the records they
 * must give, each run with reads of 1, 2, 3, 5 and 65536 bytes so that
 * every split of every token is exercised.  A parse is written as a JSON
 * array of records, [LINE, "field", ...], ["toobig", LINE] or
 * ["unterminated", LINE, QUOTE_LINE], and compared with json_equal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/csv.h"
#include "rowpool/io.h"

#ifndef FIXTURES
/* Relative to the repo root, where make runs the tests. */
#define FIXTURES "tests/data"
#endif

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define S(lit)		lit, sizeof(lit) - 1

struct csv_case {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	size_t		 max;	/* 0: 1 MiB */
	int		 flags;
	const char	*want;	/* JSON with ' for " */
};

static const struct csv_case cases[] = {
	{ "simple", S("a,b\n1,2\n"), 0, 0, "[[1,'a','b'],[2,'1','2']]" },
	{ "no final newline", S("a,b\n1,2"), 0, 0,
	    "[[1,'a','b'],[2,'1','2']]" },
	{ "crlf", S("a,b\r\n1,2\r\n"), 0, 0, "[[1,'a','b'],[2,'1','2']]" },
	{ "bare cr", S("a,b\r1,2\r"), 0, 0, "[[1,'a','b'],[2,'1','2']]" },
	{ "mixed line ends", S("a\rb\nc\r\nd"), 0, 0,
	    "[[1,'a'],[2,'b'],[3,'c'],[4,'d']]" },
	{ "blank lines", S("\n\na,b\n\n\r\n\r1,2\n\n"), 0, 0,
	    "[[3,'a','b'],[7,'1','2']]" },
	{ "cr then crlf", S("a\r\r\nb"), 0, 0, "[[1,'a'],[3,'b']]" },
	{ "only line ends", S("\n\r\n\r\r"), 0, 0, "[]" },
	{ "empty input", S(""), 0, 0, "[]" },
	{ "comma and quote in quotes", S("\"a,b\",\"c\"\"d\"\n"), 0, 0,
	    "[[1,'a,b','c\\u0022d']]" },
	{ "doubled quotes only", S("\"\"\"\"\"\"\n"), 0, 0,
	    "[[1,'\\u0022\\u0022']]" },
	{ "lf in quotes", S("\"x\ny\",z\nq,r\n"), 0, 0,
	    "[[1,'x\\ny','z'],[3,'q','r']]" },
	{ "crlf in quotes", S("\"x\r\ny\",z\r\nq\r\n"), 0, 0,
	    "[[1,'x\\r\\ny','z'],[3,'q']]" },
	{ "cr in quotes, cr records", S("a\r\"b\rc\"\rd"), 0, 0,
	    "[[1,'a'],[2,'b\\rc'],[4,'d']]" },
	{ "blank line in quotes", S("\"\n\n\",x\ny\n"), 0, 0,
	    "[[1,'\\n\\n','x'],[4,'y']]" },
	{ "stray quotes in unquoted field", S("a\"b\"c,x\n"), 0, 0,
	    "[[1,'a\\u0022b\\u0022c','x']]" },
	{ "text after closing quote", S("\"ab\"cd\"e\",x\n"), 0, 0,
	    "[[1,'abcd\\u0022e\\u0022','x']]" },
	{ "space after closing quote", S("\"a\" ,b\n"), 0, 0,
	    "[[1,'a ','b']]" },
	{ "space before opening quote", S(" \"a\",b\n"), 0, 0,
	    "[[1,' \\u0022a\\u0022','b']]" },
	{ "empty fields", S(",\n,,\n\"\"\n\"\",\"\"\n"), 0, 0,
	    "[[1,'',''],[2,'','',''],[3,''],[4,'','']]" },
	{ "trailing comma at eof", S("a,"), 0, 0, "[[1,'a','']]" },
	{ "closed quote at eof", S("\"a\""), 0, 0, "[[1,'a']]" },
	{ "spaces kept", S(" a , b \n"), 0, 0, "[[1,' a ',' b ']]" },
	{ "nul and bad utf-8 kept", S("a\0b,\xc3\n"), 0, 0,
	    "[[1,'a\\u0000b','\\u00c3']]" },
	{ "unterminated", S("a\n\"b\nc"), 0, 0,
	    "[[1,'a'],['unterminated',2,2]]" },
	{ "unterminated in 2nd field", S("x,\"y\n"), 0, 0,
	    "[['unterminated',1,1]]" },
	{ "unterminated after doubled quote", S("\"a\"\""), 0, 0,
	    "[['unterminated',1,1]]" },
	{ "unterminated on a later line", S("a,b\n\"c\nd\",e,\"f\ng"), 0, 0,
	    "[[1,'a','b'],['unterminated',2,3]]" },
	{ "at the maximum", S("abc\n\"a\"\n"), 3, 0, "[[1,'abc'],[2,'a']]" },
	{ "too big", S("0123456789\n01234567890\nab\n"), 10, 0,
	    "[[1,'0123456789'],['toobig',2],[3,'ab']]" },
	{ "too big, crlf", S("0123456789ab\r\nab\r\n"), 10, 0,
	    "[['toobig',1],[2,'ab']]" },
	{ "too big, quoted newlines", S("\"abc\ndef\nghi\"\nok\n"), 5, 0,
	    "[['toobig',1],[4,'ok']]" },
	{ "too big, quoted quotes and cr",
	    S("x,\"a\"\"\r\"\"b,\rc\"\rok"), 5, 0,
	    "[['toobig',1],[4,'ok']]" },
	{ "too big at eof", S("ab\nabcdefgh"), 5, 0,
	    "[[1,'ab'],['toobig',2]]" },
	{ "too big and unterminated", S("ab\n\"abcdefgh\n"), 5, 0,
	    "[[1,'ab'],['unterminated',2,2]]" },
	{ "too big: separators count", S(",,,,,,\n,\n"), 5, 0,
	    "[['toobig',1],[2,'','']]" },
	{ "bom skipped", S("\xef\xbb\xbf" "a,b\n"), 0, CSV_SKIP_BOM,
	    "[[1,'a','b']]" },
	{ "bom then quote", S("\xef\xbb\xbf\"a\",b\n"), 0, CSV_SKIP_BOM,
	    "[[1,'a','b']]" },
	{ "bom only", S("\xef\xbb\xbf"), 0, CSV_SKIP_BOM, "[]" },
	{ "bom then newline", S("\xef\xbb\xbf\na"), 0, CSV_SKIP_BOM,
	    "[[2,'a']]" },
	{ "short non-bom", S("\xef\xbb"), 0, CSV_SKIP_BOM,
	    "[[1,'\\u00ef\\u00bb']]" },
	{ "bom kept without flag", S("\xef\xbb\xbf" "a\n"), 0, 0,
	    "[[1,'\\u00ef\\u00bb\\u00bfa']]" },
	{ "bom only at start", S("a\n\xef\xbb\xbf" "b\n"), 0, CSV_SKIP_BOM,
	    "[[1,'a'],[2,'\\u00ef\\u00bb\\u00bfb']]" },
};

static const size_t read_sizes[] = { 1, 2, 3, 5, CSV_READ_SIZE };

/* An fd holding len bytes of p, at offset 0. */
static int
mem_fd(const void *p, size_t len)
{
	int fd = memfd_create("csv-test", MFD_CLOEXEC);

	cr_assert(fd != -1, "memfd_create: %s", strerror(errno));
	cr_assert(write_full(fd, p, len) == 0);
	cr_assert(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* Field bytes as a JSON string; Latin-1 for bytes that are not ASCII. */
static json_t *
bytes_json(const char *p, size_t len)
{
	char *u = malloc(2 * len + 1);
	size_t i, n = 0;
	json_t *s;

	cr_assert(u != NULL);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80) {
			u[n++] = (char)c;
		} else {
			u[n++] = (char)(0xc0 | (c >> 6));
			u[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	s = json_stringn(u, n);
	free(u);
	cr_assert(s != NULL);
	return s;
}

static json_t *
record_json(enum csv_status st, const struct csv_record *rec)
{
	json_t *a = json_array();
	size_t i;

	switch (st) {
	case CSV_TOOBIG:
		json_array_append_new(a, json_string("toobig"));
		json_array_append_new(a, json_integer((json_int_t)rec->line));
		break;
	case CSV_UNTERMINATED:
		json_array_append_new(a, json_string("unterminated"));
		json_array_append_new(a, json_integer((json_int_t)rec->line));
		json_array_append_new(a,
		    json_integer((json_int_t)rec->quote_line));
		break;
	default:
		json_array_append_new(a, json_integer((json_int_t)rec->line));
		for (i = 0; i < rec->nfields; i++)
			json_array_append_new(a, bytes_json(rec->fields[i].ptr,
			    rec->fields[i].len));
	}
	return a;
}

/* Every record of fd, as described at the top. */
static json_t *
parse_fd(int fd, size_t max, int flags, size_t readsz)
{
	struct csv_reader *r = csv_new(fd, max > 0 ? max : 1024 * 1024,
	    flags);
	struct csv_record rec;
	enum csv_status st;
	json_t *all = json_array();

	cr_assert(r != NULL);
	csv_set_read_size(r, readsz);
	while ((st = csv_next(r, &rec)) != CSV_EOF) {
		cr_assert(st != CSV_ERROR, "csv_next: %s", strerror(errno));
		json_array_append_new(all, record_json(st, &rec));
	}
	/* EOF is sticky. */
	cr_assert_eq(csv_next(r, &rec), CSV_EOF);
	csv_free(r);
	return all;
}

static json_t *
parse_mem(const char *p, size_t len, size_t max, int flags, size_t readsz)
{
	int fd = mem_fd(p, len);
	json_t *j = parse_fd(fd, max, flags, readsz);

	close(fd);
	return j;
}

static json_t *
want_json(const char *spec)
{
	char *s = strdup(spec), *p;
	json_error_t err;
	json_t *j;

	cr_assert(s != NULL);
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_ALLOW_NUL, &err);
	cr_assert(j != NULL, "bad expectation %s: %s", spec, err.text);
	free(s);
	return j;
}

static void
assert_same(const char *what, size_t readsz, json_t *got, json_t *want)
{
	char *g, *w;

	if (json_equal(got, want))
		return;
	g = json_dumps(got, JSON_COMPACT);
	w = json_dumps(want, JSON_COMPACT);
	cr_assert_fail("%s (reads of %zu): got %s, want %s", what, readsz, g,
	    w);
}

Test(csv, table)
{
	const struct csv_case *c;
	json_t *want, *got;
	size_t i, k;

	for (i = 0; i < NELEM(cases); i++) {
		c = &cases[i];
		want = want_json(c->want);
		for (k = 0; k < NELEM(read_sizes); k++) {
			got = parse_mem(c->in, c->inlen, c->max, c->flags,
			    read_sizes[k]);
			assert_same(c->name, read_sizes[k], got, want);
			json_decref(got);
		}
		json_decref(want);
	}
}

static const char *const fixture_files[] = {
	"csv-spectrum/csvs/comma_in_quotes.csv",
	"csv-spectrum/csvs/empty.csv",
	"csv-spectrum/csvs/empty_crlf.csv",
	"csv-spectrum/csvs/escaped_quotes.csv",
	"csv-spectrum/csvs/json.csv",
	"csv-spectrum/csvs/newlines.csv",
	"csv-spectrum/csvs/newlines_crlf.csv",
	"csv-spectrum/csvs/quotes_and_newlines.csv",
	"csv-spectrum/csvs/simple.csv",
	"csv-spectrum/csvs/simple_crlf.csv",
	"csv-spectrum/csvs/utf8.csv",
	"csv-extra/csv-parser_quotes+newlines.csv",
	"csv-extra/csv-parser_strict-false-more-columns.csv",
	"csv-extra/csvkit_bad.csv",
	"csv-extra/csvkit_mac_newlines.csv",
	"csv-extra/csvkit_null_byte.csv",
	"csv-extra/csvkit_optional_quote_characters.csv",
	"csv-extra/csvkit_test_empty_columns_long_row.csv",
	"csv-extra/csvkit_test_empty_columns_short_row.csv",
	"csv-extra/csvkit_test_header_newline.csv",
	"csv-extra/csvkit_test_join_short_rows.csv",
	"csv-extra/csvkit_test_latin1.csv",
	"csv-extra/csvkit_test_utf16_little.csv",
	"csv-extra/csvkit_test_utf8_bom.csv",
};

static json_t *
parse_file(const char *name, size_t readsz)
{
	char path[512];
	json_t *j;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd != -1, "%s: %s (run from the repo root)", path,
	    strerror(errno));
	j = parse_fd(fd, 0, CSV_SKIP_BOM, readsz);
	close(fd);
	return j;
}

/* Every fixture gives the same records whatever the size of the reads. */
Test(csv, fixtures_any_split)
{
	json_t *whole, *got;
	size_t i, k;

	for (i = 0; i < NELEM(fixture_files); i++) {
		whole = parse_file(fixture_files[i], CSV_READ_SIZE);
		cr_assert(json_array_size(whole) > 0, "%s", fixture_files[i]);
		for (k = 0; k < NELEM(read_sizes) - 1; k++) {
			got = parse_file(fixture_files[i], read_sizes[k]);
			assert_same(fixture_files[i], read_sizes[k], got,
			    whole);
			json_decref(got);
		}
		json_decref(whole);
	}
}

/* Records as the csv-extra README lists them (lines checked too). */
Test(csv, fixtures_records)
{
	static const struct {
		const char	*file;
		const char	*want;
	} t[] = {
		{ "csv-extra/csvkit_mac_newlines.csv",
		    "[[1,'a','b','c'],[2,'1','2','3'],"
		    "[3,'Once upon\\ra time','5','6']]" },
		{ "csv-extra/csvkit_test_header_newline.csv",
		    "[[1,'\\t\\n\\u000b\\f\\r start \\t\\n\\u000b\\f\\r end "
		    "\\t\\n\\u000b\\f\\r','b','c'],[8,'d','e','f']]" },
		{ "csv-extra/csvkit_test_join_short_rows.csv",
		    "[[1,'a','b','c'],[2,'1','cat'],[3,'dog','c'],"
		    "[4,'3','b','c']]" },
		{ "csv-extra/csv-parser_quotes+newlines.csv",
		    "[[1,'a','b'],[2,'1','ha \\n\\u0022ha\\u0022 \\nha'],"
		    "[5,'2',' \\n\\u0022\\u0022 \\n'],[8,'3','4']]" },
		{ "csv-extra/csvkit_test_utf8_bom.csv",
		    "[[1,'foo','bar','baz'],[2,'1','2','3'],"
		    "[3,'4','5','\\u00ca\\u00a4']]" },
	};
	json_t *want, *got;
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		want = want_json(t[i].want);
		got = parse_file(t[i].file, 1);
		assert_same(t[i].file, 1, got, want);
		json_decref(got);
		json_decref(want);
	}
}

/* A real pipe written one byte at a time by a child. */
Test(csv, pipe_one_byte_at_a_time, .timeout = 20)
{
	static const char data[] =
	    "a,b\r\n\"x\r\n\"\"y\"\"\",z\r\n\r\n,\n\"q\"";
	json_t *want, *got;
	int p[2];
	pid_t pid;
	size_t i;

	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		for (i = 0; i < sizeof(data) - 1; i++) {
			if (write_full(p[1], data + i, 1) == -1)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	cr_assert(pid != -1);
	close(p[1]);
	got = parse_fd(p[0], 0, 0, CSV_READ_SIZE);
	close(p[0]);
	cr_assert(waitpid(pid, NULL, 0) == pid);
	want = parse_mem(data, sizeof(data) - 1, 0, 0, CSV_READ_SIZE);
	assert_same("pipe", 1, got, want);
	cr_assert_eq(json_array_size(got), 4);
	json_decref(got);
	json_decref(want);
}

Test(csv, read_error)
{
	struct csv_reader *r = csv_new(-1, 100, 0);
	struct csv_record rec;

	cr_assert(r != NULL);
	cr_assert_eq(csv_next(r, &rec), CSV_ERROR);
	cr_assert_eq(errno, EBADF);
	csv_free(r);
	errno = 0;
	cr_assert_null(csv_new(0, 0, 0));
	cr_assert_eq(errno, EINVAL);
	csv_free(NULL);
}

/* Bytes are handed out as they are, and fields point into one record. */
Test(csv, field_pointers)
{
	static const char data[] = "\"a\"\"b\",,c\n";
	struct csv_reader *r;
	struct csv_record rec;
	int fd = mem_fd(data, sizeof(data) - 1);

	r = csv_new(fd, 100, 0);
	cr_assert_eq(csv_next(r, &rec), CSV_RECORD);
	cr_assert_eq(rec.nfields, 3);
	cr_assert_eq(rec.bytes, sizeof(data) - 2);
	cr_assert(rec.fields[0].len == 3 &&
	    memcmp(rec.fields[0].ptr, "a\"b", 3) == 0);
	cr_assert(rec.fields[1].ptr != NULL && rec.fields[1].len == 0);
	cr_assert(rec.fields[2].len == 1 && rec.fields[2].ptr[0] == 'c');
	cr_assert_eq(csv_next(r, &rec), CSV_EOF);
	cr_assert_eq(rec.nfields, 0);
	csv_free(r);
	close(fd);
}
