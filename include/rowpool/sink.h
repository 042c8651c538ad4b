/*
 * sink: where a command's output goes: standard output, or a file that is
 * either entirely the new version or still the old one (durable.h, with a
 * unique temp file PATH.rowpool-XXXXXX).  Writes are buffered (64 KiB).
 *
 * Standard output is written with write(2): the caller ignores SIGPIPE,
 * and a reader that went away (`| head`) is a write that fails with
 * EPIPE, for the caller to tell apart from a real error.
 *
 * Calling sequence:
 *  1. sink_open(&s, path, &step), path NULL for standard output; on
 *     failure nothing is left to release;
 *  2. sink_write(&s, ...) any number of times; the first failure sticks;
 *  3. sink_commit(&s, &step) (standard output: flushed; a file: made
 *     durable and renamed into place), or sink_abort(&s) to give up (a
 *     file: its temp file removed, the old version left).  Either
 *     releases everything; sink_abort() may be called again after either.
 *
 * Mechanism tier: -1 with errno, never prints or exits; *step (may be
 * NULL) names the step that failed, as in durable.h ("write" for
 * standard output).
 */
#ifndef ROWPOOL_SINK_H
#define ROWPOOL_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "rowpool/durable.h"

#define SINK_BUFSZ	(64 * 1024)

struct sink {
	bool		 file;	/* durable file, not standard output */
	struct durable	 d;
	unsigned char	*buf;	/* standard output's buffer */
	size_t		 len;
	int		 failed;	/* errno of the first failed write */
};

int	sink_open(struct sink *s, const char *path, const char **step);
int	sink_write(struct sink *s, const void *p, size_t n,
	    const char **step);
int	sink_commit(struct sink *s, const char **step);
void	sink_abort(struct sink *s);

#endif
