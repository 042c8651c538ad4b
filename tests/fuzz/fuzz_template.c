/*
 * fuzz_template: libFuzzer harness for the prompt templates (template.c):
 * template_parse, template_names, template_check and template_render with
 * arbitrary rows.  Built by `make fuzz`; seeds in
 * tests/fuzz/corpus/template/.
 *
 * Input: byte 0 picks the size of the message buffer, bytes 1-2 the
 * template's length n (little-endian, cut to what is there); then n bytes
 * of template (NUL bytes and all) and a row as JSON.  A row that is not
 * a JSON object is replaced by one that maps each placeholder name to a
 * string of its own.
 *
 * A reference parser and renderer, written from template.h's syntax,
 * runs beside.  Checked:
 *  - parse fails exactly when the reference finds a syntax error, with
 *    its message and position ("line L, column C: ...", columns in
 *    characters);
 *  - the names are the reference's, distinct, in order of first use;
 *  - a render is the reference's, byte for byte (strings as they are,
 *    other values as compact JSON with the fewest digits that read back),
 *    the same when done twice, with its length right;
 *  - template_check passes with the template's own names, and with the
 *    row's keys as columns exactly when every name is one of them,
 *    naming the first missing name at its first use;
 *  - every message fits its buffer, is one line of valid UTF-8, and is
 *    the whole message or a prefix of it cut with "...".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/template.h"
#include "rowpool/utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define NAMES_MAX	1024
#define ERR_MAX		512

static const size_t errlens[] = { 512, 256, 64, 32, 16, 5, 4, 1 };

/* The reference's template: segments of literal text or names. */
struct ref {
	char		*lit;		/* literal bytes, back to back */
	size_t		 litlen;
	struct {
		size_t	 off, len;	/* literal: in lit */
		int	 name;		/* -1: literal */
	}		*seg;
	size_t		 nseg;
	char		*names[NAMES_MAX];
	size_t		 namelen[NAMES_MAX];
	unsigned long	 line[NAMES_MAX], col[NAMES_MAX];
	size_t		 nnames;
	char		 err[ERR_MAX];	/* the syntax error, or "" */
};

/* Line and column of byte i: columns count all but UTF-8 continuations. */
static void
position(const char *s, size_t i, unsigned long *line, unsigned long *col)
{
	size_t k;

	*line = 1;
	*col = 1;
	for (k = 0; k < i; k++) {
		if (s[k] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[k] & 0xc0) != 0x80)
			(*col)++;
	}
}

static void
ref_error(struct ref *r, const char *s, size_t at, const char *what)
{
	unsigned long line, col;

	position(s, at, &line, &col);
	snprintf(r->err, sizeof(r->err), "line %lu, column %lu: %s", line,
	    col, what);
}

static void
ref_literal(struct ref *r, const char *p, size_t n)
{
	if (r->nseg > 0 && r->seg[r->nseg - 1].name == -1)
		r->seg[r->nseg - 1].len += n;
	else {
		r->seg[r->nseg].off = r->litlen;
		r->seg[r->nseg].len = n;
		r->seg[r->nseg++].name = -1;
	}
	memcpy(r->lit + r->litlen, p, n);
	r->litlen += n;
}

static void
ref_name(struct ref *r, const char *s, size_t at, const char *p, size_t n)
{
	size_t k;

	for (k = 0; k < r->nnames; k++)
		if (r->namelen[k] == n && memcmp(r->names[k], p, n) == 0)
			break;
	if (k == r->nnames) {
		CHECK(k < NAMES_MAX);
		CHECK((r->names[k] = strndup(p, n)) != NULL);
		r->namelen[k] = n;
		position(s, at, &r->line[k], &r->col[k]);
		r->nnames++;
	}
	r->seg[r->nseg].name = (int)k;
	r->seg[r->nseg++].len = 0;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* template.h's syntax; false with r->err at a syntax error. */
static bool
ref_parse(struct ref *r, const char *s, size_t len)
{
	size_t i = 0, j, b, e;

	memset(r, 0, sizeof(*r));
	CHECK((r->lit = malloc(len + 1)) != NULL);
	CHECK((r->seg = calloc(len + 1, sizeof(*r->seg))) != NULL);
	while (i < len) {
		if (len - i >= 4 && memcmp(s + i, "{{{{", 4) == 0) {
			ref_literal(r, "{{", 2);
			i += 4;
			continue;
		}
		if (len - i < 2 || memcmp(s + i, "{{", 2) != 0 ||
		    (len - i >= 3 && s[i + 2] == '{')) {
			ref_literal(r, s + i++, 1);
			continue;
		}
		for (j = i + 2; j < len && s[j] != '}' && s[j] != '\n' &&
		    s[j] != '\0'; j++)
			;
		if (j == len || s[j] != '}') {
			ref_error(r, s, i, "unclosed '{{'");
			return false;
		}
		if (j + 1 == len || s[j + 1] != '}') {
			ref_error(r, s, j, "single '}' in a placeholder (it ends "
			    "with '}}')");
			return false;
		}
		for (b = i + 2, e = j; b < e && blank(s[b]); b++)
			;
		while (e > b && blank(s[e - 1]))
			e--;
		if (b == e) {
			ref_error(r, s, i, "empty placeholder name");
			return false;
		}
		ref_name(r, s, i, s + b, e - b);
		i = j + 2;
	}
	return true;
}

static void
ref_free(struct ref *r)
{
	size_t k;

	for (k = 0; k < r->nnames; k++)
		free(r->names[k]);
	free(r->lit);
	free(r->seg);
}

/* The fewest digits, 15 to 17, with which every real in v reads back. */
static int
digits(const json_t *v)
{
	char buf[40];
	const char *k;
	json_t *m;
	size_t i;
	int p = 15, q;

	if (json_is_real(v)) {
		for (q = 15; q < 17; q++) {
			snprintf(buf, sizeof(buf), "%.*g", q,
			    json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		return q;
	}
	json_array_foreach(v, i, m)
		if ((q = digits(m)) > p)
			p = q;
	json_object_foreach((json_t *)(uintptr_t)v, k, m)
		if ((q = digits(m)) > p)
			p = q;
	return p;
}

/* What name becomes: malloc'd, its length in *n. */
static char *
ref_value(const json_t *row, const char *name, size_t *n)
{
	json_t *v = json_object_get(row, name);
	char *s;

	if (v == NULL) {
		*n = 0;
		return strdup("");
	}
	if (json_is_string(v)) {
		*n = json_string_length(v);
		CHECK((s = malloc(*n + 1)) != NULL);
		memcpy(s, json_string_value(v), *n);
		return s;
	}
	CHECK((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(digits(v)))) != NULL);
	*n = strlen(s);
	return s;
}

static void
check_render(const struct template *t, const struct ref *r,
    const json_t *row)
{
	char *out, *again, *v;
	size_t len = 0, len2 = 0, o = 0, i, n;

	CHECK((out = template_render(t, row, &len)) != NULL);
	CHECK(out[len] == '\0');
	for (i = 0; i < r->nseg; i++) {
		if (r->seg[i].name == -1) {
			CHECK(o + r->seg[i].len <= len);
			CHECK(memcmp(out + o, r->lit + r->seg[i].off,
			    r->seg[i].len) == 0);
			o += r->seg[i].len;
			continue;
		}
		v = ref_value(row, r->names[r->seg[i].name], &n);
		CHECK(o + n <= len && memcmp(out + o, v, n) == 0);
		o += n;
		free(v);
	}
	CHECK(o == len);
	CHECK((again = template_render(t, row, &len2)) != NULL);
	CHECK(len2 == len && memcmp(again, out, len) == 0);
	free(again);
	free(out);
}

/* A message: fits, one line of valid UTF-8, want or want cut with "...". */
static void
check_message(const char *err, size_t errlen, const char *want)
{
	char clean[ERR_MAX];
	size_t n = strlen(err);
	json_t *j;

	if (errlen == 0)
		return;
	CHECK(n < errlen);
	CHECK((j = json_string(err)) != NULL);
	json_decref(j);
	CHECK(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL);
	if (want == NULL)
		return;
	strlcpy(clean, want, sizeof(clean));
	utf8_clean(clean);
	if (strlen(clean) < errlen) {
		CHECK(strcmp(err, clean) == 0);
		return;
	}
	/* Cut: a prefix, then "..."; a character the cut split (up to
	 * three bytes before it) is '?'s. */
	CHECK(n == errlen - 1);
	if (errlen > 4) {
		CHECK(strcmp(err + n - 3, "...") == 0);
		CHECK(n < 6 || strncmp(err, clean, n - 6) == 0);
	}
}

/* Checks with the row's keys as the CSV columns, and with the names. */
static void
check_columns(const struct template *t, const struct ref *r,
    const json_t *row, size_t errlen)
{
	const char *cols[NAMES_MAX], *key;
	char err[ERR_MAX], head[96];
	size_t n = 0, k, c;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)row, key, v)
		if (n < NAMES_MAX)
			cols[n++] = key;
	for (k = 0; k < r->nnames; k++) {
		for (c = 0; c < n; c++)
			if (strlen(cols[c]) == r->namelen[k] &&
			    memcmp(cols[c], r->names[k], r->namelen[k]) == 0)
				break;
		if (c == n)
			break;
	}
	memset(err, 'x', sizeof(err));
	if (k == r->nnames) {
		CHECK(template_check(t, cols, n, err, errlen) == 0);
	} else {
		CHECK(template_check(t, cols, n, err, errlen) == -1);
		check_message(err, errlen, NULL);
		snprintf(head, sizeof(head), "line %lu, column %lu: {{",
		    r->line[k], r->col[k]);
		CHECK(errlen <= 4 + strlen(head) ||
		    strncmp(err, head, strlen(head)) == 0);
	}
	CHECK(template_check(t, (const char *const *)r->names, r->nnames,
	    err, errlen) == 0);
}

/* A row for a template whose input gave none: each name, its own value. */
static json_t *
made_row(const struct ref *r)
{
	json_t *row = json_object();
	char v[32];
	size_t k;

	for (k = 0; k < r->nnames; k++) {
		snprintf(v, sizeof(v), "<%zu>", k);
		json_object_setn_new_nocheck(row, r->names[k], r->namelen[k],
		    json_string(v));
	}
	return row;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *names;
	struct template *t;
	struct ref r;
	char err[ERR_MAX], *text;
	size_t errlen, tlen, n, k;
	json_t *row;
	bool ok;

	if (size < 3)
		return 0;
	errlen = errlens[data[0] % (sizeof(errlens) / sizeof(errlens[0]))];
	tlen = (size_t)data[1] | (size_t)data[2] << 8;
	data += 3;
	size -= 3;
	if (tlen > size)
		tlen = size;
	/* An exact copy: ASan sees any read past the template's end. */
	CHECK((text = malloc(tlen > 0 ? tlen : 1)) != NULL);
	memcpy(text, data, tlen);
	ok = ref_parse(&r, text, tlen);
	memset(err, 'x', sizeof(err));
	t = template_parse(text, tlen, err, errlen);
	CHECK((t != NULL) == ok);
	if (t == NULL) {
		check_message(err, errlen, r.err);
		goto out;
	}
	n = template_names(t, &names);
	CHECK(n == r.nnames);
	for (k = 0; k < n; k++)
		CHECK(strlen(names[k]) == r.namelen[k] &&
		    memcmp(names[k], r.names[k], r.namelen[k]) == 0);
	row = json_loadb((const char *)data + tlen, size - tlen,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!json_is_object(row)) {
		check_render(t, &r, row);	/* a row that is not an object */
		json_decref(row);
		row = made_row(&r);
	}
	check_render(t, &r, row);
	check_columns(t, &r, row, errlen);
	json_decref(row);
	template_free(t);
out:
	ref_free(&r);
	free(text);
	return 0;
}
