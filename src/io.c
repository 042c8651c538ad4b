/*
 * io: EINTR-safe read/write wrappers and durable-directory helpers.  The
 * only place in rowpool that loops on EINTR, and the one place where the
 * operations that make a file last are counted for the crash-point and
 * I/O-error tests (ROWPOOL_TEST_CRASH, ROWPOOL_TEST_IOERR): whatever the
 * hook does, it does it here, so the code above it is the code that ships.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "rowpool/io.h"

ssize_t
read_some(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(fd, buf, len);
	} while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read_some(fd, (char *)buf + done, len - done);
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
writev_full(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt > 0) {
		n = writev(fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int
pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done,
		    off + (off_t)done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* ---- the operations that make a file last, and their test hook ---- */

struct io_op {
	const char	*name;		/* "fsync" */
	int		 fd;		/* -1: path names the file */
	const char	*path;
	const char	*to;		/* rename's */
	long long	 size;		/* bytes written, new length, or -1 */
	bool		 stat;		/* log the file's size after it */
	unsigned long	 n;		/* its number; 0: the hook is off */
};

static struct {
	bool		 read;		/* the variables were read */
	pid_t		 pid;		/* the process that counts; 0: none */
	unsigned long	 n;		/* operations so far */
	unsigned long	 crash;		/* the point to die at; 0: none */
	unsigned long	 fail;		/* the point to fail at; 0: none */
	int		 fail_errno;
	int		 log_fd;
} hook = { .log_fd = -1 };

/* "EIO" -> EIO; EIO for a name it does not know. */
static int
errno_parse(const char *name)
{
	const char *s;
	int e;

	for (e = 1; e < 4096; e++)
		if ((s = strerrorname_np(e)) != NULL && strcmp(s, name) == 0)
			return e;
	return EIO;
}

static void
hook_read(void)
{
	const char *crash = getenv("ROWPOOL_TEST_CRASH");
	const char *ioerr = getenv("ROWPOOL_TEST_IOERR");
	const char *log = getenv("ROWPOOL_TEST_IOLOG");
	char *end;

	hook.read = true;
	if (crash != NULL)
		hook.crash = strtoul(crash, NULL, 10);
	if (ioerr != NULL) {
		hook.fail = strtoul(ioerr, &end, 10);
		hook.fail_errno = *end == ':' ? errno_parse(end + 1) : EIO;
	}
	if (log != NULL)
		hook.log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0644);
	if (hook.crash != 0 || hook.fail != 0 || hook.log_fd != -1)
		hook.pid = getpid();
}

static bool
hook_on(void)
{
	if (!hook.read)
		hook_read();
	return hook.pid != 0 && getpid() == hook.pid;
}

/* The op's line in ROWPOOL_TEST_IOLOG; keeps errno. */
static void
hook_log(const struct io_op *op, const char *result, const char *what)
{
	char line[2 * PATH_MAX + 128], path[PATH_MAX] = "?", size[24] = "-";
	char fdpath[32];
	struct stat st;
	long long sz = op->size;
	ssize_t n;
	int len, saved = errno;

	if (hook.log_fd == -1)
		return;
	if (op->path != NULL)
		strlcpy(path, op->path, sizeof(path));
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", op->fd);
	if (op->path == NULL &&
	    (n = readlink(fdpath, path, sizeof(path) - 1)) > 0)
		path[n] = '\0';
	if (op->stat && fstat(op->fd, &st) == 0)
		sz = (long long)st.st_size;
	if (sz >= 0)
		snprintf(size, sizeof(size), "%lld", sz);
	len = snprintf(line, sizeof(line), "%lu %s %s %s %s %s%s%s\n", op->n,
	    op->name, result, what, size, path, op->to != NULL ? " " : "",
	    op->to != NULL ? op->to : "");
	if (len > 0)
		(void)write_full(hook.log_fd, line, (size_t)len < sizeof(line) ?
		    (size_t)len : sizeof(line) - 1);
	errno = saved;
}

/* Point k of op: dies, or -1 with the errno to inject, or 0. */
static int
hook_point(const struct io_op *op, unsigned long k, const char *result,
    const char *when)
{
	char what[32];

	if (k != hook.crash && k != hook.fail)
		return 0;
	snprintf(what, sizeof(what), "%s-%s", k == hook.crash ? "crash" :
	    "fail", when);
	hook_log(op, result, what);
	if (k == hook.crash)
		kill(getpid(), SIGKILL);
	errno = hook.fail_errno;
	return -1;
}

/* Point 2n-1, before the n-th operation: 0, or -1 to fail it. */
static int
hook_before(struct io_op *op)
{
	if (!hook_on())
		return 0;
	op->n = ++hook.n;
	return hook_point(op, 2 * op->n - 1, "-", "before");
}

/* Point 2n, after it: rc, what the operation returned, or -1 to fail. */
static int
hook_after(const struct io_op *op, int rc)
{
	const char *result;
	int saved = errno;

	if (op->n == 0)
		return rc;
	result = rc == 0 ? "ok" : strerrorname_np(saved);
	if (hook_point(op, 2 * op->n, result, "after") == -1)
		return -1;
	hook_log(op, result != NULL ? result : "?", "-");
	errno = saved;
	return rc;
}

int
io_write(int fd, const void *buf, size_t len)
{
	struct io_op op = { .name = "write", .fd = fd,
	    .size = (long long)len };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, write_full(fd, buf, len));
}

int
io_writev(int fd, struct iovec *iov, int iovcnt)
{
	struct io_op op = { .name = "write", .fd = fd, .size = 0 };
	int i;

	for (i = 0; i < iovcnt; i++)
		op.size += (long long)iov[i].iov_len;
	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, writev_full(fd, iov, iovcnt));
}

int
io_fsync(int fd)
{
	struct io_op op = { .name = "fsync", .fd = fd, .size = -1,
	    .stat = true };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, fsync(fd));
}

int
io_fdatasync(int fd)
{
	struct io_op op = { .name = "fdatasync", .fd = fd, .size = -1,
	    .stat = true };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, fdatasync(fd));
}

int
io_rename(const char *from, const char *to)
{
	struct io_op op = { .name = "rename", .fd = -1, .path = from,
	    .to = to, .size = -1 };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, rename(from, to));
}

int
io_unlink(const char *path)
{
	struct io_op op = { .name = "unlink", .fd = -1, .path = path,
	    .size = -1 };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, unlink(path));
}

int
io_ftruncate(int fd, off_t len)
{
	struct io_op op = { .name = "ftruncate", .fd = fd,
	    .size = (long long)len };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, ftruncate(fd, len));
}

static int
fsync_dir_fd(const char *dir)
{
	int fd, rc, saved;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
fsync_dir(const char *dir)
{
	struct io_op op = { .name = "fsync-dir", .fd = -1, .path = dir,
	    .size = -1 };

	if (hook_before(&op) == -1)
		return -1;
	return hook_after(&op, fsync_dir_fd(dir));
}

int
fd_set_nonblock(int fd)
{
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
fd_limit_raise(rlim_t need, struct rlimit *rl)
{
	if (getrlimit(RLIMIT_NOFILE, rl) == -1)
		return -1;
	if (rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur >= need ||
	    rl->rlim_cur >= rl->rlim_max)
		return 0;
	rl->rlim_cur = rl->rlim_max == RLIM_INFINITY || need < rl->rlim_max ?
	    need : rl->rlim_max;
	if (setrlimit(RLIMIT_NOFILE, rl) == -1)
		getrlimit(RLIMIT_NOFILE, rl);
	return 0;
}

int
path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n;

	n = snprintf(buf, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
path_dirname(char *buf, size_t len, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return strlcpy(buf, ".", len) < len ? 0 : (errno = ENAMETOOLONG, -1);
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

int
io_exit_status(int err)
{
	return err == ENOMEM ? EX_OSERR : EX_IOERR;
}
