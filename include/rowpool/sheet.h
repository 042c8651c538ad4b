/*
 * sheet: the layout of a CSV export, one column per thing a spreadsheet
 * user wants to see, and the cells of each row.  Columns, in order:
 *
 *  1. the input's, when asked for (sheet_add_input): a CSV input's
 *     columns, a JSONL input's keys; or the whole input row as JSON text
 *     in one column "input" (sheet_add_input_all);
 *  2. status ("ok", "failed" or "pending": not done yet), error_kind,
 *     error_message;
 *  3. the result's data (sheet_add_result), by the run's settings:
 *     - a "schema" object: one column per property, in the order of its
 *       "propertyOrdering" if it has one, then by name; a property that
 *       is itself an object schema with properties ("type" absent,
 *       "object", or a list of "object" and "null") is flattened into
 *       columns with dotted names ("address.city"); anything else
 *       (arrays, free-form objects, anyOf...) is one column.  A schema
 *       with no properties (or kept only as a digest) gives "data";
 *     - "schema" null (an LLM processor run without one: data is
 *       {"text": ...}): one column "text";
 *     - no "schema" setting at all (echo, or no settings): one column
 *       "data" holding the whole data as JSON text.
 *
 * Header names are unique: an input column named status, error_kind or
 * error_message is called "input.NAME"; a data column whose name an
 * earlier column has is called "data.NAME" (prefixes added until unique).
 *
 * Cells: a string as it is; a number or boolean as JSON text (1, 2.5,
 * true); an object or array as compact JSON text; null, or nothing there
 * (a pending or failed row, a missing property), an empty cell.
 *
 * Calling sequence: sheet_init(); sheet_add_input() for each input
 * column (or sheet_add_input_all() once); sheet_add_result() once;
 * sheet_header(), then sheet_row() per row; sheet_release().
 *
 * Mechanism tier: -1 with errno (ENOMEM), never prints or exits.
 */
#ifndef ROWPOOL_SHEET_H
#define ROWPOOL_SHEET_H

#include <stddef.h>
#include <jansson.h>

#include "rowpool/csvw.h"

/* Object schemas nested deeper than this are one column. */
#define SHEET_DEPTH_MAX	32

enum sheet_src {
	SHEET_INPUT,		/* the input row's value at path[0] */
	SHEET_INPUT_ALL,	/* the whole input row, JSON text */
	SHEET_STATUS,
	SHEET_ERROR_KIND,
	SHEET_ERROR_MESSAGE,
	SHEET_DATA		/* data at path (depth 0: all of data) */
};

struct sheet_col {
	char		*name;		/* in the header; unique */
	enum sheet_src	 src;
	char		**path;		/* keys, each owned */
	size_t		 depth;
};

struct sheet {
	struct sheet_col	*cols;
	size_t			 n;
	size_t			 cap;
};

void	sheet_init(struct sheet *sh);
/* An input column: key is a CSV column or a JSONL key. */
int	sheet_add_input(struct sheet *sh, const char *key);
int	sheet_add_input_all(struct sheet *sh);
/* The status columns and the data columns; settings may be NULL. */
int	sheet_add_result(struct sheet *sh, const json_t *settings);
/* The header record, appended to w and ended. */
int	sheet_header(const struct sheet *sh, struct csvw *w);
/*
 * The cells of one row, appended to w and ended.  input: the input row (an
 * object), or NULL when there is none (not asked for, or a bad input
 * row); result: the row's result object, or NULL for a pending row.
 */
int	sheet_row(const struct sheet *sh, struct csvw *w,
	    const json_t *input, const json_t *result);
void	sheet_release(struct sheet *sh);

#endif
