/*
 * bitset: one bit per row, growing as rows are seen.  The supervisor's
 * record of which rows are done costs 125 KiB per million rows.
 * Mechanism tier: -1 with errno (ENOMEM).
 */
#ifndef ROWPOOL_BITSET_H
#define ROWPOOL_BITSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bitset {
	uint64_t	*words;
	size_t		 nwords;
};

void	bitset_init(struct bitset *b);
void	bitset_release(struct bitset *b);
/* Sets bit i, growing the set as needed.  Returns 0 or -1 (ENOMEM). */
int	bitset_set(struct bitset *b, uint64_t i);
bool	bitset_test(const struct bitset *b, uint64_t i);
void	bitset_clear(struct bitset *b, uint64_t i);
/* The first set bit at or after from, in *out; false when none. */
bool	bitset_next(const struct bitset *b, uint64_t from, uint64_t *out);

#endif
