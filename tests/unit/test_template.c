/*
 * Tests for prompt templates: tables of (template, row, rendering), of
 * syntax errors with their positions, and of checks against column lists;
 * then the congress example against the demo data set's header.
 * Rows are JSON with ' for " (\u0027 for a real ').
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/template.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define S(lit)		lit, sizeof(lit) - 1

#ifndef EXAMPLES
/* Relative to the repo root, where make runs the tests. */
#define EXAMPLES "examples"
#endif

struct render_case {
	const char	*name;
	const char	*text;
	size_t		 len;
	const char	*row;
	const char	*want;
	size_t		 wantlen;
	const char	*names;		/* '|' between names */
};

static const struct render_case render_cases[] = {
	{ "plain text", S("hello\n"), "{}", S("hello\n"), "" },
	{ "empty template", S(""), "{'a':'1'}", S(""), "" },
	{ "one placeholder", S("Hi {{name}}!"), "{'name':'Ann'}",
	    S("Hi Ann!"), "name" },
	{ "blanks inside", S("{{ name }}|{{\tname  }}"), "{'name':'Ann'}",
	    S("Ann|Ann"), "name" },
	{ "name with spaces", S("Date: {{Resignation Date}}."),
	    "{'Resignation Date':'1/15/2018'}", S("Date: 1/15/2018."),
	    "Resignation Date" },
	{ "inner spaces kept", S("{{  a  b  }}"), "{'a  b':'x','a b':'y'}",
	    S("x"), "a  b" },
	{ "adjacent", S("{{a}}{{b}}{{a}}"), "{'a':'1','b':'2'}", S("121"),
	    "a|b" },
	{ "at start and end", S("{{a}} and {{b}}"), "{'a':'x','b':'y'}",
	    S("x and y"), "a|b" },
	{ "only a placeholder", S("{{a}}"), "{'a':'v'}", S("v"), "a" },
	{ "escape", S("{{{{a}}"), "{'a':'v'}", S("{{a}}"), "" },
	{ "escapes only", S("{{{{{{{{"), "{}", S("{{{{"), "" },
	{ "escape then placeholder", S("{{{{{{a}}"), "{'a':'v'}", S("{{v"),
	    "a" },
	{ "brace before placeholder", S("{{{a}}}"), "{'a':'v'}", S("{v}"),
	    "a" },
	{ "single braces", S("{a} } {"), "{}", S("{a} } {"), "" },
	{ "lone closing pair", S("a}}b}}"), "{}", S("a}}b}}"), "" },
	{ "brace at end", S("x{"), "{}", S("x{"), "" },
	{ "json in the prompt", S("{\"n\": \"{{n}}\"}"), "{'n':'1'}",
	    S("{\"n\": \"1\"}"), "n" },
	{ "value kept exactly", S("[{{v}}]"), "{'v':'  a\\n\\tb  '}",
	    S("[  a\n\tb  ]"), "v" },
	{ "value not expanded", S("{{a}}"), "{'a':'{{b}}','b':'x'}",
	    S("{{b}}"), "a" },
	{ "quotes and apostrophes raw", S("{{a}}"),
	    "{'a':'say \\'hi\\' \\u0027now\\u0027'}",
	    S("say \"hi\" 'now'"), "a" },
	{ "unicode", S("Gr\xc3\xbc\xc3\x9f" "e {{n\xc3\xa4me}} \xe2\x9c\x93"),
	    "{'n\xc3\xa4me':'Zo\xc3\xab \xf0\x9f\x8e\x89'}",
	    S("Gr\xc3\xbc\xc3\x9f" "e Zo\xc3\xab \xf0\x9f\x8e\x89 "
	    "\xe2\x9c\x93"),
	    "n\xc3\xa4me" },
	{ "escaped unicode stays utf-8", S("{{a}}"), "{'a':'\\u00e9'}",
	    S("\xc3\xa9"), "a" },
	{ "missing key", S("[{{x}}]"), "{'y':'1'}", S("[]"), "x" },
	{ "empty string", S("[{{x}}]"), "{'x':''}", S("[]"), "x" },
	{ "row not an object", S("[{{x}}]"), "['x']", S("[]"), "x" },
	{ "integer", S("{{n}}"), "{'n':42}", S("42"), "n" },
	{ "negative", S("{{n}}"), "{'n':-7}", S("-7"), "n" },
	{ "big integer", S("{{n}}"), "{'n':9007199254740993}",
	    S("9007199254740993"), "n" },
	{ "real", S("{{n}}"), "{'n':-1.5}", S("-1.5"), "n" },
	{ "real 0.1", S("{{n}}"), "{'n':0.1}", S("0.1"), "n" },
	{ "real needing 17 digits", S("{{n}}"), "{'n':0.30000000000000004}",
	    S("0.30000000000000004"), "n" },
	{ "integral real", S("{{n}}"), "{'n':3.0}", S("3.0"), "n" },
	{ "booleans and null", S("{{t}} {{f}} {{z}}"),
	    "{'t':true,'f':false,'z':null}", S("true false null"), "t|f|z" },
	{ "object compact", S("{{o}}"), "{'o':{'a':[1,2],'b':'x','c':{}}}",
	    S("{\"a\":[1,2],\"b\":\"x\",\"c\":{}}"), "o" },
	{ "object key order kept", S("{{o}}"), "{'o':{'z':1,'a':2}}",
	    S("{\"z\":1,\"a\":2}"), "o" },
	{ "array", S("{{a}}"), "{'a':['\xc3\xa9',null,true,0.1]}",
	    S("[\"\xc3\xa9\",null,true,0.1]"), "a" },
	{ "nested reals", S("{{o}}"),
	    "{'o':{'x':0.1,'y':[0.30000000000000004]}}",
	    S("{\"x\":0.10000000000000001,\"y\":[0.30000000000000004]}"),
	    "o" },
	{ "string escapes in objects", S("{{o}}"), "{'o':{'q':'a\\'b\\n'}}",
	    S("{\"q\":\"a\\\"b\\n\"}"), "o" },
	{ "crlf lines", S("{{a}}\r\n{{b}}\r\n"), "{'a':'1','b':'2'}",
	    S("1\r\n2\r\n"), "a|b" },
	{ "nul in the text", S("a\0b{{x}}\0"), "{'x':'y'}", S("a\0by\0"),
	    "x" },
	{ "names in order of first use", S("{{c}}{{a}}{{c}}{{b}}{{a}}"),
	    "{'a':'1','b':'2','c':'3'}", S("31321"), "c|a|b" },
	{ "brace inside a name", S("{{a{b}}"), "{'a{b':'v'}", S("v"),
	    "a{b" },
};

struct error_case {
	const char	*name;
	const char	*text;
	size_t		 len;
	const char	*want;
};

static const struct error_case error_cases[] = {
	{ "unclosed at end", S("abc {{name"),
	    "line 1, column 5: unclosed '{{'" },
	{ "only an opening", S("{{"), "line 1, column 1: unclosed '{{'" },
	{ "unclosed at a line end", S("line one\nab {{na\nme}}"),
	    "line 2, column 4: unclosed '{{'" },
	{ "columns count characters", S("\xc3\xa9\xe2\x9c\x93 {{x"),
	    "line 1, column 4: unclosed '{{'" },
	{ "a tab is one column", S("\t{{"),
	    "line 1, column 2: unclosed '{{'" },
	{ "crlf lines", S("a\r\nb\r\n  {{x\r\n"),
	    "line 3, column 3: unclosed '{{'" },
	{ "after a good one", S("{{a}} {{b"),
	    "line 1, column 7: unclosed '{{'" },
	{ "after an escape", S("{{{{ {{b"),
	    "line 1, column 6: unclosed '{{'" },
	{ "nul in a name", S("{{a\0b}}"), "line 1, column 1: unclosed '{{'" },
	{ "one closing brace", S("{{a}"), "line 1, column 4: single '}' in "
	    "a placeholder (it ends with '}}')" },
	{ "single brace in a name", S("x\n  {{a}b}}"), "line 2, column 6: "
	    "single '}' in a placeholder (it ends with '}}')" },
	{ "empty name", S("{{}}"), "line 1, column 1: empty placeholder name" },
	{ "blank name", S("x\n\n  {{ \t }}"),
	    "line 3, column 3: empty placeholder name" },
};

struct check_case {
	const char	*name;
	const char	*text;
	const char	*cols;		/* '|' between names, "" for none */
	size_t		 errlen;	/* 0: 512 */
	const char	*want;		/* NULL: passes */
};

#define COLS20	"c01|c02|c03|c04|c05|c06|c07|c08|c09|c10|c11|c12|c13|c14|" \
		"c15|c16|c17|c18|c19|c20"

static const struct check_case check_cases[] = {
	{ "all known", "{{name}} <{{email}}>", "name|email|city", 0, NULL },
	{ "no placeholders", "just text", "", 0, NULL },
	{ "spaces in a column name", "{{ Resignation Date }}",
	    "Member|Resignation Date", 0, NULL },
	{ "typo", "Hi {{name}},\nmail: {{emial}}", "name|email|city", 0,
	    "line 2, column 7: {{emial}} names no column (have: name, email, "
	    "city)" },
	{ "first use is reported", "{{a}}\n{{x}} {{x}}", "a|b", 0,
	    "line 2, column 1: {{x}} names no column (have: a, b)" },
	{ "first bad name in order", "{{a}} {{zz}} {{yy}}", "a", 0,
	    "line 1, column 7: {{zz}} names no column (have: a)" },
	{ "case matters", "{{Name}}", "name", 0,
	    "line 1, column 1: {{Name}} names no column (have: name)" },
	{ "blanks are not part of a name", "{{ name }}", " name ", 0,
	    "line 1, column 1: {{name}} names no column (have:  name )" },
	{ "no columns", "{{a}}", "", 0,
	    "line 1, column 1: {{a}} names no column (no columns)" },
	{ "long list", "{{x}}", COLS20, 0,
	    "line 1, column 1: {{x}} names no column (have: c01, c02, c03, "
	    "c04, c05, c06, c07, c08, c09, c10, c11, c12, and 8 more)" },
	{ "list cut to the buffer", "{{x}}", COLS20, 90,
	    "line 1, column 1: {{x}} names no column (have: c01, c02, and 18 "
	    "more)" },
	{ "list cut before the first", "{{x}}", COLS20, 60,
	    "line 1, column 1: {{x}} names no column (have: and 20 more)" },
	{ "tiny buffer", "{{x}}", "a", 16, "line 1, colu..." },
	{ "control bytes in a name", "{{a\tb}}", "a", 0,
	    "line 1, column 1: {{a?b}} names no column (have: a)" },
};

static json_t *
row_json(const char *text)
{
	json_error_t jerr;
	char *s, *p;
	json_t *v;

	s = strdup(text);
	cr_assert_not_null(s);
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(v, "bad row %s: %s", text, jerr.text);
	free(s);
	return v;
}

/* The names as "a|b|c". */
static void
join_names(const struct template *t, char *buf, size_t len)
{
	const char *const *names;
	size_t i, n;

	buf[0] = '\0';
	n = template_names(t, &names);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(buf, "|", len);
		strlcat(buf, names[i], len);
	}
}

Test(template, render)
{
	const struct render_case *c;
	struct template *t;
	char err[256], names[256];
	size_t i, len;
	json_t *row;
	char *s;

	for (i = 0; i < NELEM(render_cases); i++) {
		c = &render_cases[i];
		t = template_parse(c->text, c->len, err, sizeof(err));
		cr_assert_not_null(t, "%s: %s", c->name, err);
		row = row_json(c->row);
		s = template_render(t, row, &len);
		cr_assert_not_null(s, "%s", c->name);
		cr_expect_eq(len, c->wantlen, "%s: length %zu, want %zu",
		    c->name, len, c->wantlen);
		cr_expect(len == c->wantlen && memcmp(s, c->want, len) == 0,
		    "%s: got '%s', want '%s'", c->name, s, c->want);
		cr_expect_eq(s[len], '\0', "%s: no NUL", c->name);
		join_names(t, names, sizeof(names));
		cr_expect_str_eq(names, c->names, "%s: names", c->name);
		free(s);
		json_decref(row);
		template_free(t);
	}
}

Test(template, parse_errors)
{
	const struct error_case *c;
	struct template *t;
	char err[256];
	size_t i;

	for (i = 0; i < NELEM(error_cases); i++) {
		c = &error_cases[i];
		err[0] = '\0';
		errno = 0;
		t = template_parse(c->text, c->len, err, sizeof(err));
		cr_expect_null(t, "%s: parsed", c->name);
		cr_expect_eq(errno, EINVAL, "%s: errno %d", c->name, errno);
		cr_expect_str_eq(err, c->want, "%s", c->name);
		template_free(t);
	}
}

/* Splits "a|b|c" in place; returns the count. */
static size_t
split_cols(char *s, const char **cols, size_t max)
{
	size_t n = 0;
	char *p;

	if (*s == '\0')
		return 0;
	while ((p = strsep(&s, "|")) != NULL && n < max)
		cols[n++] = p;
	return n;
}

Test(template, check)
{
	const struct check_case *c;
	const char *cols[32];
	struct template *t;
	char err[512], buf[256];
	size_t i, n, errlen;
	int r;

	for (i = 0; i < NELEM(check_cases); i++) {
		c = &check_cases[i];
		t = template_parse(c->text, strlen(c->text), err, sizeof(err));
		cr_assert_not_null(t, "%s: %s", c->name, err);
		strlcpy(buf, c->cols, sizeof(buf));
		n = split_cols(buf, cols, NELEM(cols));
		errlen = c->errlen > 0 ? c->errlen : sizeof(err);
		memset(err, 'Z', sizeof(err));
		err[0] = '\0';
		r = template_check(t, cols, n, err, errlen);
		if (c->want == NULL) {
			cr_expect_eq(r, 0, "%s: %s", c->name, err);
		} else {
			cr_expect_eq(r, -1, "%s: passed", c->name);
			cr_expect_str_eq(err, c->want, "%s", c->name);
			cr_expect_lt(strlen(err), errlen, "%s", c->name);
		}
		template_free(t);
	}
}

Test(template, null_buffers_and_len)
{
	const char *cols[] = { "a" };
	struct template *t;
	json_t *row;
	char *s;

	cr_expect_null(template_parse(S("{{"), NULL, 0));
	t = template_parse(S("{{b}}"), NULL, 0);
	cr_assert_not_null(t);
	cr_expect_eq(template_check(t, cols, 1, NULL, 0), -1);
	row = row_json("{'b':'x'}");
	s = template_render(t, row, NULL);
	cr_expect_str_eq(s, "x");
	free(s);
	s = template_render(t, NULL, NULL);
	cr_expect_str_eq(s, "");
	free(s);
	json_decref(row);
	template_free(t);
	template_free(NULL);
}

static char *
slurp(const char *path, size_t *len)
{
	char *buf;
	FILE *f;
	long n;

	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s (run from the repo root)", path,
	    strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The demo prompt fits the demo data set and renders its first row. */
Test(template, congress_example)
{
	static const char *const cols[] = { "Member", "Party", "District",
	    "Congress", "Resignation Date", "Reason", "Source", "Category" };
	struct template *t;
	char err[256], *text, *s;
	json_t *row;
	size_t len;

	text = slurp("examples/congress/prompt.txt", &len);
	t = template_parse(text, len, err, sizeof(err));
	cr_assert_not_null(t, "prompt.txt: %s", err);
	cr_expect_eq(template_check(t, cols, NELEM(cols), err, sizeof(err)),
	    0, "prompt.txt: %s", err);
	row = row_json("{'Member':'Pat Tiberi','Party':'R',"
	    "'District':'OH-12','Congress':'115th',"
	    "'Resignation Date':'1/15/2018','Reason':'Took a job with the "
	    "Ohio Business Roundtable','Source':'New York Times',"
	    "'Category':'D'}");
	s = template_render(t, row, &len);
	cr_assert_not_null(s);
	cr_expect_not_null(strstr(s, "\nMember: Pat Tiberi\n"), "%s", s);
	cr_expect_not_null(strstr(s, "\nParty: R\n"), "%s", s);
	cr_expect_not_null(strstr(s, "\nDistrict: OH-12\n"), "%s", s);
	cr_expect_not_null(strstr(s, "\nReason: Took a job with the Ohio "
	    "Business Roundtable\n"), "%s", s);
	cr_expect_null(strstr(s, "{{"), "%s", s);
	cr_expect_null(strstr(s, "D & "), "the label leaked: %s", s);
	free(s);
	free(text);
	json_decref(row);
	template_free(t);
}

/* The data set's header row is what the example's check runs against. */
Test(template, congress_header)
{
	char *text, *nl;
	size_t len;

	text = slurp(EXAMPLES "/congress/data/"
	    "fivethirtyeight-congressional-resignations.csv", &len);
	nl = strchr(text, '\n');
	cr_assert_not_null(nl);
	*nl = '\0';
	cr_expect_str_eq(text, "Member,Party,District,Congress,"
	    "Resignation Date,Reason,Source,Category");
	free(text);
}
