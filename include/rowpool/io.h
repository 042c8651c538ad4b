/*
 * io: the lowest wrappers around read(2), write(2), fsync(2) and friends.
 *
 * Mechanism tier: every function returns -1 with errno set on failure and
 * never prints or exits.  EINTR is handled here, once, so that no caller
 * has to: a call interrupted by a signal is restarted.
 */
#ifndef ROWPOOL_IO_H
#define ROWPOOL_IO_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Reads up to len bytes, retrying on EINTR and short reads.  Returns the
 * number of bytes read, which is less than len only at end of file, or -1.
 * Blocks on a blocking fd.
 */
ssize_t	read_full(int fd, void *buf, size_t len);

/*
 * One read(2), restarted on EINTR.  Returns bytes read, 0 at end of file,
 * or -1 (EAGAIN on an empty non-blocking fd).
 */
ssize_t	read_some(int fd, void *buf, size_t len);

/*
 * Writes all len bytes, retrying on EINTR and short writes.  Returns 0 or
 * -1 (EPIPE when the reader is gone: callers ignore SIGPIPE).
 */
int	write_full(int fd, const void *buf, size_t len);

/* writev(2) of every byte of iov[0..iovcnt), as write_full. iov is modified. */
int	writev_full(int fd, struct iovec *iov, int iovcnt);

/* pread(2) of exactly len bytes at off; -1 with EIO on a short read. */
int	pread_full(int fd, void *buf, size_t len, off_t off);

/* fsync(2) of the directory dir, so a rename or create in it is durable. */
int	fsync_dir(const char *dir);

/* Sets O_NONBLOCK on fd. */
int	fd_set_nonblock(int fd);

/*
 * Raises the soft open-file limit (RLIMIT_NOFILE) to need, or as near
 * as the hard limit allows; never lowers it.  *rl holds the limits
 * after (when setrlimit fails, those still in force).  Returns 0, or -1
 * when getrlimit fails.
 */
int	fd_limit_raise(rlim_t need, struct rlimit *rl);

/*
 * The exit status (sysexits.h) for a file operation that failed with
 * err: EX_OSERR for ENOMEM (out of memory is a system error), otherwise
 * EX_IOERR.
 */
int	io_exit_status(int err);

/*
 * Joins dir and name into buf of size len as "dir/name".  Returns 0, or
 * -1 with ENAMETOOLONG when it does not fit.
 */
int	path_join(char *buf, size_t len, const char *dir, const char *name);

/*
 * Copies the directory part of path into buf ("." when path has none).
 * Returns 0 or -1 with ENAMETOOLONG.
 */
int	path_dirname(char *buf, size_t len, const char *path);

#endif
