/*
 * shards: the shards of one run (rowpool run --shard K/N) read as one
 * run: their states opened read only (snapshot.h), checked to be the
 * shards of one run, and their committed results walked in input order.
 * rowpool merge and rowpool export both read shards through it, so they
 * accept and refuse the same shards.
 *
 * The checks, all made by shards_open() before a row is read: each shard
 * has the input of the first one given (fingerprint and row count), its
 * settings but the shard, and its N; no K is given twice (the same state
 * named twice is two shards claiming the same rows); no K is missing
 * (unless SHARDS_MISSING_OK); every shard is finished (unless
 * SHARDS_UNFINISHED_OK).  A state that is not a shard is shard 0/1.
 *
 * Memory does not grow with the number of rows: shards_walk() walks each
 * shard's committed journal in row order (output_walk) into an unlinked
 * temp file, then reads the temp files side by side, one line of each at
 * a time.  It holds one temp file open per shard, and raises the soft
 * open-file limit toward the hard one for them when it must (io.h).
 *
 * Policy for files, as snapshot.h: each function returns 0, or -1 with
 * ss->status (an exit status of sysexits.h: 65 shards that do not make
 * one run or a damaged one, 66 a shard with no state, 74 an I/O error,
 * 71 out of memory) and ss->why, which names the shard; it never prints
 * or exits.
 *
 * Calling sequence:
 *  1. shards_open(&ss, args, nargs, flags);
 *  2. shards_walk(&ss, visit, arg), at most once;
 *  3. shards_release(&ss), also after a failure.
 */
#ifndef ROWPOOL_SHARDS_H
#define ROWPOOL_SHARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rowpool/output.h"
#include "rowpool/snapshot.h"

#define SHARDS_MAX		1024	/* the shards given */
#define SHARDS_MAX_TEXT		"1024"

#define SHARDS_MISSING_OK	0x1	/* a K no shard is given for */
#define SHARDS_UNFINISHED_OK	0x2	/* a shard with rows not done */

struct shard;

struct shards {
	struct shard	**sh;		/* by K: N of them, NULL missing */
	unsigned	  n;		/* N */
	unsigned	  first;	/* K of the first shard given */
	uint64_t	  rows;		/* the rows of the whole input */
	int		  status;
	char		  why[1024];
};

/*
 * Opens and checks the states args[0 .. nargs) (each a state directory,
 * or an output whose state is OUTPUT.state), 1 <= nargs <= SHARDS_MAX.
 * The strings in args must outlive ss.
 */
int	shards_open(struct shards *ss, const char *const args[], size_t nargs,
	    unsigned flags);

/*
 * The state of the first shard given: the run's settings and input.
 * Owned by ss.
 */
struct snapshot	*shards_first(struct shards *ss);

/* The state of shard k; NULL when it was not given.  Owned by ss. */
const struct snapshot	*shards_get(const struct shards *ss, unsigned k);

/* Was the shard that row belongs to (row % N) given? */
bool	shards_has(const struct shards *ss, uint64_t row);

/*
 * Calls visit for each row of the given shards that has a committed
 * result, in row order over all of them, with the row's last record
 * (as output_walk(); payload valid only during the call).  Rows without
 * a result (a shard not finished, or missing) are skipped: the caller
 * sees the gap.  Returns 0; -1 when visit returned -1 (ss->status is then
 * 0: the visitor knows why), or -1 with ss->status and ss->why for a
 * journal that cannot be read, is damaged, or holds a row of another
 * shard.
 */
int	shards_walk(struct shards *ss, output_visit_fn visit, void *arg);

void	shards_release(struct shards *ss);

#endif
