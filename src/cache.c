/*
 * cache: the response cache on disk (see cache.h for the layout and the
 * crash and size policies).  Invariant: an entry's name only ever holds a
 * whole entry, because entries reach it by rename(2) alone; and the
 * ledger changes only under DIR/lock, so writers never lose each other's
 * updates.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/buf.h"
#include "rowpool/cache.h"
#include "rowpool/crc32c.h"
#include "rowpool/io.h"

#define CACHE_MAGIC	"rowpool-cache 1 "
#define CACHE_HEAD_MAX	128
#define TMP_STALE_S	3600	/* a writer is never this slow */
#define KEY_TAG		"rowpool cache key 1"

static const char cachedir_tag[] =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by rowpool.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n";

struct cache {
	char		 dir[PATH_MAX];
	int		 lockfd;
	uint64_t	 max_bytes;
	uint64_t	 size;		/* the ledger, as last seen */
};

/* One entry seen by an eviction scan. */
struct seen {
	int64_t		 mtime_ns;
	uint64_t	 size;
};

/* ---- keys and names ---- */

void
cache_key(uint8_t key[CACHE_KEY_LEN], const char *kind, const char *model,
    const char *body, size_t len)
{
	SHA2_CTX ctx;

	SHA256Init(&ctx);
	/* Each string with its NUL: no two triples hash the same bytes. */
	SHA256Update(&ctx, (const uint8_t *)KEY_TAG, sizeof(KEY_TAG));
	SHA256Update(&ctx, (const uint8_t *)kind, strlen(kind) + 1);
	model = model != NULL ? model : "";
	SHA256Update(&ctx, (const uint8_t *)model, strlen(model) + 1);
	SHA256Update(&ctx, (const uint8_t *)body, len);
	SHA256Final(key, &ctx);
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
cache_path(const struct cache *c, const uint8_t key[CACHE_KEY_LEN],
    char *buf, size_t len)
{
	char h[2 * CACHE_KEY_LEN + 1];
	int n;

	hex(h, key, CACHE_KEY_LEN);
	n = snprintf(buf, len, "%s/%.2s/%s", c->dir, h, h + 2);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Is name an entry's (62 hex digits)? */
static bool
entry_name(const char *name)
{
	size_t n = strspn(name, "0123456789abcdef");

	return n == 2 * CACHE_KEY_LEN - 2 && name[n] == '\0';
}

/* ---- the directory ---- */

/* mkdir -p, mode 0700. */
static int
make_dirs(const char *dir)
{
	char p[PATH_MAX], *s;

	if (strlcpy(p, dir, sizeof(p)) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
open_in(const struct cache *c, const char *name, int flags, mode_t mode)
{
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), c->dir, name) == -1)
		return -1;
	return open(path, flags | O_CLOEXEC, mode);
}

/* CACHEDIR.TAG, once: its absence is no error worth failing on. */
static void
write_tag(const struct cache *c)
{
	int fd = open_in(c, "CACHEDIR.TAG", O_WRONLY | O_CREAT | O_EXCL,
	    0644);

	if (fd == -1)
		return;
	if (write_full(fd, cachedir_tag, sizeof(cachedir_tag) - 1) == -1)
		(void)0;	/* a partial tag still names the directory */
	close(fd);
}

static int
lock_ex(struct cache *c)
{
	while (flock(c->lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static void
unlock(struct cache *c)
{
	int saved = errno;

	flock(c->lockfd, LOCK_UN);
	errno = saved;
}

/* ---- the ledger (under the lock) ---- */

/* Reads DIR/size; 0 with *ok false when it is missing or garbled. */
static int
ledger_read(struct cache *c, bool *ok)
{
	char buf[32], *end;
	ssize_t n;
	int fd;

	*ok = false;
	if ((fd = open_in(c, "size", O_RDONLY, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	errno = 0;
	c->size = strtoull(buf, &end, 10);
	*ok = end != buf && *end == '\n' && errno == 0;
	return 0;
}

static int
ledger_write(struct cache *c, uint64_t size)
{
	char buf[32];
	int fd, n, rc;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", size);
	if ((fd = open_in(c, "size", O_WRONLY | O_CREAT, 0600)) == -1)
		return -1;
	rc = pwrite(fd, buf, (size_t)n, 0) == n && ftruncate(fd, n) == 0 ?
	    0 : -1;
	if (close(fd) == -1)
		rc = -1;
	if (rc == 0)
		c->size = size;
	return rc;
}

/* Adds delta (possibly negative) to the ledger. */
static int
ledger_add(struct cache *c, int64_t delta)
{
	bool ok;

	if (ledger_read(c, &ok) == -1)
		return -1;
	if (!ok)	/* lost: rebuilt by a scan */
		return cache_evict(c, UINT64_MAX);
	if (delta < 0 && (uint64_t)-delta > c->size)
		delta = -(int64_t)c->size;
	return ledger_write(c, c->size + (uint64_t)delta);
}

/* ---- open, close ---- */

struct cache *
cache_open(const char *dir, uint64_t max_bytes)
{
	struct cache *c;
	bool ok;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->lockfd = -1;
	c->max_bytes = max_bytes;
	if (strlcpy(c->dir, dir, sizeof(c->dir)) >= sizeof(c->dir)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (make_dirs(dir) == -1 ||
	    (c->lockfd = open_in(c, "lock", O_RDWR | O_CREAT, 0600)) == -1)
		goto fail;
	write_tag(c);
	if (lock_ex(c) == -1)
		goto fail;
	if (ledger_read(c, &ok) == -1 || (!ok && cache_evict(c,
	    UINT64_MAX) == -1)) {
		unlock(c);
		goto fail;
	}
	unlock(c);
	return c;
fail:
	cache_close(c);
	return NULL;
}

void
cache_close(struct cache *c)
{
	int saved = errno;

	if (c == NULL)
		return;
	if (c->lockfd != -1)
		close(c->lockfd);
	free(c);
	errno = saved;
}

uint64_t
cache_size(const struct cache *c)
{
	return c->size;
}

/* ---- reading an entry ---- */

/* The payload of an entry read whole, if its header checks out. */
static const char *
entry_payload(const char *buf, size_t n, const uint8_t *key, size_t *len)
{
	char want[2 * CACHE_KEY_LEN + 1], got[2 * CACHE_KEY_LEN + 1];
	const char *nl = memchr(buf, '\n', n < CACHE_HEAD_MAX ? n :
	    CACHE_HEAD_MAX);
	unsigned long long plen;
	unsigned crc;
	char head[CACHE_HEAD_MAX + 1];
	int used = 0;

	if (nl == NULL)
		return NULL;
	memcpy(head, buf, (size_t)(nl - buf));
	head[nl - buf] = '\0';
	if (sscanf(head, CACHE_MAGIC "%64[0-9a-f] %llu %8x%n", got, &plen,
	    &crc, &used) != 3 || head[used] != '\0')
		return NULL;
	hex(want, key, CACHE_KEY_LEN);
	nl++;
	if (strcmp(got, want) != 0 || plen != n - (size_t)(nl - buf) ||
	    crc32c(0, nl, (size_t)plen) != crc)
		return NULL;
	*len = (size_t)plen;
	return nl;
}

/* Reads fd whole into b; 0, or 1 when the file is too big to be ours. */
static int
read_entry(int fd, struct buf *b)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CACHE_ENTRY_MAX)
		return 1;
	if (buf_reserve(b, (size_t)st.st_size + 1) == -1 ||
	    (n = read_full(fd, b->p, (size_t)st.st_size)) == -1)
		return -1;
	buf_setlen(b, (size_t)n);
	return 0;
}

static json_t *
entry_value(const struct buf *b, const uint8_t *key)
{
	const char *p;
	json_t *v;
	size_t len;

	if ((p = entry_payload(b->p, b->len, key, &len)) == NULL)
		return NULL;
	v = json_loadb(p, len, 0, NULL);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

int
cache_get(struct cache *c, const uint8_t key[CACHE_KEY_LEN], json_t **val)
{
	char path[PATH_MAX];
	struct buf b;
	int fd, rc;

	*val = NULL;
	if (cache_path(c, key, path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	buf_init(&b);
	rc = read_entry(fd, &b);
	if (rc == 0 && (*val = entry_value(&b, key)) != NULL) {
		futimens(fd, NULL);	/* recently used; best effort */
		rc = 1;
	} else if (rc == 1) {
		rc = 0;
	}
	buf_release(&b);
	close(fd);
	return rc;
}

/* ---- writing an entry ---- */

/* Header and payload of val, in b. */
static int
entry_build(struct buf *b, const uint8_t *key, const json_t *val)
{
	char h[2 * CACHE_KEY_LEN + 1], head[CACHE_HEAD_MAX];
	size_t len;
	char *p;
	int n, rc;

	if ((p = json_dumps(val, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	len = strlen(p);
	hex(h, key, CACHE_KEY_LEN);
	n = snprintf(head, sizeof(head), CACHE_MAGIC "%s %zu %08x\n", h, len,
	    (unsigned)crc32c(0, p, len));
	rc = buf_add(b, head, (size_t)n) == -1 || buf_add(b, p, len) == -1 ?
	    -1 : 0;
	free(p);
	return rc;
}

/* Writes b into a new temp file beside path; its name in tmp. */
static int
write_tmp(const char *path, const struct buf *b, char *tmp, size_t len)
{
	char dir[PATH_MAX];
	int fd, n;

	if (path_dirname(dir, sizeof(dir), path) == -1)
		return -1;
	n = snprintf(tmp, len, "%s/" CACHE_TMP_PREFIX "XXXXXX", dir);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1 && errno == ENOENT &&
	    (mkdir(dir, 0700) == 0 || errno == EEXIST)) {
		/* A failed mkostemp leaves its own letters in the name. */
		memcpy(tmp + n - 6, "XXXXXX", 6);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd == -1)
		return -1;
	if (write_full(fd, b->p, b->len) == -1) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Under the lock: the rename, the ledger, and eviction when due. */
static int
install(struct cache *c, const char *tmp, const char *path, size_t size)
{
	struct stat st;
	int64_t old = 0;

	if (lock_ex(c) == -1)
		return -1;
	if (lstat(path, &st) == 0)
		old = (int64_t)st.st_size;
	if (rename(tmp, path) == -1) {
		unlock(c);
		return -1;
	}
	if (ledger_add(c, (int64_t)size - old) == -1 ||
	    (c->max_bytes > 0 && c->size > c->max_bytes &&
	    cache_evict(c, c->max_bytes / 10 * 9) == -1)) {
		unlock(c);
		return -1;
	}
	unlock(c);
	return 0;
}

int
cache_put(struct cache *c, const uint8_t key[CACHE_KEY_LEN],
    const json_t *val)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct buf b;
	int rc = -1;

	buf_init(&b);
	if (cache_path(c, key, path, sizeof(path)) == -1 ||
	    entry_build(&b, key, val) == -1 ||
	    write_tmp(path, &b, tmp, sizeof(tmp)) == -1)
		goto out;
	if ((rc = install(c, tmp, path, b.len)) == -1) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
	}
out:
	buf_release(&b);
	return rc;
}

/* ---- eviction (under the lock) ---- */

struct scan {
	struct seen	*v;
	size_t		 n, cap;
	uint64_t	 total;
	time_t		 now;
};

static int64_t
mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/*
 * Calls fn on each entry of subdirectory XX (and removes stale temp
 * files); fn returns -1 to stop.
 */
static int
walk_sub(struct cache *c, unsigned xx, struct scan *s,
    int (*fn)(struct scan *, int dfd, const char *, const struct stat *))
{
	char sub[PATH_MAX], name[4];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	snprintf(name, sizeof(name), "%02x", xx);
	if (path_join(sub, sizeof(sub), c->dir, name) == -1)
		return -1;
	if ((d = opendir(sub)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode))
			continue;
		if (strncmp(de->d_name, CACHE_TMP_PREFIX,
		    strlen(CACHE_TMP_PREFIX)) == 0) {
			if (st.st_mtime + TMP_STALE_S < s->now)
				unlinkat(dirfd(d), de->d_name, 0);
		} else if (entry_name(de->d_name))
			rc = fn(s, dirfd(d), de->d_name, &st);
	}
	if (de == NULL && errno != 0)
		rc = -1;
	closedir(d);
	return rc;
}

static int
walk(struct cache *c, struct scan *s,
    int (*fn)(struct scan *, int dfd, const char *, const struct stat *))
{
	unsigned xx;

	for (xx = 0; xx < 256; xx++)
		if (walk_sub(c, xx, s, fn) == -1)
			return -1;
	return 0;
}

static int
collect(struct scan *s, int dfd, const char *name, const struct stat *st)
{
	if (buf_grow_array((void **)&s->v, &s->cap, s->n + 1,
	    sizeof(*s->v)) == -1)
		return -1;
	s->v[s->n++] = (struct seen){ mtime_ns(st), (uint64_t)st->st_size };
	s->total += (uint64_t)st->st_size;
	return 0;
}

static int
seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

/* What the second pass removes: older than cut, and ties at cut. */
struct victims {
	struct scan	 s;
	int64_t		 cut;
	size_t		 ties;	/* entries of mtime cut still to remove */
	uint64_t	 freed;
};

static int
remove_old(struct scan *s, int dfd, const char *name, const struct stat *st)
{
	struct victims *v = (struct victims *)s;
	int64_t t = mtime_ns(st);

	if (t > v->cut || (t == v->cut && v->ties == 0))
		return 0;
	if (unlinkat(dfd, name, 0) == -1)
		return errno == ENOENT ? 0 : -1;
	if (t == v->cut)
		v->ties--;
	v->freed += (uint64_t)st->st_size;
	return 0;
}

/* Sets the cut: the oldest entries whose removal leaves <= target. */
static bool
choose_victims(struct victims *v, uint64_t target)
{
	uint64_t left = v->s.total;
	size_t i;

	if (left <= target)
		return false;
	qsort(v->s.v, v->s.n, sizeof(*v->s.v), seen_cmp);
	for (i = 0; i < v->s.n && left > target; i++) {
		left -= v->s.v[i].size;
		v->cut = v->s.v[i].mtime_ns;
	}
	while (i-- > 0 && v->s.v[i].mtime_ns == v->cut)
		v->ties++;
	return true;
}

int
cache_evict(struct cache *c, uint64_t target)
{
	struct victims v = { .s.now = time(NULL) };
	int rc = -1;

	if (walk(c, &v.s, collect) == -1)
		goto out;
	if (choose_victims(&v, target) && walk(c, &v.s, remove_old) == -1)
		goto out;
	rc = ledger_write(c, v.s.total - v.freed);
out:
	free(v.s.v);
	return rc;
}
