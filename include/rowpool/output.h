/*
 * output: the final results file.  It writes the payloads of the committed
 * journal records, one per line, in row order, atomically (durable.h).
 *
 * The journal is nearly in row order: rows finish in the order they were
 * dispatched, give or take the rows in flight, except for rows that were
 * retried or left over by an earlier run.  So the writer keeps a small
 * reorder heap of (row, offset) pairs, plus a sorted list of the few
 * stragglers found in a first pass, and reads payloads back by offset: its
 * memory depends on how far out of order the journal is, not on its size.
 *
 * Mechanism tier: -1 with errno; *step names the failing step.
 */
#ifndef ROWPOOL_OUTPUT_H
#define ROWPOOL_OUTPUT_H

#include <stdint.h>

/*
 * Writes the records in [0, committed) of the journal at jpath to
 * out_path (mode 0666 filtered by the umask).  Rows 0 .. nrows-1 must
 * each appear exactly once, not counting records that a later record of
 * the same row marked JOURNAL_REPLACES replaces (the last one counts); otherwise it fails with EBADMSG and *step =
 * "check", often before reading the whole journal.  Returns 0, or -1 with
 * errno and *step (may be NULL): "journal" (it cannot be read, EBADMSG
 * for a damaged record, ENODATA when shorter than committed), "alloc",
 * or a step of durable.h for out_path, whose old version then survives.
 *
 * Memory: 24 bytes per straggler (a record more than 4096 rows behind
 * the highest row before it) and per replacement, plus at most 4096 such entries for the
 * reorder heap, plus one payload; never the whole journal.
 */
int	output_write(const char *jpath, uint64_t committed, uint64_t nrows,
	    const char *out_path, const char **step);

#endif
