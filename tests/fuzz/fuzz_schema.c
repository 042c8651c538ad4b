/*
 * fuzz_schema: libFuzzer harness for the schema checker (schema.c):
 * schema_validate_schema on arbitrary JSON, then schema_check of
 * arbitrary JSON against it.  Built by `make fuzz`; seeds in
 * tests/fuzz/corpus/schema/.
 *
 * Input: byte 0 picks the size of the message buffer; then a JSON value,
 * the schema, and another, the value (anything after the schema; a value
 * that does not parse is checked as null).
 *
 * A reference validator and checker, written from schema.h, runs beside.
 * Checked:
 *  - schema_validate_schema accepts exactly the schemas the reference
 *    does;
 *  - schema_check passes exactly the values the reference passes, for
 *    every schema (one that failed validation too: keywords of the wrong
 *    shape are skipped), and gives the same answer twice;
 *  - wrapped in {"anyOf": [S]} a schema passes the same values, and with
 *    "nullable": true beside it, null as well;
 *  - every message fits its buffer and is one line of valid UTF-8; a
 *    check's starts with the JSONPath "$".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "rowpool/schema.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static const size_t errlens[] = { 512, 300, 64, 16, 4, 1 };

static const char *const types[] = {
	"object", "array", "string", "number", "integer", "boolean", "null",
};

static bool
known_type(const json_t *t)
{
	size_t i;

	if (!json_is_string(t))
		return false;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(json_string_value(t), types[i]) == 0)
			return true;
	return false;
}

static bool	valid(const json_t *);

static bool
valid_list(const json_t *l)
{
	size_t i;
	json_t *v;

	if (!json_is_array(l) || json_array_size(l) == 0)
		return false;
	json_array_foreach(l, i, v)
		if (!valid(v))
			return false;
	return true;
}

/* schema.h: what schema_validate_schema accepts. */
static bool
valid(const json_t *s)
{
	const json_t *v;
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_boolean(s))
		return true;
	if (!json_is_object(s))
		return false;
	if ((v = json_object_get(s, "type")) != NULL) {
		if (json_is_array(v)) {
			if (json_array_size(v) == 0)
				return false;
			json_array_foreach(v, i, m)
				if (!known_type(m))
					return false;
		} else if (!known_type(v))
			return false;
	}
	v = json_object_get(s, "nullable");
	if (v != NULL && !json_is_boolean(v))
		return false;
	v = json_object_get(s, "enum");
	if (v != NULL && (!json_is_array(v) || json_array_size(v) == 0))
		return false;
	if ((v = json_object_get(s, "required")) != NULL) {
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, m)
			if (!json_is_string(m))
				return false;
	}
	if ((v = json_object_get(s, "properties")) != NULL) {
		if (!json_is_object(v))
			return false;
		json_object_foreach((json_t *)(uintptr_t)v, k, m)
			if (!valid(m))
				return false;
	}
	v = json_object_get(s, "items");
	if (v != NULL && (json_is_array(v) || !valid(v)))
		return false;
	if ((v = json_object_get(s, "anyOf")) != NULL && !valid_list(v))
		return false;
	if ((v = json_object_get(s, "oneOf")) != NULL && !valid_list(v))
		return false;
	return true;
}

static bool
type_is(const json_t *t, const json_t *v)
{
	const char *n;

	if (!json_is_string(t))
		return false;
	n = json_string_value(t);
	if (strcasecmp(n, "object") == 0)
		return json_is_object(v);
	if (strcasecmp(n, "array") == 0)
		return json_is_array(v);
	if (strcasecmp(n, "string") == 0)
		return json_is_string(v);
	if (strcasecmp(n, "number") == 0)
		return json_is_number(v);
	if (strcasecmp(n, "integer") == 0)
		return json_is_integer(v);
	if (strcasecmp(n, "boolean") == 0)
		return json_is_boolean(v);
	if (strcasecmp(n, "null") == 0)
		return json_is_null(v);
	return false;
}

static bool	passes(const json_t *, const json_t *);

static bool
type_ok(const json_t *s, const json_t *v)
{
	const json_t *t = json_object_get(s, "type");
	size_t i;

	if (json_is_string(t))
		return type_is(t, v);
	if (!json_is_array(t))
		return true;
	for (i = 0; i < json_array_size(t); i++)
		if (type_is(json_array_get(t, i), v))
			return true;
	return false;
}

static bool
enum_ok(const json_t *s, const json_t *v)
{
	const json_t *e = json_object_get(s, "enum");
	size_t i;

	if (!json_is_array(e))
		return true;
	for (i = 0; i < json_array_size(e); i++)
		if (json_equal(json_array_get(e, i), v))
			return true;
	return false;
}

static bool
object_ok(const json_t *s, const json_t *v)
{
	const json_t *req = json_object_get(s, "required");
	const json_t *props = json_object_get(s, "properties");
	const char *k;
	json_t *m, *x;
	size_t i;

	json_array_foreach(req, i, m)
		if (json_is_string(m) &&
		    json_object_get(v, json_string_value(m)) == NULL)
			return false;
	if (json_is_object(props))
		json_object_foreach((json_t *)(uintptr_t)props, k, m)
			if ((x = json_object_get(v, k)) != NULL &&
			    !passes(m, x))
				return false;
	return true;
}

static bool
array_ok(const json_t *s, const json_t *v)
{
	const json_t *items = json_object_get(s, "items");
	size_t i;

	if (!json_is_object(items) && !json_is_boolean(items))
		return true;
	for (i = 0; i < json_array_size(v); i++)
		if (!passes(items, json_array_get(v, i)))
			return false;
	return true;
}

static bool
some_branch(const json_t *s, const char *kw, const json_t *v)
{
	const json_t *l = json_object_get(s, kw);
	size_t i;

	if (!json_is_array(l) || json_array_size(l) == 0)
		return true;
	for (i = 0; i < json_array_size(l); i++)
		if (passes(json_array_get(l, i), v))
			return true;
	return false;
}

/* schema.h: what schema_check lets through. */
static bool
passes(const json_t *s, const json_t *v)
{
	if (json_is_false(s))
		return false;
	if (!json_is_object(s))
		return true;
	if (json_is_true(json_object_get(s, "nullable")) && json_is_null(v))
		return true;
	return type_ok(s, v) && enum_ok(s, v) &&
	    (!json_is_object(v) || object_ok(s, v)) &&
	    (!json_is_array(v) || array_ok(s, v)) &&
	    some_branch(s, "anyOf", v) && some_branch(s, "oneOf", v);
}

static void
check_message(const char *err, size_t errlen, bool is_path)
{
	json_t *j;

	CHECK(strlen(err) < errlen);
	CHECK((j = json_string(err)) != NULL);
	json_decref(j);
	CHECK(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL);
	CHECK(errlen == 1 || err[0] != '\0');
	/* msgbuf_cut: all that fits of a long path in 4 bytes is "...". */
	CHECK(!is_path || errlen == 1 || err[0] == '$' ||
	    (errlen == 4 && strcmp(err, "...") == 0));
}

static int
check(const json_t *schema, const json_t *value, size_t errlen)
{
	char err[512];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = schema_check(schema, value, err, errlen);
	CHECK(rc == 0 || rc == -1);
	if (rc == -1)
		check_message(err, errlen, true);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *schema, *value, *wrap;
	json_error_t jerr;
	size_t errlen;
	char err[512];
	int rc;

	if (size < 1)
		return 0;
	errlen = errlens[data[0] % (sizeof(errlens) / sizeof(errlens[0]))];
	schema = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY |
	    JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &jerr);
	if (schema == NULL)
		return 0;
	value = json_loadb((const char *)data + 1 + jerr.position,
	    size - 1 - jerr.position, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (value == NULL)
		value = json_null();

	memset(err, 'x', sizeof(err));
	rc = schema_validate_schema(schema, err, errlen);
	CHECK(rc == (valid(schema) ? 0 : -1));
	if (rc == -1)
		check_message(err, errlen, false);

	rc = check(schema, value, errlen);
	CHECK(rc == (passes(schema, value) ? 0 : -1));
	CHECK(check(schema, value, errlen) == rc);
	wrap = json_pack("{s:[O]}", "anyOf", schema);
	CHECK(wrap != NULL && check(wrap, value, errlen) == rc);
	json_object_set_new(wrap, "nullable", json_true());
	CHECK(check(wrap, value, errlen) == (json_is_null(value) ? 0 : rc));
	json_decref(wrap);
	json_decref(schema);
	json_decref(value);
	return 0;
}
