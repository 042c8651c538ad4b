/*
 * The pool driven by fake workers: each misbehaves on one row (crash,
 * hang, garbage, oversized frame, exit without answering) and only that
 * row is affected; every row gets exactly one outcome.  Slow fake rows
 * show how many rows a worker is given at once: each result says whether
 * another task was already waiting for its worker.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "fault.h"
#include "rowpool/frame.h"
#include "rowpool/io.h"
#include "rowpool/pool.h"

#define NROWS	40
#define MAX_ROWS	400
#define BAD_ROW	13

enum fault { F_NONE, F_CRASH, F_HANG, F_GARBAGE, F_OVERSIZED, F_EXIT,
    F_BADJSON, F_WRONGID, F_NOSTART, F_FATAL, F_SLOWSTART, F_RESTART,
    F_HANDLERS };

struct harness {
	enum fault		 fault;
	uint64_t		 nrows;		/* 0: NROWS */
	unsigned		 slow_ms;	/* rows from slow_from sleep */
	uint64_t		 slow_from;
	unsigned		 stagger_ms;	/* workers start unevenly */
	int64_t			 timeout_ms;	/* 0: 1500 */
	uint64_t		 next;		/* next row to hand out */
	unsigned		 outcomes[MAX_ROWS];
	enum pool_event		 event[MAX_ROWS];
	char			 message[MAX_ROWS][256];
	struct pool		*pool;
	uint64_t		 requeued[MAX_ROWS];
	unsigned		 nrequeued;
	unsigned		 requeues;	/* POOL_REQUEUED outcomes */
	bool			 drain_at_start;
	unsigned		 noutcomes;
	bool			 turned;	/* a slow row has come back */
	unsigned		 handed_after[MAX_ROWS];	/* noutcomes */
	unsigned		 answered_at[MAX_ROWS];		/* noutcomes */
	bool			 handed_turned[MAX_ROWS];
	bool			 waiting[MAX_ROWS];
	unsigned		 slot[MAX_ROWS];
	char			 err[256];	/* pool_run's */
	unsigned		 nwarnings;
	char			 warning[512];
	atomic_int		*token;		/* F_RESTART: shared with the
						   workers, 1 until one
						   restarts */
	unsigned		 nlogs;		/* LOG frames */
	char			 log[256];	/* the last one */
	bool			 eat_fds;	/* all, at the 1st outcome */
	int			 eaten[256];
	unsigned		 neaten;
};

#define RESTART	"{\"ok\":false,\"kind\":\"crash\",\"message\":\"gone\"," \
	"\"restart\":true}"

/* The handler workers_keep_the_fault_handlers installs. */
static void
on_signal(int sig)
{
}

/*
 * 7: a worker found the fault signals' handlers kept and SIGUSR1's reset;
 * 8 or 9: not.
 */
static int
handlers_status(void)
{
	static const int kept[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa;
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (sigaction(kept[i], NULL, &sa) == -1 ||
		    sa.sa_handler != on_signal)
			return 8;
	if (sigaction(SIGUSR1, NULL, &sa) == -1 || sa.sa_handler != SIG_DFL)
		return 9;
	return 7;
}

static void
misbehave(enum fault f, int fd, uint64_t id)
{
	unsigned char hdr[FRAME_HDR_SIZE];

	switch (f) {
	case F_CRASH:
		fault_crash();
		break;
	case F_HANDLERS:
		_exit(handlers_status());
	case F_HANG:
		for (;;)
			pause();
	case F_GARBAGE:
		write_full(fd, "garbage garbage garbage!", 24);
		break;
	case F_OVERSIZED:
		frame_hdr_encode(hdr, FRAME_RESULT, id, 0xfffffff0u);
		write_full(fd, hdr, sizeof(hdr));
		break;
	case F_EXIT:
		_exit(3);
	case F_BADJSON:
		frame_send(fd, FRAME_RESULT, id, "{\"ok\":tru", 9);
		break;
	case F_WRONGID:
		frame_send(fd, FRAME_RESULT, id + 1000, "{\"ok\":true}", 11);
		break;
	case F_RESTART:		/* answers, says so, and goes at once */
		frame_send(fd, FRAME_LOG, id, "{\"line\":\"bye\"}", 14);
		frame_send(fd, FRAME_RESULT, id, RESTART, sizeof(RESTART) - 1);
		_exit(4);
	default:
		break;
	}
	for (;;)
		pause();
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Has the supervisor sent another task while this one is not answered? */
static bool
task_waiting(const struct frame_reader *rd, int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return frame_reader_pending(rd) > 0 || poll(&pf, 1, 0) > 0;
}

static int
fake_worker(int fd, void *arg)
{
	struct harness *h = arg;
	struct frame_reader rd;
	struct frame f;
	char res[64];
	int rc, n;

	if (h->fault == F_NOSTART)
		return 9;
	if (h->fault == F_FATAL) {
		frame_send(fd, FRAME_FATAL, 0, "no key", 6);
		return 2;
	}
	sleep_ms(h->stagger_ms * (unsigned)(getpid() % 5));
	frame_send(fd, FRAME_READY, 0, NULL, 0);
	frame_reader_init(&rd, 1 << 20);
	while ((rc = frame_recv(&rd, fd, &f)) == 1) {
		if (f.id == BAD_ROW && h->fault != F_NONE &&
		    h->fault != F_RESTART)
			misbehave(h->fault, fd, f.id);
		/* The first worker to hold a row behind this one restarts. */
		if (h->fault == F_RESTART && task_waiting(&rd, fd) &&
		    atomic_exchange(h->token, 0) == 1)
			misbehave(h->fault, fd, f.id);
		if (h->slow_ms > 0 && f.id >= h->slow_from)
			sleep_ms(h->slow_ms);
		n = snprintf(res, sizeof(res),
		    "{\"ok\":true,\"data\":null,\"waiting\":%s}",
		    task_waiting(&rd, fd) ? "true" : "false");
		if (frame_send(fd, FRAME_RESULT, f.id, res, (size_t)n))
			break;
	}
	frame_reader_release(&rd);
	return rc == 0 ? 0 : 1;
}

static enum pool_next
h_next(void *arg, int64_t now, struct pool_task *t, int64_t *wake)
{
	struct harness *h = arg;

	if (h->nrequeued > 0)
		t->row = h->requeued[--h->nrequeued];
	else if (h->next == (h->nrows ? h->nrows : NROWS))
		return pool_inflight(h->pool) == 0 ? POOL_DONE : POOL_WAIT;
	else
		t->row = h->next++;
	t->payload = "{}";
	t->len = 2;
	h->handed_after[t->row] = h->noutcomes;
	h->handed_turned[t->row] = h->turned;
	return POOL_TASK;
}

static void
h_outcome(void *arg, const struct pool_outcome *o)
{
	struct harness *h = arg;

	cr_assert_lt(o->row, h->nrows ? h->nrows : NROWS);
	if (o->event == POOL_REQUEUED) {
		h->requeues++;
		h->requeued[h->nrequeued++] = o->row;
		return;
	}
	h->answered_at[o->row] = h->noutcomes++;
	if (h->slow_ms > 0 && o->row >= h->slow_from)
		h->turned = true;
	h->outcomes[o->row]++;
	h->event[o->row] = o->event;
	h->slot[o->row] = o->slot;
	if (o->result != NULL)
		h->waiting[o->row] = json_is_true(json_object_get(o->result->extra,
		    "waiting"));
	if (o->message)
		strlcpy(h->message[o->row], o->message, 256);
	while (h->eat_fds && h->neaten < 256 &&
	    (h->eaten[h->neaten] = dup(0)) != -1)
		h->neaten++;
	h->eat_fds = false;
}

static void
h_warning(void *arg, const char *msg)
{
	struct harness *h = arg;

	h->nwarnings++;
	strlcpy(h->warning, msg, sizeof(h->warning));
}

static void
h_log(void *arg, const char *payload, size_t len)
{
	struct harness *h = arg;

	h->nlogs++;
	snprintf(h->log, sizeof(h->log), "%.*s", (int)len, payload);
}

static const struct pool_ops h_ops = {
	.next_task = h_next,
	.on_outcome = h_outcome,
	.on_warning = h_warning,
	.on_log = h_log,
	.worker_main = fake_worker,
};

static enum pool_status
run_harness(struct harness *h, unsigned workers, unsigned max_rows)
{
	struct pool_opts po = {
		.ops = &h_ops,
		.arg = h,
		.nworkers = workers,
		.timeout_ms = h->timeout_ms ? h->timeout_ms : 1500,
		.grace_ms = 1000,
		.worker_max_rows = max_rows,
		.max_frame = 1 << 20,
	};
	enum pool_status st;

	h->pool = pool_new(&po);
	cr_assert_not_null(h->pool);
	st = pool_run(h->pool, h->err, sizeof(h->err));
	pool_free(h->pool);
	while (h->neaten > 0)
		close(h->eaten[--h->neaten]);
	return st;
}

static void
expect_only_bad_row(struct harness *h, enum pool_event ev, const char *msg)
{
	unsigned i;

	for (i = 0; i < NROWS; i++) {
		cr_assert_eq(h->outcomes[i], 1, "row %u: %u outcomes", i,
		    h->outcomes[i]);
		if (i != BAD_ROW)
			cr_assert_eq(h->event[i], POOL_RESULT, "row %u", i);
	}
	cr_assert_eq(h->event[BAD_ROW], ev, "bad row event %d",
	    h->event[BAD_ROW]);
	cr_assert(strstr(h->message[BAD_ROW], msg) != NULL,
	    "message '%s' lacks '%s'", h->message[BAD_ROW], msg);
}

static const struct {
	enum fault	 fault;
	enum pool_event	 event;
	const char	*message;
} fault_cases[] = {
	{ F_CRASH, POOL_CRASH, "killed by signal 11 (SIGSEGV)" },
	{ F_HANG, POOL_TIMEOUT, "no answer within 1500 ms" },
	{ F_GARBAGE, POOL_PROTOCOL, "bad frame header" },
	{ F_OVERSIZED, POOL_PROTOCOL, "frame larger than" },
	{ F_EXIT, POOL_CRASH, "exited with status 3" },
	{ F_BADJSON, POOL_PROTOCOL, "not a JSON object" },
	{ F_WRONGID, POOL_PROTOCOL, "unexpected result for row 1013" },
};

Test(pool, each_fault_costs_only_its_row, .timeout = 60)
{
	struct harness h;
	size_t i;

	for (i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		memset(&h, 0, sizeof(h));
		h.fault = fault_cases[i].fault;
		cr_assert_eq(run_harness(&h, 4, 0), POOL_FINISHED, "case %zu",
		    i);
		expect_only_bad_row(&h, fault_cases[i].event,
		    fault_cases[i].message);
	}
}

/*
 * A result that asks for a restart is its worker's last: the row has its
 * result, the rows queued behind it go back unharmed rather than crash
 * with it, a new worker takes its place, and the LOG frame sent before
 * the result reaches on_log.  The restart comes on the first row with
 * another queued behind it (rows are queued once they have proven fast).
 */
Test(pool, restart_costs_nothing_more, .timeout = 60)
{
	struct harness h;
	unsigned i;

	memset(&h, 0, sizeof(h));
	h.fault = F_RESTART;
	h.nrows = MAX_ROWS;
	h.token = mmap(NULL, sizeof(*h.token), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(h.token, MAP_FAILED);
	atomic_store(h.token, 1);
	cr_assert_eq(run_harness(&h, 2, 0), POOL_FINISHED, "%s", h.err);
	cr_assert_eq(atomic_load(h.token), 0, "no row was ever queued");
	for (i = 0; i < MAX_ROWS; i++) {
		cr_assert_eq(h.outcomes[i], 1, "row %u: %u outcomes", i,
		    h.outcomes[i]);
		cr_assert_eq(h.event[i], POOL_RESULT, "row %u: %s", i,
		    h.message[i]);
	}
	cr_assert_gt(h.requeues, 0, "no row was queued behind the restart");
	cr_assert_eq(h.nlogs, 1);
	cr_assert_str_eq(h.log, "{\"line\":\"bye\"}");
	munmap(h.token, sizeof(*h.token));
}

/*
 * A worker starts with default handlers, but a program error's signal
 * keeps the handler it has: never rowpool's, but a sanitizer's, whose
 * report of a worker's fault make check SANITIZE=1 looks for.
 */
Test(pool, workers_keep_the_fault_handlers, .timeout = 30)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGUSR1 };
	struct sigaction sa;
	struct harness h;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		cr_assert_eq(sigaction(sigs[i], &sa, NULL), 0);
	memset(&h, 0, sizeof(h));
	h.fault = F_HANDLERS;
	cr_assert_eq(run_harness(&h, 2, 0), POOL_FINISHED);
	expect_only_bad_row(&h, POOL_CRASH, "exited with status 7");
}

Test(pool, fresh_worker_per_row, .timeout = 30)
{
	struct harness h;
	unsigned i;

	memset(&h, 0, sizeof(h));
	cr_assert_eq(run_harness(&h, 3, 1), POOL_FINISHED);
	for (i = 0; i < NROWS; i++)
		cr_assert_eq(h.event[i], POOL_RESULT, "row %u: %d %s", i, h.event[i], h.message[i]);
}

Test(pool, workers_that_cannot_start_stop_the_run, .timeout = 30)
{
	struct harness h;
	unsigned i;

	int64_t t0;

	memset(&h, 0, sizeof(h));
	h.fault = F_NOSTART;
	t0 = pool_now();
	cr_assert_eq(run_harness(&h, 2, 0), POOL_NOSTART);
	/* Three starts per slot, at most one a second: not a spin. */
	cr_assert_geq(pool_now() - t0, 1900, "restarted faster than 1/s");
	for (i = 0; i < NROWS; i++)
		cr_assert_eq(h.outcomes[i], 0);
}

Test(pool, fatal_frame_is_reported, .timeout = 30)
{
	struct harness h;
	struct pool_opts po = {
		.ops = &h_ops, .arg = &h, .nworkers = 1, .timeout_ms = 1000,
	};
	char err[256];

	memset(&h, 0, sizeof(h));
	h.fault = F_FATAL;
	h.pool = pool_new(&po);
	cr_assert_eq(pool_run(h.pool, err, sizeof(err)), POOL_NOSTART);
	cr_assert(strstr(err, "no key") != NULL, "%s", err);
	pool_free(h.pool);
}

Test(pool, no_children_left, .timeout = 30)
{
	struct harness h;

	memset(&h, 0, sizeof(h));
	h.fault = F_HANG;
	run_harness(&h, 4, 0);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
	cr_assert_eq(errno, ECHILD);
}

/*
 * Slow rows from the start: every worker holds one row at a time, at
 * start-up too, before the pool has timed a single row.
 */
Test(pool, slow_rows_are_never_queued, .timeout = 60)
{
	struct harness h;
	unsigned i;

	memset(&h, 0, sizeof(h));
	h.slow_ms = 20;
	h.stagger_ms = 10;
	cr_assert_eq(run_harness(&h, 4, 0), POOL_FINISHED);
	for (i = 0; i < NROWS; i++) {
		cr_assert_eq(h.outcomes[i], 1, "row %u", i);
		cr_assert_eq(h.event[i], POOL_RESULT, "row %u", i);
		cr_assert(!h.waiting[i], "row %u had a task queued behind it",
		    i);
	}
}

/*
 * Row i had a task waiting behind it on its worker: that task (the next
 * row the same worker answered) was handed out only once rows had
 * proven fast, after at least 8 outcomes.  (A worker slow to answer its
 * first row may see one queued behind it that late: that is allowed.)
 */
static void
check_queued_late(const struct harness *h, unsigned i)
{
	unsigned j;

	for (j = 0; j < h->nrows; j++)
		if (j != i && h->slot[j] == h->slot[i] &&
		    h->handed_after[j] >= h->handed_after[i] &&
		    h->handed_after[j] <= h->answered_at[i] &&
		    h->handed_after[j] < 8)
			cr_assert_fail("row %u queued behind row %u after only "
			    "%u outcomes", j, i, h->handed_after[j]);
}

/* Fast rows are queued once they have proven fast, never before. */
Test(pool, fast_rows_are_queued_once_proven, .timeout = 60)
{
	struct harness h;
	unsigned i, queued = 0;

	memset(&h, 0, sizeof(h));
	h.nrows = MAX_ROWS;
	cr_assert_eq(run_harness(&h, 4, 0), POOL_FINISHED);
	for (i = 0; i < MAX_ROWS; i++) {
		cr_assert_eq(h.outcomes[i], 1, "row %u", i);
		if (h.waiting[i])
			check_queued_late(&h, i);
		queued += h.waiting[i];
	}
	cr_assert_gt(queued, 0, "fast rows were never queued");
}

/*
 * Rows turn slow mid-run: the first slow row's outcome drops the depth to
 * one at once, so no row handed out after it has another queued behind.
 */
Test(pool, no_queueing_once_rows_turn_slow, .timeout = 60)
{
	struct harness h;
	unsigned i, after = 0;

	memset(&h, 0, sizeof(h));
	h.nrows = 80;
	h.slow_ms = 20;
	h.slow_from = 24;
	cr_assert_eq(run_harness(&h, 4, 0), POOL_FINISHED);
	for (i = 0; i < h.nrows; i++) {
		cr_assert_eq(h.outcomes[i], 1, "row %u", i);
		if (!h.handed_turned[i])
			continue;
		after++;
		cr_assert(!h.waiting[i], "row %u queued after the turn", i);
	}
	cr_assert_gt(after, 0);
}

/*
 * Five slow rows, five workers that start unevenly: each row goes to its
 * own worker, all before the first outcome (queued, they would take four
 * rows' time instead of one).
 */
Test(pool, startup_gives_each_worker_one_row, .timeout = 60)
{
	struct harness h;
	unsigned i, j;

	memset(&h, 0, sizeof(h));
	h.nrows = 5;
	h.slow_ms = 1500;
	h.stagger_ms = 50;
	h.timeout_ms = 20000;
	cr_assert_eq(run_harness(&h, 5, 0), POOL_FINISHED);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(h.event[i], POOL_RESULT, "row %u", i);
		cr_assert_eq(h.handed_after[i], 0, "row %u handed after %u "
		    "outcomes", i, h.handed_after[i]);
		for (j = 0; j < i; j++)
			cr_assert_neq(h.slot[i], h.slot[j], "rows %u and %u "
			    "both on worker %u", j, i, h.slot[i]);
	}
}

/* ---- limits ---- */

static unsigned
open_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

static void
set_nofile(rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };

	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "%s", strerror(errno));
}

static void
expect_all_rows(struct harness *h)
{
	uint64_t i, n = h->nrows ? h->nrows : NROWS;

	for (i = 0; i < n; i++) {
		cr_assert_eq(h->outcomes[i], 1, "row %llu",
		    (unsigned long long)i);
		cr_assert_eq(h->event[i], POOL_RESULT, "row %llu",
		    (unsigned long long)i);
	}
}

/* A soft open-file limit too low for the workers is raised, silently. */
Test(pool, low_soft_fd_limit_is_raised, .timeout = 30)
{
	struct harness h;
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert_gt(rl.rlim_max, open_fds() + 64, "hard limit too low");
	set_nofile(open_fds() + 4, rl.rlim_max);
	memset(&h, 0, sizeof(h));
	cr_assert_eq(run_harness(&h, 20, 0), POOL_FINISHED, "%s", h.err);
	expect_all_rows(&h);
	cr_assert_eq(h.nwarnings, 0, "%s", h.warning);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert_geq(rl.rlim_cur, open_fds() + 20);
}

/* A hard limit too low: the workers that fit do the run, one warning. */
Test(pool, low_hard_fd_limit_runs_the_workers_that_fit, .timeout = 30)
{
	struct harness h;
	unsigned i, running;
	const char *w;

	set_nofile(open_fds() + 12, open_fds() + 12);
	memset(&h, 0, sizeof(h));
	cr_assert_eq(run_harness(&h, 20, 0), POOL_FINISHED, "%s", h.err);
	expect_all_rows(&h);
	cr_assert_eq(h.nwarnings, 1);
	cr_assert(strstr(h.warning, "of 20 workers: Too many open files (the "
	    "open-file limit, ulimit -n, is ") != NULL, "%s", h.warning);
	cr_assert_not_null(w = strstr(h.warning, "running with "), "%s",
	    h.warning);
	running = (unsigned)atoi(w + strlen("running with "));
	cr_assert(running >= 1 && running < 20, "%s", h.warning);
	for (i = 0; i < NROWS; i++)
		cr_assert_lt(h.slot[i], running, "row %u", i);
}

/* Not even one worker fits: the run stops at once and says why. */
Test(pool, fd_limit_with_room_for_no_worker, .timeout = 30)
{
	struct harness h;
	unsigned i;

	set_nofile(open_fds() + 3, open_fds() + 3);
	memset(&h, 0, sizeof(h));
	cr_assert_eq(run_harness(&h, 4, 0), POOL_NOSTART);
	cr_assert(strstr(h.err, "workers cannot start: Too many open files "
	    "(the open-file limit, ulimit -n, is ") != NULL, "%s", h.err);
	for (i = 0; i < NROWS; i++)
		cr_assert_eq(h.outcomes[i], 0);
}

/*
 * Descriptors run out mid-run (the test takes them all at the first
 * outcome; each worker lives for one row): a worker that cannot be
 * replaced is reported once, and the run goes on with the others.
 */
Test(pool, fds_running_out_mid_run_degrade, .timeout = 60)
{
	struct harness h;

	set_nofile(open_fds() + 32, open_fds() + 32);
	memset(&h, 0, sizeof(h));
	h.nrows = 10;
	h.eat_fds = true;
	cr_assert_eq(run_harness(&h, 2, 1), POOL_FINISHED, "%s", h.err);
	expect_all_rows(&h);
	cr_assert_eq(h.nwarnings, 1);
	cr_assert(strstr(h.warning, "socketpair: Too many open files (the "
	    "open-file limit, ulimit -n, is ") != NULL, "%s", h.warning);
	cr_assert(strstr(h.warning, "; running with 1: use fewer workers or "
	    "raise the limit") != NULL, "%s", h.warning);
}

/*
 * The process limit (ulimit -u): fork's EAGAIN is named like the
 * open-file limit.  The limit allows no process but this one, so no
 * worker starts.  Root ignores the limit: the test drops to nobody.  Both
 * come back before the test ends: LeakSanitizer's check at exit starts a
 * process, and writes its report where only root may.
 */
Test(pool, process_limit_is_named, .timeout = 30)
{
	struct harness h;
	struct rlimit saved, rl;
	bool root = geteuid() == 0;
	enum pool_status st;

	cr_assert_eq(getrlimit(RLIMIT_NPROC, &saved), 0);
	rl.rlim_cur = 1;
	rl.rlim_max = saved.rlim_max;
	if (root)
		cr_assert_eq(setresuid(65534, 65534, 0), 0, "%s",
		    strerror(errno));
	cr_assert_eq(setrlimit(RLIMIT_NPROC, &rl), 0, "%s", strerror(errno));
	memset(&h, 0, sizeof(h));
	st = run_harness(&h, 2, 0);
	cr_assert_eq(setrlimit(RLIMIT_NPROC, &saved), 0, "%s",
	    strerror(errno));
	if (root)
		cr_assert_eq(setresuid(0, 0, 0), 0, "%s", strerror(errno));
	cr_assert_eq(st, POOL_NOSTART, "%s", h.err);
	cr_assert(strstr(h.err, "workers cannot start: fork: Resource "
	    "temporarily unavailable (the process limit, ulimit -u, is 1); "
	    "use fewer workers or raise the limit") != NULL, "%s", h.err);
}
