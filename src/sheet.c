/*
 * sheet: the columns of a CSV export and the cells of its rows.  The
 * columns depend only on the input's columns and the run's settings,
 * never on the rows, so the header can be written first and memory does
 * not grow with the rows.  Invariant: header names are unique.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rowpool/csvw.h"
#include "rowpool/sheet.h"

void
sheet_init(struct sheet *sh)
{
	memset(sh, 0, sizeof(*sh));
}

static bool
taken(const struct sheet *sh, const char *name)
{
	size_t i;

	for (i = 0; i < sh->n; i++)
		if (strcmp(sh->cols[i].name, name) == 0)
			return true;
	return false;
}

/* prefix + name, in a new string; NULL with ENOMEM. */
static char *
join(const char *prefix, const char *name)
{
	size_t a = strlen(prefix), b = strlen(name);
	char *s;

	if ((s = malloc(a + b + 1)) == NULL)
		return NULL;
	memcpy(s, prefix, a);
	memcpy(s + a, name, b + 1);
	return s;
}

/* name, or prefix + name, prefix + prefix + name... until not taken. */
static char *
unique(const struct sheet *sh, const char *prefix, const char *name,
    bool must_prefix)
{
	char *s, *t;

	if ((s = must_prefix ? join(prefix, name) : strdup(name)) == NULL)
		return NULL;
	while (taken(sh, s)) {
		t = join(prefix, s);
		free(s);
		if ((s = t) == NULL)
			return NULL;
	}
	return s;
}

static void
col_release(struct sheet_col *c)
{
	size_t i;

	for (i = 0; i < c->depth; i++)
		free(c->path[i]);
	free(c->path);
	free(c->name);
}

/* Adds a column; takes name (freed on failure); copies path. */
static int
add_col(struct sheet *sh, char *name, enum sheet_src src,
    const char *const *path, size_t depth)
{
	struct sheet_col c = { .name = name, .src = src }, *nv;
	size_t ncap;

	if (name == NULL ||
	    (depth > 0 && (c.path = calloc(depth, sizeof(*c.path))) == NULL))
		goto fail;
	for (c.depth = 0; c.depth < depth; c.depth++)
		if ((c.path[c.depth] = strdup(path[c.depth])) == NULL)
			goto fail;
	if (sh->n == sh->cap) {
		ncap = sh->cap == 0 ? 16 : 2 * sh->cap;
		if ((nv = reallocarray(sh->cols, ncap, sizeof(*nv))) == NULL)
			goto fail;
		sh->cols = nv;
		sh->cap = ncap;
	}
	sh->cols[sh->n++] = c;
	return 0;
fail:
	col_release(&c);
	errno = ENOMEM;
	return -1;
}

static bool
reserved(const char *name)
{
	return strcmp(name, "status") == 0 ||
	    strcmp(name, "error_kind") == 0 ||
	    strcmp(name, "error_message") == 0;
}

int
sheet_add_input(struct sheet *sh, const char *key)
{
	return add_col(sh, unique(sh, "input.", key, reserved(key)),
	    SHEET_INPUT, &key, 1);
}

int
sheet_add_input_all(struct sheet *sh)
{
	return add_col(sh, unique(sh, "input.", "input", false),
	    SHEET_INPUT_ALL, NULL, 0);
}

/* The column name of a data path: its keys joined with dots. */
static char *
dotted(const char *const *path, size_t depth, const char *dflt)
{
	size_t i, k, len = 1, at = 0;
	char *name;

	if (depth == 0)
		return strdup(dflt);
	for (i = 0; i < depth; i++)
		len += strlen(path[i]) + 1;
	if ((name = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < depth; i++) {
		k = strlen(path[i]);
		memcpy(name + at, path[i], k);
		at += k;
		name[at++] = '.';
	}
	name[at - 1] = '\0';
	return name;
}

/* A data column at path (depth 0: all of data, called dflt). */
static int
add_data(struct sheet *sh, const char *const *path, size_t depth,
    const char *dflt)
{
	char *name, *u;

	if ((name = dotted(path, depth, dflt)) == NULL)
		return -1;
	u = unique(sh, "data.", name, false);
	free(name);
	return add_col(sh, u, SHEET_DATA, path, depth);
}

/* "type" absent, "object", or a list of "object" and "null". */
static bool
type_is_object(const json_t *t)
{
	const json_t *v;
	bool obj = false;
	size_t i;

	if (t == NULL)
		return true;
	if (json_is_string(t))
		return strcasecmp(json_string_value(t), "object") == 0;
	json_array_foreach(t, i, v) {
		if (!json_is_string(v))
			return false;
		if (strcasecmp(json_string_value(v), "object") == 0)
			obj = true;
		else if (strcasecmp(json_string_value(v), "null") != 0)
			return false;
	}
	return obj;
}

/* An object schema whose properties become columns of their own. */
static bool
flattens(const json_t *s)
{
	const json_t *p = json_object_get(s, "properties");

	return json_is_object(p) && json_object_size(p) > 0 &&
	    type_is_object(json_object_get(s, "type")) &&
	    json_object_get(s, "anyOf") == NULL &&
	    json_object_get(s, "oneOf") == NULL;
}

static bool
listed(const char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The property names of s, "propertyOrdering" first, then by name. */
static const char **
prop_order(const json_t *s, size_t *n)
{
	json_t *props = json_object_get(s, "properties"), *v;
	const json_t *ord = json_object_get(s, "propertyOrdering");
	const char **names, *k;
	size_t i, first;

	*n = 0;
	if ((names = calloc(json_object_size(props) + 1, sizeof(*names))) ==
	    NULL)
		return NULL;
	json_array_foreach(ord, i, v)
		if (json_is_string(v) && json_object_get(props,
		    json_string_value(v)) != NULL &&
		    !listed(names, *n, json_string_value(v)))
			names[(*n)++] = json_string_value(v);
	first = *n;
	json_object_foreach(props, k, v)
		if (!listed(names, first, k))
			names[(*n)++] = k;
	qsort(names + first, *n - first, sizeof(*names), name_cmp);
	return names;
}

/* The columns of object schema s, at path[0 .. depth). */
static int
add_schema(struct sheet *sh, const json_t *s, const char **path,
    size_t depth)
{
	const json_t *props = json_object_get(s, "properties"), *p;
	const char **names;
	size_t i, n;
	int rc = 0;

	if ((names = prop_order(s, &n)) == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		path[depth] = names[i];
		p = json_object_get(props, names[i]);
		rc = depth + 1 < SHEET_DEPTH_MAX && flattens(p) ?
		    add_schema(sh, p, path, depth + 1) :
		    add_data(sh, path, depth + 1, NULL);
	}
	free(names);
	return rc;
}

int
sheet_add_result(struct sheet *sh, const json_t *settings)
{
	const json_t *schema = json_object_get(settings, "schema");
	const char *path[SHEET_DEPTH_MAX] = { "text" };
	size_t before;

	if (add_col(sh, strdup("status"), SHEET_STATUS, NULL, 0) == -1 ||
	    add_col(sh, strdup("error_kind"), SHEET_ERROR_KIND, NULL, 0) ==
	    -1 || add_col(sh, strdup("error_message"), SHEET_ERROR_MESSAGE,
	    NULL, 0) == -1)
		return -1;
	if (json_is_null(schema))	/* data is {"text": ...} */
		return add_data(sh, path, 1, NULL);
	before = sh->n;
	if (flattens(schema) && add_schema(sh, schema, path, 0) == -1)
		return -1;
	return sh->n > before ? 0 : add_data(sh, NULL, 0, "data");
}

int
sheet_header(const struct sheet *sh, struct csvw *w)
{
	size_t i;

	for (i = 0; i < sh->n; i++)
		if (csvw_field(w, sh->cols[i].name,
		    strlen(sh->cols[i].name)) == -1)
			return -1;
	return csvw_end(w);
}

/* A value as a cell: see sheet.h. */
static int
cell(struct csvw *w, const json_t *v)
{
	char *text;
	int rc;

	if (v == NULL || json_is_null(v))
		return csvw_field(w, NULL, 0);
	if (json_is_string(v))
		return csvw_field(w, json_string_value(v),
		    json_string_length(v));
	if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rc = csvw_field(w, text, strlen(text));
	free(text);
	return rc;
}

static const json_t *
at(const json_t *v, char *const *path, size_t depth)
{
	size_t i;

	for (i = 0; i < depth && v != NULL; i++)
		v = json_is_object(v) ? json_object_get(v, path[i]) : NULL;
	return v;
}

static const json_t *
col_value(const struct sheet_col *c, const json_t *input,
    const json_t *result)
{
	const json_t *error = json_object_get(result, "error");

	switch (c->src) {
	case SHEET_INPUT:
		return at(input, c->path, 1);
	case SHEET_INPUT_ALL:
		return input;
	case SHEET_STATUS:
		return json_object_get(result, "status");
	case SHEET_ERROR_KIND:
		return json_object_get(error, "kind");
	case SHEET_ERROR_MESSAGE:
		return json_object_get(error, "message");
	case SHEET_DATA:
		return at(json_object_get(result, "data"), c->path, c->depth);
	}
	return NULL;
}

int
sheet_row(const struct sheet *sh, struct csvw *w, const json_t *input,
    const json_t *result)
{
	const struct sheet_col *c;
	size_t i;
	int rc;

	for (i = 0; i < sh->n; i++) {
		c = &sh->cols[i];
		if (c->src == SHEET_STATUS && result == NULL)
			rc = csvw_field(w, "pending", 7);
		else
			rc = cell(w, col_value(c, input, result));
		if (rc == -1)
			return -1;
	}
	return csvw_end(w);
}

void
sheet_release(struct sheet *sh)
{
	size_t i;

	for (i = 0; i < sh->n; i++)
		col_release(&sh->cols[i]);
	free(sh->cols);
	sheet_init(sh);
}
