/*
 * output: the final results file, in row order, from a journal that is in
 * row order give or take a window.  Two passes over the committed journal:
 * the first collects the stragglers, records more than OUTPUT_WINDOW rows
 * behind the highest row before them, and sorts them; the second pushes
 * every other record's (row, offset) into a min-heap and writes rows as
 * soon as the next one is on top of the heap or of the stragglers.
 *
 * Invariant: all stragglers are known before the second pass, so the row
 * to write next never waits on one.  When it is still to come as a
 * non-straggler, no record before it is more than OUTPUT_WINDOW rows
 * above it, so the heap holds at most OUTPUT_WINDOW distinct rows, all
 * above it; a larger heap proves a row missing or repeated, and the walk
 * stops there.  Memory is the stragglers plus that window, whatever the
 * number of rows.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/buf.h"
#include "rowpool/durable.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "rowpool/output.h"

#define OUTPUT_WINDOW	4096

/* Where a record is: its row, offset in the journal, payload length. */
struct loc {
	uint64_t	 row;
	uint64_t	 off;
	uint32_t	 len;
	bool		 repl;	/* marked JOURNAL_REPLACES */
};

struct locs {
	struct loc	*v;
	size_t		 n;
	size_t		 cap;
};

struct out {
	uint64_t	 nrows;
	uint64_t	 next;		/* the next row to write */
	uint64_t	 max;		/* highest row seen so far, this pass */
	int		 seen;		/* max is set */
	struct locs	 late;		/* stragglers, sorted by row */
	size_t		 late_next;	/* first straggler not yet written */
	struct locs	 heap;		/* min-heap on row */
	int		 fd;		/* the journal, to read payloads back */
	struct buf	 payload;	/* one read back */
	struct durable	 d;
	const char	*step;
	int		 err;		/* errno behind a visit's failure */
};

static int
out_fail(struct out *o, const char *step, int err)
{
	o->step = step;
	o->err = err;
	errno = err;
	return -1;
}

static int
locs_push(struct locs *a, struct loc l)
{
	if (buf_grow_array((void **)&a->v, &a->cap, a->n + 1,
	    sizeof(*a->v)) == -1)
		return -1;
	a->v[a->n++] = l;
	return 0;
}

static void
loc_swap(struct loc *a, struct loc *b)
{
	struct loc t = *a;

	*a = *b;
	*b = t;
}

static int
heap_push(struct locs *h, struct loc l)
{
	size_t i, parent;

	if (locs_push(h, l) == -1)
		return -1;
	for (i = h->n - 1; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (h->v[parent].row <= h->v[i].row)
			break;
		loc_swap(&h->v[parent], &h->v[i]);
	}
	return 0;
}

static struct loc
heap_pop(struct locs *h)
{
	struct loc top = h->v[0];
	size_t i = 0, c;

	h->v[0] = h->v[--h->n];
	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->v[c + 1].row < h->v[c].row)
			c++;
		if (h->v[i].row <= h->v[c].row)
			break;
		loc_swap(&h->v[i], &h->v[c]);
		i = c;
	}
	return top;
}

static int
loc_cmp(const void *a, const void *b)
{
	const struct loc *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Same answer in both passes: it depends only on the records before. */
static int
is_late(struct out *o, uint64_t row)
{
	int late;

	late = o->seen && row < o->max && o->max - row > OUTPUT_WINDOW;
	if (!o->seen || row > o->max)
		o->max = row;
	o->seen = 1;
	return late;
}

static int
collect_late(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct out *o = arg;
	bool repl = (row & JOURNAL_REPLACES) != 0;

	row &= ~JOURNAL_REPLACES;
	if (row >= o->nrows)
		return out_fail(o, "check", EBADMSG);
	/* A replacement always goes through the sorted list. */
	if ((repl || is_late(o, row)) &&
	    locs_push(&o->late, (struct loc){ row, off, len, repl }) == -1)
		return out_fail(o, "alloc", errno);
	return 0;
}

static int
emit(struct out *o, const char *payload, uint32_t len)
{
	if (durable_write(&o->d, payload, len, &o->step) == -1 ||
	    durable_write(&o->d, "\n", 1, &o->step) == -1)
		return out_fail(o, o->step, errno);
	o->next++;
	return 0;
}

static int
emit_loc(struct out *o, struct loc l)
{
	buf_reset(&o->payload);
	if (buf_reserve(&o->payload, l.len) == -1)
		return out_fail(o, "alloc", errno);
	if (pread_full(o->fd, o->payload.p, l.len,
	    (off_t)(l.off + JOURNAL_HDR_SIZE)) == -1)
		return out_fail(o, "journal", errno);
	return emit(o, o->payload.p, l.len);
}

/* Writes rows while the next one is on top of the heap or stragglers. */
static int
drain(struct out *o)
{
	const struct loc *h, *s;

	for (;;) {
		h = o->heap.n > 0 ? &o->heap.v[0] : NULL;
		s = o->late_next < o->late.n ?
		    &o->late.v[o->late_next] : NULL;
		/* Below next: that row was written already. */
			if ((h != NULL && h->row < o->next) ||
		    (s != NULL && s->row < o->next))
			return out_fail(o, "check", EBADMSG);
		if (h != NULL && h->row == o->next) {
			if (emit_loc(o, heap_pop(&o->heap)) == -1)
				return -1;
		} else if (s != NULL && s->row == o->next) {
			if (emit_loc(o, o->late.v[o->late_next++]) == -1)
				return -1;
		} else
			return 0;
	}
}

static int
late_has(const struct out *o, uint64_t row)
{
	return o->late_next < o->late.n &&
	    o->late.v[o->late_next].row == row;
}

/* A record whose row has a later replacement in the sorted list. */
static bool
replaced(const struct out *o, uint64_t row)
{
	size_t lo = 0, hi = o->late.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->late.v[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < o->late.n && o->late.v[lo].row == row)
		if (o->late.v[lo++].repl)
			return true;
	return false;
}

static int
merge_record(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct out *o = arg;

	if ((row & JOURNAL_REPLACES) || is_late(o, row) || replaced(o, row))
		return 0;
	/* The common case: in order, written from the scan's buffer. */
	if (row == o->next && !late_has(o, row)) {
		if (emit(o, payload, len) == -1)
			return -1;
	} else if (heap_push(&o->heap, (struct loc){ row, off, len, false }) ==
	    -1)
		return out_fail(o, "alloc", errno);
	if (drain(o) == -1)
		return -1;
	if (o->heap.n > OUTPUT_WINDOW)
		return out_fail(o, "check", EBADMSG);
	return 0;
}

/*
 * In the sorted list, a replacement takes the place of the records of
 * its row before it (a plain repeat stays, for the check to refuse).
 */
static void
keep_last(struct locs *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++) {
		while (n > 0 && a->v[n - 1].row == a->v[i].row && a->v[i].repl)
			n--;
		a->v[n++] = a->v[i];
	}
	a->n = n;
}

static int
out_pass(struct out *o, const char *jpath, uint64_t committed,
    journal_visit_fn visit)
{
	uint64_t valid;
	int rc;

	o->seen = 0;
	o->max = 0;
	rc = journal_scan(jpath, committed, visit, o, &valid);
	if (rc == -1 && errno == ECANCELED && o->err != 0) {
		errno = o->err;
		return -1;
	}
	o->step = "journal";
	if (rc == 1 || (rc == 0 && valid < committed))
		errno = rc == 1 ? EBADMSG : ENODATA;
	return rc == 0 && valid == committed ? 0 : -1;
}

/* A journal shorter than its committed length lost data: ENODATA. */
static int
out_check_size(int fd, uint64_t committed)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	if ((uint64_t)st.st_size < committed) {
		errno = ENODATA;
		return -1;
	}
	return 0;
}

static int
out_check_done(struct out *o)
{
	if (o->next != o->nrows || o->heap.n != 0 ||
	    o->late_next != o->late.n)
		return out_fail(o, "check", EBADMSG);
	return 0;
}

static void
out_release(struct out *o)
{
	int saved = errno;

	durable_abort(&o->d);
	if (o->fd != -1)
		close(o->fd);
	free(o->late.v);
	free(o->heap.v);
	buf_release(&o->payload);
	errno = saved;
}

int
output_write(const char *jpath, uint64_t committed, uint64_t nrows,
    const char *out_path, const char **step)
{
	struct out o = { .nrows = nrows, .fd = -1, .d = { .fd = -1 } };

	o.step = "journal";
	if ((o.fd = open(jpath, O_RDONLY | O_CLOEXEC)) == -1 ||
	    out_check_size(o.fd, committed) == -1)
		goto fail;
	if (out_pass(&o, jpath, committed, collect_late) == -1)
		goto fail;
	if (o.late.n > 0)
		qsort(o.late.v, o.late.n, sizeof(*o.late.v), loc_cmp);
	keep_last(&o.late);
	if (durable_open_unique(&o.d, out_path, 0666, &o.step) == -1)
		goto fail;
	if (out_pass(&o, jpath, committed, merge_record) == -1 ||
	    out_check_done(&o) == -1)
		goto fail;
	if (durable_commit(&o.d, &o.step) == -1)
		goto fail;
	out_release(&o);
	return 0;
fail:
	if (step != NULL)
		*step = o.step;
	out_release(&o);
	return -1;
}
