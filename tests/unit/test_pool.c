/*
 * The pool driven by fake workers: each misbehaves on one row (crash,
 * hang, garbage, oversized frame, exit without answering) and only that
 * row is affected; every row gets exactly one outcome.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/io.h"
#include "rowpool/pool.h"

#define NROWS	40
#define BAD_ROW	13

enum fault { F_NONE, F_CRASH, F_HANG, F_GARBAGE, F_OVERSIZED, F_EXIT,
    F_BADJSON, F_WRONGID, F_NOSTART, F_FATAL, F_SLOWSTART };

struct harness {
	enum fault		 fault;
	uint64_t		 next;		/* next row to hand out */
	unsigned		 outcomes[NROWS];
	enum pool_event		 event[NROWS];
	char			 message[NROWS][256];
	struct pool		*pool;
	uint64_t		 requeued[NROWS];
	unsigned		 nrequeued;
	bool			 drain_at_start;
};

static void
misbehave(enum fault f, int fd, uint64_t id)
{
	unsigned char hdr[FRAME_HDR_SIZE];

	switch (f) {
	case F_CRASH:
		raise(SIGSEGV);
		break;
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
	default:
		break;
	}
	for (;;)
		pause();
}

static int
fake_worker(int fd, void *arg)
{
	struct harness *h = arg;
	struct frame_reader rd;
	struct frame f;
	int rc;

	if (h->fault == F_NOSTART)
		return 9;
	if (h->fault == F_FATAL) {
		frame_send(fd, FRAME_FATAL, 0, "no key", 6);
		return 2;
	}
	frame_send(fd, FRAME_READY, 0, NULL, 0);
	frame_reader_init(&rd, 1 << 20);
	while ((rc = frame_recv(&rd, fd, &f)) == 1) {
		if (f.id == BAD_ROW && h->fault != F_NONE)
			misbehave(h->fault, fd, f.id);
		if (frame_send(fd, FRAME_RESULT, f.id, "{\"ok\":true}", 11))
			return 1;
	}
	return rc == 0 ? 0 : 1;
}

static enum pool_next
h_next(void *arg, int64_t now, struct pool_task *t, int64_t *wake)
{
	struct harness *h = arg;

	if (h->nrequeued > 0) {
		t->row = h->requeued[--h->nrequeued];
		t->payload = "{}";
		t->len = 2;
		return POOL_TASK;
	}
	if (h->next == NROWS)
		return pool_inflight(h->pool) == 0 ? POOL_DONE : POOL_WAIT;
	t->row = h->next++;
	t->payload = "{}";
	t->len = 2;
	return POOL_TASK;
}

static void
h_outcome(void *arg, const struct pool_outcome *o)
{
	struct harness *h = arg;

	cr_assert_lt(o->row, NROWS);
	if (o->event == POOL_REQUEUED) {
		h->requeued[h->nrequeued++] = o->row;
		return;
	}
	h->outcomes[o->row]++;
	h->event[o->row] = o->event;
	if (o->message)
		strlcpy(h->message[o->row], o->message, 256);
}

static const struct pool_ops h_ops = {
	.next_task = h_next,
	.on_outcome = h_outcome,
	.worker_main = fake_worker,
};

static enum pool_status
run_harness(struct harness *h, unsigned workers, unsigned max_rows)
{
	struct pool_opts po = {
		.ops = &h_ops,
		.arg = h,
		.nworkers = workers,
		.timeout_ms = 1500,
		.grace_ms = 1000,
		.worker_max_rows = max_rows,
		.max_frame = 1 << 20,
	};
	enum pool_status st;
	char err[256];

	h->pool = pool_new(&po);
	cr_assert_not_null(h->pool);
	st = pool_run(h->pool, err, sizeof(err));
	pool_free(h->pool);
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
