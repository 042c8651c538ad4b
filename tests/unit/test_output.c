/*
 * output: whatever order the journal is in, the output holds each row's
 * payload once, in row order; a missing or repeated row is refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/journal.h"
#include "rowpool/output.h"
#include "scratch.h"

TestSuite(output, .init = scratch_setup, .fini = scratch_teardown);

#define MAXREC	25000

static uint64_t	order[MAXREC];
static uint64_t	rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* A payload whose length varies with the row, as real results do. */
static int
payload(char *buf, size_t len, uint64_t row)
{
	scratch_fmt(buf, len, "{\"row\":%llu,\"pad\":\"%.*s\"}",
	    (unsigned long long)row, (int)(row * 7 % 40), "........"
	    "................................");
	return (int)strlen(buf);
}

/* Appends rows in the order given; returns the committed length. */
static uint64_t
write_journal(const char *path, const uint64_t *rows, size_t n)
{
	struct journal *j;
	const char *step;
	uint64_t len;
	char buf[128];
	size_t i;
	int plen;

	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j, "%s", strerror(errno));
	for (i = 0; i < n; i++) {
		plen = payload(buf, sizeof(buf), rows[i]);
		cr_assert_eq(journal_append(j, rows[i], buf, (uint32_t)plen),
		    0);
	}
	cr_assert_eq(journal_sync(j, &step), 0);
	len = journal_length(j);
	journal_close(j);
	return len;
}

static void
expect_sorted_output(const char *path, uint64_t nrows, const char *name)
{
	char buf[128], *got;
	size_t len, at = 0;
	uint64_t r;
	int plen;

	got = scratch_read(path, &len);
	for (r = 0; r < nrows; r++) {
		plen = payload(buf, sizeof(buf), r);
		cr_assert(at + (size_t)plen + 1 <= len &&
		    memcmp(got + at, buf, (size_t)plen) == 0 &&
		    got[at + (size_t)plen] == '\n', "%s: row %llu wrong",
		    name, (unsigned long long)r);
		at += (size_t)plen + 1;
	}
	cr_assert_eq(at, len, "%s: trailing bytes", name);
	free(got);
}

static size_t
gen_sequence(uint64_t from, uint64_t to, size_t at)
{
	while (from < to)
		order[at++] = from++;
	return at;
}

static void
shuffle_windows(size_t from, size_t to, size_t w)
{
	size_t b, i, k, n;
	uint64_t t;

	for (b = from; b < to; b += w) {
		n = to - b < w ? to - b : w;
		for (i = n - 1; i > 0; i--) {
			k = rng_below(i + 1);
			t = order[b + i];
			order[b + i] = order[b + k];
			order[b + k] = t;
		}
	}
}

/* Moves order[i] to the end, keeping the rest in order. */
static void
move_to_end(size_t i, size_t n)
{
	uint64_t t = order[i];

	memmove(&order[i], &order[i + 1], (n - i - 1) * sizeof(order[0]));
	order[n - 1] = t;
}

static size_t
gen_sorted(void)
{
	return gen_sequence(0, 1000, 0);
}

static size_t
gen_one(void)
{
	return gen_sequence(0, 1, 0);
}

static size_t
gen_reversed(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = n - 1 - i;
	return n;
}

static size_t
gen_reversed_small(void)
{
	return gen_reversed(100);
}

/* Most rows far behind the first: stragglers and heap both busy. */
static size_t
gen_reversed_big(void)
{
	return gen_reversed(10000);
}

/* The shape of a real run: rows in flight plus a few retried late. */
static size_t
gen_window16_stragglers(void)
{
	size_t n = gen_sequence(0, 20000, 0), k;

	shuffle_windows(0, n, 16);
	for (k = 0; k < 30; k++)
		move_to_end(rng_below(n - 30), n);
	return n;
}

/* A resumed run: the first run's holes come first in the second run. */
static size_t
gen_resumed(void)
{
	size_t n = 0;
	uint64_t r;

	for (r = 0; r < 10000; r++)
		if (r % 200 != 7)
			order[n++] = r;
	for (r = 7; r < 10000; r += 200)
		order[n++] = r;
	n = gen_sequence(10000, 15000, n);
	shuffle_windows(n - 5000, n, 8);
	return n;
}

/* Rows finishing early, before up to 64 rows dispatched ahead of them. */
static size_t
gen_early(void)
{
	size_t n = gen_sequence(0, 10000, 0), i;
	uint64_t t;

	for (i = 0; i + 64 < n; i += 100) {
		t = order[i];
		order[i] = order[i + 64];
		order[i + 64] = t;
	}
	return n;
}

/* Displacement up to just under the window: no straggler at all. */
static size_t
gen_window4095(void)
{
	size_t n = gen_sequence(0, 3 * 4096 + 100, 0);

	shuffle_windows(0, n, 4096);
	return n;
}

/* A late block, in reverse. */
static size_t
gen_late_block(void)
{
	size_t n = 0;
	uint64_t r;

	n = gen_sequence(0, 100, n);
	n = gen_sequence(200, 9000, n);
	for (r = 200; r-- > 100;)
		order[n++] = r;
	return n;
}

static const struct order_case {
	const char	*name;
	size_t		(*gen)(void);
} order_cases[] = {
	{ "sorted", gen_sorted },
	{ "one row", gen_one },
	{ "reversed, 100 rows", gen_reversed_small },
	{ "reversed, 10000 rows", gen_reversed_big },
	{ "windows of 16, 30 stragglers", gen_window16_stragglers },
	{ "resumed run", gen_resumed },
	{ "early rows", gen_early },
	{ "windows of 4096", gen_window4095 },
	{ "late block reversed", gen_late_block },
};

Test(output, any_order_sorted)
{
	const char *jpath = scratch_path("journal");
	const char *opath = scratch_path("out");
	const struct order_case *c;
	const char *step = NULL;
	uint64_t committed;
	size_t i, n;

	for (i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		c = &order_cases[i];
		rng_state = 0x2545f4914f6cdd1du + i;
		n = c->gen();
		committed = write_journal(jpath, order, n);
		cr_assert_eq(output_write(jpath, committed, n, opath, &step),
		    0, "%s: %s: %s", c->name, step, strerror(errno));
		expect_sorted_output(opath, n, c->name);
		cr_assert_eq(unlink(jpath), 0);
	}
}

static size_t
gen_missing_middle(void)
{
	size_t n = gen_sequence(0, 1000, 0);

	move_to_end(500, n);
	return n - 1;
}

static size_t
gen_missing_last(void)
{
	return gen_sequence(0, 999, 0);
}

/* Row 0 never comes: found once the heap outgrows the window. */
static size_t
gen_missing_first(void)
{
	return gen_sequence(1, 20000, 0);
}

static size_t
gen_dup_adjacent(void)
{
	size_t n = gen_sequence(0, 501, 0);

	return gen_sequence(500, 999, n);
}

static size_t
gen_dup_far(void)
{
	size_t n = gen_sequence(0, 9999, 0);

	order[n++] = 3;
	return n;
}

static size_t
gen_dup_stragglers(void)
{
	size_t n = gen_sequence(0, 10000, 0);

	move_to_end(5, n);
	order[n++] = 5;
	return n;
}

static size_t
gen_row_too_big(void)
{
	size_t n = gen_sequence(0, 999, 0);

	order[n++] = 1000;
	return n;
}

static const struct bad_case {
	const char	*name;
	size_t		(*gen)(void);
	uint64_t	 nrows;
} bad_cases[] = {
	{ "missing row 500", gen_missing_middle, 1000 },
	{ "missing last row", gen_missing_last, 1000 },
	{ "missing row 0", gen_missing_first, 20000 },
	{ "nrows too large", gen_sorted, 1001 },
	{ "duplicate, adjacent", gen_dup_adjacent, 1000 },
	{ "duplicate, far", gen_dup_far, 9999 },
	{ "duplicate, both late", gen_dup_stragglers, 10000 },
	{ "row past nrows", gen_row_too_big, 1000 },
	{ "rows but nrows 0", gen_one, 0 },
};

/* Refused with "check", and the old output is still there. */
Test(output, missing_or_duplicate_rows)
{
	const char *jpath = scratch_path("journal");
	const char *opath = scratch_path("out");
	const struct bad_case *c;
	const char *step;
	uint64_t committed;
	size_t i, n, len;
	char *got;

	scratch_write(opath, "old\n", 4);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		n = c->gen();
		committed = write_journal(jpath, order, n);
		step = NULL;
		errno = 0;
		cr_expect_eq(output_write(jpath, committed, c->nrows, opath,
		    &step), -1, "%s: written", c->name);
		cr_expect_eq(errno, EBADMSG, "%s: %s", c->name,
		    strerror(errno));
		cr_expect(step != NULL && strcmp(step, "check") == 0,
		    "%s: step %s", c->name, step);
		got = scratch_read(opath, &len);
		cr_expect_str_eq(got, "old\n", "%s", c->name);
		free(got);
		cr_expect_eq(scratch_size(scratch_path("out.tmp")), -1);
		cr_assert_eq(unlink(jpath), 0, "%s: %s", c->name,
		    strerror(errno));
	}
}

Test(output, empty)
{
	const char *jpath = scratch_path("journal");
	const char *opath = scratch_path("out");
	const char *step;

	cr_assert_eq(write_journal(jpath, order, 0), 0);
	cr_assert_eq(output_write(jpath, 0, 0, opath, &step), 0);
	cr_expect_eq(scratch_size(opath), 0);
}

/* Records past the committed length do not exist, duplicates or not. */
Test(output, only_committed_records)
{
	const char *jpath = scratch_path("journal");
	const char *opath = scratch_path("out");
	struct journal *j;
	const char *step;
	uint64_t committed;
	size_t n;

	n = gen_sequence(0, 1000, 0);
	committed = write_journal(jpath, order, n);
	j = journal_open(jpath, committed, NULL, NULL, NULL);
	cr_assert_not_null(j);
	cr_assert_eq(journal_append(j, 3, "{\"row\":\"again\"}", 15), 0);
	cr_assert_eq(journal_append(j, 1000, "{}", 2), 0);
	cr_assert_eq(journal_sync(j, &step), 0);
	journal_close(j);
	cr_assert_eq(output_write(jpath, committed, n, opath, &step), 0);
	expect_sorted_output(opath, n, "committed prefix");
}

Test(output, damaged_or_short_journal)
{
	const char *jpath = scratch_path("journal");
	const char *opath = scratch_path("out");
	const char *step = NULL;
	uint64_t committed;
	size_t n, len;
	char *img;

	n = gen_sequence(0, 100, 0);
	committed = write_journal(jpath, order, n);
	img = scratch_read(jpath, &len);
	img[len / 2] ^= 1;
	scratch_write(jpath, img, len);
	cr_expect_eq(output_write(jpath, committed, n, opath, &step), -1);
	cr_expect_eq(errno, EBADMSG);
	cr_expect_str_eq(step, "journal");
	img[len / 2] ^= 1;
	scratch_write(jpath, img, len - 1);
	step = NULL;
	cr_expect_eq(output_write(jpath, committed, n, opath, &step), -1);
	cr_expect_eq(errno, ENODATA);
	cr_expect_str_eq(step, "journal");
	cr_expect_eq(scratch_size(opath), -1);
	free(img);
}

/*
 * --retry-failed appends a record marked JOURNAL_REPLACES for a row done
 * before: the last record of a row is the one written, wherever the two
 * are (near, far apart, a row replaced twice, a straggler replaced).
 */
Test(output, the_last_record_of_a_row_counts)
{
	static const uint64_t again[] = { 0, 3, 4095, 4096, 9999, 3, 5000 };
	const char *jpath = scratch_path("journal");
	const char *opath = scratch_path("out");
	struct journal *j;
	const char *step;
	char buf[128];
	uint64_t r;
	size_t i;
	int plen;

	cr_assert_not_null(j = journal_open(jpath, 0, NULL, NULL, NULL));
	for (r = 0; r < 10000; r++) {
		if (r == 5000)
			continue;	/* a straggler, below */
		plen = r % 3 == 0 ? scratch_fmt(buf, sizeof(buf), "{\"old\":%llu}",
		    (unsigned long long)r), (int)strlen(buf) :
		    payload(buf, sizeof(buf), r);
		cr_assert_eq(journal_append(j, r, buf, (uint32_t)plen), 0);
	}
	cr_assert_eq(journal_append(j, 5000, "{\"old\":1}", 9), 0);
	for (i = 0; i < sizeof(again) / sizeof(again[0]); i++) {
		r = again[i];
		plen = i == 1 ? 9 : payload(buf, sizeof(buf), r);
		cr_assert_eq(journal_append(j, r | JOURNAL_REPLACES,
		    i == 1 ? "{\"x\":99}\n" : buf, (uint32_t)plen), 0);
	}
	for (r = 0; r < 10000; r += 3)	/* every old one replaced */
		if (r != 0 && r != 3 && r != 9999) {
			plen = payload(buf, sizeof(buf), r);
			cr_assert_eq(journal_append(j, r | JOURNAL_REPLACES,
			    buf, (uint32_t)plen), 0);
		}
	cr_assert_eq(journal_sync(j, &step), 0);
	cr_assert_eq(output_write(jpath, journal_length(j), 10000, opath,
	    &step), 0, "%s: %s", step, strerror(errno));
	journal_close(j);
	expect_sorted_output(opath, 10000, "replaced");
}
