/*
 * iohook: the crash-point and I/O-error test hook of io (ROWPOOL_TEST_CRASH,
 * ROWPOOL_TEST_IOERR, ROWPOOL_TEST_IOLOG).  The operation n has point
 * 2n-1 before it (it is not done) and 2n after it (it is done); only the
 * process that made the first operation counts.  The variables are read
 * once per process: each case is a test of its own (Criterion forks one
 * per test) or a child.
 */
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "fault.h"
#include "scratch.h"

TestSuite(iohook, .init = scratch_setup, .fini = scratch_teardown);

enum { OP_WRITE, OP_FSYNC, OP_RENAME, OP_UNLINK, NOPS };

/* What each of the four operations returned, and whether it was done. */
struct outcome {
	int	rc[NOPS];
	int	err[NOPS];
	bool	done[NOPS];
};

/* write "hello" to f, fsync it, rename f to g, unlink h. */
static void
four_ops(struct outcome *o)
{
	int fd, calls;

	scratch_write(scratch_path("h"), "x", 1);
	fd = open(scratch_path("f"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	errno = 0;
	o->rc[OP_WRITE] = io_write(fd, "hello", 5);
	o->err[OP_WRITE] = errno;
	o->done[OP_WRITE] = scratch_size(scratch_path("f")) == 5;
	calls = fault_fsync_calls;
	errno = 0;
	o->rc[OP_FSYNC] = io_fsync(fd);
	o->err[OP_FSYNC] = errno;
	o->done[OP_FSYNC] = fault_fsync_calls == calls + 1;
	close(fd);
	errno = 0;
	o->rc[OP_RENAME] = io_rename(scratch_path("f"), scratch_path("g"));
	o->err[OP_RENAME] = errno;
	o->done[OP_RENAME] = scratch_size(scratch_path("f")) == -1;
	errno = 0;
	o->rc[OP_UNLINK] = io_unlink(scratch_path("h"));
	o->err[OP_UNLINK] = errno;
	o->done[OP_UNLINK] = scratch_size(scratch_path("h")) == -1;
}

struct failcase {
	char		 spec[16];	/* ROWPOOL_TEST_IOERR; no pointer: a
					   test runs in a process of its own */
	int		 op;		/* the operation that fails */
	int		 err;
	bool		 done;		/* it is done all the same */
};

static struct failcase failcases[] = {
	{ "1:ENOSPC", OP_WRITE, ENOSPC, false },
	{ "2:EIO", OP_WRITE, EIO, true },
	{ "3:EIO", OP_FSYNC, EIO, false },
	{ "4:EIO", OP_FSYNC, EIO, true },
	{ "5:ENOSPC", OP_RENAME, ENOSPC, false },
	{ "6:EIO", OP_RENAME, EIO, true },
	{ "7:EROFS", OP_UNLINK, EROFS, false },
	{ "8:EIO", OP_UNLINK, EIO, true },
};

ParameterizedTestParameters(iohook, fails_one_point)
{
	return cr_make_param_array(struct failcase, failcases,
	    sizeof(failcases) / sizeof(failcases[0]));
}

ParameterizedTest(struct failcase *c, iohook, fails_one_point)
{
	struct outcome o;
	int i;

	cr_assert_eq(setenv("ROWPOOL_TEST_IOERR", c->spec, 1), 0);
	four_ops(&o);
	for (i = 0; i < NOPS; i++) {
		if (i != c->op) {
			cr_expect_eq(o.rc[i], 0, "%s: op %d", c->spec, i);
			cr_expect(o.done[i], "%s: op %d not done", c->spec, i);
			continue;
		}
		cr_expect_eq(o.rc[i], -1, "%s: op %d", c->spec, i);
		cr_expect_eq(o.err[i], c->err, "%s: errno %d", c->spec,
		    o.err[i]);
		cr_expect_eq(o.done[i], c->done, "%s: op %d done: %d", c->spec,
		    i, o.done[i]);
	}
}

Test(iohook, off_unset)
{
	struct outcome o;
	int i;

	unsetenv("ROWPOOL_TEST_IOERR");
	unsetenv("ROWPOOL_TEST_CRASH");
	four_ops(&o);
	for (i = 0; i < NOPS; i++)
		cr_expect(o.rc[i] == 0 && o.done[i], "op %d", i);
}

/* Killed at point 3, before the fsync: the write is done, nothing after. */
Test(iohook, crash_kills, .timeout = 30)
{
	struct outcome o;
	pid_t pid;
	int st;

	cr_assert_eq(setenv("ROWPOOL_TEST_CRASH", "3", 1), 0);
	if ((pid = fork()) == 0) {
		four_ops(&o);
		_exit(0);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x",
	    st);
	cr_expect_eq(scratch_size(scratch_path("f")), 5);
	cr_expect_eq(scratch_size(scratch_path("g")), -1);
	cr_expect_eq(scratch_size(scratch_path("h")), 1);
}

/* A child forked after the first operation (a worker) does not count. */
Test(iohook, child_does_not_count, .timeout = 30)
{
	pid_t pid;
	int fd, st;

	cr_assert_eq(setenv("ROWPOOL_TEST_IOERR", "3:EIO", 1), 0);
	fd = open(scratch_path("f"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(io_write(fd, "a", 1), 0);
	if ((pid = fork()) == 0)
		_exit(io_write(fd, "b", 1) == 0 && io_write(fd, "c", 1) == 0 ?
		    0 : 1);
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	cr_expect_eq(io_write(fd, "d", 1), -1);
	cr_expect_eq(errno, EIO);
	close(fd);
}

Test(iohook, logs_each_operation)
{
	char want[4096];
	struct outcome o;
	size_t len;
	char *got;

	cr_assert_eq(setenv("ROWPOOL_TEST_IOERR", "4:EIO", 1), 0);
	cr_assert_eq(setenv("ROWPOOL_TEST_IOLOG", scratch_path("log"), 1), 0);
	four_ops(&o);
	scratch_fmt(want, sizeof(want),
	    "1 write ok - 5 %s\n"
	    "2 fsync ok fail-after 5 %s\n"
	    "3 rename ok - - %s %s\n"
	    "4 unlink ok - - %s\n", scratch_path("f"), scratch_path("f"),
	    scratch_path("f"), scratch_path("g"), scratch_path("h"));
	got = scratch_read(scratch_path("log"), &len);
	cr_expect_str_eq(got, want);
	free(got);
}
