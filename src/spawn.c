/*
 * spawn: fork and exec a program with three pipes.  Invariants: every
 * descriptor this module opens is close-on-exec and above 2, so that no
 * child (this one, or one started later) inherits another's pipes and a
 * caller started with a standard descriptor closed cannot have its pipes
 * clobbered by the child's dup2; the child's ends become its 0, 1 and 2
 * by dup2, which clears the flag on them only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rowpool/io.h"
#include "rowpool/spawn.h"

#define WAIT_STEP_NS	(2 * 1000 * 1000)	/* spawn_wait's polling */

enum { P_IN, P_OUT, P_ERR, P_REPORT, NPIPES };

/* What the child needs, prepared before fork. */
struct child {
	char *const	*argv;
	const char	*dir;
	pid_t		 parent;
	int		 fds[3];	/* become its 0, 1 and 2 */
	int		 report;	/* its errno goes here if exec fails */
};

void
spawn_init(struct spawn *sp)
{
	sp->pid = -1;
	sp->in = sp->out = sp->err = -1;
	sp->status = 0;
}

/* ---- the child ---- */

static _Noreturn void
child_fail(int report)
{
	int e = errno;
	ssize_t n = write(report, &e, sizeof(e));

	(void)n;	/* nothing more a failing child can do */
	_exit(127);
}

static _Noreturn void
child_exec(const struct child *c)
{
	struct sigaction sa;
	sigset_t none;
	int sig, i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != c->parent)	/* it died before the line above */
		_exit(127);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 0; i < 3; i++)
		if (dup2(c->fds[i], i) == -1)
			child_fail(c->report);
	/* Whatever the caller left open goes at exec; report stays till
	 * then.  An old kernel without the flag: the caller's own
	 * descriptors are close-on-exec anyway. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (c->dir != NULL && chdir(c->dir) == -1)
		child_fail(c->report);
	execvp(c->argv[0], c->argv);
	child_fail(c->report);
}

/* ---- the parent ---- */

/* fd moved above 2 (close-on-exec), or itself; -1 on failure. */
static int
above_std(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static void
close_pipes(int p[NPIPES][2])
{
	int i, j, e = errno;

	for (i = 0; i < NPIPES; i++)
		for (j = 0; j < 2; j++)
			if (p[i][j] != -1) {
				close(p[i][j]);
				p[i][j] = -1;
			}
	errno = e;
}

static int
open_pipes(int p[NPIPES][2])
{
	int i, j;

	memset(p, -1, sizeof(int) * NPIPES * 2);
	for (i = 0; i < NPIPES; i++) {
		if (pipe2(p[i], O_CLOEXEC) == -1)
			goto fail;
		for (j = 0; j < 2; j++)
			if ((p[i][j] = above_std(p[i][j])) == -1)
				goto fail;
	}
	return 0;
fail:
	close_pipes(p);
	return -1;
}

/* Forks with every signal blocked; the child runs c, never returns. */
static pid_t
fork_child(const struct child *c)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	fflush(NULL);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == 0)
		child_exec(c);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

/* The child's verdict: 0 once it exec'd, or -1 with its errno. */
static int
exec_result(struct spawn *sp, int report)
{
	int e;

	if (read_full(report, &e, sizeof(e)) != (ssize_t)sizeof(e))
		return 0;	/* end of file: the exec closed it */
	spawn_wait(sp, -1);
	errno = e;
	return -1;
}

int
spawn_start(struct spawn *sp, char *const argv[], const char *dir)
{
	int p[NPIPES][2];
	struct child c = { .argv = argv, .dir = dir, .parent = getpid() };

	spawn_init(sp);
	if (open_pipes(p) == -1)
		return -1;
	c.fds[0] = p[P_IN][0];
	c.fds[1] = p[P_OUT][1];
	c.fds[2] = p[P_ERR][1];
	c.report = p[P_REPORT][1];
	if ((sp->pid = fork_child(&c)) == -1) {
		close_pipes(p);
		return -1;
	}
	close(p[P_REPORT][1]);
	p[P_REPORT][1] = -1;
	if (exec_result(sp, p[P_REPORT][0]) == -1) {
		close_pipes(p);
		return -1;
	}
	close(p[P_REPORT][0]);
	close(p[P_IN][0]);
	close(p[P_OUT][1]);
	close(p[P_ERR][1]);
	sp->in = p[P_IN][1];
	sp->out = p[P_OUT][0];
	sp->err = p[P_ERR][0];
	fd_set_nonblock(sp->in);
	fd_set_nonblock(sp->out);
	fd_set_nonblock(sp->err);
	return 0;
}

void
spawn_close_in(struct spawn *sp)
{
	if (sp->in != -1)
		close(sp->in);
	sp->in = -1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
spawn_wait(struct spawn *sp, int ms)
{
	struct timespec step = { 0, WAIT_STEP_NS };
	int64_t end = now_ms() + ms;
	pid_t r;
	int st;

	while (sp->pid != -1) {
		r = waitpid(sp->pid, &st, ms < 0 ? 0 : WNOHANG);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == sp->pid) {
			sp->status = st;
			sp->pid = -1;
			break;
		}
		if (now_ms() >= end)
			return 0;
		nanosleep(&step, NULL);
	}
	return 1;
}

void
spawn_kill(struct spawn *sp)
{
	if (sp->pid == -1)
		return;
	kill(sp->pid, SIGKILL);
	spawn_wait(sp, -1);
}

void
spawn_release(struct spawn *sp)
{
	spawn_close_in(sp);
	if (sp->out != -1)
		close(sp->out);
	if (sp->err != -1)
		close(sp->err);
	sp->out = sp->err = -1;
	spawn_kill(sp);
}

void
spawn_describe(int status, char *buf, size_t len)
{
	const char *abbr;

	if (WIFSIGNALED(status)) {
		abbr = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, len, "killed by signal %d (SIG%s)",
		    WTERMSIG(status), abbr ? abbr : "?");
	} else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else
		snprintf(buf, len, "ended with wait status %#x", status);
}

/* ---- finding the program ---- */

/* 0 when path is an executable regular file, else -1 with errno. */
static int
executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

/* dir/a/b into buf, leaving out dir when a is absolute or dir NULL. */
static int
join3(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	int n;

	if (dir == NULL || a[0] == '/')
		dir = "";
	n = snprintf(buf, len, "%s%s%s%s%s", dir, dir[0] != '\0' ? "/" : "",
	    a, a[0] != '\0' && b[0] != '\0' ? "/" : "", b);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
spawn_resolve(const char *file, const char *dir, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	char elem[4096];
	int seen = ENOENT;

	if (file[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/') != NULL)
		return join3(buf, len, dir, file, "") == -1 ? -1 :
		    executable(buf);
	for (p = path != NULL ? path : "/bin:/usr/bin"; ; p = end + 1) {
		end = strchrnul(p, ':');
		/* An empty element is the working directory, as for execvp. */
		if (end == p)
			strlcpy(elem, ".", sizeof(elem));
		else
			snprintf(elem, sizeof(elem), "%.*s", (int)(end - p), p);
		if (join3(buf, len, dir, elem, file) == 0 &&
		    executable(buf) == 0)
			return 0;
		if (errno == EACCES)
			seen = EACCES;
		if (*end == '\0')
			break;
	}
	errno = seen;
	return -1;
}

int
spawn_interpreter(const char *path, char *buf, size_t len)
{
	char head[256];
	ssize_t n;
	size_t at, k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read_full(fd, head, sizeof(head) - 1);
	close(fd);
	if (n == -1)
		return -1;
	head[n] = '\0';
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return 0;
	at = 2 + strspn(head + 2, " \t");
	if ((k = strcspn(head + at, " \t\r\n")) == 0)
		return 0;
	snprintf(buf, len, "%.*s", (int)k, head + at);
	return 1;
}
