/*
 * dedup: the requests of one run that are being answered, by their cache
 * key (cache.h), and the rows parked behind each until it is.  This is how
 * rows that render to the same request within a run are sent once: the
 * supervisor (never a worker: two workers could render the same request
 * at the same moment) claims a key before it dispatches a row, parks
 * every later row with that key, and when the claim ends hands the parked
 * rows back, to be answered from the cache (or, if the first one failed,
 * to claim the key again, one of them).
 *
 * Domain tier and pure: no I/O, no clock; -1 with ENOMEM, nothing else.
 *
 * Calling sequence:
 *  1. d = dedup_new();
 *  2. dedup_claim(d, key, item) before a row is sent: 1, the key is now
 *     claimed (item is the row that holds it; not kept); 0, another row
 *     holds it and item is parked behind it;
 *  3. dedup_release(d, key, fn, arg) when the holder is final (answered,
 *     failed for good, or dropped): fn(arg, item) for each parked item,
 *     first parked first, and the key is free again;
 *  4. dedup_free(d, fn, arg): fn for every item still parked.
 */
#ifndef ROWPOOL_DEDUP_H
#define ROWPOOL_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "rowpool/cache.h"

struct dedup;

struct dedup	*dedup_new(void);
void		 dedup_free(struct dedup *d, void (*fn)(void *arg,
		    void *item), void *arg);

/* See the calling sequence; -1 with ENOMEM, nothing changed. */
int	dedup_claim(struct dedup *d, const uint8_t key[CACHE_KEY_LEN],
	    void *item);

/* Ends key's claim; returns the number of items handed to fn. */
size_t	dedup_release(struct dedup *d, const uint8_t key[CACHE_KEY_LEN],
	    void (*fn)(void *arg, void *item), void *arg);

/* Keys claimed; items parked, all keys together. */
size_t	dedup_claims(const struct dedup *d);
size_t	dedup_parked(const struct dedup *d);

#endif
