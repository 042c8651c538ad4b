/*
 * cache: a hit gives back what was put, a miss is a miss whatever is
 * lying around (a torn temp file, an entry cut short), the ledger stays
 * exact under concurrent writers, and eviction removes the least
 * recently used entries first.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/cache.h"
#include "rowpool/dedup.h"
#include "scratch.h"

TestSuite(cache, .init = scratch_setup, .fini = scratch_teardown);

static void
key_of(uint8_t key[CACHE_KEY_LEN], int i)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"prompt\":\"row %d\"}", i);
	cache_key(key, "gemini", "gemini-2.5-flash", body, strlen(body));
}

static json_t *
value_of(int i)
{
	return json_pack("{s:{s:o, s:s}, s:s}", "data", "n",
	    json_sprintf("%04d", i), "pad",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "model_version", "gemini-2.5-flash");
}

static void
put(struct cache *c, int i)
{
	uint8_t key[CACHE_KEY_LEN];
	json_t *v = value_of(i);

	key_of(key, i);
	cr_assert_eq(cache_put(c, key, v), 0, "put %d: %s", i,
	    strerror(errno));
	json_decref(v);
}

/* 1 hit (checking the value), 0 miss. */
static int
get(struct cache *c, int i)
{
	uint8_t key[CACHE_KEY_LEN];
	json_t *v = NULL, *want;
	int rc;

	key_of(key, i);
	rc = cache_get(c, key, &v);
	cr_assert_neq(rc, -1, "get %d: %s", i, strerror(errno));
	if (rc == 1) {
		want = value_of(i);
		cr_expect(json_equal(v, want), "get %d: wrong value", i);
		json_decref(want);
		json_decref(v);
	} else {
		cr_expect_null(v);
	}
	return rc;
}

static const char *
entry_path(struct cache *c, int i, char *buf, size_t len)
{
	uint8_t key[CACHE_KEY_LEN];

	key_of(key, i);
	cr_assert_eq(cache_path(c, key, buf, len), 0);
	return buf;
}

static void
set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0, "%s", path);
}

/* The entries' bytes, counted on disk. */
static uint64_t
disk_bytes(const char *dir, unsigned *ntmp)
{
	char sub[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	uint64_t total = 0;
	unsigned xx;
	DIR *d;

	*ntmp = 0;
	for (xx = 0; xx < 256; xx++) {
		scratch_fmt(sub, sizeof(sub), "%s/%02x", dir, xx);
		if ((d = opendir(sub)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.') {
				*ntmp += strncmp(de->d_name, ".tmp-", 5) == 0;
				continue;
			}
			scratch_fmt(path, sizeof(path), "%s/%s", sub,
			    de->d_name);
			total += (uint64_t)scratch_size(path);
		}
		closedir(d);
	}
	return total;
}

Test(cache, key_covers_kind_model_and_body)
{
	uint8_t a[CACHE_KEY_LEN], b[CACHE_KEY_LEN];
	static const struct { const char *kind, *model, *body; } cases[] = {
		{ "openai", "gemini-2.5-flash", "{}" },
		{ "gemini", "gemini-2.5-pro", "{}" },
		{ "gemini", "gemini-2.5-flash", "{ }" },
		{ "gemini", "gemini-2.5-flash{", "}" },	/* no ambiguity */
		{ "gemini", NULL, "{}" },
	};
	size_t i;

	cache_key(a, "gemini", "gemini-2.5-flash", "{}", 2);
	cache_key(b, "gemini", "gemini-2.5-flash", "{}", 2);
	cr_expect_eq(memcmp(a, b, sizeof(a)), 0, "not deterministic");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cache_key(b, cases[i].kind, cases[i].model, cases[i].body,
		    strlen(cases[i].body));
		cr_expect_neq(memcmp(a, b, sizeof(a)), 0, "case %zu", i);
	}
}

Test(cache, miss_then_hit)
{
	struct cache *c = cache_open(scratch_path("c"), 0);
	char path[PATH_MAX];
	struct stat st;

	cr_assert_not_null(c, "open: %s", strerror(errno));
	cr_expect_eq(get(c, 1), 0);
	put(c, 1);
	cr_expect_eq(get(c, 1), 1);
	cr_expect_eq(get(c, 2), 0);
	cr_expect_eq(stat(entry_path(c, 1, path, sizeof(path)), &st), 0);
	cr_expect_eq(cache_size(c), (uint64_t)st.st_size);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_expect_gt(scratch_size(scratch_path("c/CACHEDIR.TAG")), 0);
	cache_close(c);
	/* Another process, later: the same answer. */
	c = cache_open(scratch_path("c"), 0);
	cr_assert_not_null(c);
	cr_expect_eq(get(c, 1), 1);
	cr_expect_eq(cache_size(c), (uint64_t)st.st_size);
	cache_close(c);
}

Test(cache, replacing_keeps_the_ledger_exact)
{
	struct cache *c = cache_open(scratch_path("c"), 0);
	char path[PATH_MAX];
	unsigned ntmp;

	cr_assert_not_null(c);
	put(c, 1);
	put(c, 1);
	put(c, 2);
	cr_expect_eq(get(c, 1), 1);
	cr_expect_eq(cache_size(c), disk_bytes(scratch_path("c"), &ntmp));
	cr_expect_eq(ntmp, 0, "temp files left");
	entry_path(c, 1, path, sizeof(path));
	cr_expect_gt(scratch_size(path), 0);
	cache_close(c);
}

/* Whatever a crash or a power cut leaves is a miss, never an error. */
Test(cache, torn_files_are_misses)
{
	struct cache *c = cache_open(scratch_path("c"), 0);
	char path[PATH_MAX], tmp[PATH_MAX + 16], *text;
	size_t len;

	cr_assert_not_null(c);
	put(c, 1);
	entry_path(c, 1, path, sizeof(path));
	text = scratch_read(path, &len);
	/* Cut short, empty, a byte changed, a header only. */
	scratch_write(path, text, len - 1);
	cr_expect_eq(get(c, 1), 0, "cut short");
	scratch_write(path, "", 0);
	cr_expect_eq(get(c, 1), 0, "empty");
	text[len - 3] ^= 1;
	scratch_write(path, text, len);
	cr_expect_eq(get(c, 1), 0, "CRC");
	scratch_write(path, text, (size_t)(strchr(text, '\n') - text));
	cr_expect_eq(get(c, 1), 0, "no newline");
	/* A writer killed before its rename: never read, put works. */
	unlink(path);
	scratch_fmt(tmp, sizeof(tmp), "%.*s/.tmp-AbC123",
	    (int)(strrchr(path, '/') - path), path);
	scratch_write(tmp, text, len / 2);
	cr_expect_eq(get(c, 1), 0, "temp file read");
	put(c, 1);
	cr_expect_eq(get(c, 1), 1);
	/* An eviction removes the stale temp file, not a fresh one. */
	cr_expect_eq(cache_evict(c, UINT64_MAX), 0);
	cr_expect_geq(scratch_size(tmp), 0, "fresh temp file removed");
	set_mtime(tmp, time(NULL) - 2 * 3600);
	cr_expect_eq(cache_evict(c, UINT64_MAX), 0);
	cr_expect_eq(scratch_size(tmp), -1, "stale temp file kept");
	cr_expect_eq(cache_size(c), (uint64_t)scratch_size(path));
	free(text);
	cache_close(c);
}

Test(cache, lost_ledger_is_rebuilt)
{
	struct cache *c = cache_open(scratch_path("c"), 0);
	uint64_t size;
	int i;

	cr_assert_not_null(c);
	for (i = 0; i < 5; i++)
		put(c, i);
	size = cache_size(c);
	cache_close(c);
	scratch_write(scratch_path("c/size"), "garbage", 7);
	c = cache_open(scratch_path("c"), 0);
	cr_assert_not_null(c);
	cr_expect_eq(cache_size(c), size);
	cache_close(c);
	unlink(scratch_path("c/size"));
	c = cache_open(scratch_path("c"), 0);
	cr_assert_not_null(c);
	cr_expect_eq(cache_size(c), size);
	cache_close(c);
}

/* Oldest first; a hit makes an entry young again. */
Test(cache, eviction_removes_least_recently_used)
{
	struct cache *c;
	char path[PATH_MAX];
	uint64_t one, max;
	unsigned ntmp;
	time_t base = time(NULL) - 1000;
	int i;

	c = cache_open(scratch_path("c"), 0);
	cr_assert_not_null(c);
	put(c, 0);
	one = cache_size(c);
	cache_close(c);
	max = 10 * one;		/* room for 10: evicts down to 9 */
	c = cache_open(scratch_path("c"), max);
	cr_assert_not_null(c);
	set_mtime(entry_path(c, 0, path, sizeof(path)), base);
	for (i = 1; i < 10; i++) {
		put(c, i);
		set_mtime(entry_path(c, i, path, sizeof(path)), base + i);
	}
	cr_expect_eq(cache_size(c), max);
	cr_expect_eq(get(c, 0), 1);	/* 0 is now the most recent */
	put(c, 10);			/* 11 entries: 1 and 2 go */
	cr_expect_eq(get(c, 1), 0);
	cr_expect_eq(get(c, 2), 0);
	cr_expect_eq(get(c, 0), 1);
	for (i = 3; i <= 10; i++)
		cr_expect_eq(get(c, i), 1, "entry %d evicted", i);
	cr_expect_eq(cache_size(c), 9 * one);
	cr_expect_eq(cache_size(c), disk_bytes(scratch_path("c"), &ntmp));
	cache_close(c);
}

/* Writers in several processes, some keys shared, eviction going on. */
static void
writer(int id, uint64_t max)
{
	struct cache *c = cache_open(scratch_path("c"), max);
	uint8_t key[CACHE_KEY_LEN];
	json_t *v;
	int i;

	if (c == NULL)
		_exit(2);
	for (i = 0; i < 60; i++) {
		key_of(key, (i * 7 + id * 13) % 80);
		v = value_of((i * 7 + id * 13) % 80);
		if (cache_put(c, key, v) == -1)
			_exit(3);
		json_decref(v);
		if (cache_get(c, key, &v) == -1)
			_exit(4);
		json_decref(v);
	}
	cache_close(c);
	_exit(0);
}

static void
concurrent(uint64_t max)
{
	struct cache *c;
	pid_t pids[4];
	unsigned ntmp;
	int i, st, hits = 0;

	for (i = 0; i < 4; i++) {
		cr_assert_neq(pids[i] = fork(), -1);
		if (pids[i] == 0)
			writer(i, max);
	}
	for (i = 0; i < 4; i++) {
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "writer %d: status %d", i, st);
	}
	c = cache_open(scratch_path("c"), max);
	cr_assert_not_null(c);
	for (i = 0; i < 80; i++)
		hits += get(c, i);	/* every value intact */
	cr_expect_eq(cache_size(c), disk_bytes(scratch_path("c"), &ntmp),
	    "ledger %llu", (unsigned long long)cache_size(c));
	cr_expect_eq(ntmp, 0, "temp files left");
	if (max == 0)
		cr_expect_eq(hits, 80);
	else
		cr_expect_leq(cache_size(c), max);
	cache_close(c);
}

Test(cache, concurrent_writers, .timeout = 60)
{
	concurrent(0);
}

Test(cache, concurrent_writers_evicting, .timeout = 60)
{
	concurrent(3000);
}

Test(cache, open_refuses_a_file)
{
	scratch_write(scratch_path("f"), "x", 1);
	cr_expect_null(cache_open(scratch_path("f"), 0));
	cr_expect_eq(errno, ENOTDIR, "%s", strerror(errno));
}

/* ---- dedup ---- */

static void
collect_item(void *arg, void *item)
{
	json_array_append_new(arg, json_integer((json_int_t)(intptr_t)item));
}

Test(dedup, parks_behind_a_claim_and_hands_back_in_order)
{
	struct dedup *d = dedup_new();
	uint8_t a[CACHE_KEY_LEN], b[CACHE_KEY_LEN];
	json_t *got = json_array();

	cr_assert_not_null(d);
	key_of(a, 1);
	key_of(b, 2);
	cr_expect_eq(dedup_claim(d, a, (void *)1), 1);
	cr_expect_eq(dedup_claim(d, b, (void *)2), 1);
	cr_expect_eq(dedup_claim(d, a, (void *)3), 0);
	cr_expect_eq(dedup_claim(d, a, (void *)4), 0);
	cr_expect_eq(dedup_claims(d), 2);
	cr_expect_eq(dedup_parked(d), 2);
	cr_expect_eq(dedup_release(d, a, collect_item, got), 2);
	cr_expect_eq(json_integer_value(json_array_get(got, 0)), 3);
	cr_expect_eq(json_integer_value(json_array_get(got, 1)), 4);
	cr_expect_eq(dedup_release(d, a, collect_item, got), 0);
	cr_expect_eq(dedup_claim(d, a, (void *)5), 1, "key not free again");
	cr_expect_eq(dedup_parked(d), 0);
	dedup_free(d, collect_item, got);
	json_decref(got);
}

Test(dedup, many_keys)
{
	struct dedup *d = dedup_new();
	uint8_t k[CACHE_KEY_LEN];
	json_t *got = json_array();
	int i;

	cr_assert_not_null(d);
	for (i = 0; i < 5000; i++) {
		key_of(k, i);
		cr_assert_eq(dedup_claim(d, k, (void *)(intptr_t)i), 1);
	}
	for (i = 0; i < 5000; i++) {
		key_of(k, i);
		cr_assert_eq(dedup_claim(d, k, (void *)(intptr_t)i), 0);
	}
	cr_expect_eq(dedup_claims(d), 5000);
	for (i = 0; i < 5000; i += 2) {
		key_of(k, i);
		cr_assert_eq(dedup_release(d, k, collect_item, got), 1);
	}
	cr_expect_eq(json_array_size(got), 2500);
	dedup_free(d, collect_item, got);
	cr_expect_eq(json_array_size(got), 5000, "free did not hand back");
	json_decref(got);
}
