/*
 * scratch: a private temporary directory for each test, so tests can run
 * in parallel (--jobs) without sharing a path.
 */
#ifndef ROWPOOL_TEST_SCRATCH_H
#define ROWPOOL_TEST_SCRATCH_H

#include <stddef.h>
#include <sys/types.h>

/* The current test's directory, made by scratch_setup(). */
extern char	scratch_dir[];

/* Criterion .init and .fini hooks: make and remove scratch_dir. */
void	scratch_setup(void);
void	scratch_teardown(void);

/*
 * rm -rf without a shell: removes path and, if it is a directory,
 * everything under it, deepest first, never following a symbolic link
 * (nftw(3) with FTW_DEPTH | FTW_PHYS).  Returns 0, also when path does not
 * exist, or -1 with errno set by the first removal that failed.
 */
int	scratch_rmtree(const char *path);

/*
 * Returns scratch_dir/name, the same pointer for the same name for the
 * whole test (up to 32 names).
 */
const char	*scratch_path(const char *name);

/* Writes n bytes of p to path, replacing it; reads a whole file back. */
void	scratch_write(const char *path, const void *p, size_t n);
char	*scratch_read(const char *path, size_t *len);

/* snprintf into buf that fails the test rather than truncate. */
void	scratch_fmt(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Size of path, or -1 when it does not exist. */
off_t	scratch_size(const char *path);

#endif
