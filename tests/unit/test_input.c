/*
 * Tests for the input reader: every csv-spectrum case against its JSON,
 * every csv-extra file against its README, generated huge and malformed
 * files, JSONL, want=false and the fingerprint.  Fixtures are found at
 * tests/data from the current directory, the repo root when make runs the
 * tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/jsonl.h"

#ifndef FIXTURES
/* Relative to the repo root, where make runs the tests. */
#define FIXTURES "tests/data"
#endif

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB		(1024u * 1024)
#define FP_EMPTY	"0:7acdbb98b1344213"
#define FP_HELLO	"13:43c71433d34c0dc3"

#define TMP_TEMPLATE	"/tmp/rowpool-input-XXXXXX"

static char tmpdir[sizeof(TMP_TEMPLATE)];

static void
tmp_setup(void)
{
	strlcpy(tmpdir, TMP_TEMPLATE, sizeof(tmpdir));
	cr_assert(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
}

/* The directory only ever holds plain files the tests wrote. */
static void
tmp_teardown(void)
{
	char path[sizeof(tmpdir) + 256];
	struct dirent *d;
	DIR *dir;

	if ((dir = opendir(tmpdir)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, d->d_name);
		unlink(path);
	}
	closedir(dir);
	rmdir(tmpdir);
}

TestSuite(input, .init = tmp_setup, .fini = tmp_teardown);
TestSuite(jsonl, .init = tmp_setup, .fini = tmp_teardown);

/* Writes len bytes to tmpdir/name; returns the path (static buffer). */
static const char *
tmp_file(const char *name, const void *p, size_t len)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(fd != -1, "%s: %s", path, strerror(errno));
	cr_assert(write_full(fd, p, len) == 0);
	close(fd);
	return path;
}

static const char *
fixture(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	cr_assert(access(path, R_OK) == 0, "%s: %s (run from the repo root)",
	    path, strerror(errno));
	return path;
}

static struct input *
open_ok(const char *path, enum input_format fmt, size_t max)
{
	enum input_status st;
	char err[INPUT_ERROR_MAX];
	struct input *in;

	in = input_open(path, fmt, max, &st, err, sizeof(err));
	cr_assert(in != NULL, "input_open: %s", err);
	cr_assert_eq(st, INPUT_ROW);
	return in;
}

/* Parses a row's JSON and checks it is an object. */
static json_t *
row_json(const struct input_row *row)
{
	json_error_t jerr;
	json_t *j;

	cr_assert(row->json != NULL);
	cr_assert_eq(strlen(row->json), row->len);
	j = json_loadb(row->json, row->len, JSON_REJECT_DUPLICATES, &jerr);
	cr_assert(j != NULL, "bad row JSON %s: %s", row->json, jerr.text);
	cr_assert(json_is_object(j));
	return j;
}

/*
 * csv-spectrum: every case, compared value for value with its JSON; the
 * header gives the keys, in order.
 */
Test(input, csv_spectrum)
{
	static const char *const names[] = {
		"comma_in_quotes", "empty", "empty_crlf", "escaped_quotes",
		"json", "newlines", "newlines_crlf", "quotes_and_newlines",
		"simple", "simple_crlf", "utf8",
	};
	char csv[128], jsn[128];
	const char *const *cols;
	struct input_row row;
	struct input *in;
	json_t *want, *got;
	json_error_t jerr;
	size_t i, k, ncols;

	for (i = 0; i < NELEM(names); i++) {
		snprintf(csv, sizeof(csv), "csv-spectrum/csvs/%s.csv",
		    names[i]);
		snprintf(jsn, sizeof(jsn), "csv-spectrum/json/%s.json",
		    names[i]);
		want = json_load_file(fixture(jsn), 0, &jerr);
		cr_assert(want != NULL, "%s: %s", jsn, jerr.text);
		in = open_ok(fixture(csv), INPUT_CSV, 0);
		cols = input_columns(in, &ncols);
		for (k = 0; input_next(in, &row, true) != INPUT_EOF; k++) {
			cr_assert(row.error[0] == '\0', "%s", row.error);
			cr_assert_eq(row.index, k);
			got = row_json(&row);
			cr_assert(json_equal(got, json_array_get(want, k)),
			    "%s row %zu: %s", names[i], k, row.json);
			cr_assert_eq(json_object_size(got), ncols);
			cr_assert_str_eq(json_object_iter_key(
			    json_object_iter(got)), cols[0]);
			json_decref(got);
		}
		cr_assert_eq(k, json_array_size(want), "%s: %zu rows",
		    names[i], k);
		input_close(in);
		json_decref(want);
	}
}

/* One expected outcome: a row (its JSON) or a bad row (its message). */
struct outcome {
	enum input_status	 st;
	unsigned long		 line;
	const char		*text;	/* JSON, or the error after "FILE" */
};

static void
check_outcomes_max(const char *path, const struct outcome *o, size_t n,
    bool want, size_t max)
{
	struct input_row row;
	struct input *in = open_ok(path, INPUT_CSV, max);
	char msg[INPUT_ERROR_MAX];
	json_t *a, *b;
	size_t k;

	for (k = 0; k < n; k++) {
		cr_assert_eq(input_next(in, &row, want), o[k].st,
		    "%s row %zu: %s", path, k, row.error);
		cr_assert_eq(row.index, k);
		cr_assert_eq(row.line, o[k].line, "%s row %zu: line %lu", path,
		    k, row.line);
		if (o[k].st == INPUT_BAD) {
			snprintf(msg, sizeof(msg), "%s%s", path, o[k].text);
			cr_assert_str_eq(row.error, msg);
			cr_assert_null(row.json);
		} else if (!want) {
			cr_assert_null(row.json);
		} else {
			a = row_json(&row);
			b = json_loads(o[k].text, 0, NULL);
			cr_assert(b != NULL, "bad expectation %s", o[k].text);
			cr_assert(json_equal(a, b), "%s row %zu: got %s",
			    path, k, row.json);
			json_decref(a);
			json_decref(b);
		}
	}
	cr_assert_eq(input_next(in, &row, want), INPUT_EOF, "%s: extra row",
	    path);
	input_close(in);
}

static void
check_outcomes(const char *path, const struct outcome *o, size_t n,
    bool want)
{
	check_outcomes_max(path, o, n, want, 0);
}

#define OK(line, json)	{ INPUT_ROW, line, json }
#define BAD(line, msg)	{ INPUT_BAD, line, msg }

static const struct outcome o_quotes_newlines[] = {
	OK(2, "{\"a\":\"1\",\"b\":\"ha \\n\\\"ha\\\" \\nha\"}"),
	OK(5, "{\"a\":\"2\",\"b\":\" \\n\\\"\\\" \\n\"}"),
	OK(8, "{\"a\":\"3\",\"b\":\"4\"}"),
};
static const struct outcome o_more_columns[] = {
	OK(2, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}"),
	BAD(3, ":3: expected 3 fields, found 4"),
	OK(4, "{\"a\":\"8\",\"b\":\"9\",\"c\":\"10\"}"),
};
static const struct outcome o_bad[] = {
	BAD(2, ":2: expected 3 fields, found 4"),
	BAD(3, ":3: expected 3 fields, found 2"),
	OK(4, "{\"column_a\":\"0\",\"column_b\":\"mixed types.... uh oh\","
	    "\"column_c\":\"17\"}"),
};
static const struct outcome o_mac[] = {
	OK(2, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}"),
	OK(3, "{\"a\":\"Once upon\\ra time\",\"b\":\"5\",\"c\":\"6\"}"),
};
static const struct outcome o_null[] = {
	BAD(2, ":2: NUL byte in field 1"),
};
static const struct outcome o_optional_quotes[] = {
	OK(2, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}"),
};
static const struct outcome o_long_row[] = {
	BAD(2, ":2: expected 3 fields, found 4"),
};
static const struct outcome o_short_row[] = {
	BAD(2, ":2: expected 3 fields, found 2"),
};
static const struct outcome o_header_newline[] = {
	OK(8, "{\"\\t\\n\\u000b\\f\\r start \\t\\n\\u000b\\f\\r end "
	    "\\t\\n\\u000b\\f\\r\":\"d\",\"b\":\"e\",\"c\":\"f\"}"),
};
static const struct outcome o_join_short[] = {
	BAD(2, ":2: expected 3 fields, found 2"),
	BAD(3, ":3: expected 3 fields, found 2"),
	OK(4, "{\"a\":\"3\",\"b\":\"b\",\"c\":\"c\"}"),
};
static const struct outcome o_latin1[] = {
	OK(2, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}"),
	BAD(3, ":3: invalid UTF-8 in field 3"),
};
static const struct outcome o_bom[] = {
	OK(2, "{\"foo\":\"1\",\"bar\":\"2\",\"baz\":\"3\"}"),
	OK(3, "{\"foo\":\"4\",\"bar\":\"5\",\"baz\":\"\\u02a4\"}"),
};

#define EXTRA(file, o)	{ "csv-extra/" file, o, NELEM(o) }

static const struct {
	const char		*file;
	const struct outcome	*o;
	size_t			 n;
} extra[] = {
	EXTRA("csv-parser_quotes+newlines.csv", o_quotes_newlines),
	EXTRA("csv-parser_strict-false-more-columns.csv", o_more_columns),
	EXTRA("csvkit_bad.csv", o_bad),
	EXTRA("csvkit_mac_newlines.csv", o_mac),
	EXTRA("csvkit_null_byte.csv", o_null),
	EXTRA("csvkit_optional_quote_characters.csv", o_optional_quotes),
	EXTRA("csvkit_test_empty_columns_long_row.csv", o_long_row),
	EXTRA("csvkit_test_empty_columns_short_row.csv", o_short_row),
	EXTRA("csvkit_test_header_newline.csv", o_header_newline),
	EXTRA("csvkit_test_join_short_rows.csv", o_join_short),
	EXTRA("csvkit_test_latin1.csv", o_latin1),
	EXTRA("csvkit_test_utf8_bom.csv", o_bom),
};

/* csv-extra: every file but the UTF-16 one (see csv_extra_utf16). */
Test(input, csv_extra)
{
	size_t i;

	for (i = 0; i < NELEM(extra); i++) {
		check_outcomes(fixture(extra[i].file), extra[i].o, extra[i].n,
		    true);
		check_outcomes(fixture(extra[i].file), extra[i].o, extra[i].n,
		    false);
	}
}

Test(input, csv_extra_columns)
{
	const char *const *cols;
	struct input *in;
	size_t n;

	in = open_ok(fixture("csv-extra/csvkit_test_utf8_bom.csv"), 0, 0);
	cols = input_columns(in, &n);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(cols[0], "foo");
	cr_assert_str_eq(cols[2], "baz");
	cr_assert_null(cols[3]);
	input_close(in);
	in = open_ok(fixture("csv-extra/csvkit_test_header_newline.csv"), 0,
	    0);
	cols = input_columns(in, &n);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(cols[0], "\t\n\v\f\r start \t\n\v\f\r end \t\n\v\f\r");
	input_close(in);
}

/* Expects input_open to fail with st and "PATH" followed by suffix. */
static void
open_fails(const char *path, enum input_format fmt, size_t max,
    enum input_status want, const char *suffix)
{
	char err[INPUT_ERROR_MAX], msg[INPUT_ERROR_MAX];
	enum input_status st;

	cr_assert_null(input_open(path, fmt, max, &st, err, sizeof(err)),
	    "%s opened", path);
	cr_assert_eq(st, want, "%s: status %d: %s", path, st, err);
	snprintf(msg, sizeof(msg), "%s%s", path, suffix);
	cr_assert_str_eq(err, msg);
}

Test(input, csv_extra_utf16)
{
	open_fails(fixture("csv-extra/csvkit_test_utf16_little.csv"),
	    INPUT_CSV, 0, INPUT_FATAL,
	    ": looks like UTF-16; rowpool reads UTF-8 only");
}

Test(input, fatal_headers)
{
	static const struct {
		const char	*data;
		size_t		 len;
		const char	*suffix;
	} t[] = {
#define H(lit, msg)	{ lit, sizeof(lit) - 1, msg }
		H("", ": empty file: no header"),
		H("\n\r\n\r", ": empty file: no header"),
		H("\xef\xbb\xbf", ": empty file: no header"),
		H("a,b,a\n1,2,3\n",
		    ":1: duplicate column name 'a' (columns 1 and 3)"),
		H("\nx,y,z,y,x\n",
		    ":2: duplicate column name 'y' (columns 2 and 4)"),
		H("\"a\nb\xff\",\"a\nb\xff\"\n",
		    ":1: invalid UTF-8 in column name 1"),
		H("\"a\nb\",x,\"a\nb\"\n",
		    ":1: duplicate column name 'a?b' (columns 1 and 3)"),
		H("a,,b\n", ":1: empty column name (column 2)"),
		H("\"\"\n", ":1: empty column name (column 1)"),
		H("a,b\xff\n", ":1: invalid UTF-8 in column name 2"),
		H("a,\"b\nc\n", ":1: unterminated quoted field in header"),
		H("\xfe\xff\0a\0,\0b\0\n",
		    ": looks like UTF-16; rowpool reads UTF-8 only"),
		H("a\0,\0b\0\n\0",
		    ": looks like UTF-16; rowpool reads UTF-8 only"),
		H("\xff\xfe\0\0a\0\0\0\n\0\0\0",
		    ": looks like UTF-32; rowpool reads UTF-8 only"),
		H("\0\0\xfe\xff\0\0\0a\0\0\0\n",
		    ": looks like UTF-32; rowpool reads UTF-8 only"),
		H("abcdefghijklmnopqrstuvwxyz,b\n",
		    ":1: header larger than 16 bytes"),
#undef H
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		open_fails(tmp_file("h.csv", t[i].data, t[i].len), INPUT_CSV,
		    16, INPUT_FATAL, t[i].suffix);
}

Test(input, open_errors)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/missing.csv", tmpdir);
	open_fails(path, INPUT_CSV, 0, INPUT_IOERR,
	    ": open: No such file or directory");
	cr_assert_eq(errno, ENOENT);
	open_fails(tmpdir, INPUT_CSV, 0, INPUT_IOERR,
	    ": read: Is a directory");
	cr_assert_eq(errno, EISDIR);
	open_fails(tmp_file("x.txt", "a\n", 2), 0, 0, INPUT_FATAL,
	    ": unknown input format (expected .csv, .jsonl or .ndjson)");
}

Test(input, format_from_path)
{
	static const struct {
		const char		*path;
		enum input_format	 fmt;
	} t[] = {
		{ "leads.csv", INPUT_CSV }, { "a/B.CSV", INPUT_CSV },
		{ "x.jsonl", INPUT_JSONL }, { "x.NDJSON", INPUT_JSONL },
		{ "x.json", 0 }, { "csv", 0 }, { ".csv/x", 0 },
		{ "x.csv.gz", 0 }, { "", 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		cr_assert_eq(input_format_from_path(t[i].path), t[i].fmt, "%s",
		    t[i].path);
}

/* Malformed rows: each is a bad row at the right line, then parsing goes on. */
Test(input, malformed_rows)
{
	static const char data[] =
	    "a,b\n"
	    "1,\"x\n"			/* 2: quoted field over 2 lines: ok */
	    "y\"\n"
	    "\xc0\x80,2\n"		/* 4: overlong NUL */
	    "3,\xe0\x80\x80\n"		/* 5: overlong */
	    "\xed\xa0\x80,4\n"		/* 6: surrogate */
	    "5,\xf4\x90\x80\x80\n"	/* 7: > U+10FFFF */
	    "\xf5\x80\x80\x80,6\n"	/* 8 */
	    "\x80,7\n"			/* 9: lone continuation */
	    "8,\xe2\x82\n"		/* 10: truncated */
	    "\xf4\x8f\xbf\xbf,\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\n" /* 11 */
	    "0123456789012345678901234567890123456789,x\n"	/* 12 */
	    "9,\"\"\"oversized, quoted\r\nand long,,,,,,,,,,,,,,,,\"\r\n"
	    "10,a\"b\n"			/* 15 */
	    "11,\"12\n";		/* 16: unterminated */
	static const struct outcome o[] = {
		OK(2, "{\"a\":\"1\",\"b\":\"x\\ny\"}"),
		BAD(4, ":4: invalid UTF-8 in field 1"),
		BAD(5, ":5: invalid UTF-8 in field 2"),
		BAD(6, ":6: invalid UTF-8 in field 1"),
		BAD(7, ":7: invalid UTF-8 in field 2"),
		BAD(8, ":8: invalid UTF-8 in field 1"),
		BAD(9, ":9: invalid UTF-8 in field 1"),
		BAD(10, ":10: invalid UTF-8 in field 2"),
		OK(11, "{\"a\":\"\\udbff\\udfff\","
		    "\"b\":\"\\ud7ff\\ue000\\uffff\"}"),
		BAD(12, ":12: row larger than 32 bytes"),
		BAD(13, ":13: row larger than 32 bytes"),
		OK(15, "{\"a\":\"10\",\"b\":\"a\\\"b\"}"),
		BAD(16, ":16: unterminated quoted field"),
	};
	const char *path = tmp_file("m.csv", data, sizeof(data) - 1);

	check_outcomes_max(path, o, NELEM(o), true, 32);
	check_outcomes_max(path, o, NELEM(o), false, 32);
}

/* Every byte that JSON must escape, in keys and values, survives. */
Test(input, json_escaping)
{
	static const char data[] =
	    "\"k\"\"1\",k\\2,\"k\n3\",k\x7f\xe2\x80\xa8\n"
	    "\"\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
	    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e"
	    "\x1f\",\"\"\"\\\"\"\\\\\",\"\\u0041\","
	    "\"\xc3\xa9\xf0\x9f\x98\x80\"\n";
	static const char v0[] = "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b"
	    "\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b"
	    "\x1c\x1d\x1e\x1f";
	static const char *const keys[] = {
		"k\"1", "k\\2", "k\n3", "k\x7f\xe2\x80\xa8",
	};
	static const char *const vals[] = {
		v0, "\"\\\"\\\\", "\\u0041", "\xc3\xa9\xf0\x9f\x98\x80",
	};
	struct input_row row;
	struct input *in;
	json_t *j;
	size_t i;

	in = open_ok(tmp_file("e.csv", data, sizeof(data) - 1), INPUT_CSV, 0);
	cr_assert_eq(input_next(in, &row, true), INPUT_ROW, "%s", row.error);
	j = row_json(&row);
	for (i = 0; i < NELEM(keys); i++)
		cr_assert_str_eq(json_string_value(json_object_get(j, keys[i])),
		    vals[i], "key %zu in %s", i, row.json);
	cr_assert(strstr(row.json, "\\u001f") != NULL);
	json_decref(j);
	cr_assert_eq(input_next(in, &row, true), INPUT_EOF);
	input_close(in);
}

/* A file "id,text" whose row 1 has a quoted field of about size bytes. */
static const char *
huge_quoted(size_t size, char **decoded, size_t *dlen, size_t *nlines)
{
	static const char chunk[] = "ab\"\"c\r\nd,";
	size_t n = size / (sizeof(chunk) - 1) + 1, i, len;
	char *buf, *p, *d;
	const char *path;

	buf = malloc(n * (sizeof(chunk) - 1) + 64);
	d = malloc(n * (sizeof(chunk) - 2) + 1);
	cr_assert(buf != NULL && d != NULL);
	p = buf + snprintf(buf, 64, "id,text\r\n1,\"");
	for (i = 0; i < n; i++) {
		memcpy(p, chunk, sizeof(chunk) - 1);
		p += sizeof(chunk) - 1;
		memcpy(d + i * (sizeof(chunk) - 2), "ab\"c\r\nd,",
		    sizeof(chunk) - 2);
	}
	len = (size_t)(p - buf);
	memcpy(buf + len, "\"\r\n2,end\r\n", 10);
	path = tmp_file("huge.csv", buf, len + 10);
	free(buf);
	*decoded = d;
	*dlen = n * (sizeof(chunk) - 2);
	*nlines = n;
	return path;
}

Test(input, huge_quoted_field, .timeout = 60)
{
	struct input_row row;
	struct input *in;
	const char *path;
	char *decoded;
	size_t dlen, n;
	json_t *j, *v;

	path = huge_quoted(8 * MiB, &decoded, &dlen, &n);
	in = open_ok(path, INPUT_CSV, 16 * MiB);
	cr_assert_eq(input_next(in, &row, true), INPUT_ROW, "%s", row.error);
	cr_assert_eq(row.line, 2);
	j = row_json(&row);
	v = json_object_get(j, "text");
	cr_assert_eq(json_string_length(v), dlen);
	cr_assert(memcmp(json_string_value(v), decoded, dlen) == 0);
	json_decref(j);
	cr_assert_eq(input_next(in, &row, true), INPUT_ROW);
	cr_assert_eq(row.index, 1);
	cr_assert_eq(row.line, 3 + n);
	cr_assert_str_eq(row.json, "{\"id\":\"2\",\"text\":\"end\"}");
	cr_assert_eq(input_next(in, &row, true), INPUT_EOF);
	input_close(in);

	/* Too big for the default maximum: skipped, and row 2 still read. */
	in = open_ok(path, INPUT_CSV, 0);
	cr_assert_eq(input_next(in, &row, true), INPUT_BAD);
	cr_assert(strstr(row.error, ":2: row larger than 1048576 bytes"));
	cr_assert_eq(input_next(in, &row, false), INPUT_ROW);
	cr_assert_eq(row.line, 3 + n);
	cr_assert_eq(input_next(in, &row, true), INPUT_EOF);
	input_close(in);
	free(decoded);
}

Test(input, one_mib_unquoted_field, .timeout = 30)
{
	size_t len = MiB + 1;
	char *buf = malloc(2 + len + 1 + 3 + MiB + 1);
	struct input_row row;
	struct input *in;
	const char *path;
	char *p = buf;

	cr_assert(buf != NULL);
	memcpy(p, "a\n", 2);
	memset(p += 2, 'x', len);		/* line 2: one byte too many */
	memcpy(p += len, "\ny\n", 3);		/* line 3 */
	memset(p += 3, 'z', MiB);		/* line 4: just fits */
	path = tmp_file("big.csv", buf, (size_t)(p + MiB - buf));
	free(buf);
	in = open_ok(path, INPUT_CSV, MiB);
	cr_assert_eq(input_next(in, &row, true), INPUT_BAD);
	cr_assert_eq(row.line, 2);
	cr_assert_eq(input_next(in, &row, true), INPUT_ROW);
	cr_assert_str_eq(row.json, "{\"a\":\"y\"}");
	cr_assert_eq(input_next(in, &row, true), INPUT_ROW);
	cr_assert_eq(row.index, 2);
	cr_assert_eq(row.line, 4);
	cr_assert_eq(row.len, MiB + 8);
	cr_assert_eq(row.json[6 + MiB], '"');
	cr_assert_eq(input_next(in, &row, true), INPUT_EOF);
	input_close(in);
}

/* want=false gives the same statuses, indexes and lines, and no JSON. */
Test(input, want_false)
{
	static const char data[] = "a,b\n1,2\n3\n\n4,\"5\n\"\n\xff,6\n7,8";
	enum input_status s1, s2;
	struct input_row r1, r2;
	struct input *in1, *in2;
	const char *path = tmp_file("w.csv", data, sizeof(data) - 1);
	int n = 0;

	in1 = open_ok(path, INPUT_CSV, 0);
	in2 = open_ok(path, INPUT_CSV, 0);
	do {
		s1 = input_next(in1, &r1, true);
		s2 = input_next(in2, &r2, false);
		cr_assert_eq(s1, s2);
		if (s1 == INPUT_EOF)
			break;
		cr_assert_eq(r1.index, r2.index);
		cr_assert_eq(r1.line, r2.line);
		cr_assert_str_eq(r1.error, r2.error);
		cr_assert_null(r2.json);
		cr_assert_eq(r1.json != NULL, s1 == INPUT_ROW);
		n++;
	} while (n < 100);
	cr_assert_eq(n, 5);
	input_close(in1);
	input_close(in2);
}

/* JSONL lines of each kind, numbered. */
static const char jsonl_data[] =
    "{\"a\":1}\n"				/* 1 */
    "\n"					/* 2 */
    "   \t \r\n"				/* 3 */
    "{\"a\":2}\r\n"				/* 4 */
    "[1,2]\n"					/* 5 */
    "{\"a\":1,\"a\":2}\n"			/* 6 */
    "{\"a\":\"\xff\"}\n"			/* 7 */
    "{\"a\":\"x\0y\"}\n"			/* 8 */
    "{\"a\":\"\\u0000\"}\n"			/* 9 */
    "{\"a\":1} x\n"				/* 10 */
    "\"str\"\n"					/* 11 */
    "{\"long\":\"0123456789012345678901234567890123456789\"}\n"
    "  {\"b\":3}  \n"				/* 13 */
    "{a:1}\n"					/* 14 */
    "{\"n\":99999999999999999999}\n"		/* 15 */
    "{\"\xc3\xa9\":[{}],\"t\":\"\\t\"}\n"	/* 16 */
    "{}\r";					/* 17 */

static const struct outcome o_jsonl[] = {
	OK(1, "{\"a\":1}"),
	OK(4, "{\"a\":2}"),
	BAD(5, ":5: not a JSON object"),
	BAD(6, ":6: invalid JSON at column "),
	BAD(7, ":7: invalid JSON at column "),
	BAD(8, ":8: NUL byte at column 8"),
	BAD(9, ":9: invalid JSON at column "),
	BAD(10, ":10: invalid JSON at column "),
	BAD(11, ":11: not a JSON object"),
	BAD(12, ":12: row larger than 48 bytes"),
	OK(13, "{\"b\":3}"),
	BAD(14, ":14: invalid JSON at column "),
	BAD(15, ":15: invalid JSON at column "),
	OK(16, "{\"\xc3\xa9\":[{}],\"t\":\"\\t\"}"),
	OK(17, "{}"),
};

/* JSONL through input: a ROW's text is the line; BAD messages by prefix. */
static void
check_jsonl(const char *path, const struct outcome *o, size_t n, bool want)
{
	char msg[INPUT_ERROR_MAX];
	struct input_row row;
	struct input *in;
	size_t k, ncols = 1;

	in = open_ok(path, 0, 48);
	cr_assert_null(input_columns(in, &ncols));
	cr_assert_eq(ncols, 0);
	for (k = 0; k < n; k++) {
		cr_assert_eq(input_next(in, &row, want), o[k].st,
		    "row %zu: %s", k, row.error);
		cr_assert_eq(row.index, k);
		cr_assert_eq(row.line, o[k].line, "row %zu", k);
		if (o[k].st == INPUT_ROW) {
			cr_assert_str_eq(row.json, o[k].text);
			cr_assert_eq(row.len, strlen(o[k].text));
			continue;
		}
		snprintf(msg, sizeof(msg), "%s%s", path, o[k].text);
		cr_assert(strncmp(row.error, msg, strlen(msg)) == 0,
		    "row %zu: %s", k, row.error);
	}
	cr_assert_eq(input_next(in, &row, true), INPUT_EOF);
	input_close(in);
}

Test(input, jsonl)
{
	const char *path = tmp_file("j.jsonl", jsonl_data,
	    sizeof(jsonl_data) - 1);

	check_jsonl(path, o_jsonl, NELEM(o_jsonl), true);
	check_jsonl(path, o_jsonl, NELEM(o_jsonl), false);
}

/* The jsonl reader alone, with reads of every small size. */
Test(jsonl, reader)
{
	static const char data[] = "\n a \r\nbb\r\r\n\t\n0123456789x\nc\n"
	    "0123456789\n  \n\rd";
	static const struct {
		int		 toobig;
		unsigned long	 line;
		const char	*text;
	} want[] = {
		{ 0, 2, "a" }, { 0, 3, "bb" }, { 1, 5, NULL }, { 0, 6, "c" },
		{ 0, 7, "0123456789" }, { 0, 9, "d" },
	};
	static const size_t sizes[] = { 1, 2, 3, 7, JSONL_READ_SIZE };
	struct jsonl_reader *r;
	struct jsonl_line l;
	enum jsonl_status st;
	const char *path = tmp_file("r.jsonl", data, sizeof(data) - 1);
	size_t i, k;
	int fd;

	for (i = 0; i < NELEM(sizes); i++) {
		cr_assert((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1);
		cr_assert((r = jsonl_new(fd, 10)) != NULL);
		jsonl_set_read_size(r, sizes[i]);
		for (k = 0; k < NELEM(want); k++) {
			st = jsonl_next(r, &l);
			cr_assert_eq(st, want[k].toobig ? JSONL_TOOBIG :
			    JSONL_LINE, "line %zu, reads of %zu", k, sizes[i]);
			cr_assert_eq(l.line, want[k].line);
			if (st == JSONL_LINE) {
				cr_assert_str_eq(l.ptr, want[k].text);
				cr_assert_eq(l.len, strlen(want[k].text));
			}
		}
		cr_assert_eq(jsonl_next(r, &l), JSONL_EOF);
		cr_assert_eq(jsonl_next(r, &l), JSONL_EOF);
		jsonl_free(r);
		close(fd);
	}
	cr_assert_null(jsonl_new(0, 0));
	cr_assert((r = jsonl_new(-1, 10)) != NULL);
	cr_assert_eq(jsonl_next(r, &l), JSONL_ERROR);
	cr_assert_eq(errno, EBADF);
	jsonl_free(r);
}

/* A BOM at the start is skipped, whatever the read size; nowhere else. */
Test(jsonl, reader_bom)
{
	static const char data[] = "\xef\xbb\xbf{\"a\":1}\n\xef\xbb\xbf{}\n";
	static const size_t sizes[] = { 1, 2, 3, 7, JSONL_READ_SIZE };
	struct jsonl_reader *r;
	struct jsonl_line l;
	const char *path = tmp_file("bom.jsonl", data, sizeof(data) - 1);
	size_t i;
	int fd;

	for (i = 0; i < NELEM(sizes); i++) {
		cr_assert((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1);
		cr_assert((r = jsonl_new(fd, 100)) != NULL);
		jsonl_set_read_size(r, sizes[i]);
		cr_assert_eq(jsonl_next(r, &l), JSONL_LINE);
		cr_assert_str_eq(l.ptr, "{\"a\":1}", "reads of %zu", sizes[i]);
		cr_assert_eq(l.bytes, 7, "the BOM is not the row's");
		cr_assert_eq(jsonl_next(r, &l), JSONL_LINE);
		cr_assert_str_eq(l.ptr, "\xef\xbb\xbf{}");
		cr_assert_eq(jsonl_next(r, &l), JSONL_EOF);
		jsonl_free(r);
		close(fd);
	}
}

static void
fp_ok(const char *path, char *out)
{
	cr_assert(input_fingerprint(path, out, 41) == 0, "%s: %s", path,
	    strerror(errno));
}

Test(input, fingerprint)
{
	static const size_t where[] = { 0, 7, 8, 65535, 65536, 65537,
	    200000 - 1 };
	char fp[NELEM(where) + 1][41], a[41], b[41];
	char *buf = malloc(200001);
	size_t i, k;

	cr_assert(buf != NULL);
	for (i = 0; i < 200000; i++)
		buf[i] = (char)(i * 7 + i / 251);
	fp_ok(tmp_file("f1", buf, 200000), fp[0]);
	fp_ok(tmp_file("f2", buf, 200000), a);
	cr_assert_str_eq(fp[0], a);
	cr_assert(strncmp(fp[0], "200000:", 7) == 0);
	cr_assert_eq(strlen(fp[0]), 7 + 16);
	for (i = 0; i < NELEM(where); i++) {
		buf[where[i]] ^= 1;
		fp_ok(tmp_file("f1", buf, 200000), fp[i + 1]);
		buf[where[i]] ^= 1;
		for (k = 0; k <= i; k++)
			cr_assert_str_neq(fp[i + 1], fp[k]);
	}
	/* A trailing NUL changes the hash, not only the size. */
	fp_ok(tmp_file("f3", "abc", 3), a);
	fp_ok(tmp_file("f3", "abc\0", 4), b);
	cr_assert_str_neq(strchr(a, ':'), strchr(b, ':'));
	/* Pinned: a checkpoint written by one version resumes in the next. */
	fp_ok(tmp_file("f4", "", 0), a);
	cr_assert_str_eq(a, FP_EMPTY);
	fp_ok(tmp_file("f4", "hello, world\n", 13), a);
	cr_assert_str_eq(a, FP_HELLO);
	free(buf);

	cr_assert_eq(input_fingerprint(tmp_file("f5", "x", 1), a, 5), -1);
	cr_assert_eq(errno, ERANGE);
	snprintf(a, sizeof(a), "%s/missing", tmpdir);
	cr_assert_eq(input_fingerprint(a, b, sizeof(b)), -1);
	cr_assert_eq(errno, ENOENT);
}
