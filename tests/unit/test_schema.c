/*
 * Tests for the schema checks: a table of (schema, value, first problem)
 * for schema_check, one of (schema, problem) for schema_validate_schema,
 * and the demo's extraction schema against answers a model could give.
 * JSON is written with ' for " (\u0027 for a real ').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/schema.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct check_case {
	const char	*name;
	const char	*schema;
	const char	*value;
	const char	*want;		/* NULL: passes */
};

/* The demo's extraction schema (examples/congress/schema.json). */
#define CONGRESS "{'type':'object','properties':{" \
	"'category_code':{'type':'string'," \
	"'enum':['X','A','B','C','D','E','F','G','H','I']}," \
	"'new_employer_or_office':{'type':['string','null']}," \
	"'involves_scandal':{'type':'boolean'}}," \
	"'required':['category_code','involves_scandal']}"

#define ITEMS "{'type':'object','properties':{'items':{'type':'array'," \
	"'items':{'type':'object','required':['name']," \
	"'properties':{'name':{'type':'string'}}}}}}"

static const struct check_case check_cases[] = {
	/* type */
	{ "string", "{'type':'string'}", "'x'", NULL },
	{ "string, got integer", "{'type':'string'}", "1",
	    "$: expected string, got integer" },
	{ "integer", "{'type':'integer'}", "-3", NULL },
	{ "integer, got integral real", "{'type':'integer'}", "3.0",
	    "$: expected integer, got number" },
	{ "integer, got real", "{'type':'integer'}", "3.5",
	    "$: expected integer, got number" },
	{ "number takes integers", "{'type':'number'}", "3", NULL },
	{ "number takes reals", "{'type':'number'}", "3.5", NULL },
	{ "number, got string", "{'type':'number'}", "'3'",
	    "$: expected number, got string" },
	{ "boolean", "{'type':'boolean'}", "false", NULL },
	{ "boolean, got 0", "{'type':'boolean'}", "0",
	    "$: expected boolean, got integer" },
	{ "null", "{'type':'null'}", "null", NULL },
	{ "null, got empty string", "{'type':'null'}", "''",
	    "$: expected null, got string" },
	{ "object", "{'type':'object'}", "{}", NULL },
	{ "object, got array", "{'type':'object'}", "[]",
	    "$: expected object, got array" },
	{ "array", "{'type':'array'}", "[1,'a']", NULL },
	{ "array, got object", "{'type':'array'}", "{}",
	    "$: expected array, got object" },
	{ "list of types", "{'type':['string','null']}", "null", NULL },
	{ "list of types, string", "{'type':['string','null']}", "'a'", NULL },
	{ "list of types, miss", "{'type':['string','null']}", "1",
	    "$: expected string or null, got integer" },
	{ "list of three", "{'type':['string','number','null']}", "true",
	    "$: expected string, number or null, got boolean" },
	{ "uppercase", "{'type':'STRING'}", "'a'", NULL },
	{ "uppercase named in lower case", "{'type':'INTEGER'}", "'a'",
	    "$: expected integer, got string" },
	{ "mixed case list", "{'type':['Object','NULL']}", "null", NULL },
	{ "no type takes anything", "{}", "[1,{}]", NULL },
	/* required and properties */
	{ "required", "{'type':'object','required':['name']}",
	    "{'name':'a'}", NULL },
	{ "required, missing", "{'type':'object','required':['a','name']}",
	    "{'a':1}", "$: missing required property 'name'" },
	{ "required null is present", "{'required':['a']}", "{'a':null}",
	    NULL },
	{ "required applies to objects only", "{'required':['a']}", "5",
	    NULL },
	{ "property type", "{'properties':{'age':{'type':'integer'}}}",
	    "{'age':'3'}", "$.age: expected integer, got string" },
	{ "absent property not checked",
	    "{'properties':{'age':{'type':'integer'}}}", "{}", NULL },
	{ "other properties allowed",
	    "{'properties':{'age':{'type':'integer'}}}", "{'age':1,'x':[]}",
	    NULL },
	{ "nested objects", "{'properties':{'address':{'type':'object',"
	    "'properties':{'zip':{'type':'string'}}}}}",
	    "{'address':{'zip':12345}}",
	    "$.address.zip: expected string, got integer" },
	{ "nested required", "{'properties':{'a':{'properties':{'b':"
	    "{'required':['c']}}}}}", "{'a':{'b':{}}}",
	    "$.a.b: missing required property 'c'" },
	{ "key with a space", "{'properties':{'first name':"
	    "{'type':'string'}}}", "{'first name':1}",
	    "$['first name']: expected string, got integer" },
	{ "key with a quote", "{'properties':{'it\\u0027s':"
	    "{'type':'string'}}}", "{'it\\u0027s':1}",
	    "$['it\\'s']: expected string, got integer" },
	{ "key with a digit first", "{'properties':{'1st':"
	    "{'type':'string'}}}", "{'1st':1}",
	    "$['1st']: expected string, got integer" },
	/* items */
	{ "items", "{'type':'array','items':{'type':'integer'}}", "[1,2,3]",
	    NULL },
	{ "items, third bad", "{'type':'array','items':{'type':'integer'}}",
	    "[1,2,'3']", "$[2]: expected integer, got string" },
	{ "items of objects", ITEMS,
	    "{'items':[{'name':'a'},{'name':'b'},{'name':null}]}",
	    "$.items[2].name: expected string, got null" },
	{ "items of objects, missing", ITEMS,
	    "{'items':[{'name':'a'},{}]}",
	    "$.items[1]: missing required property 'name'" },
	{ "empty array", ITEMS, "{'items':[]}", NULL },
	{ "nested arrays", "{'items':{'items':{'type':'string'}}}",
	    "[['a'],['b',1]]", "$[1][1]: expected string, got integer" },
	/* enum */
	{ "enum", "{'enum':['X','A']}", "'A'", NULL },
	{ "enum, miss", "{'type':'string','enum':['X','A']}", "'Z'",
	    "$: \"Z\" is not one of [\"X\",\"A\"]" },
	{ "enum is case-sensitive", "{'enum':['X','A']}", "'a'",
	    "$: \"a\" is not one of [\"X\",\"A\"]" },
	{ "enum of mixed values", "{'enum':[1,null,{'a':[1]}]}",
	    "{'a':[1]}", NULL },
	{ "enum 1 is not 1.0", "{'enum':[1]}", "1.0",
	    "$: 1.0 is not one of [1]" },
	{ "enum, long lists cut", "{'enum':['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb','cccccccccccccccccccccccccccccc',"
	    "'dddddddddddddddddddddddddddddd','eeeeeeeeeeeeeeeeeeeeeeeeeeeeee',"
	    "'ffffffffffffffffffffffffffffff']}", "'x'",
	    "$: \"x\" is not one of [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
	    "\"cccccccccccccccccccccccccccccc\","
	    "\"dddddddddddddddddddddddddddddd\",\"eeeeeeeeeeeeeeeeeeeeee..." },
	/* nullable */
	{ "nullable", "{'type':'string','nullable':true}", "null", NULL },
	{ "nullable string", "{'type':'string','nullable':true}", "'a'",
	    NULL },
	{ "nullable still typed", "{'type':'string','nullable':true}", "1",
	    "$: expected string, got integer" },
	{ "nullable false", "{'type':'string','nullable':false}", "null",
	    "$: expected string, got null" },
	{ "nullable beats enum", "{'type':'STRING','nullable':true,"
	    "'enum':['a']}", "null", NULL },
	/* anyOf, oneOf */
	{ "anyOf first", "{'anyOf':[{'type':'string'},{'type':'integer'}]}",
	    "'a'", NULL },
	{ "anyOf second", "{'anyOf':[{'type':'string'},{'type':'integer'}]}",
	    "1", NULL },
	{ "anyOf none", "{'properties':{'v':{'anyOf':[{'type':'string'},"
	    "{'type':'integer'}]}}}", "{'v':true}",
	    "$.v: matches none of the anyOf schemas (first: expected string, "
	    "got boolean)" },
	{ "anyOf deepest failure", "{'anyOf':[{'type':'null'},"
	    "{'type':'object','properties':{'a':{'type':'string'}}}]}",
	    "{'a':1}", "$.a: expected string, got integer" },
	{ "oneOf", "{'oneOf':[{'type':'string'},{'type':'null'}]}", "null",
	    NULL },
	{ "oneOf takes two matches", "{'oneOf':[{'type':'number'},"
	    "{'type':'integer'}]}", "1", NULL },
	{ "oneOf none", "{'oneOf':[{'enum':[1]},{'enum':[2]}]}", "3",
	    "$: matches none of the oneOf schemas (first: 3 is not one of "
	    "[1])" },
	{ "anyOf and type both apply", "{'type':'integer','anyOf':"
	    "[{'enum':[1]},{'enum':[2]}]}", "2.0",
	    "$: expected integer, got number" },
	/* boolean schemas, ignored keywords */
	{ "true schema", "{'properties':{'x':true}}", "{'x':[1]}", NULL },
	{ "false schema", "{'properties':{'x':false}}", "{'x':1}",
	    "$.x: no value is allowed here" },
	{ "other keywords ignored", "{'type':'string','maxLength':1,"
	    "'format':'email','pattern':'^x$','description':'d'}", "'abc'",
	    NULL },
	/* the demo's extraction schema */
	{ "congress", CONGRESS, "{'category_code':'D','new_employer_or_office':"
	    "'Ohio Business Roundtable','involves_scandal':false}", NULL },
	{ "congress, no employer", CONGRESS, "{'category_code':'X',"
	    "'new_employer_or_office':null,'involves_scandal':true}", NULL },
	{ "congress, employer left out", CONGRESS, "{'category_code':'G',"
	    "'involves_scandal':false}", NULL },
	{ "congress, missing scandal", CONGRESS, "{'category_code':'B',"
	    "'new_employer_or_office':null}",
	    "$: missing required property 'involves_scandal'" },
	{ "congress, two codes", CONGRESS, "{'category_code':'B & E',"
	    "'involves_scandal':true}", "$.category_code: \"B & E\" is not "
	    "one of [\"X\",\"A\",\"B\",\"C\",\"D\",\"E\",\"F\",\"G\",\"H\","
	    "\"I\"]" },
	{ "congress, scandal as text", CONGRESS, "{'category_code':'B',"
	    "'involves_scandal':'yes'}",
	    "$.involves_scandal: expected boolean, got string" },
	{ "congress, employer a number", CONGRESS, "{'category_code':'C',"
	    "'new_employer_or_office':42,'involves_scandal':false}",
	    "$.new_employer_or_office: expected string or null, got "
	    "integer" },
	{ "congress, an array", CONGRESS, "[{'category_code':'C'}]",
	    "$: expected object, got array" },
};

struct validate_case {
	const char	*name;
	const char	*schema;
	const char	*want;		/* NULL: usable */
};

static const struct validate_case validate_cases[] = {
	{ "congress", CONGRESS, NULL },
	{ "items", ITEMS, NULL },
	{ "empty", "{}", NULL },
	{ "true", "true", NULL },
	{ "uppercase", "{'type':'OBJECT','properties':{'a':{'type':'STRING',"
	    "'nullable':true}},'required':['a']}", NULL },
	{ "other keywords ignored", "{'type':'string','minimum':'x',"
	    "'foo':[1],'description':5}", NULL },
	{ "an array", "[]", "expected a schema (an object), got array" },
	{ "a string", "'string'", "expected a schema (an object), got string" },
	{ "unknown type", "{'properties':{'age':{'type':'int'}}}",
	    "properties.age.type: 'int' is not a JSON Schema type" },
	{ "unknown type in a list", "{'type':['string','str']}",
	    "type[1]: 'str' is not a JSON Schema type" },
	{ "type a number", "{'type':5}",
	    "type: expected a type name or a list of them, got integer" },
	{ "type an empty list", "{'type':[]}",
	    "type: an empty list of types allows no value" },
	{ "type list of numbers", "{'type':[1]}",
	    "type[0]: expected a type name, got integer" },
	{ "required a string", "{'required':'name'}",
	    "required: expected a list of property names, got string" },
	{ "required of numbers", "{'required':['a',1]}",
	    "required[1]: expected a property name, got integer" },
	{ "properties a list", "{'properties':[]}",
	    "properties: expected an object of schemas, got array" },
	{ "property not a schema", "{'properties':{'a':'string'}}",
	    "properties.a: expected a schema (an object), got string" },
	{ "tuple items", "{'items':[{'type':'string'}]}",
	    "items: a list of schemas (tuple validation) is not supported" },
	{ "deep", "{'items':{'properties':{'b':{'type':'x'}}}}",
	    "items.properties.b.type: 'x' is not a JSON Schema type" },
	{ "enum a string", "{'enum':'X'}",
	    "enum: expected a list of values, got string" },
	{ "enum empty", "{'enum':[]}", "enum: an empty list allows no value" },
	{ "nullable a string", "{'nullable':'yes'}",
	    "nullable: expected true or false, got string" },
	{ "anyOf an object", "{'anyOf':{}}",
	    "anyOf: expected a list of schemas, got object" },
	{ "oneOf empty", "{'oneOf':[]}",
	    "oneOf: an empty list of schemas allows no value" },
	{ "anyOf branch", "{'anyOf':[{},'x']}",
	    "anyOf[1]: expected a schema (an object), got string" },
	{ "branch deep", "{'anyOf':[{'properties':{'a':{'type':'?'}}}]}",
	    "anyOf[0].properties.a.type: '?' is not a JSON Schema type" },
	{ "control bytes in a key", "{'properties':{'a\\nb':{'type':1}}}",
	    "properties.a?b.type: expected a type name or a list of them, "
	    "got integer" },
};

static json_t *
jq(const char *text)
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
	cr_assert_not_null(v, "bad JSON %s: %s", text, jerr.text);
	free(s);
	return v;
}

Test(schema, check)
{
	const struct check_case *c;
	json_t *schema, *value;
	char err[512];
	size_t i;
	int r;

	for (i = 0; i < NELEM(check_cases); i++) {
		c = &check_cases[i];
		schema = jq(c->schema);
		value = jq(c->value);
		cr_expect_eq(schema_validate_schema(schema, err, sizeof(err)),
		    0, "%s: schema: %s", c->name, err);
		err[0] = '\0';
		r = schema_check(schema, value, err, sizeof(err));
		if (c->want == NULL) {
			cr_expect_eq(r, 0, "%s: %s", c->name, err);
		} else {
			cr_expect_eq(r, -1, "%s: passed", c->name);
			cr_expect_str_eq(err, c->want, "%s", c->name);
		}
		json_decref(schema);
		json_decref(value);
	}
}

Test(schema, validate)
{
	const struct validate_case *c;
	json_t *schema;
	char err[512];
	size_t i;
	int r;

	for (i = 0; i < NELEM(validate_cases); i++) {
		c = &validate_cases[i];
		schema = jq(c->schema);
		err[0] = '\0';
		r = schema_validate_schema(schema, err, sizeof(err));
		if (c->want == NULL) {
			cr_expect_eq(r, 0, "%s: %s", c->name, err);
		} else {
			cr_expect_eq(r, -1, "%s: passed", c->name);
			cr_expect_str_eq(err, c->want, "%s", c->name);
		}
		json_decref(schema);
	}
}

/* Small and missing buffers: still a message, never an overrun. */
Test(schema, small_buffers)
{
	json_t *schema, *value;
	char err[24];

	schema = jq("{'properties':{'category_code':{'type':'string'}}}");
	value = jq("{'category_code':1}");
	memset(err, 'Z', sizeof(err));
	cr_expect_eq(schema_check(schema, value, err, 20), -1);
	cr_expect_str_eq(err, "$.category_code:...");
	cr_expect_eq(err[20], 'Z');
	cr_expect_eq(schema_check(schema, value, NULL, 0), -1);
	cr_expect_eq(schema_check(schema, value, err, 1), -1);
	cr_expect_str_eq(err, "");
	json_decref(schema);
	json_decref(value);
}

/* A path longer than the buffer is cut, and the message still ends. */
Test(schema, long_paths)
{
	json_t *schema, *value, *s, *v;
	char err[1024];
	int i;

	schema = jq("{'type':'string'}");
	value = jq("1");
	for (i = 0; i < 100; i++) {
		s = json_pack("{s:{s:o}}", "properties", "abcdefgh", schema);
		v = json_pack("{s:o}", "abcdefgh", value);
		cr_assert(s != NULL && v != NULL);
		schema = s;
		value = v;
	}
	cr_expect_eq(schema_check(schema, value, err, sizeof(err)), -1);
	cr_expect_eq(strncmp(err, "$.abcdefgh.abcdefgh.", 20), 0, "%s", err);
	cr_expect_neq(strstr(err, "...: expected string, got integer"), NULL,
	    "%s", err);
	cr_expect_eq(schema_validate_schema(schema, err, sizeof(err)), 0,
	    "%s", err);
	json_decref(schema);
	json_decref(value);
}

/* The demo's schema file is the one the tests above use. */
Test(schema, congress_example)
{
	json_t *file, *want;
	json_error_t jerr;
	char err[256];
	const char *key;
	json_t *p;

	file = json_load_file("examples/congress/schema.json", 0, &jerr);
	cr_assert_not_null(file, "schema.json: %s (run from the repo root)",
	    jerr.text);
	cr_expect_eq(schema_validate_schema(file, err, sizeof(err)), 0,
	    "schema.json: %s", err);
	json_object_foreach(json_object_get(file, "properties"), key, p)
		json_object_del(p, "description");
	want = jq(CONGRESS);
	cr_expect(json_equal(file, want), "schema.json differs");
	json_decref(file);
	json_decref(want);
}
