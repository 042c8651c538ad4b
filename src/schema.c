/*
 * schema: the local check of a model's answer against the user's JSON
 * Schema (see schema.h).  Two walks over a schema share one context:
 * schema_validate_schema() checks the schema's own shape once, before any
 * request, and schema_check() runs per answer.  Invariant: the path in the
 * context always names the node being looked at (every push is undone
 * on the way back, failure or not), so the first failure can say where.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rowpool/msgbuf.h"
#include "rowpool/schema.h"

#define SCHEMA_PATH_MAX		256
#define SCHEMA_MSG_MAX		512
#define SCHEMA_VALUE_MAX	64	/* bytes of a value quoted */
#define SCHEMA_ENUM_MAX		160	/* bytes of an enum quoted */

enum stype {
	T_OBJECT,
	T_ARRAY,
	T_STRING,
	T_NUMBER,
	T_INTEGER,
	T_BOOLEAN,
	T_NULL,
	T_NTYPES
};

static const char *const type_names[T_NTYPES] = {
	[T_OBJECT] = "object",
	[T_ARRAY] = "array",
	[T_STRING] = "string",
	[T_NUMBER] = "number",
	[T_INTEGER] = "integer",
	[T_BOOLEAN] = "boolean",
	[T_NULL] = "null"
};

/*
 * Paths: "properties.age.type" in a schema, "$.items[2].name" (JSONPath)
 * in a value.  A path too long for the buffer ends in "...".
 */
struct spath {
	char	 buf[SCHEMA_PATH_MAX];
	size_t	 len;
	bool	 jsonpath;
};

struct sctx {
	struct spath	 path;
	char		 msg[SCHEMA_MSG_MAX];	/* the first failure */
	size_t		 depth;			/* path.len at it */
};

typedef int	(*keyword_fn)(struct sctx *, json_t *);

static int	sc_fail(struct sctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	sv_schema(struct sctx *, const json_t *);
static int	sc_value(struct sctx *, const json_t *, const json_t *);

static void
sp_putc(struct spath *p, char ch)
{
	if (p->len + 1 >= sizeof(p->buf)) {
		memcpy(p->buf + sizeof(p->buf) - 4, "...", 4);
		p->len = sizeof(p->buf) - 1;
		return;
	}
	p->buf[p->len++] = ch;
	p->buf[p->len] = '\0';
}

static void
sp_puts(struct spath *p, const char *s)
{
	while (*s != '\0')
		sp_putc(p, *s++);
}

static bool
sp_is_word(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_' || (!first && ch >= '0' && ch <= '9');
}

static bool
sp_is_ident(const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0'; i++)
		if (!sp_is_word(key[i], i == 0))
			return false;
	return i > 0;
}

/* JSONPath's ['key'] for a key that is not an identifier. */
static void
sp_quoted(struct spath *p, const char *key)
{
	sp_puts(p, "['");
	for (; *key != '\0'; key++) {
		if (*key == '\'' || *key == '\\')
			sp_putc(p, '\\');
		sp_putc(p, *key);
	}
	sp_puts(p, "']");
}

/* Pushes a key; returns the mark to pop back to. */
static size_t
sp_key(struct spath *p, const char *key)
{
	size_t mark = p->len;

	if (!p->jsonpath) {
		if (p->len > 0)
			sp_putc(p, '.');
		sp_puts(p, key);
	} else if (sp_is_ident(key)) {
		sp_putc(p, '.');
		sp_puts(p, key);
	} else
		sp_quoted(p, key);
	return mark;
}

static size_t
sp_index(struct spath *p, size_t i)
{
	size_t mark = p->len;
	char num[32];

	snprintf(num, sizeof(num), "[%zu]", i);
	sp_puts(p, num);
	return mark;
}

static void
sp_pop(struct spath *p, size_t mark)
{
	p->len = mark;
	p->buf[mark] = '\0';
}

/* Records the failure "PATH: problem" (just the problem at the root). */
static int
sc_fail(struct sctx *c, const char *fmt, ...)
{
	struct msgbuf b;
	va_list ap;

	msgbuf_init(&b, c->msg, sizeof(c->msg));
	if (c->path.len > 0)
		msgbuf_add(&b, "%s: ", c->path.buf);
	va_start(ap, fmt);
	msgbuf_vadd(&b, fmt, ap);
	va_end(ap);
	msgbuf_finish(&b);
	c->depth = c->path.len;
	return -1;
}

static int
sc_result(const struct sctx *c, int r, char *err, size_t errlen)
{
	struct msgbuf b;

	if (r == 0)
		return 0;
	msgbuf_init(&b, err, errlen);
	msgbuf_add(&b, "%s", c->msg);
	msgbuf_finish(&b);
	return -1;
}

/* What a value is, in the words of the type keyword. */
static const char *
json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* Type names are taken in any case: Gemini's responseSchema says STRING. */
static int
type_index(const char *name)
{
	int k;

	for (k = 0; k < T_NTYPES; k++)
		if (strcasecmp(name, type_names[k]) == 0)
			return k;
	return -1;
}

/* "integer" is a JSON integer only: 3.0 is a number, not an integer. */
static bool
type_matches(const json_t *name, const json_t *v)
{
	if (!json_is_string(name))
		return false;
	switch (type_index(json_string_value(name))) {
	case T_OBJECT:
		return json_is_object(v);
	case T_ARRAY:
		return json_is_array(v);
	case T_STRING:
		return json_is_string(v);
	case T_NUMBER:
		return json_is_number(v);
	case T_INTEGER:
		return json_is_integer(v);
	case T_BOOLEAN:
		return json_is_boolean(v);
	case T_NULL:
		return json_is_null(v);
	default:
		return false;
	}
}

/* Runs fn on the value of keyword kw of schema s, if s has it. */
static int
sv_keyword(struct sctx *c, const json_t *s, const char *kw, keyword_fn fn)
{
	json_t *v;
	size_t mark;
	int r;

	if ((v = json_object_get(s, kw)) == NULL)
		return 0;
	mark = sp_key(&c->path, kw);
	r = fn(c, v);
	sp_pop(&c->path, mark);
	return r;
}

/* Runs fn on each element of the array a. */
static int
sv_each(struct sctx *c, const json_t *a, keyword_fn fn)
{
	json_t *v;
	size_t i, mark;
	int r;

	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		mark = sp_index(&c->path, i);
		r = fn(c, v);
		sp_pop(&c->path, mark);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
sv_type_name(struct sctx *c, json_t *v)
{
	if (!json_is_string(v))
		return sc_fail(c, "expected a type name, got %s",
		    json_kind(v));
	if (type_index(json_string_value(v)) == -1)
		return sc_fail(c, "'%s' is not a JSON Schema type",
		    json_string_value(v));
	return 0;
}

static int
sv_type(struct sctx *c, json_t *t)
{
	if (json_is_string(t))
		return sv_type_name(c, t);
	if (!json_is_array(t))
		return sc_fail(c, "expected a type name or a list of them, "
		    "got %s", json_kind(t));
	if (json_array_size(t) == 0)
		return sc_fail(c, "an empty list of types allows no value");
	return sv_each(c, t, sv_type_name);
}

static int
sv_property_name(struct sctx *c, json_t *v)
{
	if (!json_is_string(v))
		return sc_fail(c, "expected a property name, got %s",
		    json_kind(v));
	return 0;
}

static int
sv_required(struct sctx *c, json_t *r)
{
	if (!json_is_array(r))
		return sc_fail(c, "expected a list of property names, got %s",
		    json_kind(r));
	return sv_each(c, r, sv_property_name);
}

static int
sv_properties(struct sctx *c, json_t *p)
{
	const char *key;
	json_t *v;
	size_t mark;
	int r;

	if (!json_is_object(p))
		return sc_fail(c, "expected an object of schemas, got %s",
		    json_kind(p));
	json_object_foreach(p, key, v) {
		mark = sp_key(&c->path, key);
		r = sv_schema(c, v);
		sp_pop(&c->path, mark);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
sv_items(struct sctx *c, json_t *i)
{
	if (json_is_array(i))
		return sc_fail(c, "a list of schemas (tuple validation) is "
		    "not supported");
	return sv_schema(c, i);
}

static int
sv_enum(struct sctx *c, json_t *e)
{
	if (!json_is_array(e))
		return sc_fail(c, "expected a list of values, got %s",
		    json_kind(e));
	if (json_array_size(e) == 0)
		return sc_fail(c, "an empty list allows no value");
	return 0;
}

static int
sv_nullable(struct sctx *c, json_t *n)
{
	if (!json_is_boolean(n))
		return sc_fail(c, "expected true or false, got %s",
		    json_kind(n));
	return 0;
}

static int
sv_branch(struct sctx *c, json_t *s)
{
	return sv_schema(c, s);
}

/* anyOf, oneOf. */
static int
sv_branches(struct sctx *c, json_t *l)
{
	if (!json_is_array(l))
		return sc_fail(c, "expected a list of schemas, got %s",
		    json_kind(l));
	if (json_array_size(l) == 0)
		return sc_fail(c, "an empty list of schemas allows no value");
	return sv_each(c, l, sv_branch);
}

static const struct {
	const char	*kw;
	keyword_fn	 fn;
} sv_keywords[] = {
	{ "type", sv_type },
	{ "nullable", sv_nullable },
	{ "enum", sv_enum },
	{ "required", sv_required },
	{ "properties", sv_properties },
	{ "items", sv_items },
	{ "anyOf", sv_branches },
	{ "oneOf", sv_branches },
};

/* true and false are schemas too: everything, nothing. */
static int
sv_schema(struct sctx *c, const json_t *s)
{
	size_t i;

	if (json_is_boolean(s))
		return 0;
	if (!json_is_object(s))
		return sc_fail(c, "expected a schema (an object), got %s",
		    json_kind(s));
	for (i = 0; i < sizeof(sv_keywords) / sizeof(sv_keywords[0]); i++)
		if (sv_keyword(c, s, sv_keywords[i].kw, sv_keywords[i].fn))
			return -1;
	return 0;
}

int
schema_validate_schema(const json_t *schema, char *err, size_t errlen)
{
	struct sctx c = { .path = { .jsonpath = false } };

	return sc_result(&c, sv_schema(&c, schema), err, errlen);
}

/* "string", "string or null", "string, number or null". */
static void
sc_expected(char *buf, size_t len, const json_t *t)
{
	const json_t *n;
	struct msgbuf b;
	size_t i, cnt;
	int k;

	msgbuf_init(&b, buf, len);
	cnt = json_is_array(t) ? json_array_size(t) : 1;
	for (i = 0; i < cnt; i++) {
		n = json_is_array(t) ? json_array_get(t, i) : t;
		if (i > 0)
			msgbuf_add(&b, i + 1 == cnt ? " or " : ", ");
		k = json_is_string(n) ? type_index(json_string_value(n)) : -1;
		msgbuf_add(&b, "%s", k >= 0 ? type_names[k] :
		    json_is_string(n) ? json_string_value(n) : "?");
	}
	msgbuf_finish(&b);
}

static int
sc_type(struct sctx *c, const json_t *s, const json_t *v)
{
	const json_t *t;
	char want[128];
	size_t i;

	t = json_object_get(s, "type");
	if (json_is_string(t) && type_matches(t, v))
		return 0;
	if (json_is_array(t))
		for (i = 0; i < json_array_size(t); i++)
			if (type_matches(json_array_get(t, i), v))
				return 0;
	if (!json_is_string(t) && !json_is_array(t))
		return 0;
	sc_expected(want, sizeof(want), t);
	return sc_fail(c, "expected %s, got %s", want, json_kind(v));
}

/* Compact JSON text of v, cut to len bytes ("..." at the cut). */
static void
sc_quote(char *buf, size_t len, const json_t *v)
{
	struct msgbuf b;
	char *s;

	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	msgbuf_init(&b, buf, len);
	msgbuf_add(&b, "%s", s != NULL ? s : "the value");
	msgbuf_finish(&b);
	free(s);
}

/* Equality is jansson's: 1 and 1.0 differ. */
static int
sc_enum(struct sctx *c, const json_t *s, const json_t *v)
{
	char val[SCHEMA_VALUE_MAX], all[SCHEMA_ENUM_MAX];
	const json_t *e;
	size_t i;

	e = json_object_get(s, "enum");
	if (!json_is_array(e))
		return 0;
	for (i = 0; i < json_array_size(e); i++)
		if (json_equal(json_array_get(e, i), v))
			return 0;
	sc_quote(val, sizeof(val), v);
	sc_quote(all, sizeof(all), e);
	return sc_fail(c, "%s is not one of %s", val, all);
}

static int
sc_required(struct sctx *c, const json_t *s, const json_t *v)
{
	const json_t *req, *n;
	size_t i;

	req = json_object_get(s, "required");
	for (i = 0; i < json_array_size(req); i++) {
		n = json_array_get(req, i);
		if (json_is_string(n) &&
		    json_object_get(v, json_string_value(n)) == NULL)
			return sc_fail(c, "missing required property '%s'",
			    json_string_value(n));
	}
	return 0;
}

static int
sc_properties(struct sctx *c, const json_t *s, const json_t *v)
{
	const char *key;
	json_t *props, *ps, *m;
	size_t mark;
	int r;

	props = json_object_get(s, "properties");
	if (!json_is_object(props))
		return 0;
	json_object_foreach(props, key, ps) {
		if ((m = json_object_get(v, key)) == NULL)
			continue;
		mark = sp_key(&c->path, key);
		r = sc_value(c, ps, m);
		sp_pop(&c->path, mark);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
sc_items(struct sctx *c, const json_t *s, const json_t *v)
{
	const json_t *items;
	size_t i, mark;
	int r;

	items = json_object_get(s, "items");
	if (!json_is_object(items) && !json_is_boolean(items))
		return 0;
	for (i = 0; i < json_array_size(v); i++) {
		mark = sp_index(&c->path, i);
		r = sc_value(c, items, json_array_get(v, i));
		sp_pop(&c->path, mark);
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * anyOf and oneOf alike: the value must pass one branch (oneOf's "exactly
 * one" is not checked).  When none passes, the failure that went deepest
 * into the value is the telling one; when none went below this node,
 * say so with the first branch's reason.
 */
static int
sc_branches(struct sctx *c, const json_t *s, const json_t *v,
    const char *kw)
{
	char best[SCHEMA_MSG_MAX], first[SCHEMA_MSG_MAX];
	const json_t *l;
	size_t i, depth = 0, here = c->path.len;

	l = json_object_get(s, kw);
	if (!json_is_array(l) || json_array_size(l) == 0)
		return 0;
	for (i = 0; i < json_array_size(l); i++) {
		if (sc_value(c, json_array_get(l, i), v) == 0)
			return 0;
		if (i == 0)
			strlcpy(first, c->msg + here + 2, sizeof(first));
		if (i == 0 || c->depth > depth) {
			strlcpy(best, c->msg, sizeof(best));
			depth = c->depth;
		}
	}
	if (depth > here) {
		strlcpy(c->msg, best, sizeof(c->msg));
		c->depth = depth;
		return -1;
	}
	return sc_fail(c, "matches none of the %s schemas (first: %s)", kw,
	    first);
}

static int
sc_value(struct sctx *c, const json_t *s, const json_t *v)
{
	if (json_is_false(s))
		return sc_fail(c, "no value is allowed here");
	if (!json_is_object(s))
		return 0;
	if (json_is_true(json_object_get(s, "nullable")) && json_is_null(v))
		return 0;
	if (sc_type(c, s, v) != 0 || sc_enum(c, s, v) != 0)
		return -1;
	if (json_is_object(v) && (sc_required(c, s, v) != 0 ||
	    sc_properties(c, s, v) != 0))
		return -1;
	if (json_is_array(v) && sc_items(c, s, v) != 0)
		return -1;
	if (sc_branches(c, s, v, "anyOf") != 0 ||
	    sc_branches(c, s, v, "oneOf") != 0)
		return -1;
	return 0;
}

int
schema_check(const json_t *schema, const json_t *value, char *err,
    size_t errlen)
{
	struct sctx c = { .path = { .jsonpath = true } };

	sp_puts(&c.path, "$");
	return sc_result(&c, sc_value(&c, schema, value), err, errlen);
}
