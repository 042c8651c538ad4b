/*
 * rowset: sorted ranges of rows.  Invariant: the ranges are in ascending
 * order, and neither overlap nor touch (two ranges one apart are one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/buf.h"
#include "rowpool/rowset.h"

void
rowset_init(struct rowset *s)
{
	memset(s, 0, sizeof(*s));
}

void
rowset_release(struct rowset *s)
{
	free(s->r);
	rowset_init(s);
}

/* The index of the first range whose last is >= row (s->n if none). */
static size_t
lower(const struct rowset *s, uint64_t row)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->r[mid].last < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
rowset_has(const struct rowset *s, uint64_t row)
{
	size_t i = lower(s, row);

	return i < s->n && s->r[i].first <= row;
}

/* Joins range i with range i + 1 when they touch. */
static void
join_next(struct rowset *s, size_t i)
{
	if (i + 1 >= s->n || s->r[i].last + 1 != s->r[i + 1].first)
		return;
	s->r[i].last = s->r[i + 1].last;
	memmove(&s->r[i + 1], &s->r[i + 2], (s->n - i - 2) * sizeof(*s->r));
	s->n--;
}

int
rowset_add(struct rowset *s, uint64_t row)
{
	size_t i = lower(s, row);

	if (i < s->n && s->r[i].first <= row)
		return 0;
	if (i < s->n && row + 1 == s->r[i].first) {
		s->r[i].first = row;
		if (i > 0)
			join_next(s, i - 1);
	} else if (i > 0 && s->r[i - 1].last + 1 == row) {
		s->r[i - 1].last = row;	/* r[i] is not row + 1: seen above */
	} else {
		if (buf_grow_array((void **)&s->r, &s->cap, s->n + 1,
		    sizeof(*s->r)) == -1)
			return -1;
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(*s->r));
		s->r[i] = (struct rowset_range){ row, row };
		s->n++;
	}
	s->count++;
	return 0;
}

json_t *
rowset_json(const struct rowset *s)
{
	json_t *a = json_array(), *p;
	size_t i;

	for (i = 0; a != NULL && i < s->n; i++) {
		p = json_pack("[I, I]", (json_int_t)s->r[i].first,
		    (json_int_t)s->r[i].last);
		if (p == NULL || json_array_append_new(a, p) == -1) {
			json_decref(a);
			a = NULL;
		}
	}
	if (a == NULL)
		errno = ENOMEM;
	return a;
}

/* One [first, last] after prev (or the first one, prev NULL). */
static int
read_range(const json_t *p, const struct rowset_range *prev,
    struct rowset_range *out)
{
	const json_t *a = json_array_get(p, 0), *b = json_array_get(p, 1);

	if (json_array_size(p) != 2 || !json_is_integer(a) ||
	    !json_is_integer(b) || json_integer_value(a) < 0 ||
	    json_integer_value(b) < json_integer_value(a))
		return -1;
	out->first = (uint64_t)json_integer_value(a);
	out->last = (uint64_t)json_integer_value(b);
	return prev != NULL && out->first <= prev->last + 1 ? -1 : 0;
}

int
rowset_from_json(struct rowset *s, const json_t *j)
{
	size_t i, n = json_array_size(j);

	rowset_init(s);
	if (!json_is_array(j)) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0 && buf_grow_array((void **)&s->r, &s->cap, n,
	    sizeof(*s->r)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (read_range(json_array_get(j, i), i > 0 ? &s->r[i - 1] :
		    NULL, &s->r[i]) == -1) {
			rowset_release(s);
			errno = EINVAL;
			return -1;
		}
		s->n++;
		s->count += s->r[i].last - s->r[i].first + 1;
	}
	return 0;
}
