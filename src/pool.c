/*
 * pool: fork, feed, watch and reap the workers.
 *
 * Invariants:
 *  - a worker works on one row at a time and holds at most POOL_DEPTH,
 *    more than one only once rows have proven fast (see POOL_DEPTH);
 *    every row handed to a worker comes back through on_outcome exactly
 *    once: a result, the way its worker failed (charged to the oldest row
 *    only; the others come back POOL_REQUEUED), or POOL_ABANDONED on
 *    drain/kill;
 *  - the supervisor never blocks on a worker: channels are non-blocking,
 *    partial frames are buffered both ways, and every busy slot has a
 *    deadline;
 *  - every worker forked is reaped before pool_run returns;
 *  - workers never take the supervisor's last FD_SPARE descriptors: those
 *    that would not fit under the open-file limit are not started.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "rowpool/buf.h"
#include "rowpool/frame.h"
#include "rowpool/io.h"
#include "rowpool/msgbuf.h"
#include "rowpool/pool.h"
#include "rowpool/proto.h"

/* LeakSanitizer is there: ASan's (GCC says so, clang has __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define ROWPOOL_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define ROWPOOL_LSAN 1
#endif
#endif
#ifndef ROWPOOL_LSAN
#define ROWPOOL_LSAN 0
#endif
#if ROWPOOL_LSAN
#include <sanitizer/lsan_interface.h>
/*
 * A worker's leak check as it leaves takes about a second (more on a busy
 * machine): a worker told to leave is given this much more time before
 * TERM or KILL.
 */
#define EXIT_CHECK_MS		20000
#else
#define EXIT_CHECK_MS		0
#endif

#define SPAWN_BACKOFF_MS	1000	/* per slot, after a failed start */
#define KILL_AFTER_MS		1000	/* TERM, then KILL this much later */
#define NOSTART_FAILURES	3	/* per slot, before giving up */
#define MSG_MAX			256
#define FD_SPARE		8	/* for the supervisor's own files */
/*
 * Rows a worker may hold at once.  A worker is sent a second row while it
 * works on one only once rows have proven fast: FAST_AFTER_ROWS rows timed
 * and their moving average (each row weighs 1/ROW_AVG_WEIGHT) under
 * FAST_ROW_US.  Then a worker never sleeps between rows and each write
 * carries several tasks (the echo processor runs three times as fast).
 * Until then, at every start and resume, each worker holds one row: slow
 * rows (an API call) never queue behind one another, every idle worker
 * gets one, and a pause (a 429) stops requests at once.
 *
 * FAST_AFTER_ROWS is the average's own horizon: with fewer rows it is
 * mostly the first row's time.  One row of 8 * FAST_ROW_US or more (any
 * API call) lifts the average over FAST_ROW_US at once and the pool queues
 * no more; a hiccup of a few ms (a checkpoint's fsync) does not.  Rows
 * already queued behind a row that turned out slow stay with their worker:
 * taking them back would need the busy worker to read ahead, a duplicate
 * request, or killing the worker mid-row.  The wait is bounded (at most
 * POOL_DEPTH - 1 rows per worker, once per turn from fast to slow) and
 * each queued row gets its full deadline when its worker starts it.
 */
#define POOL_DEPTH		4
#define FAST_ROW_US		1000
#define ROW_AVG_WEIGHT		8
#define FAST_AFTER_ROWS		ROW_AVG_WEIGHT

enum slot_state {
	SLOT_EMPTY,	/* no process */
	SLOT_STARTING,	/* forked, READY not seen yet */
	SLOT_IDLE,
	SLOT_BUSY,
	SLOT_STOPPING	/* told to go (EOF or signal), not reaped yet */
};

/* A row handed to a worker and owed an outcome. */
struct held {
	uint64_t	 row;
	void		*ctx;
	int64_t		 sent_us;	/* dispatched (now_us) */
};

struct slot {
	enum slot_state		 state;
	pid_t			 pid;
	int			 fd;		/* -1 once closed */
	struct frame_reader	 rd;
	struct buf		 w;		/* TASK frames to send */
	size_t			 woff;		/* bytes of w sent */
	struct held		 q[POOL_DEPTH];	/* rows sent, oldest first */
	unsigned		 nq;
	int64_t			 started;	/* us: q[0] got the worker */
	int64_t			 deadline;	/* BUSY: timeout; STOPPING: KILL */
	bool			 killed;	/* SIGKILL sent */
	int64_t			 spawn_at;	/* EMPTY: earliest fork */
	unsigned		 rows;		/* answered by this process */
	unsigned		 failures;	/* consecutive failed starts */
	bool			 backoff;	/* retired by a restart: the
						   next start waits
						   SPAWN_BACKOFF_MS */
	char			 fatal[MSG_MAX];	/* its FATAL frame */
};

struct pool {
	struct pool_opts	 o;
	struct slot		*slots;
	unsigned		 asked;		/* workers before fds_fit */
	bool			 warned;	/* on_warning was called */
	unsigned		 limit;		/* busy workers at most */
	unsigned		 busy;		/* workers holding rows */
	unsigned		 inflight;	/* rows held */
	int64_t			 row_us;	/* moving average row time */
	unsigned		 timed;		/* rows in it, up to
						   FAST_AFTER_ROWS */
	int			 sigfd;
	sigset_t		 oldmask;
	pid_t			 self;
	bool			 no_more;	/* next_task said DONE */
	bool			 draining;
	int64_t			 drain_end;
	bool			 killing;
	int64_t			 wake_at;	/* next_task's WAIT time */
	int64_t			 tick_at;
	char			 nostart[MSG_MAX];
	struct pollfd		*pfd;
	unsigned		*pfd_slot;
};

int64_t
pool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pool_describe_status(int status, char *buf, size_t len)
{
	const char *abbr;

	if (WIFSIGNALED(status)) {
		abbr = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, len, "worker killed by signal %d (SIG%s)",
		    WTERMSIG(status), abbr ? abbr : "?");
	} else if (WIFEXITED(status)) {
		snprintf(buf, len, "worker exited with status %d",
		    WEXITSTATUS(status));
	} else {
		snprintf(buf, len, "worker ended with wait status %#x",
		    status);
	}
}

struct pool *
pool_new(const struct pool_opts *opts)
{
	struct pool *p;
	unsigned i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->o = *opts;
	if (p->o.nworkers == 0)
		p->o.nworkers = 1;
	if (p->o.max_frame == 0)
		p->o.max_frame = FRAME_MAX_DEFAULT;
	p->asked = p->limit = p->o.nworkers;
	p->sigfd = -1;
	p->wake_at = p->tick_at = -1;
	p->slots = calloc(p->o.nworkers, sizeof(*p->slots));
	p->pfd = calloc(p->o.nworkers + 1, sizeof(*p->pfd));
	p->pfd_slot = calloc(p->o.nworkers + 1, sizeof(*p->pfd_slot));
	if (p->slots == NULL || p->pfd == NULL || p->pfd_slot == NULL) {
		pool_free(p);
		return NULL;
	}
	for (i = 0; i < p->o.nworkers; i++)
		p->slots[i].fd = -1;
	return p;
}

void
pool_free(struct pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	for (i = 0; p->slots != NULL && i < p->o.nworkers; i++) {
		frame_reader_release(&p->slots[i].rd);
		buf_release(&p->slots[i].w);
	}
	free(p->slots);
	free(p->pfd);
	free(p->pfd_slot);
	free(p);
}

void
pool_drain(struct pool *p)
{
	if (p->draining)
		return;
	p->draining = true;
	p->drain_end = pool_now() + p->o.grace_ms;
}

void
pool_kill(struct pool *p)
{
	p->draining = true;
	p->killing = true;
}

void
pool_set_limit(struct pool *p, unsigned limit)
{
	if (limit < 1)
		limit = 1;
	p->limit = limit > p->o.nworkers ? p->o.nworkers : limit;
}

unsigned
pool_inflight(const struct pool *p)
{
	return p->inflight;
}

/* ---- outcomes ---- */

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A worker spent us on a row: the pool's pace (see POOL_DEPTH). */
static void
row_timed(struct pool *p, int64_t us)
{
	if (p->timed == 0)
		p->row_us = us;
	else
		p->row_us = (p->row_us * (ROW_AVG_WEIGHT - 1) + us) /
		    ROW_AVG_WEIGHT;
	if (p->timed < FAST_AFTER_ROWS)
		p->timed++;
}

static bool
rows_fast(const struct pool *p)
{
	return p->timed >= FAST_AFTER_ROWS && p->row_us < FAST_ROW_US;
}

/*
 * Gives the oldest row the slot holds its outcome and lets it go.  Its
 * time on the worker counts toward the pace, unless the worker never
 * worked on it (requeued) or was cut short (abandoned).
 */
static void
emit(struct pool *p, struct slot *s, enum pool_event ev,
    const struct proc_result *result,
    const char *message)
{
	int64_t now = now_us(), us = now - s->started;
	struct pool_outcome o = {
		.event = ev,
		.row = s->q[0].row,
		.ctx = s->q[0].ctx,
		.result = result,
		.message = message,
		.latency_ms = (now - s->q[0].sent_us) / 1000,
		.slot = (unsigned)(s - p->slots),
	};

	if (s->nq == 0)
		return;
	memmove(&s->q[0], &s->q[1], (POOL_DEPTH - 1) * sizeof(s->q[0]));
	s->nq--;
	p->inflight--;
	if (s->nq == 0)
		p->busy--;
	s->started = now;
	if (ev != POOL_REQUEUED && ev != POOL_ABANDONED)
		row_timed(p, us);
	p->o.ops->on_outcome(p->o.arg, &o);
}

/*
 * The worker failed while holding rows: the oldest gets the failure, the
 * others were never started and go back unharmed (POOL_REQUEUED).
 */
static void
emit_all(struct pool *p, struct slot *s, enum pool_event ev,
    const char *message)
{
	emit(p, s, ev, NULL, message);
	while (s->nq > 0)
		emit(p, s, ev == POOL_ABANDONED ? ev : POOL_REQUEUED, NULL,
		    "requeued");
}

/* ---- worker side ---- */

/* A program error's signal: rowpool never handles one (see below). */
static bool
fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	    sig == SIGILL;
}

/*
 * A worker starts with every handler at its default, SIGPIPE ignored.  A
 * program error's signal keeps the handler it has: never one of rowpool's,
 * but a sanitizer's, whose report of a worker's fault is the point of a
 * sanitized build.
 */
static void
child_reset_signals(struct pool *p)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && !fault_signal(sig))
			sigaction(sig, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
}

/*
 * A worker leaves with _exit: the supervisor's atexit handlers and stdio
 * buffers are not its own.  Under LeakSanitizer, which only looks at exit,
 * its leaks are looked for first (a leak ends it with the sanitizer's
 * exit code and report).
 */
static _Noreturn void
child_exit(int status)
{
#if ROWPOOL_LSAN
	__lsan_do_leak_check();
#endif
	_exit(status);
}

static _Noreturn void
child_main(struct pool *p, struct slot *me, int fd)
{
	unsigned i;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != p->self)
		_exit(1);
	close(p->sigfd);
	for (i = 0; i < p->o.nworkers; i++)
		if (&p->slots[i] != me && p->slots[i].fd != -1)
			close(p->slots[i].fd);
	child_reset_signals(p);
	if (p->o.ops->child_setup != NULL)
		p->o.ops->child_setup(p->o.arg);
	child_exit(p->o.ops->worker_main(fd, p->o.arg));
}

/* ---- supervisor side: lifecycle of a slot ---- */

/* Forks the slot's worker; on failure *what names the call, errno why. */
static int
slot_spawn(struct pool *p, struct slot *s, int64_t now, const char **what)
{
	int sv[2], e;
	pid_t pid;

	*what = "socketpair";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	fflush(NULL);
	*what = "fork";
	if ((pid = fork()) == -1) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(p, s, sv[1]);
	}
	close(sv[1]);
	setpgid(pid, pid);
	fd_set_nonblock(sv[0]);
	s->pid = pid;
	s->fd = sv[0];
	s->state = SLOT_STARTING;
	s->rows = 0;
	s->killed = false;
	s->backoff = false;
	s->fatal[0] = '\0';
	s->spawn_at = now;
	frame_reader_release(&s->rd);
	frame_reader_init(&s->rd, p->o.max_frame);
	buf_reset(&s->w);
	s->woff = 0;
	return 0;
}

static void
slot_close(struct slot *s)
{
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	buf_reset(&s->w);
	s->woff = 0;
}

/* Sends TERM to the worker's process group, KILL later if it lingers. */
static void
slot_kill(struct slot *s, int64_t now)
{
	slot_close(s);
	if (s->state == SLOT_EMPTY)
		return;
	kill(-s->pid, SIGTERM);
	kill(s->pid, SIGTERM);
	s->state = SLOT_STOPPING;
	s->deadline = now + KILL_AFTER_MS;
}

/* Closes the channel: a healthy worker exits on end of file. */
static void
slot_retire(struct slot *s, int64_t now)
{
	slot_close(s);
	s->state = SLOT_STOPPING;
	s->deadline = now + KILL_AFTER_MS + EXIT_CHECK_MS;
}

/* The slot's worker was reaped with status st. */
static void
slot_reaped(struct pool *p, struct slot *s, int st, int64_t now)
{
	char msg[MSG_MAX];
	enum slot_state was = s->state;

	slot_close(s);
	s->state = SLOT_EMPTY;
	s->pid = 0;
	s->spawn_at = now;
	if (was == SLOT_STARTING) {
		s->failures++;
		s->spawn_at = now + SPAWN_BACKOFF_MS;
		if (s->fatal[0] != '\0')
			strlcpy(p->nostart, s->fatal, sizeof(p->nostart));
		else
			pool_describe_status(st, p->nostart,
			    sizeof(p->nostart));
		return;
	}
	if (was == SLOT_IDLE || s->backoff)
		s->spawn_at = now + SPAWN_BACKOFF_MS;
	if (s->nq > 0) {
		pool_describe_status(st, msg, sizeof(msg));
		emit_all(p, s, POOL_CRASH, msg);
	}
}

static struct slot *
slot_by_pid(struct pool *p, pid_t pid)
{
	unsigned i;

	for (i = 0; i < p->o.nworkers; i++)
		if (p->slots[i].pid == pid && p->slots[i].state != SLOT_EMPTY)
			return &p->slots[i];
	return NULL;
}

static void
reap(struct pool *p, int64_t now)
{
	struct slot *s;
	pid_t pid;
	int st;

	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if ((s = slot_by_pid(p, pid)) != NULL)
			slot_reaped(p, s, st, now);
	}
}

/* A worker broke the protocol: its row fails, it is killed. */
static void
slot_protocol(struct pool *p, struct slot *s, const char *why, int64_t now)
{
	char msg[MSG_MAX];

	msgbuf_format(msg, sizeof(msg), "worker protocol error: %s", why);
	if (s->state == SLOT_STARTING)
		strlcpy(p->nostart, msg, sizeof(p->nostart));
	emit_all(p, s, POOL_PROTOCOL, msg);
	slot_kill(s, now);
}

/* ---- writing tasks ---- */

static int
slot_flush(struct slot *s)
{
	ssize_t n;

	while (s->woff < s->w.len) {
		/* MSG_NOSIGNAL: a dead worker is EPIPE here, never SIGPIPE. */
		n = send(s->fd, s->w.p + s->woff, s->w.len - s->woff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		s->woff += (size_t)n;
	}
	buf_reset(&s->w);
	s->woff = 0;
	return 0;
}

/* Appends a TASK frame to the slot's unsent bytes; flush_all sends. */
static int
slot_send(struct slot *s, const struct pool_task *t)
{
	unsigned char hdr[FRAME_HDR_SIZE];

	if (t->len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	buf_drop(&s->w, s->woff);
	s->woff = 0;
	frame_hdr_encode(hdr, FRAME_TASK, t->row, (uint32_t)t->len);
	if (buf_reserve(&s->w, FRAME_HDR_SIZE + t->len) == -1)
		return -1;
	/* There is room: neither add allocates, neither can fail. */
	buf_add(&s->w, hdr, sizeof(hdr));
	buf_add(&s->w, t->payload, t->len);
	return 0;
}

static void
dispatch_one(struct pool *p, struct slot *s, const struct pool_task *t,
    int64_t now)
{
	s->q[s->nq].row = t->row;
	s->q[s->nq].ctx = t->ctx;
	s->q[s->nq].sent_us = now_us();
	if (s->nq++ == 0) {
		s->started = s->q[0].sent_us;
		s->deadline = now + p->o.timeout_ms;
		p->busy++;
	}
	s->state = SLOT_BUSY;
	p->inflight++;
	if (slot_send(s, t) == -1)
		slot_protocol(p, s, strerror(errno), now);
}

/* Sends what dispatch queued: one write per worker per round. */
static void
flush_all(struct pool *p, int64_t now)
{
	struct slot *s;
	unsigned i;

	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		if (s->fd == -1 || s->w.len == s->woff || slot_flush(s) == 0)
			continue;
		/* EPIPE: the worker is dead; reaping reports the crash. */
		if (errno == EPIPE || errno == ECONNRESET)
			slot_close(s);
		else
			slot_protocol(p, s, strerror(errno), now);
	}
}

/* Asks the caller for a task; false when it has none now. */
static bool
ask(struct pool *p, int64_t now, struct pool_task *t)
{
	enum pool_next r;

	memset(t, 0, sizeof(*t));
	r = p->o.ops->next_task(p->o.arg, now, t, &p->wake_at);
	if (r == POOL_DONE)
		p->no_more = true;
	return r == POOL_TASK;
}

/* May a busy slot take another row behind the one it works on? */
static bool
can_queue(const struct pool *p, const struct slot *s)
{
	if (s->state != SLOT_BUSY || s->fd == -1 || s->nq >= POOL_DEPTH ||
	    !rows_fast(p))
		return false;
	return p->o.worker_max_rows == 0 ||
	    s->rows + s->nq < p->o.worker_max_rows;
}

static void
dispatch(struct pool *p, int64_t now)
{
	struct pool_task t;
	struct slot *s;
	unsigned i;

	if (p->draining || p->no_more)
		return;
	if (p->wake_at != -1 && now < p->wake_at)
		return;
	p->wake_at = -1;
	for (i = 0; i < p->o.nworkers && p->busy < p->limit; i++) {
		s = &p->slots[i];
		if (s->state == SLOT_IDLE && s->fd != -1) {
			if (!ask(p, now, &t))
				return;
			dispatch_one(p, s, &t, now);
		}
	}
	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		while (can_queue(p, s)) {
			if (!ask(p, now, &t))
				return;
			dispatch_one(p, s, &t, now);
		}
	}
}

/* ---- reading frames ---- */

/*
 * The worker answered and goes (its processor must start afresh): the
 * rows queued behind go back unharmed, a new worker comes after the
 * start-up backoff.
 */
static void
slot_restart(struct pool *p, struct slot *s, int64_t now)
{
	while (s->nq > 0)
		emit(p, s, POOL_REQUEUED, NULL, "requeued");
	slot_retire(s, now);
	s->backoff = true;
}

static void
on_result(struct pool *p, struct slot *s, const struct frame *f, int64_t now)
{
	struct proc_result res;
	char why[MSG_MAX];
	bool restart;

	if (s->state != SLOT_BUSY || s->nq == 0 || f->id != s->q[0].row) {
		snprintf(why, sizeof(why), "unexpected result for row %llu",
		    (unsigned long long)f->id);
		slot_protocol(p, s, why, now);
		return;
	}
	if (proto_result_decode(f->payload, f->len, &res, why,
	    sizeof(why)) == -1) {
		slot_protocol(p, s, why, now);
		return;
	}
	s->rows++;
	restart = res.restart;
	emit(p, s, POOL_RESULT, &res, NULL);
	proc_result_release(&res);
	if (restart) {
		slot_restart(p, s, now);
		return;
	}
	if (s->nq > 0) {
		s->deadline = now + p->o.timeout_ms;
		return;
	}
	s->state = SLOT_IDLE;
	if (p->o.worker_max_rows > 0 && s->rows >= p->o.worker_max_rows)
		slot_retire(s, now);
}

/* Handles one frame; returns false when the slot was killed. */
static bool
on_frame(struct pool *p, struct slot *s, const struct frame *f, int64_t now)
{
	switch (f->type) {
	case FRAME_READY:
		if (s->state != SLOT_STARTING)
			break;
		s->state = SLOT_IDLE;
		s->failures = 0;
		return true;
	case FRAME_RESULT:
		on_result(p, s, f, now);
		return s->fd != -1;
	case FRAME_FATAL:
		/* MSG_MAX bytes at most: enough to see it was cut. */
		msgbuf_format(s->fatal, sizeof(s->fatal), "%.*s",
		    (int)(f->len < MSG_MAX ? f->len : MSG_MAX), f->payload);
		return true;
	case FRAME_LOG:
		if (p->o.ops->on_log != NULL)
			p->o.ops->on_log(p->o.arg, f->payload, f->len);
		return true;
	default:
		break;
	}
	slot_protocol(p, s, "unexpected frame", now);
	return false;
}

static void
slot_read_error(struct pool *p, struct slot *s, int64_t now)
{
	char why[MSG_MAX];

	if (errno == EMSGSIZE)
		snprintf(why, sizeof(why), "frame larger than %zu bytes",
		    p->o.max_frame);
	else
		snprintf(why, sizeof(why), "bad frame header");
	slot_protocol(p, s, why, now);
}

static void
slot_readable(struct pool *p, struct slot *s, int64_t now)
{
	struct frame f;
	ssize_t n;
	int rc;

	n = frame_reader_fill(&s->rd, s->fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	while ((rc = frame_reader_next(&s->rd, &f)) == 1)
		if (!on_frame(p, s, &f, now))
			return;
	if (rc == -1) {
		slot_read_error(p, s, now);
		return;
	}
	/* End of file (or a reset): wait for the reap to say why. */
	if (n <= 0)
		slot_close(s);
}

/* ---- time ---- */

static void
check_deadlines(struct pool *p, int64_t now)
{
	struct slot *s;
	char msg[MSG_MAX];
	unsigned i;

	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		if (s->state == SLOT_BUSY && now >= s->deadline) {
			snprintf(msg, sizeof(msg), "no answer within %lld ms",
			    (long long)p->o.timeout_ms);
			emit_all(p, s, POOL_TIMEOUT, msg);
			slot_kill(s, now);
		} else if (s->state == SLOT_STOPPING && !s->killed &&
		    now >= s->deadline) {
			kill(-s->pid, SIGKILL);
			kill(s->pid, SIGKILL);
			s->killed = true;
		}
	}
}

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a == -1)
		return b;
	if (b == -1)
		return a;
	return a < b ? a : b;
}

static int
poll_timeout(struct pool *p, int64_t now)
{
	int64_t t = -1;
	unsigned i;
	struct slot *s;

	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		if (s->state == SLOT_BUSY ||
		    (s->state == SLOT_STOPPING && !s->killed))
			t = earliest(t, s->deadline);
		else if (s->state == SLOT_EMPTY && !p->draining)
			t = earliest(t, s->spawn_at);
	}
	if (!p->draining && !p->no_more)
		t = earliest(t, p->wake_at);
	if (p->draining && !p->killing)
		t = earliest(t, p->drain_end);
	t = earliest(t, p->tick_at);
	if (t == -1)
		return -1;
	return t <= now ? 0 : (int)(t - now > 60000 ? 60000 : t - now);
}

/* ---- spawning ---- */

static unsigned
alive(const struct pool *p)
{
	unsigned i, n = 0;

	for (i = 0; i < p->o.nworkers; i++)
		if (p->slots[i].state != SLOT_EMPTY)
			n++;
	return n;
}

static void __attribute__((format(printf, 2, 3)))
warn_once(struct pool *p, const char *fmt, ...)
{
	char msg[2 * MSG_MAX];
	va_list ap;

	if (p->warned || p->o.ops->on_warning == NULL)
		return;
	p->warned = true;
	va_start(ap, fmt);
	msgbuf_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->o.ops->on_warning(p->o.arg, msg);
}

/* Descriptors open now; a few too many (the fallback) is harmless. */
static rlim_t
fds_open(rlim_t limit)
{
	struct dirent *e;
	DIR *d;
	rlim_t n = 0;
	int fd;

	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL)
			n += e->d_name[0] != '.';
		closedir(d);
		return n > 0 ? n - 1 : 0;	/* less the directory's own */
	}
	for (fd = 0; (rlim_t)fd < limit && fd < 65536; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

/*
 * Each worker costs the supervisor one descriptor (its end of the
 * socketpair; the other end too, while it forks).  When the workers and
 * FD_SPARE more would not fit under the soft open-file limit, raises it
 * toward the hard limit (as servers do); when even that is too low, runs
 * the workers that fit, with a warning, or returns -1 when none does.
 */
static int
fds_fit(struct pool *p, char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t open_now, need;
	unsigned fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return 0;
	open_now = fds_open(rl.rlim_cur);
	need = open_now + FD_SPARE + p->o.nworkers;
	if (need > rl.rlim_cur)
		fd_limit_raise(need, &rl);	/* rl: the limits now */
	if (need <= rl.rlim_cur)
		return 0;
	if (rl.rlim_cur <= open_now + FD_SPARE) {
		snprintf(err, errlen, "workers cannot start: %s (the open-file "
		    "limit, ulimit -n, is %llu and %llu files are open); "
		    "raise the limit", strerror(EMFILE),
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)open_now);
		return -1;
	}
	fit = (unsigned)(rl.rlim_cur - open_now - FD_SPARE);
	warn_once(p, "cannot start %u of %u workers: %s (the open-file limit, "
	    "ulimit -n, is %llu); running with %u: use fewer workers or "
	    "raise the limit", p->o.nworkers - fit, p->o.nworkers,
	    strerror(EMFILE), (unsigned long long)rl.rlim_cur, fit);
	p->o.nworkers = fit;
	return 0;
}

/* Errors that say a limit or the system ran out, not a wrong call. */
static bool
is_shortage(int e)
{
	return e == EMFILE || e == ENFILE || e == EAGAIN || e == ENOMEM ||
	    e == ENOBUFS;
}

/*
 * "socketpair: Too many open files (the open-file limit, ulimit -n, is
 * 64)" into buf; returns what the user can do about it.
 */
static const char *
describe_shortage(char *buf, size_t len, const char *what, int e)
{
	struct rlimit rl;
	bool nofile = e == EMFILE;
	bool nproc = e == EAGAIN && strcmp(what, "fork") == 0;

	if ((nofile || nproc) &&
	    getrlimit(nofile ? RLIMIT_NOFILE : RLIMIT_NPROC, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		snprintf(buf, len, "%s: %s (the %s limit, ulimit -%c, is %llu)",
		    what, strerror(e), nofile ? "open-file" : "process",
		    nofile ? 'n' : 'u', (unsigned long long)rl.rlim_cur);
		return "use fewer workers or raise the limit";
	}
	snprintf(buf, len, "%s: %s", what, strerror(e));
	return "use fewer workers";
}

/*
 * A worker could not start for want of descriptors, processes or memory:
 * its slot tries again later.  While other workers run, the run goes on
 * with them (one warning); with none, cannot_start ends it.
 */
static void
spawn_short(struct pool *p, struct slot *s, const char *what, int e,
    int64_t now)
{
	char cause[MSG_MAX - 48];	/* room for the advice in nostart */
	const char *advice;
	unsigned up = alive(p);

	advice = describe_shortage(cause, sizeof(cause), what, e);
	snprintf(p->nostart, sizeof(p->nostart), "%s; %s", cause, advice);
	s->failures++;
	s->spawn_at = now + SPAWN_BACKOFF_MS;
	if (up > 0)
		warn_once(p, "cannot start worker %u of %u: %s; running with "
		    "%u: %s", (unsigned)(s - p->slots) + 1, p->asked, cause,
		    up, advice);
}

/* True when every slot has failed to start NOSTART_FAILURES times in a row. */
static bool
cannot_start(const struct pool *p)
{
	unsigned i;

	for (i = 0; i < p->o.nworkers; i++)
		if (p->slots[i].failures < NOSTART_FAILURES)
			return false;
	return true;
}

static int
spawn_due(struct pool *p, int64_t now, char *err, size_t errlen)
{
	struct slot *s;
	const char *what;
	unsigned i;

	if (p->draining || p->no_more)
		return 0;
	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		if (s->state != SLOT_EMPTY || now < s->spawn_at ||
		    slot_spawn(p, s, now, &what) == 0)
			continue;
		if (!is_shortage(errno)) {
			snprintf(err, errlen, "cannot start worker %u of %u: "
			    "%s: %s", i + 1, p->asked, what, strerror(errno));
			return -1;
		}
		spawn_short(p, s, what, errno, now);
	}
	return 0;
}

/* ---- signals ---- */

static int
signals_setup(struct pool *p)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &p->oldmask) == -1)
		return -1;
	p->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->sigfd == -1) {
		sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
		return -1;
	}
	return 0;
}

static void
signals_restore(struct pool *p)
{
	close(p->sigfd);
	p->sigfd = -1;
	sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
}

static void
signals_read(struct pool *p, int64_t now)
{
	struct signalfd_siginfo si;

	while (read_some(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (p->o.ops->on_signal != NULL)
			p->o.ops->on_signal(p->o.arg, p, (int)si.ssi_signo);
		else if (si.ssi_signo != SIGHUP)
			pool_drain(p);
	}
	/* SIGCHLD coalesces: always look for dead children. */
	reap(p, now);
}

/* ---- the loop ---- */

static unsigned
poll_build(struct pool *p)
{
	struct slot *s;
	unsigned i, n = 1;

	p->pfd[0].fd = p->sigfd;
	p->pfd[0].events = POLLIN;
	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		if (s->fd == -1)
			continue;
		p->pfd[n].fd = s->fd;
		p->pfd[n].events = POLLIN | (s->w.len > s->woff ? POLLOUT : 0);
		p->pfd_slot[n] = i;
		n++;
	}
	return n;
}

static void
poll_handle(struct pool *p, unsigned n, int64_t now)
{
	struct slot *s;
	unsigned i;

	for (i = 1; i < n; i++) {
		s = &p->slots[p->pfd_slot[i]];
		if (p->pfd[i].revents == 0 || s->fd != p->pfd[i].fd)
			continue;
		if ((p->pfd[i].revents & POLLOUT) && slot_flush(s) == -1)
			slot_close(s);
		if (s->fd != -1 &&
		    (p->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			slot_readable(p, s, now);
	}
	if (p->pfd[0].revents & POLLIN)
		signals_read(p, now);
}

/* Drain and kill: what happens to rows in flight. */
static void
handle_stop(struct pool *p, int64_t now)
{
	unsigned i;
	struct slot *s;

	if (!p->draining)
		return;
	if (!p->killing && now < p->drain_end && p->inflight > 0)
		return;
	for (i = 0; i < p->o.nworkers; i++) {
		s = &p->slots[i];
		if (s->state == SLOT_BUSY) {
			emit_all(p, s, POOL_ABANDONED, "interrupted");
			slot_kill(s, now);
		}
	}
}

static bool
finished(const struct pool *p)
{
	if (p->inflight > 0)
		return false;
	return p->draining || p->no_more;
}

/*
 * Closes every channel (healthy workers exit on end of file), then TERMs
 * and KILLs with doubling waits until every worker is reaped.
 */
static void
shutdown_workers(struct pool *p)
{
	struct pollfd pf = { .fd = p->sigfd, .events = POLLIN };
	int64_t now = pool_now(), wait = 50, next;
	unsigned i;
	int round = 0;

	for (i = 0; i < p->o.nworkers; i++)
		if (p->slots[i].state != SLOT_EMPTY &&
		    p->slots[i].state != SLOT_STOPPING)
			slot_retire(&p->slots[i], now);
	reap(p, now);
	next = now + wait + EXIT_CHECK_MS;
	while (alive(p) > 0) {
		now = pool_now();
		if (now >= next) {
			for (i = 0; i < p->o.nworkers; i++)
				if (p->slots[i].state != SLOT_EMPTY)
					kill(-p->slots[i].pid,
					    round < 3 ? SIGTERM : SIGKILL);
			round++;
			wait *= 2;
			next = now + wait;
		}
		poll(&pf, 1, (int)(next - now));
		signals_read(p, pool_now());
	}
}

static enum pool_status
loop(struct pool *p, char *err, size_t errlen)
{
	int64_t now;
	unsigned n;

	for (;;) {
		now = pool_now();
		if (spawn_due(p, now, err, errlen) == -1)
			return POOL_FAILED;
		if (cannot_start(p)) {
			snprintf(err, errlen, "workers cannot start: %s",
			    p->nostart);
			return POOL_NOSTART;
		}
		dispatch(p, now);
		flush_all(p, now);
		handle_stop(p, now);
		if (finished(p))
			return p->draining ? POOL_STOPPED : POOL_FINISHED;
		n = poll_build(p);
		if (poll(p->pfd, n, poll_timeout(p, now)) == -1 &&
		    errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return POOL_FAILED;
		}
		now = pool_now();
		poll_handle(p, n, now);
		check_deadlines(p, now);
		if (p->o.ops->on_tick != NULL)
			p->tick_at = p->o.ops->on_tick(p->o.arg, now);
	}
}

enum pool_status
pool_run(struct pool *p, char *err, size_t errlen)
{
	enum pool_status st;
	unsigned i;

	err[0] = '\0';
	p->self = getpid();
	if (signals_setup(p) == -1) {
		snprintf(err, errlen, "signals: %s", strerror(errno));
		return POOL_FAILED;
	}
	st = fds_fit(p, err, errlen) == -1 ? POOL_NOSTART :
	    loop(p, err, errlen);
	for (i = 0; i < p->o.nworkers; i++)
		emit_all(p, &p->slots[i], POOL_ABANDONED, err);
	shutdown_workers(p);
	signals_restore(p);
	return st;
}
