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

/*
 * The operations that make a file last.  Every write, fsync, fdatasync,
 * rename, unlink and ftruncate of the journal, the manifest,
 * settings.json, the spooled input and the output goes through one of
 * these, and every fsync of a directory through fsync_dir.  Each is its
 * system call (io_write and io_writev: write_full and writev_full), with
 * its return value and errno, plus the test hook below.
 */
int	io_write(int fd, const void *buf, size_t len);
int	io_writev(int fd, struct iovec *iov, int iovcnt);
int	io_fsync(int fd);
int	io_fdatasync(int fd);
int	io_rename(const char *from, const char *to);
int	io_unlink(const char *path);
int	io_ftruncate(int fd, off_t len);

/* fsync(2) of the directory dir, so a rename or create in it is durable. */
int	fsync_dir(const char *dir);

/*
 * Test hook, after git's GIT_TEST_* variables: the n-th of the
 * operations above has two points, 2n-1 just before it (it is not done)
 * and 2n just after it (it is done, nothing after it is).
 *
 *   ROWPOOL_TEST_CRASH=K      SIGKILL at point K;
 *   ROWPOOL_TEST_IOERR=K:ERR  point K fails with errno ERR (EIO, ENOSPC,
 *                             any E name; EIO without one or for a name
 *                             it does not know): before, the operation
 *                             is not done; after, it is, and fails all
 *                             the same;
 *   ROWPOOL_TEST_IOLOG=FILE   one line per operation appended to FILE:
 *                             "N OP RESULT HOOK SIZE PATH [TO]", RESULT
 *                             "ok", an errno name or "-" (not done), HOOK
 *                             "-" or what the hook did ("crash-before",
 *                             "fail-after"...), SIZE the bytes written,
 *                             the file's size after an fsync, fdatasync
 *                             or ftruncate, or "-".
 *
 * They are read once, at the first operation; only the process that made
 * it counts (the supervisor: its workers, forked later, make none).
 * Unset, the hook costs one test of a flag per operation.
 */

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
