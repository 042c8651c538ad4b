/*
 * output: the journal's committed results in row order.  output_walk()
 * hands each row's result to a callback, in row order, skipping the rows
 * that have none (a run still going, or stopped); output_write() is its
 * user that writes the final results file, one line per row, every row
 * there, atomically (durable.h).
 *
 * The journal is nearly in row order: rows finish in the order they were
 * dispatched, give or take the rows in flight, except for rows that were
 * retried or left over by an earlier run.  So the walk keeps a small
 * reorder heap of (row, offset) pairs, plus a sorted list of the few
 * stragglers found in a first pass, and reads payloads back by offset: its
 * memory depends on how far out of order the journal is, not on its size.
 *
 * Mechanism tier: -1 with errno; *step names the failing step.
 */
#ifndef ROWPOOL_OUTPUT_H
#define ROWPOOL_OUTPUT_H

#include <stdint.h>

/* Records more than this many rows behind the highest row before them
 * are stragglers; the reorder heap holds at most this many rows plus one. */
#define OUTPUT_WINDOW	4096

/*
 * Called once per row that has a result, rows strictly increasing.
 * payload (len bytes, not NUL-terminated) is the row's last record; it is
 * valid only during the call.  Returns 0, or -1 with errno and *step set
 * to stop the walk.
 */
typedef int (*output_visit_fn)(void *arg, uint64_t row, const char *payload,
    uint32_t len, const char **step);

/*
 * Walks the records in [0, committed) of the journal at jpath (read
 * only, no lock: the committed prefix of a journal being appended to is
 * fine) and calls visit for each row that has one, in row order, with
 * the row's last record: a record marked JOURNAL_REPLACES replaces the
 * records of its row before it.  Rows without a record are skipped; the
 * caller sees the gap in the row numbers.  Every row must be below nrows
 * (UINT64_MAX: no bound).
 *
 * Returns 0, or -1 with errno and *step (may be NULL): "check" with
 * EBADMSG when a row is at or above nrows or has two records neither of
 * which replaces the other (often before the whole journal is read);
 * "journal" when it cannot be read (EBADMSG for a damaged record, ENODATA
 * when shorter than committed); "alloc"; or visit's own *step.  visit may
 * have been called for rows before the failure.
 *
 * Memory: 24 bytes per straggler (a record more than OUTPUT_WINDOW rows
 * behind the highest row before it) and per replacement, the reorder heap
 * (at most OUTPUT_WINDOW + 1 rows: a row is kept back only until the
 * journal has gone OUTPUT_WINDOW rows past it, as no record of it may
 * come after that but a straggler, all of which are known from the first
 * pass), plus one payload; never the whole journal.  Two reads of the
 * journal, then one pread per row kept back.
 */
int	output_walk(const char *jpath, uint64_t committed, uint64_t nrows,
	    output_visit_fn visit, void *arg, const char **step);

/*
 * Writes the records in [0, committed) of the journal at jpath to
 * out_path (mode 0666 filtered by the umask), each row's last record and
 * a newline, in row order.  Rows 0 .. nrows-1 must each have a record;
 * otherwise it fails with EBADMSG and *step = "check".  Returns 0, or -1
 * with errno and *step (may be NULL): a step of output_walk(), or of
 * durable.h for out_path, whose old version then survives.  Memory: as
 * output_walk().
 */
/*
 * As output_write, for a shard: the rows first, first + every, ... below
 * nrows are the ones that must each appear once (every 1: all of them).
 */
int	output_write_every(const char *jpath, uint64_t committed,
	    uint64_t nrows, uint64_t first, uint64_t every,
	    const char *out_path, const char **step);
int	output_write(const char *jpath, uint64_t committed, uint64_t nrows,
	    const char *out_path, const char **step);

#endif
