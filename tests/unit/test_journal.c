/*
 * journal: records come back as written; a torn or uncommitted tail is
 * cut off at any byte; any damage inside the committed prefix is found
 * and located; a failed sync poisons the journal for good.
 */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/journal.h"
#include "fault.h"
#include "scratch.h"

TestSuite(journal, .init = scratch_setup, .fini = scratch_teardown);

struct rec {
	uint64_t	 row;
	const char	*payload;
	uint32_t	 len;
};

#define REC(r, s)	{ (r), (s), sizeof(s) - 1 }
#define NRECS		6

static const struct rec recs[NRECS] = {
	REC(0, "{\"answer\":\"zero\"}"),
	REC(2, "{\"answer\":\"two\",\"tokens\":17}"),
	REC(1, ""),
	REC(3, "{\"error\":\"timeout\",\"attempts\":4}"),
	REC(UINT64_MAX, "[\"largest row index\"]"),
	REC(5, "{\"answer\":\"five\"}"),
};

/* What a walk saw, checked against the records it should see. */
struct seen {
	const struct rec *want;
	size_t		 nwant;
	const uint64_t	*offs;		/* expected offsets, or NULL */
	size_t		 n;
	size_t		 cancel_at;	/* return 1 on this visit; 0 never */
	int		 bad;
};

static int
collect(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct seen *s = arg;
	const struct rec *w;

	if (s->n >= s->nwant) {
		s->bad = 1;
		return 0;
	}
	w = &s->want[s->n];
	if (row != w->row || len != w->len ||
	    memcmp(payload, w->payload, len) != 0 ||
	    (s->offs != NULL && off != s->offs[s->n]))
		s->bad = 1;
	s->n++;
	return s->cancel_at != 0 && s->n == s->cancel_at;
}

static struct seen
seen_of(const struct rec *want, size_t nwant, const uint64_t *offs)
{
	return (struct seen){ .want = want, .nwant = nwant, .offs = offs };
}

/* Writes recs to path; offs[i] is record i's offset, offs[n] the end. */
static void
build(const char *path, const struct rec *r, size_t n, uint64_t *offs)
{
	struct journal *j;
	const char *step;
	size_t i;

	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j, "journal_open: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		offs[i] = journal_length(j);
		cr_assert_eq(journal_append(j, r[i].row, r[i].payload,
		    r[i].len), 0);
	}
	offs[n] = journal_length(j);
	cr_assert_eq(journal_sync(j, &step), 0);
	journal_close(j);
	cr_assert_eq(scratch_size(path), (off_t)offs[n]);
}

static char *
build_image(const char *path, uint64_t *offs, size_t *len)
{
	build(path, recs, NRECS, offs);
	return scratch_read(path, len);
}

Test(journal, roundtrip)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1], bad;
	struct journal *j;
	struct seen s;

	build(path, recs, NRECS, offs);
	cr_expect_eq(offs[1], JOURNAL_HDR_SIZE + recs[0].len);
	s = seen_of(recs, NRECS, offs);
	j = journal_open(path, offs[NRECS], collect, &s, &bad);
	cr_assert_not_null(j, "%s", strerror(errno));
	cr_expect_eq(s.n, NRECS);
	cr_expect(!s.bad);
	cr_expect_eq(journal_length(j), offs[NRECS]);
	journal_close(j);
}

/* Records around and above both buffer sizes, and many buffer refills. */
Test(journal, large_and_many_records)
{
	const char *path = scratch_path("j");
	static struct rec many[3000];
	static uint64_t offs[3001];
	uint64_t valid;
	struct seen s;
	char *big, *small;
	size_t i;

	big = malloc(300 * 1024);
	small = malloc(1000);
	cr_assert(big != NULL && small != NULL);
	memset(big, 'B', 300 * 1024);
	memset(small, 's', 1000);
	for (i = 0; i < 3000; i++) {
		many[i].row = i;
		many[i].payload = i % 700 == 5 ? big : small;
		many[i].len = i % 700 == 5 ? 300 * 1024 - (uint32_t)i :
		    (uint32_t)(i % 1000);
	}
	build(path, many, 3000, offs);
	s = seen_of(many, 3000, offs);
	cr_assert_eq(journal_scan(path, UINT64_MAX, collect, &s, &valid), 0);
	cr_expect_eq(s.n, 3000);
	cr_expect(!s.bad);
	cr_expect_eq(valid, offs[3000]);
	free(big);
	free(small);
}

Test(journal, open_creates_mode_0600)
{
	const char *path = scratch_path("new");
	struct journal *j;
	struct stat st;

	umask(022);
	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j);
	cr_expect_eq(journal_length(j), 0);
	journal_close(j);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_expect_eq(st.st_size, 0);
}

/*
 * A crash may leave any prefix of the records after the committed length,
 * or garbage: opening keeps exactly the committed records, cuts the rest,
 * and the next append lands right after them.
 */
static void
check_torn(const char *path, const char *img, size_t cut, size_t garbage,
    uint64_t committed, const struct rec *want, size_t k)
{
	static const struct rec added = REC(99, "{\"new\":true}");
	struct rec after[NRECS + 1];
	struct journal *j;
	const char *step;
	uint64_t valid;
	struct seen s;
	char *buf;

	buf = malloc(cut + garbage);
	cr_assert_not_null(buf);
	memcpy(buf, img, cut);
	memset(buf + cut, 0xa5, garbage);
	scratch_write(path, buf, cut + garbage);
	free(buf);
	s = seen_of(want, k, NULL);
	j = journal_open(path, committed, collect, &s, NULL);
	cr_assert_not_null(j, "cut at %zu: %s", cut, strerror(errno));
	cr_assert(s.n == k && !s.bad, "cut at %zu: %zu visits", cut, s.n);
	cr_assert_eq(scratch_size(path), (off_t)committed, "cut at %zu", cut);
	cr_assert_eq(journal_append(j, added.row, added.payload, added.len),
	    0);
	cr_assert_eq(journal_sync(j, &step), 0);
	journal_close(j);
	memcpy(after, want, k * sizeof(*want));
	after[k] = added;
	s = seen_of(after, k + 1, NULL);
	cr_assert_eq(journal_scan(path, UINT64_MAX, collect, &s, &valid), 0);
	cr_assert(s.n == k + 1 && !s.bad, "cut at %zu: reread", cut);
	cr_assert_eq(valid, committed + JOURNAL_HDR_SIZE + added.len);
}

Test(journal, torn_tail_every_offset)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1];
	size_t len, cut, k = NRECS - 2;
	char *img;

	img = build_image(path, offs, &len);
	for (cut = offs[k]; cut <= len; cut++) {
		check_torn(path, img, cut, 0, offs[k], recs, k);
		check_torn(path, img, cut, 40, offs[k], recs, k);
	}
	free(img);
}

/* Any single flipped bit of a committed record is found, and located. */
Test(journal, bit_flip_every_byte)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1], bad;
	struct journal *j;
	struct seen s;
	size_t len, k, i;
	char *img;
	int bit;

	img = build_image(path, offs, &len);
	for (k = 0; k < NRECS; k++)
		for (i = offs[k]; i < offs[k + 1]; i++)
			for (bit = 0; bit < 8; bit++) {
				img[i] ^= (char)(1 << bit);
				scratch_write(path, img, len);
				img[i] ^= (char)(1 << bit);
				s = seen_of(recs, NRECS, offs);
				bad = UINT64_MAX;
				j = journal_open(path, len, collect, &s, &bad);
				cr_assert_null(j, "byte %zu bit %d", i, bit);
				cr_assert_eq(errno, EBADMSG, "byte %zu", i);
				cr_assert_eq(bad, offs[k], "byte %zu bit %d: "
				    "bad_off %llu", i, bit,
				    (unsigned long long)bad);
				cr_assert(s.n == k && !s.bad);
			}
	free(img);
}

enum { CUT_ALL = -1 };

/* Opening at committed lengths the file honours, or not. */
static const struct open_case {
	const char	*name;
	int		 cut_rec;	/* file is offs[cut_rec] + cut_add */
	int		 cut_add;
	int		 com_rec;	/* committed: offs[com_rec] + com_add */
	int		 com_add;
	int		 want_errno;	/* 0: opens */
	int		 bad_rec;	/* bad_off = offs[bad_rec] + bad_add */
	int		 bad_add;
	size_t		 visits;
} open_cases[] = {
	{ "all committed", NRECS, 0, NRECS, 0, 0, 0, 0, NRECS },
	{ "nothing committed", NRECS, 0, 0, 0, 0, 0, 0, 0 },
	{ "three committed", NRECS, 0, 3, 0, 0, 0, 0, 3 },
	{ "empty file", 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "one byte short", NRECS, -1, NRECS, 0, ENODATA, NRECS, -1, 0 },
	{ "beyond the end", NRECS, 0, NRECS, 100, ENODATA, NRECS, 0, 0 },
	{ "empty, one committed", 0, 0, 1, 0, ENODATA, 0, 0, 0 },
	{ "inside a header", NRECS, 0, 2, 5, EBADMSG, 2, 0, 2 },
	{ "just after a header", NRECS, 0, 3, JOURNAL_HDR_SIZE, EBADMSG, 3,
	    0, 3 },
	{ "one byte short of a record", NRECS, 0, 3, -1, EBADMSG, 2, 0, 2 },
};

Test(journal, open_committed_lengths)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1], bad, committed;
	const struct open_case *c;
	struct journal *j;
	struct seen s;
	size_t len, i;
	char *img;

	img = build_image(path, offs, &len);
	for (i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++) {
		c = &open_cases[i];
		scratch_write(path, img, offs[c->cut_rec] + c->cut_add);
		committed = offs[c->com_rec] + c->com_add;
		s = seen_of(recs, NRECS, offs);
		errno = 0;
		j = journal_open(path, committed, collect, &s, &bad);
		cr_expect_eq(s.n, c->visits, "%s: %zu visits", c->name, s.n);
		cr_expect(!s.bad, "%s", c->name);
		if (c->want_errno == 0) {
			cr_assert_not_null(j, "%s: %s", c->name,
			    strerror(errno));
			cr_expect_eq(scratch_size(path), (off_t)committed);
			journal_close(j);
			continue;
		}
		cr_assert_null(j, "%s: opened", c->name);
		cr_expect_eq(errno, c->want_errno, "%s: %s", c->name,
		    strerror(errno));
		cr_expect_eq(bad, offs[c->bad_rec] + c->bad_add, "%s", c->name);
	}
	free(img);
}

/* journal_scan at every cut: the good prefix, and a report of the rest. */
Test(journal, scan_every_cut)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1], valid;
	size_t len, cut, k;
	struct seen s;
	char *img;
	int rc;

	img = build_image(path, offs, &len);
	for (cut = 0; cut <= len; cut++) {
		scratch_write(path, img, cut);
		for (k = 0; k < NRECS && offs[k + 1] <= cut; k++)
			continue;
		s = seen_of(recs, NRECS, offs);
		rc = journal_scan(path, UINT64_MAX, collect, &s, &valid);
		cr_assert_eq(rc, cut == offs[k] ? 0 : 1, "cut %zu", cut);
		cr_assert_eq(valid, offs[k], "cut %zu", cut);
		cr_assert(s.n == k && !s.bad, "cut %zu: %zu visits", cut, s.n);
		cr_assert_eq(scratch_size(path), (off_t)cut);
	}
	free(img);
}

static const struct scan_case {
	const char	*name;
	int		 limit_rec;	/* offs[limit_rec] + limit_add */
	int		 limit_add;
	int		 flip_rec;	/* flip a payload byte of it; -1 none */
	int		 want_rc;
	int		 stop_rec;	/* valid_len = offs[stop_rec] */
} scan_cases[] = {
	{ "limit at a record", 2, 0, -1, 0, 2 },
	{ "limit inside a record", 2, 3, -1, 1, 2 },
	{ "limit zero", 0, 0, -1, 0, 0 },
	{ "limit past the end", NRECS, 1000, -1, 0, NRECS },
	{ "damaged record", NRECS, 0, 1, 1, 1 },
	{ "damage past the limit", 3, 0, 4, 0, 3 },
};

Test(journal, scan_limits_and_damage)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1], valid;
	const struct scan_case *c;
	struct seen s;
	size_t len, i;
	char *img;
	int rc;

	img = build_image(path, offs, &len);
	for (i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
		c = &scan_cases[i];
		if (c->flip_rec >= 0)
			img[offs[c->flip_rec] + JOURNAL_HDR_SIZE] ^= 0x10;
		scratch_write(path, img, len);
		if (c->flip_rec >= 0)
			img[offs[c->flip_rec] + JOURNAL_HDR_SIZE] ^= 0x10;
		s = seen_of(recs, NRECS, offs);
		rc = journal_scan(path, offs[c->limit_rec] + c->limit_add,
		    collect, &s, &valid);
		cr_expect_eq(rc, c->want_rc, "%s: rc %d", c->name, rc);
		cr_expect_eq(valid, offs[c->stop_rec], "%s", c->name);
		cr_expect((int)s.n == c->stop_rec && !s.bad, "%s", c->name);
		cr_expect_eq(scratch_size(path), (off_t)len, "%s", c->name);
	}
	free(img);
}

Test(journal, visit_cancels)
{
	const char *path = scratch_path("j");
	uint64_t offs[NRECS + 1], valid;
	struct seen s;

	build(path, recs, NRECS, offs);
	s = seen_of(recs, NRECS, offs);
	s.cancel_at = 2;
	cr_expect_null(journal_open(path, offs[NRECS], collect, &s, NULL));
	cr_expect_eq(errno, ECANCELED);
	s = seen_of(recs, NRECS, offs);
	s.cancel_at = 2;
	cr_expect_eq(journal_scan(path, UINT64_MAX, collect, &s, &valid), -1);
	cr_expect_eq(errno, ECANCELED);
	cr_expect_eq(s.n, 2);
	cr_expect_eq(scratch_size(path), (off_t)offs[NRECS]);
}

Test(journal, scan_missing_file)
{
	cr_expect_eq(journal_scan(scratch_path("none"), UINT64_MAX, NULL,
	    NULL, NULL), -1);
	cr_expect_eq(errno, ENOENT);
}

Test(journal, appends_are_buffered)
{
	const char *path = scratch_path("j");
	struct journal *j;
	const char *step;
	uint64_t want = 0;
	size_t i;

	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j);
	for (i = 0; i < NRECS; i++) {
		cr_assert_eq(journal_append(j, recs[i].row, recs[i].payload,
		    recs[i].len), 0);
		want += JOURNAL_HDR_SIZE + recs[i].len;
		cr_expect_eq(journal_length(j), want);
	}
	cr_expect_eq(scratch_size(path), 0);
	cr_assert_eq(journal_sync(j, &step), 0);
	cr_expect_eq(scratch_size(path), (off_t)want);
	journal_close(j);
}

Test(journal, oversized_record)
{
	struct journal *j;
	const char *step;

	j = journal_open(scratch_path("j"), 0, NULL, NULL, NULL);
	cr_assert_not_null(j);
	/* Refused on its length alone: the payload is never read. */
	cr_expect_eq(journal_append(j, 1, "x", JOURNAL_RECORD_MAX + 1), -1);
	cr_expect_eq(errno, EMSGSIZE);
	cr_expect_eq(journal_length(j), 0);
	cr_expect_eq(journal_append(j, 1, "x", 1), 0);
	cr_expect_eq(journal_sync(j, &step), 0);
	journal_close(j);
}

Test(journal, sync_only_when_needed)
{
	struct journal *j;
	const char *step;

	j = journal_open(scratch_path("j"), 0, NULL, NULL, NULL);
	cr_assert_not_null(j);
	fault_fsync_calls = 0;
	cr_expect_eq(journal_sync(j, &step), 0);
	cr_expect_eq(fault_fsync_calls, 0);
	cr_expect_eq(journal_append(j, 1, "x", 1), 0);
	cr_expect_eq(journal_sync(j, &step), 0);
	cr_expect_eq(journal_sync(j, NULL), 0);
	cr_expect_eq(fault_fsync_calls, 1);
	journal_close(j);
}

static void
expect_poisoned(struct journal *j)
{
	const char *step = NULL;

	cr_expect_eq(journal_append(j, 7, "y", 1), -1);
	cr_expect_eq(errno, EIO);
	cr_expect_eq(journal_sync(j, &step), -1);
	cr_expect_eq(errno, EIO);
	cr_expect_str_eq(step, "poisoned");
}

/* After a failed sync, reopen at the last commit and carry on. */
static void
expect_recovers(const char *path, uint64_t committed)
{
	struct journal *j;
	const char *step;

	j = journal_open(path, committed, NULL, NULL, NULL);
	cr_assert_not_null(j, "%s", strerror(errno));
	cr_expect_eq(journal_append(j, 8, "z", 1), 0);
	cr_expect_eq(journal_sync(j, &step), 0);
	journal_close(j);
	cr_expect_eq(scratch_size(path), (off_t)committed +
	    JOURNAL_HDR_SIZE + 1);
}

/* The kernel may have dropped the pages it failed to write: no retry. */
Test(journal, failed_fsync_poisons)
{
	const char *path = scratch_path("j");
	struct journal *j;
	const char *step = NULL;
	uint64_t committed;

	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j);
	cr_assert_eq(journal_append(j, 1, "a", 1), 0);
	cr_assert_eq(journal_sync(j, &step), 0);
	committed = journal_length(j);
	cr_assert_eq(journal_append(j, 2, "b", 1), 0);
	fault_fsync_calls = 0;
	fault_fsync_arm(1, EIO);
	cr_expect_eq(journal_sync(j, &step), -1);
	cr_expect_eq(errno, EIO);
	cr_expect_str_eq(step, "fsync");
	expect_poisoned(j);
	cr_expect_eq(fault_fsync_calls, 1, "fsync retried");
	journal_close(j);
	expect_recovers(path, committed);
}

Test(journal, failed_write_poisons)
{
	const char *path = scratch_path("j");
	static char payload[1000];
	struct journal *j;
	const char *step = NULL;

	j = journal_open(path, 0, NULL, NULL, NULL);
	cr_assert_not_null(j);
	fault_file_size_limit(100);
	cr_assert_eq(journal_append(j, 1, payload, sizeof(payload)), 0);
	cr_expect_eq(journal_sync(j, &step), -1);
	cr_expect_eq(errno, EFBIG);
	cr_expect_str_eq(step, "write");
	expect_poisoned(j);
	journal_close(j);
	fault_reset();
	expect_recovers(path, 0);
}
