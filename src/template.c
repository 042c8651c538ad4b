/*
 * template: prompt templates with {{column}} placeholders (see template.h).
 *
 * The text is split once, at parse time, into segments: literal runs
 * (escapes already undone, kept back to back in one buffer) and
 * placeholders (an index into the table of distinct names).  Rendering
 * then only looks each name up once in the row and copies bytes: the
 * invariant is that a parsed template never needs its source text again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "rowpool/buf.h"
#include "rowpool/msgbuf.h"
#include "rowpool/template.h"
#include "rowpool/utf8.h"

/* Columns listed in a "names no column" message before "and N more". */
#define TMPL_HAVE_MAX	12

enum seg_kind {
	SEG_TEXT,
	SEG_NAME
};

struct seg {
	enum seg_kind	 kind;
	size_t		 off;		/* SEG_TEXT: bytes in t->lit */
	size_t		 len;
	size_t		 name;		/* SEG_NAME: index in t->names */
};

struct name_pos {
	unsigned long	 line;		/* of the name's first use */
	unsigned long	 col;
};

struct template {
	char		*lit;		/* literal bytes, back to back */
	size_t		 litlen;
	struct seg	*segs;
	size_t		 nsegs;
	size_t		 segcap;
	char		**names;	/* distinct, in order of first use */
	struct name_pos	*pos;
	size_t		 nnames;
	size_t		 namecap;
	size_t		 poscap;
};

/* Where the parser is: byte offset, and the line and column there. */
struct cursor {
	const char	*s;
	size_t		 len;
	size_t		 i;
	unsigned long	 line;
	unsigned long	 col;
};

/* A value to insert while rendering. */
struct piece {
	const char	*p;
	size_t		 n;
	char		*own;		/* json_dumps text, or NULL */
};

static void	tmpl_err(char *, size_t, const struct cursor *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
tmpl_err(char *err, size_t errlen, const struct cursor *c, const char *fmt,
    ...)
{
	struct msgbuf b;
	va_list ap;

	msgbuf_init(&b, err, errlen);
	msgbuf_add(&b, "line %lu, column %lu: ", c->line, c->col);
	va_start(ap, fmt);
	msgbuf_vadd(&b, fmt, ap);
	va_end(ap);
	msgbuf_finish(&b);
}

/* Columns count characters: UTF-8 continuation bytes do not move them. */
static void
cur_skip(struct cursor *c, size_t n)
{
	unsigned char b;

	for (; n > 0 && c->i < c->len; n--) {
		b = (unsigned char)c->s[c->i++];
		if (b == '\n') {
			c->line++;
			c->col = 1;
		} else if (!utf8_is_cont(b))
			c->col++;
	}
}

static bool
cur_at(const struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->len - c->i >= n && memcmp(c->s + c->i, lit, n) == 0;
}

/* Appends literal bytes, growing the last segment when it is literal. */
static int
tmpl_text(struct template *t, const char *p, size_t n)
{
	struct seg *last;

	memcpy(t->lit + t->litlen, p, n);
	last = t->nsegs > 0 ? &t->segs[t->nsegs - 1] : NULL;
	if (last != NULL && last->kind == SEG_TEXT) {
		last->len += n;
	} else {
		if (buf_grow_array((void **)&t->segs, &t->segcap, t->nsegs + 1,
		    sizeof(*t->segs)) == -1)
			return -1;
		t->segs[t->nsegs++] = (struct seg){ .kind = SEG_TEXT,
		    .off = t->litlen, .len = n };
	}
	t->litlen += n;
	return 0;
}

static ssize_t
tmpl_find(const struct template *t, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < t->nnames; i++)
		if (strlen(t->names[i]) == n &&
		    memcmp(t->names[i], name, n) == 0)
			return (ssize_t)i;
	return -1;
}

/* Returns the index of name in the table, adding it at its first use. */
static ssize_t
tmpl_intern(struct template *t, const char *name, size_t n,
    const struct cursor *at)
{
	ssize_t k;

	if ((k = tmpl_find(t, name, n)) >= 0)
		return k;
	if (buf_grow_array((void **)&t->names, &t->namecap, t->nnames + 1,
	    sizeof(*t->names)) == -1 ||
	    buf_grow_array((void **)&t->pos, &t->poscap, t->nnames + 1,
	    sizeof(*t->pos)) == -1)
		return -1;
	if ((t->names[t->nnames] = strndup(name, n)) == NULL)
		return -1;
	t->pos[t->nnames] = (struct name_pos){ at->line, at->col };
	return (ssize_t)t->nnames++;
}

static int
tmpl_placeholder(struct template *t, const char *name, size_t n,
    const struct cursor *at)
{
	ssize_t k;

	if ((k = tmpl_intern(t, name, n, at)) == -1)
		return -1;
	if (buf_grow_array((void **)&t->segs, &t->segcap, t->nsegs + 1,
	    sizeof(*t->segs)) == -1)
		return -1;
	t->segs[t->nsegs++] = (struct seg){ .kind = SEG_NAME,
	    .name = (size_t)k };
	return 0;
}

static bool
tmpl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses the placeholder whose "{{" is at the cursor and moves past its
 * "}}".  Returns 0, 1 for a syntax error (message in err), -1 (ENOMEM).
 */
static int
tmpl_parse_name(struct template *t, struct cursor *c, char *err,
    size_t errlen)
{
	struct cursor at = *c;
	size_t s = c->i + 2, e, j;

	for (j = s; j < c->len; j++)
		if (c->s[j] == '}' || c->s[j] == '\n' || c->s[j] == '\0')
			break;
	if (j == c->len || c->s[j] != '}') {
		tmpl_err(err, errlen, &at, "unclosed '{{'");
		return 1;
	}
	if (j + 1 == c->len || c->s[j + 1] != '}') {
		cur_skip(c, j - c->i);
		tmpl_err(err, errlen, c, "single '}' in a placeholder "
		    "(it ends with '}}')");
		return 1;
	}
	for (e = j; e > s && tmpl_is_blank(c->s[e - 1]); e--)
		;
	while (s < e && tmpl_is_blank(c->s[s]))
		s++;
	if (s == e) {
		tmpl_err(err, errlen, &at, "empty placeholder name");
		return 1;
	}
	cur_skip(c, j + 2 - c->i);
	return tmpl_placeholder(t, c->s + s, e - s, &at);
}

/*
 * One step of the parse.  "{{{{" is a literal "{{"; in "{{{x}}" the first
 * '{' is literal, so that "{{{x}}}" gives the value in braces.
 */
static int
tmpl_step(struct template *t, struct cursor *c, char *err, size_t errlen)
{
	int r;

	if (cur_at(c, "{{{{")) {
		r = tmpl_text(t, "{{", 2);
		cur_skip(c, 4);
	} else if (cur_at(c, "{{{") || !cur_at(c, "{{")) {
		r = tmpl_text(t, c->s + c->i, 1);
		cur_skip(c, 1);
	} else
		r = tmpl_parse_name(t, c, err, errlen);
	return r;
}

struct template *
template_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct cursor c = { .s = text, .len = len, .line = 1, .col = 1 };
	struct template *t;
	int r = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->lit = malloc(len + 1)) == NULL)
		goto nomem;
	while (c.i < c.len && r == 0)
		r = tmpl_step(t, &c, err, errlen);
	if (r == 0)
		return t;
	if (r == 1) {
		template_free(t);
		errno = EINVAL;
		return NULL;
	}
nomem:
	template_free(t);
	if (err != NULL && errlen > 0)
		strlcpy(err, "out of memory", errlen);
	errno = ENOMEM;
	return NULL;
}

static bool
tmpl_has_column(const char *name, const char *const *cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, cols[i]) == 0)
			return true;
	return false;
}

/* " (have: a, b, c, and 9 more)", cut at a whole name to fit in b. */
static void
tmpl_have(struct msgbuf *b, const char *const *cols, size_t n)
{
	/* Room kept for ", and 18446744073709551615 more)". */
	const size_t tail = 34;
	size_t i;

	if (n == 0) {
		msgbuf_add(b, " (no columns)");
		return;
	}
	msgbuf_add(b, " (have: ");
	for (i = 0; i < n && i < TMPL_HAVE_MAX; i++) {
		if (strlen(cols[i]) + 2 + tail > msgbuf_room(b))
			break;
		msgbuf_add(b, "%s%s", i > 0 ? ", " : "", cols[i]);
	}
	if (i < n)
		msgbuf_add(b, "%sand %zu more", i > 0 ? ", " : "", n - i);
	msgbuf_add(b, ")");
}

int
template_check(const struct template *t, const char *const *names,
    size_t n, char *err, size_t errlen)
{
	struct msgbuf b;
	size_t k;

	for (k = 0; k < t->nnames; k++)
		if (!tmpl_has_column(t->names[k], names, n))
			break;
	if (k == t->nnames)
		return 0;
	msgbuf_init(&b, err, errlen);
	msgbuf_add(&b, "line %lu, column %lu: {{%s}} names no column",
	    t->pos[k].line, t->pos[k].col, t->names[k]);
	tmpl_have(&b, names, n);
	msgbuf_finish(&b);
	return -1;
}

/*
 * The JSON text of v's reals needs at most 17 significant digits, and
 * usually 15 are enough: use the fewest that read back as the same
 * double everywhere in v, so that 0.1 is "0.1", not "0.10000000000000001".
 */
static int
tmpl_real_digits(const json_t *v)
{
	char buf[32];
	double d;
	int p;

	d = json_real_value(v);
	for (p = 15; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return p;
}

static int
tmpl_digits(json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;
	int p = 15, q;

	if (json_is_real(v))
		return tmpl_real_digits(v);
	if (json_is_array(v))
		json_array_foreach(v, i, m)
			if ((q = tmpl_digits(m)) > p)
				p = q;
	if (json_is_object(v))
		json_object_foreach(v, key, m)
			if ((q = tmpl_digits(m)) > p)
				p = q;
	return p;
}

/* Fills in a row's value for one name.  Returns 0, or -1 (ENOMEM). */
static int
tmpl_value(struct piece *pc, const json_t *row, const char *name)
{
	json_t *v;

	*pc = (struct piece){ .p = "", .n = 0 };
	if ((v = json_object_get(row, name)) == NULL)
		return 0;
	if (json_is_string(v)) {
		pc->p = json_string_value(v);
		pc->n = json_string_length(v);
		return 0;
	}
	pc->own = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(tmpl_digits(v)));
	if (pc->own == NULL) {
		errno = ENOMEM;
		return -1;
	}
	pc->p = pc->own;
	pc->n = strlen(pc->own);
	return 0;
}

static char *
tmpl_join(const struct template *t, const struct piece *pcs, size_t *len)
{
	const struct seg *sg;
	size_t i, n = 0;
	char *s;

	for (i = 0; i < t->nsegs; i++) {
		sg = &t->segs[i];
		n += sg->kind == SEG_TEXT ? sg->len : pcs[sg->name].n;
	}
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	for (n = 0, i = 0; i < t->nsegs; i++) {
		sg = &t->segs[i];
		if (sg->kind == SEG_TEXT) {
			memcpy(s + n, t->lit + sg->off, sg->len);
			n += sg->len;
		} else {
			memcpy(s + n, pcs[sg->name].p, pcs[sg->name].n);
			n += pcs[sg->name].n;
		}
	}
	s[n] = '\0';
	if (len != NULL)
		*len = n;
	return s;
}

char *
template_render(const struct template *t, const json_t *row, size_t *len)
{
	struct piece *pcs;
	char *s = NULL;
	size_t k;

	if ((pcs = calloc(t->nnames + 1, sizeof(*pcs))) == NULL)
		return NULL;
	for (k = 0; k < t->nnames; k++)
		if (tmpl_value(&pcs[k], row, t->names[k]) == -1)
			goto done;
	s = tmpl_join(t, pcs, len);
done:
	for (k = 0; k < t->nnames; k++)
		free(pcs[k].own);
	free(pcs);
	return s;
}

size_t
template_names(const struct template *t, const char *const **names)
{
	*names = (const char *const *)t->names;
	return t->nnames;
}

void
template_free(struct template *t)
{
	size_t k;

	if (t == NULL)
		return;
	for (k = 0; k < t->nnames; k++)
		free(t->names[k]);
	free(t->names);
	free(t->pos);
	free(t->segs);
	free(t->lit);
	free(t);
}
