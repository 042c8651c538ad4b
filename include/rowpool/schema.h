/*
 * schema: the local check of a model's answer against the JSON Schema the
 * user gave (--schema).  It checks what extraction depends on: "type"
 * (object, array, string, number, integer, boolean, null, or a list of
 * them), "required", "properties" and "items" recursively, "enum", and
 * "nullable" (OpenAPI dialect).  Types are accepted in either case
 * ("STRING" as sent to Gemini's responseSchema).  Other keywords are
 * ignored, not refused.
 *
 * Domain tier: statuses and messages.
 */
#ifndef ROWPOOL_SCHEMA_H
#define ROWPOOL_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/*
 * Checks that schema is a usable schema (an object; "type" values known;
 * "required" an array of strings...).  Returns 0, or -1 with a message
 * like "schema.json: properties.age.type: 'int' is not a JSON Schema type".
 */
int	schema_validate_schema(const json_t *schema, char *err, size_t errlen);

/*
 * Checks value against schema.  Returns 0, or -1 with the first problem,
 * as a path and what is wrong: "$.age: expected integer, got string",
 * "$: missing required property 'name'".
 */
int	schema_check(const json_t *schema, const json_t *value, char *err,
	    size_t errlen);

#endif
