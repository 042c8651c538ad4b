/*
 * batch: the chunks of a batch-mode run and the calls that move them
 * along: built -> uploaded -> creating -> submitted -> ended ->
 * collected.  Invariants:
 *  - each step is on disk (STATE/batches) before the call that depends
 *    on it is made: a create is sent only once "creating" is saved, and
 *    a batch is polled only once its name is saved;
 *  - a chunk in "creating" is looked for by name before any new create;
 *  - a chunk is collected only after its rows' results are committed;
 *  - a row is in at most one live chunk, and a result is taken for a
 *    row only from the live chunk that holds it, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/batch.h"
#include "rowpool/batchapi.h"
#include "rowpool/batchfile.h"
#include "rowpool/batchstate.h"
#include "rowpool/bitset.h"
#include "rowpool/buf.h"
#include "rowpool/durable.h"
#include "rowpool/kind.h"
#include "rowpool/log.h"
#include "rowpool/msgbuf.h"
#include "rowpool/proc_llm.h"
#include "rowpool/proto.h"
#include "rowpool/rowset.h"

/* What a download brings back at most in one answer (a frame is 64 MiB). */
#define PAGE_BYTES	(16u << 20)
#define RETRY_MIN_MS	1000
#define RETRY_MAX_MS	60000
/* A request file stops this far under the API's limit: no row passes it. */
#define BYTES_MARGIN	(100ull * 1000 * 1000)

/* Where a row's request is in its chunk's request file. */
struct reqline {
	uint64_t	 row;
	size_t		 off, len;
};

enum step {
	STEP_BUILT, STEP_UPLOADED, STEP_CREATING, STEP_SUBMITTED, STEP_ENDED,
	STEP_COLLECTED
};

static const char *const step_names[] = {
	"built", "uploaded", "creating", "submitted", "ended", "collected"
};

struct chunk {
	TAILQ_ENTRY(chunk)	 entry;
	json_t			*j;	/* its record in b->root (borrowed) */
	unsigned		 id;
	enum step		 step;
	struct rowset		 rows;
	const char		*op;	/* the call in flight, or NULL */
	bool			 polled;	/* its state is known this run */
	bool			 maybe_created;	/* look before creating */
	int64_t			 not_before;	/* its next call */
	int64_t			 wait_ms;	/* the next wait */
	int64_t			 sent;		/* when the call went */
	json_int_t		 from;		/* download: the next line */
	struct bitset		 seen;		/* rows that had a result */
	uint64_t		 ok, failed;	/* rows, as collected */
	struct reqline		*lines;		/* its request file, by row */
	size_t			 nlines;
	char			*map;		/* the file, mapped */
	size_t			 maplen;
};
TAILQ_HEAD(chunkq, chunk);

struct batch {
	struct batch_opts	 o;
	json_t			*root;
	struct chunkq		 live;
	struct llm		*llm;		/* renders requests */
	bool			 dirty;		/* rows may wait for a chunk */
	bool			 collected;	/* a chunk was, this turn */
	unsigned		 inflight;	/* calls */
	uint64_t		 seq;
	int64_t			 failing_since;	/* calls failing, or -1 */
	bool			 answered;	/* the API answered this run */
	struct buf		 task;		/* the call being handed out */
	char			 why[1024];
};

static const char *
get_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void __attribute__((format(printf, 3, 4)))
fail(struct batch *b, int status, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	msgbuf_vformat(why, sizeof(why), fmt, ap);
	va_end(ap);
	b->o.host.fail(b->o.host.arg, status, why);
}

static void
iso_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
set_now(json_t *o, const char *k)
{
	char when[32];

	iso_now(when, sizeof(when));
	json_object_set_new(o, k, json_string(when));
}

/* Saves the state file; false (and the run stopped) when it failed. */
static bool
save(struct batch *b)
{
	const char *step = "write";

	if (batchstate_save(b->o.dir, b->root, &step) == 0)
		return true;
	fail(b, errno == ENOSPC || errno == EIO ? EX_IOERR : EX_CANTCREAT,
	    "batch state '%s/%s': %s: %s", b->o.dir, BATCHSTATE_FILE, step,
	    strerror(errno));
	return false;
}

static void
set_step(struct chunk *c, enum step s)
{
	c->step = s;
	json_object_set_new(c->j, "step", json_string(step_names[s]));
}

static void
request_path(const struct batch *b, unsigned id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/batch-%06u.jsonl", b->o.dir, id);
}

/* ---- opening ---- */

/* 12 hex digits of the input's fingerprint and the settings: the job. */
static void
job_id(const struct batch_opts *o, char *buf, size_t len)
{
	char *s = json_dumps(o->settings, JSON_COMPACT | JSON_SORT_KEYS);
	const char *parts[] = { o->fingerprint, s ? s : "" };
	uint64_t h = 1469598103934665603ull;
	size_t i;
	const char *p;

	for (i = 0; i < 2; i++)
		for (p = parts[i]; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
	free(s);
	snprintf(buf, len, "%012" PRIx64, (uint64_t)(h & 0xffffffffffffull));
}

static json_t *
new_root(const struct batch_opts *o)
{
	char job[16], nonce[16];

	job_id(o, job, sizeof(job));
	snprintf(nonce, sizeof(nonce), "%08x", arc4random());
	return json_pack("{s:i, s:s, s:s, s:s?, s:s?, s:i, s:[]}", "version",
	    BATCHSTATE_VERSION, "job", job, "nonce", nonce,
	    "endpoint", get_str(o->pcfg->settings, "endpoint"),
	    "model", get_str(o->settings, "model"), "next_chunk", 0, "chunks");
}

static int
parse_step(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(step_names) / sizeof(*step_names);
	    i++)
		if (strcmp(s, step_names[i]) == 0)
			return (int)i;
	return -1;
}

/* A live chunk from its record; NULL when the record is damaged. */
static struct chunk *
chunk_load(json_t *j)
{
	struct chunk *c;
	int step = parse_step(get_str(j, "step"));

	if (step < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->j = j;
	c->id = (unsigned)json_integer_value(json_object_get(j, "id"));
	c->step = (enum step)step;
	c->maybe_created = c->step == STEP_CREATING;
	bitset_init(&c->seen);
	if (rowset_from_json(&c->rows, json_object_get(j, "rows")) == -1 ||
	    (c->step >= STEP_UPLOADED && !get_str(j, "file") &&
	    c->step != STEP_ENDED) ||
	    (c->step >= STEP_SUBMITTED && !get_str(j, "name"))) {
		free(c);
		return NULL;
	}
	return c;
}

static void
chunk_free(struct chunk *c)
{
	rowset_release(&c->rows);
	bitset_release(&c->seen);
	free(c->lines);
	if (c->map != NULL)
		munmap(c->map, c->maplen);
	free(c);
}

/* The live chunks of the state file into b->live; -1 on a bad one. */
static int
load_chunks(struct batch *b, char *err, size_t errlen)
{
	struct chunk *c;
	json_t *j;
	size_t i;

	json_array_foreach(json_object_get(b->root, "chunks"), i, j) {
		if (!batchstate_live(j))
			continue;
		if ((c = chunk_load(j)) == NULL) {
			snprintf(err, errlen, "batch state '%s/%s': chunk %zu "
			    "is damaged", b->o.dir, BATCHSTATE_FILE, i);
			return -1;
		}
		TAILQ_INSERT_TAIL(&b->live, c, entry);
	}
	return 0;
}

/* --restart forgets the chunks: say so when batches of them may run. */
static void
forget(const struct batch *b)
{
	json_t *old, *c;
	unsigned n = 0;
	size_t i;

	if (batchstate_load(b->o.dir, &old) != 1)
		return;
	json_array_foreach(json_object_get(old, "chunks"), i, c)
		n += batchstate_live(c);
	json_decref(old);
	if (n > 0)
		log_warnx("--restart: %u batches of the run before are left as "
		    "they are, not collected (rowpool cancel before --restart "
		    "stops them)", n);
}

static int
load_root(struct batch *b, int *status, char *err, size_t errlen)
{
	char job[16];
	int r = b->o.restart ? 0 : batchstate_load(b->o.dir, &b->root);

	if (b->o.restart)
		forget(b);
	if (r == -1) {
		*status = errno == EBADMSG ? EX_DATAERR : EX_IOERR;
		snprintf(err, errlen, "batch state '%s/%s': %s", b->o.dir,
		    BATCHSTATE_FILE, errno == EBADMSG ? "not a batch state "
		    "this rowpool reads" : strerror(errno));
		return -1;
	}
	job_id(&b->o, job, sizeof(job));
	if (r == 1 && strcmp(get_str(b->root, "job") ?: "", job) != 0) {
		log_info("batch state: another job's (input or settings "
		    "changed): starting a new one");
		json_decref(b->root);
		b->root = NULL;
	}
	if (b->root == NULL && (b->root = new_root(&b->o)) == NULL) {
		*status = EX_OSERR;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_chunks(b, err, errlen) == -1) {
		*status = EX_DATAERR;
		return -1;
	}
	return 0;
}

struct batch *
batch_open(const struct batch_opts *o, int *status, char *err,
    size_t errlen)
{
	struct batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		*status = EX_OSERR;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->o = *o;
	TAILQ_INIT(&b->live);
	b->dirty = true;
	b->failing_since = -1;
	*status = EX_CONFIG;
	if ((b->llm = llm_batch_open(o->pcfg, false, err, errlen)) == NULL ||
	    load_root(b, status, err, errlen) == -1) {
		batch_free(b);
		return NULL;
	}
	return b;
}

void
batch_free(struct batch *b)
{
	struct chunk *c;

	if (b == NULL)
		return;
	while ((c = TAILQ_FIRST(&b->live)) != NULL) {
		TAILQ_REMOVE(&b->live, c, entry);
		chunk_free(c);
	}
	llm_batch_close(b->llm);
	json_decref(b->root);
	buf_release(&b->task);
	free(b);
}

bool
batch_holds(const struct batch *b, uint64_t row)
{
	const struct chunk *c;

	TAILQ_FOREACH(c, &b->live, entry)
		if (rowset_has(&c->rows, row))
			return true;
	return false;
}

/* Held by a live chunk other than c? */
static bool
held_elsewhere(const struct batch *b, const struct chunk *c, uint64_t row)
{
	const struct chunk *d;

	TAILQ_FOREACH(d, &b->live, entry)
		if (d != c && rowset_has(&d->rows, row))
			return true;
	return false;
}

uint64_t
batch_rows_waiting(const struct batch *b)
{
	const struct chunk *c;
	uint64_t n = 0;

	TAILQ_FOREACH(c, &b->live, entry)
		n += c->rows.count;
	return n;
}

/* ---- building chunks ---- */

/* The request line of one row, appended to line. */
static int
render(struct batch *b, const struct batch_row *br, struct buf *line)
{
	json_t *row;
	char *body;
	int rc;

	if (br->request)	/* a retry: the request it was */
		return batchfile_request_line(line, br->row, br->json, br->len);
	row = json_loadb(br->json, br->len, 0, NULL);
	body = row != NULL ? llm_batch_body(b->llm, row) : NULL;
	json_decref(row);
	if (body == NULL)
		return -1;
	rc = batchfile_request_line(line, br->row, body, strlen(body));
	free(body);
	return rc;
}

struct build {
	struct durable	 d;
	struct rowset	 rows;
	json_t		*attempts;
	uint64_t	 bytes;
	struct buf	 line;
};

/* Takes rows into bd until the chunk is full; -1 when the run stops. */
static int
fill(struct batch *b, struct build *bd, int64_t now)
{
	struct batch_row br;
	const char *step = "write";
	uint64_t limit = b->o.max_bytes > BYTES_MARGIN * 2 ?
	    b->o.max_bytes - BYTES_MARGIN : b->o.max_bytes;
	char key[32];
	int r;

	while (bd->rows.count < b->o.rows && bd->bytes < limit) {
		if ((r = b->o.host.take(b->o.host.arg, now, &br)) <= 0)
			return r;
		buf_reset(&bd->line);
		if (render(b, &br, &bd->line) == -1 ||
		    rowset_add(&bd->rows, br.row) == -1) {
			fail(b, EX_OSERR, "out of memory");
			return -1;
		}
		if (durable_write(&bd->d, bd->line.p, bd->line.len, &step) == -1) {
			fail(b, EX_IOERR, "batch request file '%s': %s: %s",
			    bd->d.path, step, strerror(errno));
			return -1;
		}
		bd->bytes += bd->line.len;
		if (br.attempts > 0) {
			snprintf(key, sizeof(key), "%" PRIu64, br.row);
			json_object_set_new(bd->attempts, key,
			    json_integer(br.attempts));
		}
	}
	return 0;
}

/* The new chunk's record, and the chunk itself. */
static struct chunk *
add_chunk(struct batch *b, unsigned id, struct build *bd)
{
	char display[96], req[32];
	struct chunk *c;
	json_t *j;

	snprintf(display, sizeof(display), "rowpool-%s-%s-%u",
	    get_str(b->root, "job"), get_str(b->root, "nonce"), id);
	snprintf(req, sizeof(req), "batch-%06u.jsonl", id);
	j = json_pack("{s:i, s:s, s:s, s:o, s:I, s:I, s:s, s:O}", "id", (int)id,
	    "display", display, "step", "built", "rows", rowset_json(&bd->rows),
	    "nrows", (json_int_t)bd->rows.count, "bytes", (json_int_t)bd->bytes,
	    "request", req, "attempts", bd->attempts);
	if (j == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		json_decref(j);
		return NULL;
	}
	set_now(j, "built");
	json_array_append_new(json_object_get(b->root, "chunks"), j);
	c->j = j;
	c->id = id;
	c->step = STEP_BUILT;
	c->rows = bd->rows;
	rowset_init(&bd->rows);
	bitset_init(&c->seen);
	TAILQ_INSERT_TAIL(&b->live, c, entry);
	return c;
}

/* One chunk: its rows taken and written; 0 when none was left. */
static int
build_one(struct batch *b, int64_t now)
{
	unsigned id = (unsigned)json_integer_value(json_object_get(b->root,
	    "next_chunk"));
	struct build bd = { .attempts = json_object() };
	const char *step = "open";
	char path[PATH_MAX];
	struct chunk *c;
	int rc = -1, r;

	rowset_init(&bd.rows);
	request_path(b, id, path, sizeof(path));
	if (durable_open(&bd.d, path, 0644, &step) == -1) {
		fail(b, EX_CANTCREAT, "batch request file '%s': %s: %s", path,
		    step, strerror(errno));
		goto out;
	}
	if ((r = fill(b, &bd, now)) == -1 || bd.rows.count == 0) {
		durable_abort(&bd.d);
		rc = r == -1 ? -1 : 0;
		goto out;
	}
	if (durable_commit(&bd.d, &step) == -1) {
		fail(b, EX_IOERR, "batch request file '%s': %s: %s", path,
		    step, strerror(errno));
		goto out;
	}
	json_object_set_new(b->root, "next_chunk", json_integer(id + 1));
	if ((c = add_chunk(b, id, &bd)) == NULL)
		fail(b, EX_OSERR, "out of memory");
	else if (save(b)) {
		log_info("batch %u: %" PRIu64 " rows, %" PRIu64 " bytes, in "
		    "'%s'", id, c->rows.count, bd.bytes, path);
		rc = 1;
	}
out:
	rowset_release(&bd.rows);
	json_decref(bd.attempts);
	buf_release(&bd.line);
	return rc;
}

/* ---- calls ---- */

static enum batch_next
send_call(struct batch *b, struct chunk *c, const char *op, json_t *task,
    int64_t now, struct pool_task *pt)
{
	char *text = task != NULL ? json_dumps(task, JSON_COMPACT) : NULL;

	json_decref(task);
	buf_reset(&b->task);
	if (text == NULL || buf_add(&b->task, text, strlen(text)) == -1) {
		free(text);
		fail(b, EX_OSERR, "out of memory");
		return BATCH_WAIT;
	}
	free(text);
	c->op = op;
	c->sent = now;
	b->inflight++;
	pt->row = BATCH_OP_BIT | ++b->seq;
	pt->payload = b->task.p;
	pt->len = b->task.len;
	pt->ctx = c;
	log_debug("batch %u: %s", c->id, op);
	return BATCH_TASK;
}

static enum batch_next
call_upload(struct batch *b, struct chunk *c, int64_t now,
    struct pool_task *pt)
{
	char path[PATH_MAX];

	request_path(b, c->id, path, sizeof(path));
	return send_call(b, c, "upload", json_pack("{s:s, s:s, s:s}", "op",
	    "upload", "path", path, "display", get_str(c->j, "display")), now,
	    pt);
}

/* A create, once "creating" is on disk; or a look for an earlier one. */
static enum batch_next
call_create(struct batch *b, struct chunk *c, int64_t now,
    struct pool_task *pt)
{
	if (c->step == STEP_UPLOADED) {
		set_step(c, STEP_CREATING);
		if (!save(b))
			return BATCH_WAIT;
	} else if (c->maybe_created)
		return send_call(b, c, "find", json_pack("{s:s, s:s}", "op",
		    "find", "display", get_str(c->j, "display")), now, pt);
	c->maybe_created = true;
	return send_call(b, c, "create", json_pack("{s:s, s:s, s:s}", "op",
	    "create", "file", get_str(c->j, "file"), "display",
	    get_str(c->j, "display")), now, pt);
}

static enum batch_next
call_download(struct batch *b, struct chunk *c, int64_t now,
    struct pool_task *pt)
{
	return send_call(b, c, "download", json_pack("{s:s, s:s, s:I, s:I}",
	    "op", "download", "file", get_str(c->j, "responses"), "from",
	    c->from, "max_bytes", (json_int_t)PAGE_BYTES), now, pt);
}

static void	finalize(struct batch *, struct chunk *, int64_t);

/* The call c needs now; BATCH_WAIT when none. */
static enum batch_next
chunk_call(struct batch *b, struct chunk *c, int64_t now,
    struct pool_task *pt)
{
	switch (c->step) {
	case STEP_BUILT:
		return call_upload(b, c, now, pt);
	case STEP_UPLOADED:
	case STEP_CREATING:
		return call_create(b, c, now, pt);
	case STEP_SUBMITTED:
		if (c->polled && !b->o.wait)
			return BATCH_WAIT;
		return send_call(b, c, "get", json_pack("{s:s, s:s}", "op",
		    "get", "name", get_str(c->j, "name")), now, pt);
	case STEP_ENDED:
		if (get_str(c->j, "responses") != NULL)
			return call_download(b, c, now, pt);
		finalize(b, c, now);
		return BATCH_WAIT;
	case STEP_COLLECTED:
		break;
	}
	return BATCH_WAIT;
}

/* ---- results ---- */

static unsigned
prior_attempts(const struct chunk *c, uint64_t row)
{
	char key[32];

	snprintf(key, sizeof(key), "%" PRIu64, row);
	return (unsigned)json_integer_value(json_object_get(json_object_get(
	    c->j, "attempts"), key));
}

static int64_t
since_submitted(const struct chunk *c)
{
	struct timespec ts;
	double t = json_number_value(json_object_get(c->j, "submitted_epoch"));

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t <= 0)
		return 0;
	return (int64_t)(((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t) *
	    1000);
}

static int
reqline_cmp(const void *a, const void *b)
{
	const struct reqline *x = a, *y = b;

	return x->row < y->row ? -1 : x->row > y->row;
}

/* A line as build_one wrote it: {"key":"ROW","request":BODY} */
static int
index_line(struct chunk *c, const char *p, size_t len, size_t off)
{
	static const char head[] = "{\"key\":\"", mid[] = "\",\"request\":";
	const char *q = p + sizeof(head) - 1, *e = p + len;
	uint64_t row = 0;
	size_t cap = c->nlines;

	if (len < sizeof(head) + sizeof(mid) || memcmp(p, head,
	    sizeof(head) - 1) != 0)
		return -1;
	for (; q < e && *q >= '0' && *q <= '9'; q++)
		row = row * 10 + (uint64_t)(*q - '0');
	if ((size_t)(e - q) < sizeof(mid) || memcmp(q, mid, sizeof(mid) - 1) ||
	    e[-1] != '}')
		return -1;
	q += sizeof(mid) - 1;
	if (buf_grow_array((void **)&c->lines, &cap, c->nlines + 1,
	    sizeof(*c->lines)) == -1)
		return -1;
	c->lines[c->nlines++] = (struct reqline){ row, off + (size_t)(q - p),
	    (size_t)(e - 1 - q) };
	return 0;
}

/* Maps c's request file and indexes its rows, once. */
static int
index_requests(struct batch *b, struct chunk *c)
{
	char path[PATH_MAX];
	const char *p, *nl;
	struct stat sb = { .st_size = 0 };
	int fd;

	if (c->map != NULL)
		return 0;
	request_path(b, c->id, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || sb.st_size == 0 ||
	    (c->map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE,
	    fd, 0)) == MAP_FAILED) {
		c->map = NULL;
		if (fd != -1)
			close(fd);
		fail(b, EX_DATAERR, "batch request file '%s': %s", path,
		    sb.st_size == 0 ? "empty" : strerror(errno));
		return -1;
	}
	close(fd);
	c->maplen = (size_t)sb.st_size;
	for (p = c->map; p < c->map + c->maplen; p = nl + 1) {
		nl = memchr(p, '\n', c->maplen - (size_t)(p - c->map));
		if (nl == NULL || index_line(c, p, (size_t)(nl - p),
		    (size_t)(p - c->map)) == -1) {
			fail(b, EX_DATAERR, "batch request file '%s': damaged "
			    "at byte %zu", path, (size_t)(p - c->map));
			return -1;
		}
	}
	qsort(c->lines, c->nlines, sizeof(*c->lines), reqline_cmp);
	return 0;
}

static const struct reqline *
request_of(const struct chunk *c, uint64_t row)
{
	struct reqline key = { .row = row };

	return bsearch(&key, c->lines, c->nlines, sizeof(*c->lines),
	    reqline_cmp);
}

/* Hands row's result to the run, if the row is c's to answer, once. */
static void
give(struct batch *b, struct chunk *c, uint64_t row,
    const struct proc_result *res, int64_t now)
{
	const struct reqline *rl;

	if (!rowset_has(&c->rows, row) || bitset_test(&c->seen, row))
		return;
	if (bitset_set(&c->seen, row) == -1) {
		fail(b, EX_OSERR, "out of memory");
		return;
	}
	if (!b->o.host.wanted(b->o.host.arg, row) ||
	    held_elsewhere(b, c, row) || index_requests(b, c) == -1)
		return;
	if ((rl = request_of(c, row)) == NULL) {
		fail(b, EX_DATAERR, "batch %u: row %" PRIu64 " is not in its "
		    "request file", c->id, row);
		return;
	}
	if (res->ok)
		c->ok++;
	else
		c->failed++;
	b->o.host.result(b->o.host.arg, row, prior_attempts(c, row) + 1, res,
	    c->map + rl->off, rl->len, since_submitted(c), now);
}

/* One page of a download: each [row, RESULT] to its row. */
static void
deliver(struct batch *b, struct chunk *c, const json_t *data, int64_t now)
{
	struct proc_result res;
	json_t *pair, *o;
	char err[256];
	size_t i;

	json_array_foreach(json_object_get(data, "results"), i, pair) {
		o = json_array_get(pair, 1);
		if (!json_is_integer(json_array_get(pair, 0)) || o == NULL)
			continue;
		if (proto_result_from_json(o, &res, err, sizeof(err)) == -1)
			proc_result_error(&res, KIND_PROTOCOL, "batch %u: a bad "
			    "result: %s", c->id, err);
		give(b, c, (uint64_t)json_integer_value(json_array_get(pair,
		    0)), &res, now);
		proc_result_release(&res);
	}
	if (json_integer_value(json_object_get(data, "bad")) > 0)
		log_warnx("batch %u: %lld lines of its responses file are no "
		    "rows of it", c->id, (long long)json_integer_value(
		    json_object_get(data, "bad")));
}

/* What befalls the rows that got no line: why, and the kind. */
static enum kind
no_line(const struct chunk *c, char *why, size_t len)
{
	const char *state = get_str(c->j, "state") ?: "BATCH_STATE_UNKNOWN";
	const char *err = get_str(c->j, "error");

	if (get_str(c->j, "responses") != NULL) {
		snprintf(why, len, "no line for this row in the responses file "
		    "of %s", get_str(c->j, "name"));
		return KIND_HTTP;
	}
	snprintf(why, len, "batch %s ended %s%s%s", get_str(c->j, "name") ?:
	    "?", state, err ? ": " : "", err ? err : "");
	return strcmp(state, "BATCH_STATE_EXPIRED") == 0 ? KIND_TIMEOUT :
	    KIND_HTTP;
}

static void
fail_the_rest(struct batch *b, struct chunk *c, int64_t now)
{
	struct proc_result res;
	char why[PROC_MESSAGE_MAX];
	enum kind k = no_line(c, why, sizeof(why));
	uint64_t row;
	size_t i;

	for (i = 0; i < c->rows.n; i++)
		for (row = c->rows.r[i].first; row <= c->rows.r[i].last; row++) {
			if (bitset_test(&c->seen, row))
				continue;
			proc_result_init(&res);
			proc_result_error(&res, k, "%s", why);
			res.retry = RETRY_YES;
			give(b, c, row, &res, now);
			proc_result_release(&res);
		}
}

/* Every row answered: commit, then the chunk is collected. */
static void
finalize(struct batch *b, struct chunk *c, int64_t now)
{
	char path[PATH_MAX];

	fail_the_rest(b, c, now);
	if (b->o.host.commit(b->o.host.arg, now) == -1)
		return;
	json_object_set_new(c->j, "ok", json_integer((json_int_t)c->ok));
	json_object_set_new(c->j, "failed", json_integer((json_int_t)c->failed));
	json_object_del(c->j, "rows");
	json_object_del(c->j, "attempts");
	set_step(c, STEP_COLLECTED);
	set_now(c->j, "collected");
	if (!save(b))
		return;
	request_path(b, c->id, path, sizeof(path));
	unlink(path);
	log_info("batch %u: collected, %" PRIu64 " rows ok, %" PRIu64 " not",
	    c->id, c->ok, c->failed);
	TAILQ_REMOVE(&b->live, c, entry);
	chunk_free(c);
	b->dirty = true;
	b->collected = true;
}

/* ---- outcomes of calls ---- */

/* The batch's state from a get, create or find answer. */
static void
update(struct chunk *c, const json_t *d)
{
	static const char *const keys[] = { "state", "responses", "error" };
	size_t i;

	for (i = 0; i < 3; i++)
		json_object_set(c->j, keys[i], json_object_get(d, keys[i]) ?:
		    json_null());
	json_object_set(c->j, "requests", json_object_get(d, "requests"));
	json_object_set(c->j, "succeeded", json_object_get(d, "succeeded"));
	json_object_set(c->j, "errors", json_object_get(d, "failed"));
}

static void
ended(struct batch *b, struct chunk *c, int64_t now)
{
	set_step(c, STEP_ENDED);
	set_now(c->j, "ended");
	c->from = 0;
	c->not_before = now;
	log_info("batch %u: %s ended %s", c->id, get_str(c->j, "name"),
	    get_str(c->j, "state") ?: "?");
}

static void
schedule_poll(struct batch *b, struct chunk *c, int64_t now)
{
	c->polled = true;
	c->wait_ms = c->wait_ms == 0 ? b->o.poll_min_ms : c->wait_ms * 2;
	if (c->wait_ms > b->o.poll_max_ms)
		c->wait_ms = b->o.poll_max_ms;
	c->not_before = now + c->wait_ms;
}

/* A create's or find's batch: its name is saved before anything else. */
static void
adopt(struct batch *b, struct chunk *c, const json_t *d, bool found,
    int64_t now)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set(c->j, "name", json_object_get(d, "name"));
	update(c, d);
	if (json_object_get(c->j, "submitted") == NULL) {
		set_now(c->j, "submitted");
		json_object_set_new(c->j, "submitted_epoch", json_real(
		    (double)ts.tv_sec + (double)ts.tv_nsec / 1e9));
	}
	set_step(c, STEP_SUBMITTED);
	c->wait_ms = 0;
	schedule_poll(b, c, now);
	if (json_is_true(json_object_get(d, "done")))
		ended(b, c, now);
	if (save(b))
		log_info("batch %u: %s %s as %s", c->id, found ? "found, "
		    "already submitted" : "submitted", get_str(c->j, "display"),
		    get_str(c->j, "name"));
}

static void
polled(struct batch *b, struct chunk *c, const json_t *d, int64_t now)
{
	const char *was = get_str(c->j, "state");
	bool changed = was == NULL || get_str(d, "state") == NULL ||
	    strcmp(was, get_str(d, "state")) != 0;

	update(c, d);
	if (json_is_true(json_object_get(d, "done")))
		ended(b, c, now);
	else
		schedule_poll(b, c, now);
	if (changed || c->step == STEP_ENDED)
		save(b);
}

static void
call_ok(struct batch *b, struct chunk *c, const char *op, const json_t *d,
    int64_t now)
{
	b->failing_since = -1;
	if (strcmp(op, "upload") == 0) {
		json_object_set(c->j, "file", json_object_get(d, "file"));
		set_step(c, STEP_UPLOADED);
		if (save(b))
			log_info("batch %u: uploaded as %s", c->id,
			    get_str(d, "file"));
	} else if (strcmp(op, "find") == 0 && get_str(d, "name") == NULL) {
		c->maybe_created = false;	/* never created: create it */
	} else if (strcmp(op, "create") == 0 || strcmp(op, "find") == 0) {
		adopt(b, c, d, strcmp(op, "find") == 0, now);
	} else if (strcmp(op, "get") == 0) {
		polled(b, c, d, now);
	} else if (strcmp(op, "download") == 0) {
		deliver(b, c, d, now);
		if (json_is_integer(json_object_get(d, "next")))
			c->from = json_integer_value(json_object_get(d, "next"));
		else
			finalize(b, c, now);
	}
}

/* A call the API refused for good: true when that is dealt with. */
static bool
refused(struct batch *b, struct chunk *c, const char *op, const char *msg,
    int64_t now)
{
	if (strcmp(op, "get") == 0 || strcmp(op, "download") == 0) {
		/* The batch or its file is gone: its rows are retried. */
		json_object_set_new(c->j, "responses", json_null());
		json_object_set_new(c->j, "error", json_string(msg));
		ended(b, c, now);
		save(b);
		return true;
	}
	if (strcmp(op, "create") == 0 && strstr(msg, "not found") != NULL) {
		json_object_set_new(c->j, "file", json_null());
		set_step(c, STEP_BUILT);	/* the file expired: again */
		c->not_before = now;
		save(b);
		return true;
	}
	fail(b, EX_CONFIG, "batch %u: the Batch API refused the %s: %s", c->id,
	    op, msg);
	return true;
}

/* How long calls have failed: past the limits, the run stops. */
static void
outage(struct batch *b, const char *msg, bool unreachable, int64_t now)
{
	if (b->failing_since < 0)
		b->failing_since = now;
	if (unreachable && !b->answered && now - b->failing_since >=
	    b->o.unreachable_ms)
		fail(b, EX_UNAVAILABLE, "the API at '%s' could not be reached "
		    "for %lld s: %s", get_str(b->root, "endpoint") ?: "?",
		    (long long)(now - b->failing_since) / 1000, msg);
	else if (now - b->failing_since >= b->o.max_outage_ms)
		fail(b, EX_TEMPFAIL, "the Batch API kept failing for %lld s "
		    "(%s); no batch was cancelled: rerun the same command "
		    "later", (long long)(now - b->failing_since) / 1000, msg);
}

static void
call_failed(struct batch *b, struct chunk *c, const char *op,
    const struct proc_result *res, int64_t now)
{
	const struct kind_info *ki = kind_info(res->kind);
	enum retry_policy pol = res->retry >= 0 ?
	    (enum retry_policy)res->retry : ki->retry;
	int64_t after = res->retry_after_ms;

	if (!res->unreachable)
		b->answered = true;
	if (ki->stop != 0) {
		fail(b, ki->stop, "%s: %s%s", ki->stop_what, res->message,
		    ki->stop_hint);
		return;
	}
	if (pol == RETRY_NO && refused(b, c, op, res->message, now))
		return;
	c->wait_ms = c->wait_ms < RETRY_MIN_MS ? RETRY_MIN_MS :
	    c->wait_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->wait_ms * 2;
	c->not_before = now + (after > c->wait_ms ? after : c->wait_ms);
	log_info("batch %u: %s failed: %s: %s; again in %lld ms", c->id, op,
	    kind_name(res->kind), res->message, (long long)(c->not_before -
	    now));
	outage(b, res->message, res->unreachable, now);
}

void
batch_outcome(struct batch *b, const struct pool_outcome *o)
{
	static const enum kind kinds[] = {
		[POOL_CRASH] = KIND_CRASH, [POOL_TIMEOUT] = KIND_TIMEOUT,
		[POOL_PROTOCOL] = KIND_PROTOCOL,
	};
	struct chunk *c = o->ctx;
	const char *op = c->op;
	struct proc_result res;
	int64_t now = pool_now();

	c->op = NULL;
	b->inflight--;
	switch (o->event) {
	case POOL_RESULT:
		if (o->result->ok)
			call_ok(b, c, op, o->result->data, now);
		else
			call_failed(b, c, op, o->result, now);
		break;
	case POOL_ABANDONED:
		break;
	case POOL_REQUEUED:
		c->not_before = now;
		break;
	default:
		proc_result_init(&res);
		proc_result_error(&res, kinds[o->event], "%s", o->message);
		call_failed(b, c, op, &res, now);
		proc_result_release(&res);
		break;
	}
}

/* ---- what next ---- */

static int64_t
earliest(int64_t a, int64_t b)
{
	return a == -1 || (b != -1 && b < a) ? b : a;
}

/* Only batches that run on the server are left, each polled this run. */
static bool
parked(const struct batch *b)
{
	const struct chunk *c;

	if (b->o.wait || b->inflight > 0 || TAILQ_EMPTY(&b->live))
		return false;
	TAILQ_FOREACH(c, &b->live, entry)
		if (c->step != STEP_SUBMITTED || !c->polled)
			return false;
	return true;
}

/*
 * One chunk, when rows may wait for one; false when the run stops.  One
 * a turn: the pool's loop goes on between two (signals, outcomes).
 */
static bool
build(struct batch *b, int64_t now, int64_t *wake_at)
{
	int r;

	if (!b->dirty)
		return true;
	if ((r = build_one(b, now)) == -1)
		return false;
	if (r == 0)
		b->dirty = false;
	else
		*wake_at = now;	/* more rows may wait: again at once */
	return true;
}

enum batch_next
batch_next(struct batch *b, int64_t now, struct pool_task *pt,
    int64_t *wake_at)
{
	struct chunk *c, *next;

	*wake_at = -1;
	do {	/* a chunk collected here may leave rows to retry */
		if (!build(b, now, wake_at))
			return BATCH_WAIT;
		b->collected = false;
		TAILQ_FOREACH_SAFE(c, &b->live, entry, next) {
			if (c->op != NULL)
				continue;
			if (c->not_before > now) {
				if (b->o.wait || c->step != STEP_SUBMITTED ||
				    !c->polled)
					*wake_at = earliest(*wake_at,
					    c->not_before);
				continue;
			}
			if (chunk_call(b, c, now, pt) == BATCH_TASK)
				return BATCH_TASK;
		}
	} while (b->collected);
	if (b->dirty)
		return BATCH_WAIT;
	if (TAILQ_EMPTY(&b->live))
		return BATCH_DONE;
	return parked(b) ? BATCH_PARKED : BATCH_WAIT;
}

const char *
batch_parked_why(struct batch *b)
{
	const struct chunk *c;
	const char *since = NULL, *s;
	unsigned n = 0;

	TAILQ_FOREACH(c, &b->live, entry) {
		n++;
		s = get_str(c->j, "submitted");
		if (s != NULL && (since == NULL || strcmp(s, since) < 0))
			since = s;
	}
	snprintf(b->why, sizeof(b->why), "%" PRIu64 " rows wait in %u "
	    "batch%s submitted since %s, still running; rerun the same command "
	    "later to collect them (rowpool status shows each batch)",
	    batch_rows_waiting(b), n, n == 1 ? "" : "es", since ?: "?");
	return b->why;
}
