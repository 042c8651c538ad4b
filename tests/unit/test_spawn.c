/*
 * spawn: a child with three pipes, how it ended, what it inherits (no
 * descriptor, no ignored signal, the caller's process group), that it
 * dies with the process that started it, and where execvp would find a
 * program.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rowpool/io.h"
#include "rowpool/spawn.h"
#include "scratch.h"

TestSuite(spawn, .init = scratch_setup, .fini = scratch_teardown);

/* A literal as an element of argv (execvp's type). */
#define A(s)	((char *)(uintptr_t)(s))

/* Everything fd says until its end (it is non-blocking). */
static char *
slurp(int fd)
{
	static char buf[4096];
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	for (;;) {
		cr_assert_geq(poll(&pf, 1, 10000), 1, "no output");
		n = read_some(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EAGAIN)
			continue;
		cr_assert_geq(n, 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* sh -c script, with its output and status. */
static char *
run_sh(const char *script, const char *dir, int *status)
{
	char *const argv[] = { A("sh"), A("-c"), A(script), NULL };
	struct spawn sp;
	char *out;

	cr_assert_eq(spawn_start(&sp, argv, dir), 0, "%s", strerror(errno));
	spawn_close_in(&sp);
	out = slurp(sp.out);
	cr_assert_eq(spawn_wait(&sp, -1), 1);
	*status = sp.status;
	spawn_release(&sp);
	return out;
}

Test(spawn, pipes_and_status, .timeout = 30)
{
	char *const argv[] = { A("sh"), A("-c"), A("read l; echo \"got $l\"; "
	    "echo oops >&2; exit 3"), NULL };
	char how[64];
	struct spawn sp;

	cr_assert_eq(spawn_start(&sp, argv, NULL), 0);
	cr_assert_eq(write_full(sp.in, "hi\n", 3), 0);
	cr_assert_str_eq(slurp(sp.out), "got hi\n");
	cr_assert_str_eq(slurp(sp.err), "oops\n");
	cr_assert_eq(spawn_wait(&sp, -1), 1);
	cr_assert_eq(sp.pid, -1);
	spawn_describe(sp.status, how, sizeof(how));
	cr_assert_str_eq(how, "exited with status 3");
	spawn_release(&sp);
	spawn_describe(SIGSEGV, how, sizeof(how));	/* a wait status */
	cr_assert_str_eq(how, "killed by signal 11 (SIGSEGV)");
}

Test(spawn, exec_failures_are_errno, .timeout = 30)
{
	char *const nosuch[] = { A("rowpool-no-such-program"), NULL };
	char *const plain[] = { A(scratch_path("plain")),
	    NULL };
	char *const sh[] = { A("sh"), A("-c"), A("exit 0"), NULL };
	struct spawn sp;

	cr_assert_eq(spawn_start(&sp, nosuch, NULL), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(sp.pid, -1);
	cr_assert_eq(sp.in, -1);
	scratch_write(scratch_path("plain"), "echo\n", 5);
	cr_assert_eq(spawn_start(&sp, plain, NULL), -1);
	cr_assert_eq(errno, EACCES);
	cr_assert_eq(spawn_start(&sp, sh, "/nonexistent"), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child left over");
}

/* Nothing of the caller's: descriptors, ignored signals, blocked ones;
 * but its process group, its environment and the directory asked for. */
Test(spawn, what_the_child_inherits, .timeout = 30)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t set;
	char want[128], *out;
	unsigned long long blk, ign;
	int st;

	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	out = run_sh("ls /proc/self/fd | tr '\\n' ' '", NULL, &st);
	cr_assert_str_eq(out, "0 1 2 3 ", "descriptors: %s", out);
	out = run_sh("grep -E '^Sig(Ign|Blk)' /proc/self/status | "
	    "tr -d ' \\t\\n'", NULL, &st);
	cr_assert_eq(sscanf(out, "SigBlk:%llxSigIgn:%llx", &blk, &ign), 2,
	    "%s", out);
	cr_assert_eq(blk, 0, "%s", out);
	/* Signals 32 and 33 are glibc's own (nptl): sigaction refuses
	 * them, and a test runner's threads may leave them ignored. */
	cr_assert_eq(ign & ~(3ULL << 31), 0, "%s", out);
	out = run_sh("ps -o pgid= -p $$ | tr -d ' \\n'", NULL, &st);
	snprintf(want, sizeof(want), "%d", (int)getpgrp());
	cr_assert_str_eq(out, want);
	out = run_sh("pwd", "/", &st);
	cr_assert_str_eq(out, "/\n");
	setenv("ROWPOOL_SPAWN_TEST", "passed on", 1);
	out = run_sh("printf %s \"$ROWPOOL_SPAWN_TEST\"", NULL, &st);
	cr_assert_str_eq(out, "passed on");
}

/* Started with no standard input: the pipes are not the child's 0. */
Test(spawn, caller_without_stdin, .timeout = 30)
{
	char *const argv[] = { A("cat"), NULL };
	struct spawn sp;

	close(0);
	cr_assert_eq(spawn_start(&sp, argv, NULL), 0);
	cr_assert_gt(sp.in, 2);
	cr_assert_eq(write_full(sp.in, "x\n", 2), 0);
	spawn_close_in(&sp);
	cr_assert_str_eq(slurp(sp.out), "x\n");
	spawn_release(&sp);
}

/* pid has ended: no such process, or a zombie. */
static bool
gone(pid_t pid)
{
	char path[64], stat[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return true;
	n = read_full(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return true;
	stat[n] = '\0';
	paren = strrchr(stat, ')');
	return paren != NULL && strncmp(paren, ") Z ", 4) == 0;
}

/* The caller dies (kill -9): its child goes too, at once. */
Test(spawn, child_dies_with_the_caller, .timeout = 30)
{
	char *const argv[] = { A("sleep"), A("60"), NULL };
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	struct spawn sp;
	int p[2];
	pid_t mid, pid;

	cr_assert_eq(pipe(p), 0);
	if ((mid = fork()) == 0) {
		if (spawn_start(&sp, argv, NULL) == -1)
			_exit(1);
		write_full(p[1], &sp.pid, sizeof(sp.pid));
		pause();
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read_full(p[0], &pid, sizeof(pid)), (ssize_t)sizeof(pid));
	cr_assert(!gone(pid));
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	/* A child that lives on fails the test by its .timeout. */
	while (!gone(pid))
		nanosleep(&ms10, NULL);
}

Test(spawn, wait_with_a_deadline, .timeout = 30)
{
	char *const argv[] = { A("sleep"), A("60"), NULL };
	struct spawn sp;

	cr_assert_eq(spawn_start(&sp, argv, NULL), 0);
	cr_assert_eq(spawn_wait(&sp, 50), 0);
	spawn_kill(&sp);
	cr_assert_eq(sp.pid, -1);
	cr_assert(WIFSIGNALED(sp.status) && WTERMSIG(sp.status) == SIGKILL);
	spawn_release(&sp);
}

Test(spawn, resolve_as_execvp_would, .timeout = 30)
{
	char path[PATH_MAX], want[PATH_MAX], dir[PATH_MAX];

	scratch_fmt(dir, sizeof(dir), "%s/bin", scratch_dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	scratch_fmt(want, sizeof(want), "%s/tool", dir);
	scratch_write(want, "#!/bin/sh -e\necho\n", 18);
	setenv("PATH", "/nonexistent::", 1);	/* "" is "." */
	cr_assert_eq(spawn_resolve("tool", dir, path, sizeof(path)), -1);
	cr_assert_eq(errno, EACCES, "found, not executable");
	chmod(want, 0755);
	cr_assert_eq(spawn_resolve("tool", dir, path, sizeof(path)), 0);
	scratch_fmt(want, sizeof(want), "%s/./tool", dir);
	cr_assert_str_eq(path, want);
	cr_assert_eq(spawn_resolve("./bin/tool", scratch_dir, path,
	    sizeof(path)), 0);
	cr_assert_eq(spawn_resolve("nope", dir, path, sizeof(path)), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(spawn_resolve("bin", scratch_dir, path, sizeof(path)),
	    -1);
	cr_assert_eq(errno, ENOENT, "a directory in PATH is skipped");
	cr_assert_eq(spawn_resolve("./bin", scratch_dir, path, sizeof(path)),
	    -1);
	cr_assert_eq(errno, EISDIR);
	cr_assert_eq(spawn_interpreter(want, path, sizeof(path)), 1);
	cr_assert_str_eq(path, "/bin/sh");
	cr_assert_eq(spawn_interpreter("/bin/sh", path, sizeof(path)), 0);
}
