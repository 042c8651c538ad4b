/*
 * durable: write a file so that it is either entirely the new version or
 * still the old one, whatever happens (git's lockfile, Redis' rdbSave):
 * write PATH.tmp (created O_EXCL after removing a stale one), fsync it,
 * close it checking for errors, rename it over PATH, fsync the directory.
 *
 * Mechanism tier: -1 with errno, never prints or exits.  On failure *step
 * names the step that failed ("open", "write", "fsync", "close", "rename",
 * "fsync-dir") so the caller can say exactly what went wrong, and the temp
 * file is removed: the old PATH is left untouched.
 *
 * Calling sequence:
 *  1. durable_open(&d, path, mode, &step);
 *  2. durable_write(&d, ...) any number of times (buffered);
 *  3. durable_commit(&d, &step), or durable_abort(&d) to give up.
 */
#ifndef ROWPOOL_DURABLE_H
#define ROWPOOL_DURABLE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct durable {
	int		 fd;
	char		 path[PATH_MAX];
	char		 tmp[PATH_MAX];
	unsigned char	*buf;	/* write buffer */
	size_t		 len;
	size_t		 cap;
	int		 failed;	/* errno of the first failed write */
};

int	durable_open(struct durable *d, const char *path, mode_t mode,
	    const char **step);
int	durable_write(struct durable *d, const void *p, size_t n,
	    const char **step);
int	durable_commit(struct durable *d, const char **step);
void	durable_abort(struct durable *d);

/* The whole sequence for a small buffer. */
int	durable_replace(const char *path, mode_t mode, const void *p,
	    size_t n, const char **step);

#endif
