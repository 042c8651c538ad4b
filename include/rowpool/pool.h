/*
 * pool: the supervisor's worker pool (nginx's master/worker loop, git's
 * run_processes_parallel).  It forks N workers, each with its own
 * socketpair, hands a task to whichever worker is idle, collects framed
 * results, enforces the per-attempt deadline, reaps and replaces workers,
 * and turns every way a worker can fail into an outcome for the one row it
 * held.  A worker holds one row at a time, at start-up too; only once rows
 * have proven fast (under 1 ms on average over 8 rows: the echo
 * processor) is it sent up to 4 at once, in one write.  It knows nothing
 * of rows' meaning, retries, checkpoints or Gemini: those belong to the
 * callbacks (run.c), which is what lets tests drive the pool with fake
 * workers that crash, hang or lie.
 *
 * Policy tier for processes (it kills and respawns), but it never exits
 * and never prints: it reports through callbacks and its return status.
 *
 * Calling sequence:
 *  1. fill a struct pool_opts (ops, arg, limits);
 *  2. p = pool_new(&opts);
 *  3. st = pool_run(p, err, sizeof(err)): blocks until every task is done
 *     (POOL_FINISHED), a drain or kill asked from a callback completes
 *     (POOL_STOPPED), workers cannot start (POOL_NOSTART) or a system call
 *     failed (POOL_FAILED);  every worker has been reaped when it returns;
 *  4. pool_free(p).
 *
 * Limits: each worker costs the supervisor one descriptor.  pool_run
 * raises the soft open-file limit (RLIMIT_NOFILE) toward the hard one when
 * nworkers of them, the files already open and a few spare would not fit,
 * and leaves it raised.  When even the hard limit is too low it runs the
 * workers that fit, or returns POOL_NOSTART at once when none does.  A
 * worker that cannot start for want of descriptors, processes or memory
 * (socketpair or fork: EMFILE, ENFILE, EAGAIN, ENOMEM, ENOBUFS) is tried
 * again a second later; meanwhile the run goes on with the workers it has,
 * and ends with POOL_NOSTART only when every slot has failed 3 times in a
 * row.  Running short is reported once, through on_warning; err says what
 * ran out, its limit and what to do.
 *
 * Inside pool_run, SIGINT, SIGTERM, SIGHUP and SIGCHLD are blocked and read
 * from a signalfd; SIGINT, SIGTERM and SIGHUP go to ops->on_signal.  Writes
 * to workers use MSG_NOSIGNAL, so a dead worker never raises SIGPIPE.
 * A result that says restart (processor.h) is the worker's last: the
 * rows queued behind it go back (POOL_REQUEUED), its channel is closed,
 * and its slot starts a new worker after the start-up backoff, as after
 * a worker that died idle.
 *
 * Workers run ops->worker_main in their own
 * process group with the caller's signal mask and default handlers
 * (SIGPIPE ignored; SIGSEGV, SIGBUS, SIGFPE and SIGILL keep theirs, a
 * sanitizer's), die with the supervisor (PR_SET_PDEATHSIG), and must
 * exit when their channel reaches end of file.  Built with ASan or LSan,
 * a worker looks for leaks as it leaves (one ends it with the sanitizer's
 * exit code), and one told to leave is given 20 s more before TERM or KILL.
 */
#ifndef ROWPOOL_POOL_H
#define ROWPOOL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "rowpool/processor.h"

struct pool;

struct pool_task {
	uint64_t	 row;
	const char	*payload;	/* sent as the TASK frame; copied */
	size_t		 len;
	void		*ctx;		/* handed back with the outcome */
};

enum pool_event {
	POOL_RESULT,	/* the worker answered: result is its object */
	POOL_CRASH,	/* the worker died holding the row */
	POOL_TIMEOUT,	/* no answer before the deadline; worker killed */
	POOL_PROTOCOL,	/* bad frame or payload; worker killed */
	POOL_ABANDONED,	/* drain or kill: the row got no answer */
	POOL_REQUEUED	/* queued behind a row whose worker failed; never
			   started: dispatch it again, no attempt spent */
};

struct pool_outcome {
	enum pool_event	 event;
	uint64_t	 row;
	void		*ctx;
	const struct proc_result *result;	/* POOL_RESULT: decoded and
					   checked (proto.h); borrowed */
	const char	*message;	/* other events: what happened */
	int64_t		 latency_ms;	/* dispatch to outcome */
	unsigned	 slot;
};

enum pool_next {
	POOL_TASK,	/* *t is filled */
	POOL_WAIT,	/* nothing ready: ask again at *wake_at (or on the
			   next event when it is -1) */
	POOL_DONE	/* no task will ever come again */
};

struct pool_ops {
	enum pool_next	(*next_task)(void *arg, int64_t now,
			    struct pool_task *t, int64_t *wake_at);
	void		(*on_outcome)(void *arg, const struct pool_outcome *o);
	/* After each round of events; returns the next time it wants to be
	 * called (monotonic ms), or -1.  May be NULL. */
	int64_t		(*on_tick)(void *arg, int64_t now);
	/* SIGINT, SIGTERM, SIGHUP.  May be NULL (then INT/TERM drain). */
	void		(*on_signal)(void *arg, struct pool *p, int signo);
	/* The pool runs with fewer workers than asked (see Limits): msg
	 * says why and what to do.  At most once per pool_run.  May be
	 * NULL. */
	void		(*on_warning)(void *arg, const char *msg);
	/* A LOG frame's payload (proto.h), from any worker, in any state.
	 * May be NULL: the line is dropped. */
	void		(*on_log)(void *arg, const char *payload, size_t len);
	/* In each worker right after fork (close the caller's files).
	 * May be NULL. */
	void		(*child_setup)(void *arg);
	/* The worker: serve frames on fd; the return value is its exit
	 * status. */
	int		(*worker_main)(int fd, void *arg);
};

struct pool_opts {
	const struct pool_ops	*ops;
	void			*arg;
	unsigned		 nworkers;
	int64_t			 timeout_ms;	/* per attempt */
	int64_t			 grace_ms;	/* drain: in-flight rows */
	unsigned		 worker_max_rows;	/* 0: unlimited */
	size_t			 max_frame;	/* largest RESULT payload */
};

struct pool	*pool_new(const struct pool_opts *opts);
void		 pool_free(struct pool *p);

enum pool_status {
	POOL_FINISHED,
	POOL_STOPPED,
	POOL_NOSTART,
	POOL_FAILED
};

enum pool_status	pool_run(struct pool *p, char *err, size_t errlen);

/* Stop dispatching; rows in flight get grace_ms, then are abandoned. */
void		pool_drain(struct pool *p);
/* Kill every worker now; rows in flight are abandoned. */
void		pool_kill(struct pool *p);
/* Busy workers never exceed limit (at least 1; default nworkers). */
void		pool_set_limit(struct pool *p, unsigned limit);
unsigned	pool_inflight(const struct pool *p);

/* Monotonic clock in milliseconds. */
int64_t		pool_now(void);

/* "worker killed by signal 11 (SIGSEGV)" / "worker exited with status 3" */
void		pool_describe_status(int status, char *buf, size_t len);

#endif
