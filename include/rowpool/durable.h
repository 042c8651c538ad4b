/*
 * durable: write a file so that it is either entirely the new version or
 * still the old one, whatever happens (git's lockfile, Redis' rdbSave):
 * write PATH.tmp (created O_EXCL after removing a stale one), fsync it,
 * close it checking for errors, rename it over PATH, fsync the directory.
 *
 * Mechanism tier: -1 with errno, never prints or exits.  On failure *step
 * (may be NULL) names the step that failed: "unlink" (removing a stale
 * PATH.tmp), "open" (including a path too long and ENOMEM), "write",
 * "fsync", "close", "rename", "fsync-dir"; so the caller can say exactly
 * what went wrong.  The temp file is removed and the old PATH is left
 * untouched, except after "fsync-dir": the rename has happened, PATH is
 * the new version, but the rename may not survive a power loss.
 *
 * Calling sequence:
 *  1. durable_open(&d, path, mode, &step); on failure nothing is left to
 *     release.  mode is filtered by the umask, as for open(2).
 *  2. durable_write(&d, ...) any number of times.  Buffered (64 KiB); the
 *     first failure sticks: later writes and the commit fail with it.
 *  3. durable_commit(&d, &step), or durable_abort(&d) to give up.  Either
 *     releases everything, whatever the outcome; durable_abort() may be
 *     called again after either and does nothing.
 *
 * One writer per PATH at a time (the caller holds the lock): a second one
 * would remove the first one's temp file.
 */
#ifndef ROWPOOL_DURABLE_H
#define ROWPOOL_DURABLE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "rowpool/buf.h"

struct durable {
	int		 fd;
	char		 path[PATH_MAX];
	char		 tmp[PATH_MAX];
	struct buf	 b;	/* write buffer */
	int		 failed;	/* errno of the first failed write */
};

int	durable_open(struct durable *d, const char *path, mode_t mode,
	    const char **step);
/*
 * As durable_open, but the temp file is PATH.rowpool-XXXXXX (mkostemp), so
 * no one else's file is removed and two writers never share a temp file;
 * for files outside the caller's locked directory (the final output).  A
 * crash (kill -9) while it is open leaves that temp file behind.
 */
/*
 * Removes the PATH.rowpool-XXXXXX files that writers killed mid-way left
 * behind; only for a caller that holds PATH's lock (OUTPUT.lock), so no
 * writer of PATH is alive.  Returns how many it removed, or -1.
 */
int	durable_remove_stale(const char *path);
int	durable_open_unique(struct durable *d, const char *path, mode_t mode,
	    const char **step);
int	durable_write(struct durable *d, const void *p, size_t n,
	    const char **step);
int	durable_commit(struct durable *d, const char **step);
void	durable_abort(struct durable *d);

/* The whole sequence for a small buffer. */
int	durable_replace(const char *path, mode_t mode, const void *p,
	    size_t n, const char **step);

#endif
