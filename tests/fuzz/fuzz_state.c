/*
 * fuzz_state: libFuzzer harness for the manifest (manifest_load) and the
 * state's validation of it and of the journal (state.c, reached through
 * state_open and state_recover on a scratch state directory, as a resume
 * does).  Built by `make fuzz`; seeds in tests/fuzz/corpus/state/.
 *
 * Input: the manifest's bytes, a NUL, then byte 0 (bit 0: no journal,
 * bit 1: the journal's bytes follow raw, else a recipe as fuzz_journal's,
 * bit 2: no manifest, bit 3: --restart), byte 1 (the kinds
 * --retry-failed asks for) and the journal.  Before the manifest is
 * written, @LEN@, @ROWS@, @OK@ and @FAILED@ in it become what the journal
 * holds (by the reference walk: @LEN@ is where its good records end,
 * @SIZE@ its size), @FP@ the input's fingerprint, @FPA@ and @FPB@ those
 * of a prefix of whole lines of it (the input grew since), @FPM@ that of
 * a prefix ending inside a line, and @SETTINGS@ the run's settings: a
 * fuzzer seldom writes a journal's length in decimal by chance.
 *
 * A reference, written from state.h, manifest.h and journal.h, decides
 * whether the state may be resumed.  Checked:
 *  - state_recover() succeeds exactly when the reference says so, and
 *    fails with exit status 65 and one line of text otherwise;
 *  - on success: the counts (rows done, ok, failed, to redo) are the
 *    journal's, the journal is cut to the committed length and open for
 *    appends there, state_wanted() follows the done and redo sets;
 *  - on failure: the manifest is untouched, and the journal untouched or
 *    only cut to the committed length (when its records were good).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "rowpool/crc32c.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "rowpool/kind.h"
#include "rowpool/manifest.h"
#include "rowpool/state.h"
#include "ref_le.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define FILE_MAX	65536
#define TEXT_MAX	(FILE_MAX + 4096)

/* 41 lines, 250 bytes: a header, then "r0,n0\n"... */
static char	input_text[512];

static char	base[64], in_path[128], out_path[128], dir[128];
static char	m_path[160], j_path[160];
static char	fp[64], fpa[64], fpb[64], fpm[64];
static json_t	*settings;
static char	*settings_text;

/* What the reference makes of the journal's committed prefix. */
struct ref {
	bool		 walk_ok;	/* records good, none repeated */
	uint64_t	 rows, ok, failed, redo;
	uint64_t	 size;		/* the journal's, or 0 */
	uint64_t	 stop;		/* where the good records end */
};

static uint8_t		jfile[FILE_MAX + 1024];

/* The reference's rows: an open-addressing table, emptied after a walk. */
#define SLOTS	8192	/* > 2 * the records a journal here can hold */
static struct slot {
	uint64_t	 row;
	uint8_t		 last;		/* 0: free, 1: ok, 2: failed */
	uint8_t		 kind;		/* failed: kind, or KIND_COUNT */
} slots[SLOTS];

static struct slot *
slot_of(uint64_t row)
{
	size_t i = (size_t)((row * UINT64_C(0x9e3779b97f4a7c15)) >> 51);

	while (slots[i].last != 0 && slots[i].row != row)
		i = (i + 1) % SLOTS;
	slots[i].row = row;
	return &slots[i];
}

static void
write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd != -1);
	CHECK(write_full(fd, p, len) == 0);
	CHECK(close(fd) == 0);
}

/* The whole file, or NULL when there is none. */
static char *
read_file(const char *path, size_t *len)
{
	struct stat st;
	char *p;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		CHECK(errno == ENOENT);
		return NULL;
	}
	CHECK(fstat(fd, &st) == 0);
	CHECK((p = malloc((size_t)st.st_size + 1)) != NULL);
	CHECK(read_full(fd, p, (size_t)st.st_size) == st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The scratch directory goes when libFuzzer exits (not on a crash). */
static void
cleanup(void)
{
	nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char long_prompt[400], line[32];
	int i;

	snprintf(base, sizeof(base), "%s/rowpool-fuzz-state.XXXXXX", tmp);
	CHECK(mkdtemp(base) != NULL);
	snprintf(in_path, sizeof(in_path), "%s/in.csv", base);
	snprintf(out_path, sizeof(out_path), "%s/out.jsonl", base);
	snprintf(dir, sizeof(dir), "%s/st", base);
	snprintf(m_path, sizeof(m_path), "%s/manifest", dir);
	snprintf(j_path, sizeof(j_path), "%s/journal", dir);
	CHECK(mkdir(dir, 0700) == 0);
	atexit(cleanup);
	strlcpy(input_text, "name,note\n", sizeof(input_text));
	for (i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "r%d,n%d\n", i % 10, i % 10);
		strlcat(input_text, line, sizeof(input_text));
	}
	write_file(in_path, input_text, strlen(input_text));
	CHECK(input_fingerprint(in_path, fp, sizeof(fp)) == 0);
	/* The input grew: from whole lines (a, b), or from half a line. */
	CHECK(input_fingerprint_prefix(in_path, 10, fpa, sizeof(fpa)) == 0);
	CHECK(input_fingerprint_prefix(in_path, 22, fpb, sizeof(fpb)) == 0);
	CHECK(input_fingerprint_prefix(in_path, 15, fpm, sizeof(fpm)) == 0);
	memset(long_prompt, 'p', sizeof(long_prompt) - 1);
	long_prompt[sizeof(long_prompt) - 1] = '\0';
	long_prompt[100] = '\n';
	/* One setting long enough to be kept as a digest. */
	settings = json_pack("{s:s, s:s, s:i, s:s, s:n, s:f, s:s}",
	    "processor", "gemini", "format", "csv", "max_row_bytes", 1048576,
	    "model", "gemini-2.5-flash", "schema", "temperature", 0.5,
	    "prompt", long_prompt);
	CHECK(settings != NULL);
	settings_text = json_dumps(settings, JSON_COMPACT);
	return 0;
}

/* fuzz_journal's recipe; returns the journal's size. */
static size_t
cook(const uint8_t *p, size_t len)
{
	size_t i = 0, out = 0, n;
	uint64_t row;
	uint8_t ctl;

	while (i + 3 <= len && out + 16 + 255 <= FILE_MAX) {
		ctl = p[i];
		row = p[i + 1];
		n = p[i + 2];
		i += 3;
		if (n > len - i)
			n = len - i;
		if (ctl & 8)
			row |= UINT64_C(0x123456789a) << 8;
		if (ctl & 1)
			row |= JOURNAL_REPLACES;
		put32(jfile + out, (uint32_t)n);
		put64(jfile + out + 8, row);
		memcpy(jfile + out + 16, p + i, n);
		put32(jfile + out + 4, crc32c_sw(0, jfile + out + 8, 8 + n) ^
		    (ctl & 2 ? 1 : 0));
		if (ctl & 4)
			put32(jfile + out, (uint32_t)n + 1000);
		out += 16 + n;
		i += n;
	}
	n = len - i < FILE_MAX - out ? len - i : FILE_MAX - out;
	memcpy(jfile + out, p + i, n);
	return out + n;
}

/*
 * How a record ended, by its own "status": 0 ok, else 1 + the failed
 * kind its "error" names (1 + KIND_COUNT: none this rowpool knows).  A
 * record that is not a JSON object is damage: failed, of no known kind,
 * when it holds the failed status's text anywhere, else ok.
 */
static int
record_end(const uint8_t *p, uint32_t len)
{
	static const char failed[] = "\"status\":\"failed\"";
	json_t *rec = json_loadb((const char *)p, len, 0, NULL);
	const char *st, *kind;
	int k = KIND_COUNT;

	if (!json_is_object(rec)) {
		json_decref(rec);
		return memmem(p, len, failed, sizeof(failed) - 1) ?
		    1 + KIND_COUNT : 0;
	}
	st = json_string_value(json_object_get(rec, "status"));
	kind = json_string_value(json_object_get(json_object_get(rec,
	    "error"), "kind"));
	if (st == NULL || strcmp(st, "failed") != 0)
		k = -1;
	else if (kind != NULL)
		for (k = 0; k < KIND_COUNT; k++)
			if (strcmp(kind, kind_name((enum kind)k)) == 0)
				break;
	json_decref(rec);
	return 1 + k;
}

/*
 * Walks [0, end) as a resume must see it: good records, a row's first
 * record without the replace bit and every later one with it; the last
 * record of a row says whether it is ok ("status":"failed" is not in it).
 */
static void
walk(uint64_t end, unsigned kinds, struct ref *r)
{
	static struct slot *used[FILE_MAX / 16 + 1];
	uint64_t off = 0, row;
	size_t nused = 0, i;
	struct slot *sl;
	uint32_t n;
	bool repl;
	int k;

	r->walk_ok = false;
	r->rows = r->ok = r->failed = r->redo = 0;
	while (off < end) {
		if (end - off < 16 || (n = le32(jfile + off)) >
		    JOURNAL_RECORD_MAX || end - off - 16 < n ||
		    crc32c_sw(0, jfile + off + 8, 8 + (size_t)n) !=
		    le32(jfile + off + 4))
			goto out;
		row = le64(jfile + off + 8);
		repl = (row & JOURNAL_REPLACES) != 0;
		/* Each row takes a byte of the input at least. */
		if ((row & ~JOURNAL_REPLACES) >= strlen(input_text))
			goto out;
		sl = slot_of(row & ~JOURNAL_REPLACES);
		if ((sl->last != 0) != repl)
			goto out;
		if (!repl)
			used[nused++] = sl;
		k = record_end(jfile + off + 16, n);
		sl->last = k == 0 ? 1 : 2;
		sl->kind = (uint8_t)(k == 0 ? KIND_COUNT : k - 1);
		off += 16 + n;
	}
	r->walk_ok = true;
out:
	r->stop = off;
	for (i = 0; i < nused; i++) {
		sl = used[i];
		r->rows++;
		r->ok += sl->last == 1;
		r->failed += sl->last == 2;
		r->redo += sl->kind < KIND_COUNT &&
		    (kinds & (1u << sl->kind)) != 0;
		sl->last = 0;
	}
}

/* --retry-failed's kinds, from one byte. */
static unsigned
kinds_of(uint8_t b)
{
	if (b == 0)
		return 0;
	if (b == 0xff)
		return (1u << KIND_COUNT) - 1;
	return 1u << (b % KIND_COUNT);
}

/* Replaces the placeholders; the result is NUL-terminated. */
static size_t
expand(const uint8_t *p, size_t len, const struct ref *r, char *out)
{
	char num[5][32];
	const char *const names[] = { "@LEN@", "@ROWS@", "@OK@", "@FAILED@",
	    "@SIZE@", "@FP@", "@FPA@", "@FPB@", "@FPM@", "@SETTINGS@" };
	const char *vals[] = { num[0], num[1], num[2], num[3], num[4], fp,
	    fpa, fpb, fpm, settings_text };
	size_t i = 0, o = 0, k, nl, vl;

	snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)r->stop);
	snprintf(num[4], sizeof(num[4]), "%llu", (unsigned long long)r->size);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)r->rows);
	snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)r->ok);
	snprintf(num[3], sizeof(num[3]), "%llu",
	    (unsigned long long)r->failed);
	while (i < len && o < TEXT_MAX - 1024) {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			nl = strlen(names[k]);
			if (len - i >= nl && memcmp(p + i, names[k], nl) == 0)
				break;
		}
		if (k == sizeof(names) / sizeof(names[0])) {
			out[o++] = (char)p[i++];
			continue;
		}
		vl = strlen(vals[k]);
		memcpy(out + o, vals[k], vl);
		o += vl;
		i += nl;
	}
	out[o] = '\0';
	return o;
}

/* Is a count field there, an integer >= 0? */
static bool
count(const json_t *m, const char *k, uint64_t *v)
{
	const json_t *x = json_object_get(m, k);

	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return false;
	*v = (uint64_t)json_integer_value(x);
	return true;
}

/* state.c keeps a long setting as {"digest": "BYTES:HASH", "lines": N}. */
static json_t *
digest(const json_t *v)
{
	char *text = NULL, d[64];
	const char *p;
	size_t len, i, lines = 0;

	if (json_is_string(v)) {
		p = json_string_value(v);
		len = json_string_length(v);
	} else if (json_is_object(v) || json_is_array(v)) {
		text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		CHECK(text != NULL);
		p = text;
		len = strlen(text);
	} else
		return json_deep_copy(v);
	if (len <= 256) {
		free(text);
		return json_deep_copy(v);
	}
	for (i = 0; i < len; i++)
		lines += p[i] == '\n';
	lines += p[len - 1] != '\n';
	snprintf(d, sizeof(d), "%zu:%016llx", len,
	    (unsigned long long)input_hash(p, len));
	free(text);
	return json_pack("{s:s, s:I}", "digest", d, "lines",
	    (json_int_t)lines);
}

static bool
same_settings(const json_t *was)
{
	const char *k;
	json_t *v, *a, *b;
	bool same = json_object_size(was) == json_object_size(settings);

	json_object_foreach(settings, k, v) {
		if (!same)
			break;
		a = digest(v);
		b = digest(json_object_get(was, k));
		same = json_object_get(was, k) != NULL && json_equal(a, b);
		json_decref(a);
		json_decref(b);
	}
	return same;
}

/* The input's fingerprint, or one of a prefix of whole lines of it. */
static bool
same_input(const char *f)
{
	return strcmp(f, fp) == 0 || strcmp(f, fpa) == 0 ||
	    strcmp(f, fpb) == 0;
}

/* The manifest's fields, as state.h says they must be. */
static bool
manifest_ok(const char *text, size_t len, uint64_t *committed,
    struct ref *m)
{
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL), *v;
	const char *f;
	uint64_t total;
	bool ok = false;

	if (!json_is_object(j))
		goto out;
	v = json_object_get(j, "version");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		goto out;
	f = json_string_value(json_object_get(json_object_get(j, "input"),
	    "fingerprint"));
	if (f == NULL || !json_is_object(json_object_get(j, "settings")))
		goto out;
	if (!count(j, "journal_length", committed) ||
	    !count(j, "rows_done", &m->rows) || !count(j, "ok", &m->ok) ||
	    !count(j, "failed", &m->failed) || m->ok + m->failed != m->rows)
		goto out;
	v = json_object_get(j, "rows_total");
	if (v != NULL && !json_is_null(v) && (!count(j, "rows_total", &total) ||
	    total < m->rows))
		goto out;
	v = json_object_get(j, "tokens");
	if (v != NULL && !json_is_object(v))
		goto out;
	ok = same_input(f) && same_settings(json_object_get(j, "settings"));
out:
	json_decref(j);
	return ok;
}

/* Should the resume go ahead?  Fills *truth from the journal. */
static bool
resumable(const char *mtext, size_t mlen, bool have_m, bool have_j,
    unsigned kinds, struct ref *truth)
{
	struct ref m;
	uint64_t committed = 0;

	truth->walk_ok = false;
	if (have_m && !manifest_ok(mtext, mlen, &committed, &m))
		return false;
	if (!have_j)
		return committed == 0 && (walk(0, kinds, truth), true);
	if ((!have_m && truth->size > 0) || truth->size < committed)
		return false;
	walk(committed, kinds, truth);
	if (!truth->walk_ok || truth->stop != committed)
		return false;
	return !have_m || (truth->rows == m.rows && truth->ok == m.ok &&
	    truth->failed == m.failed);
}

static void
check_why(const struct state *s)
{
	const unsigned char *p;

	CHECK(s->status == EX_DATAERR);
	CHECK(s->why[0] != '\0');
	for (p = (const unsigned char *)s->why; *p != '\0'; p++)
		CHECK(*p >= 0x20 && *p != 0x7f);
}

static void
check_resumed(struct state *s, const struct ref *t, uint64_t jlen)
{
	struct stat st;
	uint64_t row;

	CHECK(s->status == 0 && s->j != NULL && s->manifest != NULL);
	CHECK(s->ndone == t->rows && s->nok == t->ok &&
	    s->nfailed == t->failed && s->nredo == t->redo);
	CHECK(journal_length(s->j) == jlen);
	CHECK(stat(j_path, &st) == 0 && (uint64_t)st.st_size == jlen);
	for (row = 0; row < 300; row++)
		CHECK(state_wanted(s, row) == (!bitset_test(&s->done, row) ||
		    bitset_test(&s->redo, row)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char mtext[TEXT_MAX];
	struct state_opts o = { .input = in_path, .output = out_path,
	    .dir = dir, .log_path = "none", .settings = settings };
	struct state s;
	struct ref truth = { 0 };
	const uint8_t *nul = memchr(data, '\0', size), *jp;
	char *m_before, *j_before, *after;
	size_t mlen, jlen, m_len = 0, j_len = 0, a_len;
	bool have_m, have_j, ok;
	uint8_t flags;
	unsigned kinds;
	int rc;

	if (nul == NULL || (size_t)(data + size - nul) < 3)
		return 0;
	flags = nul[1];
	kinds = kinds_of(nul[2]);
	jp = nul + 3;
	jlen = (size_t)(data + size - jp);
	have_j = !(flags & 1);
	have_m = !(flags & 4);
	if (flags & 2) {
		jlen = jlen < FILE_MAX ? jlen : FILE_MAX;
		memcpy(jfile, jp, jlen);
	} else
		jlen = cook(jp, jlen);
	truth.size = have_j ? jlen : 0;
	walk(truth.size, kinds, &truth);
	mlen = expand(data, (size_t)(nul - data), &truth, mtext);

	unlink(m_path);
	unlink(j_path);
	if (have_m)
		write_file(m_path, mtext, mlen);
	if (have_j)
		write_file(j_path, jfile, jlen);
	o.restart = (flags & 8) != 0;
	o.retry_kinds = kinds;
	ok = o.restart ? (have_m = have_j = false, walk(0, kinds, &truth),
	    true) : resumable(mtext, mlen, have_m, have_j, kinds, &truth);
	m_before = have_m ? read_file(m_path, &m_len) : NULL;
	j_before = have_j ? read_file(j_path, &j_len) : NULL;

	state_init(&s, &o);
	CHECK(state_open(&s) == 0);
	rc = state_recover(&s, fp);
	if (ok) {
		CHECK(rc == 0);
		check_resumed(&s, &truth, truth.stop);
	} else {
		CHECK(rc == -1);
		check_why(&s);
		after = read_file(m_path, &a_len);
		CHECK(have_m == (after != NULL));
		CHECK(!have_m || (a_len == m_len &&
		    memcmp(after, m_before, m_len) == 0));
		free(after);
		if (have_j) {
			after = read_file(j_path, &a_len);
			CHECK(after != NULL && a_len <= j_len &&
			    memcmp(after, j_before, a_len) == 0);
			/* Cut only to a committed length it had good
			 * records up to. */
			CHECK(a_len == j_len || truth.walk_ok);
			free(after);
		}
	}
	state_release(&s);
	free(m_before);
	free(j_before);
	return 0;
}
