/*
 * template: prompt templates with {{column}} placeholders, filled from a
 * row (CSV column names or JSONL keys).
 *
 * Syntax: "{{" optional spaces NAME optional spaces "}}" is replaced by the
 * row's value for NAME (a string as is; a number, bool or null as its JSON
 * text; an object or array as compact JSON).  "{{{{" is a literal "{{".
 * Any other text is copied as is.
 *
 * Domain tier: statuses and messages, never prints or exits.
 *
 * Calling sequence:
 *  1. t = template_parse(text, len, err, errlen)   (syntax errors: unclosed
 *     "{{", empty name; err gives the line and column);
 *  2. template_check(t, names, n, err, errlen)     before any request: every
 *     placeholder must name a column (CSV) -- "prompt.txt:3: {{emial}}
 *     names no column (have: name, email, ...)";
 *  3. s = template_render(t, row, &len)            per row (malloc'd);
 *     a key missing from a JSONL row renders as "" ;
 *  4. template_free(t).
 */
#ifndef ROWPOOL_TEMPLATE_H
#define ROWPOOL_TEMPLATE_H

#include <stddef.h>
#include <jansson.h>

struct template;

struct template	*template_parse(const char *text, size_t len, char *err,
		    size_t errlen);
int		 template_check(const struct template *t,
		    const char *const *names, size_t n, char *err,
		    size_t errlen);
char		*template_render(const struct template *t, const json_t *row,
		    size_t *len);
/* Placeholder names, in order of first use (for messages and tests). */
size_t		 template_names(const struct template *t,
		    const char *const **names);
void		 template_free(struct template *t);

#endif
