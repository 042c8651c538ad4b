/*
 * journal: the append-only file of final results.  Only a prefix of it
 * counts: the committed length recorded in the manifest.  Bytes past that
 * length are a torn or uncommitted tail and are cut off when the journal
 * is opened, never glued onto.
 *
 * Record layout (all integers little-endian):
 *
 *	offset	size	field
 *	0	4	payload length n
 *	4	4	CRC32C of bytes 8 .. 16+n (row index and payload)
 *	8	8	row index, JOURNAL_REPLACES or'd in when the record
 *			replaces the row's earlier ones (rowpool run
 *			--retry-failed): the last record of a row counts
 *	16	n	payload: one result as a JSON text, no newline
 *
 * Mechanism tier: -1/NULL with errno, never prints or exits.  A failed
 * journal_sync() poisons the journal (every later append or sync fails
 * with EIO): an fsync is never retried, since the kernel may have dropped
 * the dirty pages it reported failing.  A failed write poisons it too, as
 * it may have left part of a record in the file.  The way out is to close
 * it and journal_open() it again at the last committed length.
 *
 * Calling sequence (one process owns the journal, the state lock held):
 *  1. j = journal_open(path, committed, visit, arg, &bad_off);
 *  2. journal_append(j, ...) for each final result (cheap: buffered);
 *  3. journal_sync(j, &step), then commit journal_length(j) in the
 *     manifest; repeat 2-3;
 *  4. journal_close(j).
 */
#ifndef ROWPOOL_JOURNAL_H
#define ROWPOOL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_HDR_SIZE	16
#define JOURNAL_RECORD_MAX	(256u * 1024 * 1024)
#define JOURNAL_REPLACES	(UINT64_C(1) << 63)	/* in the row index */

struct journal;

/*
 * Called once per record, in file order.  payload is not NUL-terminated
 * and valid only during the call.  A non-zero return stops the walk.
 */
typedef int (*journal_visit_fn)(uint64_t row, const char *payload,
    uint32_t len, uint64_t offset, void *arg);

/*
 * Opens the journal at path (creating it, mode 0600), reads and checks
 * every record in [0, committed), calls visit (may be NULL) for each, then
 * truncates the file to committed and positions appends there.  Reads the
 * committed prefix sequentially with a bounded buffer (64 KiB, or twice
 * the largest record).  visit may already have been called for the records
 * before a damaged one.  bad_off may be NULL.
 * Returns NULL with errno:
 *   EBADMSG  a committed record is damaged (bad CRC, impossible length,
 *            or it runs past committed); *bad_off is its offset;
 *   ENODATA  the file is shorter than committed (*bad_off = file size);
 *   ECANCELED visit returned non-zero;
 *   or open/read/ftruncate's errno.
 */
struct journal	*journal_open(const char *path, uint64_t committed,
		    journal_visit_fn visit, void *arg, uint64_t *bad_off);

/*
 * Appends one record.  It is buffered (256 KiB; a larger record is
 * written at once); it reaches the file at the latest at journal_sync().
 * Returns 0, or -1 with errno (EMSGSIZE when len > JOURNAL_RECORD_MAX, a
 * write error, which poisons the journal, or EIO once poisoned).
 */
int	journal_append(struct journal *j, uint64_t row, const void *payload,
	    uint32_t len);

/*
 * Writes what is buffered and fdatasync()s.  On success every record
 * appended so far is durable and journal_length() may be committed.
 * Returns 0, or -1 with errno; *step (may be NULL) says "write", "fsync"
 * or, with EIO, "poisoned" when an earlier failure poisoned the journal.
 * Skips the fdatasync() when nothing was written since the last one.
 */
int	journal_sync(struct journal *j, const char **step);

/* Length of the journal including buffered records. */
uint64_t	journal_length(const struct journal *j);

/*
 * Closes without syncing; records still buffered are dropped (they were
 * never committed).  Keeps errno.  j may be NULL.
 */
void	journal_close(struct journal *j);

/*
 * Walks the records of the file at path from offset 0 up to limit bytes
 * (UINT64_MAX for all) without changing it.  Stops at the first record
 * that is cut short or damaged.  *valid_len is the length of the good
 * prefix (may be NULL).  Returns 0 when the good prefix reaches limit or
 * the end of the file, 1 when it stopped at a damaged record or one that
 * runs past limit or the end of the file, at *valid_len, or -1 with errno
 * (ECANCELED when visit returned non-zero).
 */
int	journal_scan(const char *path, uint64_t limit, journal_visit_fn visit,
	    void *arg, uint64_t *valid_len);

#endif
