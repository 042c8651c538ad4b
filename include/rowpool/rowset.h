/*
 * rowset: a set of row indices kept as sorted, disjoint ranges, so that
 * the rows of a batch (mostly runs of consecutive rows) fit in a few
 * bytes of the batch state file, as [[first, last], ...] in JSON.
 *
 * Mechanism tier: -1 with errno, never prints or exits.
 *
 * Calling sequence:
 *  1. rowset_init(&s) (or rowset_from_json);
 *  2. rowset_add(), rowset_has(), rowset_json(), s.count, and the ranges
 *     s.r[0 .. s.n) themselves, each [first, last] inclusive;
 *  3. rowset_release(&s).
 */
#ifndef ROWPOOL_ROWSET_H
#define ROWPOOL_ROWSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct rowset_range {
	uint64_t	 first, last;
};

struct rowset {
	struct rowset_range	*r;
	size_t			 n, cap;
	uint64_t		 count;		/* rows in the set */
};

void	rowset_init(struct rowset *s);
void	rowset_release(struct rowset *s);
/* Adds row (in any order; cheapest in ascending order).  0, or -1 with
 * ENOMEM (s unchanged). */
int	rowset_add(struct rowset *s, uint64_t row);
bool	rowset_has(const struct rowset *s, uint64_t row);
/* [[first, last], ...]: a new reference, or NULL with ENOMEM. */
json_t	*rowset_json(const struct rowset *s);
/*
 * Reads what rowset_json wrote into s (rowset_init'ed by it).  Returns
 * 0, or -1 with EINVAL (not such an array: ranges out of order, reversed
 * or overlapping) or ENOMEM; s is then empty.
 */
int	rowset_from_json(struct rowset *s, const json_t *j);

#endif
