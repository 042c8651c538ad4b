/*
 * output: the committed results in row order, from a journal that is in
 * row order give or take a window.  Two passes over the committed
 * journal: the first collects the stragglers, records more than
 * OUTPUT_WINDOW rows behind the highest row before them, and the
 * replacements, and sorts them; the second pushes every other record's
 * (row, offset) into a min-heap and hands rows on, in order, as soon as
 * they are known to be complete.
 *
 * Invariant: all stragglers are known before the second pass.  A record
 * that is not a straggler comes before the journal has gone more than
 * OUTPUT_WINDOW rows past its row; so once the scan has seen row M, every
 * row below M - OUTPUT_WINDOW is complete (its records are in the heap or
 * in the sorted list, or it has none: a gap), and the row right after the
 * last one handed on is complete as soon as it is on top.  The heap thus
 * holds rows in [M - OUTPUT_WINDOW, M], at most OUTPUT_WINDOW + 1 of them;
 * a larger heap proves a row repeated, and the walk stops there.  Memory
 * is the stragglers plus that window, whatever the number of rows.
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

struct walk {
	uint64_t	 nrows;	/* every row is below it */
	uint64_t	 next;	/* rows below it were handed on */
	uint64_t	 max;	/* highest row seen so far, this pass */
	int		 seen;	/* max is set */
	struct locs	 late;	/* stragglers, sorted by row */
	size_t		 late_next; /* first straggler not handed on */
	struct locs	 heap;	/* min-heap on row */
	int		 fd;	/* the journal, to read payloads back */
	struct buf	 payload; /* one read back */
	output_visit_fn	 visit;
	void		*arg;
	const char	*step;
	int		 err;	/* errno behind a scan's failure */
};

static int
walk_fail(struct walk *w, const char *step, int err)
{
	w->step = step;
	w->err = err;
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
is_late(struct walk *w, uint64_t row)
{
	int late;

	late = w->seen && row < w->max && w->max - row > OUTPUT_WINDOW;
	if (!w->seen || row > w->max)
		w->max = row;
	w->seen = 1;
	return late;
}

/* Every record of row is known (or it has none): see the invariant. */
static bool
complete(const struct walk *w, uint64_t row)
{
	return w->max > OUTPUT_WINDOW && row < w->max - OUTPUT_WINDOW;
}

static int
collect_late(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct walk *w = arg;
	bool repl = (row & JOURNAL_REPLACES) != 0;

	row &= ~JOURNAL_REPLACES;
	if (row >= w->nrows)
		return walk_fail(w, "check", EBADMSG);
	/* A replacement always goes through the sorted list. */
	if ((repl || is_late(w, row)) &&
	    locs_push(&w->late, (struct loc){ row, off, len, repl }) == -1)
		return walk_fail(w, "alloc", errno);
	return 0;
}

static int
hand_on(struct walk *w, uint64_t row, const char *payload, uint32_t len)
{
	const char *step = "visit";

	if (w->visit(w->arg, row, payload, len, &step) == -1)
		return walk_fail(w, step, errno);
	w->next = row + 1;
	return 0;
}

static int
hand_on_loc(struct walk *w, struct loc l)
{
	buf_reset(&w->payload);
	if (buf_reserve(&w->payload, l.len) == -1)
		return walk_fail(w, "alloc", errno);
	if (pread_full(w->fd, w->payload.p, l.len,
	    (off_t)(l.off + JOURNAL_HDR_SIZE)) == -1)
		return walk_fail(w, "journal", errno);
	return hand_on(w, l.row, w->payload.p, l.len);
}

/*
 * Hands on the lowest row of the heap and the stragglers while it is
 * complete: the next row, one the journal is far past, or any at the end.
 */
static int
drain(struct walk *w, bool all)
{
	const struct loc *h, *s, *c;

	for (;;) {
		h = w->heap.n > 0 ? &w->heap.v[0] : NULL;
		s = w->late_next < w->late.n ?
		    &w->late.v[w->late_next] : NULL;
		c = h == NULL || (s != NULL && s->row < h->row) ? s : h;
		if (c == NULL)
			return 0;
		/* Below next: that row was handed on already. */
		if (c->row < w->next)
			return walk_fail(w, "check", EBADMSG);
		if (!all && c->row != w->next && !complete(w, c->row))
			return 0;
		if (hand_on_loc(w, c == h ? heap_pop(&w->heap) :
		    w->late.v[w->late_next++]) == -1)
			return -1;
	}
}

static int
late_has(const struct walk *w, uint64_t row)
{
	return w->late_next < w->late.n &&
	    w->late.v[w->late_next].row == row;
}

/* A record whose row has a later replacement in the sorted list. */
static bool
replaced(const struct walk *w, uint64_t row)
{
	size_t lo = 0, hi = w->late.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->late.v[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < w->late.n && w->late.v[lo].row == row)
		if (w->late.v[lo++].repl)
			return true;
	return false;
}

static int
merge_record(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct walk *w = arg;

	if ((row & JOURNAL_REPLACES) || is_late(w, row) || replaced(w, row))
		return 0;
	/* The common case: in order, handed on from the scan's buffer. */
	if (row == w->next && !late_has(w, row) &&
	    (w->heap.n == 0 || w->heap.v[0].row > row)) {
		if (hand_on(w, row, payload, len) == -1)
			return -1;
	} else if (heap_push(&w->heap, (struct loc){ row, off, len, false }) ==
	    -1)
		return walk_fail(w, "alloc", errno);
	if (drain(w, false) == -1)
		return -1;
	if (w->heap.n > OUTPUT_WINDOW + 1)
		return walk_fail(w, "check", EBADMSG);
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
walk_pass(struct walk *w, const char *jpath, uint64_t committed,
    journal_visit_fn visit)
{
	uint64_t valid;
	int rc;

	w->seen = 0;
	w->max = 0;
	rc = journal_scan(jpath, committed, visit, w, &valid);
	if (rc == -1 && errno == ECANCELED && w->err != 0) {
		errno = w->err;
		return -1;
	}
	w->step = "journal";
	if (rc == 1 || (rc == 0 && valid < committed))
		errno = rc == 1 ? EBADMSG : ENODATA;
	return rc == 0 && valid == committed ? 0 : -1;
}

/* A journal shorter than its committed length lost data: ENODATA. */
static int
check_size(int fd, uint64_t committed)
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

static void
walk_release(struct walk *w)
{
	int saved = errno;

	if (w->fd != -1)
		close(w->fd);
	free(w->late.v);
	free(w->heap.v);
	buf_release(&w->payload);
	errno = saved;
}

int
output_walk(const char *jpath, uint64_t committed, uint64_t nrows,
    output_visit_fn visit, void *arg, const char **step)
{
	struct walk w = { .nrows = nrows, .fd = -1, .visit = visit,
	    .arg = arg, .step = "journal" };
	int rc = -1;

	if ((w.fd = open(jpath, O_RDONLY | O_CLOEXEC)) == -1 ||
	    check_size(w.fd, committed) == -1)
		goto out;
	if (walk_pass(&w, jpath, committed, collect_late) == -1)
		goto out;
	if (w.late.n > 0)
		qsort(w.late.v, w.late.n, sizeof(*w.late.v), loc_cmp);
	keep_last(&w.late);
	if (walk_pass(&w, jpath, committed, merge_record) == -1 ||
	    drain(&w, true) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && step != NULL)
		*step = w.step;
	walk_release(&w);
	return rc;
}

/* output_write: every row, each once, in a durable file. */
struct out {
	struct durable	 d;
	uint64_t	 next;
	uint64_t	 every;
};

static int
write_row(void *arg, uint64_t row, const char *payload, uint32_t len,
    const char **step)
{
	struct out *o = arg;

	if (row != o->next) {	/* rows o->next .. row-1 have no result */
		*step = "check";
		errno = EBADMSG;
		return -1;
	}
	if (durable_write(&o->d, payload, len, step) == -1 ||
	    durable_write(&o->d, "\n", 1, step) == -1)
		return -1;
	o->next += o->every;
	return 0;
}

int
output_write_every(const char *jpath, uint64_t committed, uint64_t nrows,
    uint64_t first, uint64_t every, const char *out_path, const char **step)
{
	struct out o = { .d = { .fd = -1 }, .next = first, .every = every };
	const char *dummy;

	if (step == NULL)
		step = &dummy;
	if (durable_open_unique(&o.d, out_path, 0666, step) == -1)
		return -1;
	if (output_walk(jpath, committed, nrows, write_row, &o, step) == -1)
		goto fail;
	if (o.next < nrows) {
		*step = "check";
		errno = EBADMSG;
		goto fail;
	}
	return durable_commit(&o.d, step);
fail:
	durable_abort(&o.d);
	return -1;
}

int
output_write(const char *jpath, uint64_t committed, uint64_t nrows,
    const char *out_path, const char **step)
{
	return output_write_every(jpath, committed, nrows, 0, 1, out_path,
	    step);
}
