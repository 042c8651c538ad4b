/*
 * template: prompt templates with {{column}} placeholders, filled from a
 * row (CSV column names or JSONL keys).
 *
 * Syntax: "{{" optional blanks NAME optional blanks "}}" is replaced by the
 * row's value for NAME (a string as is, byte for byte: no trimming, UTF-8
 * kept; a number, bool or null as its JSON text; an object or array as
 * compact JSON; reals with the fewest significant digits, 15 to 17, that
 * read back exactly, one count for all the reals in an object or array).
 * Blanks are spaces and tabs; NAME is what lies between them and may hold
 * any byte but '}', LF and NUL ("{{Resignation Date}}").
 * "{{{{" is a literal "{{", and a '{' right before a placeholder is
 * literal ("{{{x}}}" gives "{" VALUE "}").  Any other text, a lone "}}"
 * included, is copied as is.
 *
 * Messages start with the position, "line L, column C: ", lines and
 * columns counted from 1, columns in characters (UTF-8 code points, a tab
 * is one); the caller puts the file name in front.  Control bytes they
 * quote become '?'.
 *
 * Domain tier: statuses and messages, never prints or exits.
 *
 * Calling sequence:
 *  1. t = template_parse(text, len, err, errlen); NULL on a syntax error
 *     (errno EINVAL): "line 3, column 7: unclosed '{{'" (the position of
 *     the "{{"; a LF or NUL ends the search for "}}"), "empty placeholder
 *     name", "single '}' in a placeholder (it ends with '}}')"; or NULL
 *     with errno ENOMEM;
 *  2. template_check(t, names, n, err, errlen)     before any request: every
 *     placeholder must name a column (CSV; names compare byte for byte).
 *     Returns 0, or -1 for the first one that does not, at its first use:
 *     "line 3, column 7: {{emial}} names no column (have: name, email,
 *     city)"; a long list is cut at a whole name with ", and N more".
 *     JSONL input has no column list: skip this step;
 *  3. s = template_render(t, row, &len)            per row (malloc'd,
 *     NUL-terminated, len without the NUL; len may be NULL); a key
 *     missing from a JSONL row (or a row that is not an object) renders
 *     as "".  NULL only with ENOMEM.  t is not changed: one template may
 *     render rows from several threads;
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
/*
 * Placeholder names, distinct, in order of first use (for messages and
 * tests).  Returns their number; *names is owned by t.
 */
size_t		 template_names(const struct template *t,
		    const char *const **names);
void		 template_free(struct template *t);

#endif
