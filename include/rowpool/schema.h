/*
 * schema: the local check of a model's answer against the JSON Schema the
 * user gave (--schema).  It checks what extraction depends on:
 *  - "type": object, array, string, number, integer, boolean, null, or a
 *    list of them.  Types are accepted in any case ("STRING" as sent to
 *    Gemini's responseSchema).  "integer" is a JSON integer only: 3.0
 *    is a number, not an integer (jansson keeps them apart, and a model
 *    that writes 3.0 for a count is worth a retry); "number" is both;
 *  - "required" and "properties" (recursively) for objects; a property
 *    not listed is allowed;
 *  - "items" (one schema, recursively) for arrays;
 *  - "enum": the value must equal one of the list (json_equal: 1 and 1.0
 *    differ);
 *  - "nullable": true (OpenAPI dialect): null passes, whatever the other
 *    keywords say;
 *  - "anyOf" and "oneOf" alike: the value must pass at least one branch
 *    (oneOf's "not more than one" is not checked);
 *  - true and false as schemas: anything, nothing.
 * Keywords apply to their kind of value only ("required" to objects...),
 * and all that apply must pass.  Other keywords ("description", "format",
 * "minimum", "$ref", "additionalProperties"...) are ignored, not refused.
 *
 * Domain tier: statuses and messages; never prints or exits.  Messages are
 * one line (control bytes become '?'), cut with "..." to fit err.
 */
#ifndef ROWPOOL_SCHEMA_H
#define ROWPOOL_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/*
 * Checks that schema is a usable schema: an object (or true/false);
 * "type" a known name or a non-empty list of them; "required" a list of
 * strings; "properties" an object of schemas; "items" a schema (a list of
 * schemas is refused); "enum" a non-empty list; "nullable" a boolean;
 * "anyOf"/"oneOf" non-empty lists of schemas.  Returns 0, or -1 with the
 * first problem found, at a dotted path, for the caller to prefix with the
 * file name: "properties.age.type: 'int' is not a JSON Schema type",
 * "anyOf[1]: expected a schema (an object), got string"; at the root just
 * "expected a schema (an object), got array".
 */
int	schema_validate_schema(const json_t *schema, char *err, size_t errlen);

/*
 * Checks value against schema (one that passed schema_validate_schema;
 * with another, keywords of the wrong shape are skipped).  Returns 0, or
 * -1 with the first problem, as a JSONPath and what is wrong:
 * "$.age: expected integer, got string", "$: missing required property
 * 'name'", "$.items[2]['first name']: expected string or null, got
 * number", "$.code: \"Z\" is not one of [\"X\",\"A\"]".  For anyOf/oneOf,
 * the branch failure that reached deepest into the value, or "$.x:
 * matches none of the anyOf schemas (first: expected string, got
 * integer)".
 */
int	schema_check(const json_t *schema, const json_t *value, char *err,
	    size_t errlen);

#endif
