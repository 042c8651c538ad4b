/*
 * shards: the states of the shards of one run, checked and walked as one
 * run.  Invariants: every shard is checked against the first one given
 * before a row is read; row r is taken from shard r % N only, and only
 * when it is that shard's next row in row order, so each row is handed
 * on at most once and in order, and a row a shard holds that is not its
 * own is left over at the end, and refused; nothing is written but the unlinked temp
 * files, one per shard, that hold each shard's rows in order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/io.h"
#include "rowpool/msgbuf.h"
#include "rowpool/shards.h"
#include "rowpool/status.h"

#define SHARDS_FD_SPARE	64	/* the standard ones, the output, a journal */

struct shard {
	struct snapshot	 snap;
	const char	*arg;		/* as given */
	unsigned	 k;
	FILE		*rows;		/* "ROW PAYLOAD\n", in row order */
	char		*line;
	size_t		 cap;
	long long	 next;		/* row of the line read, -1: none */
};

static int __attribute__((format(printf, 3, 4)))
refuse(struct shards *ss, int status, const char *fmt, ...)
{
	va_list ap;

	if (ss->status != 0)
		return -1;
	ss->status = status;
	va_start(ap, fmt);
	msgbuf_vformat(ss->why, sizeof(ss->why), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t
count(const json_t *m, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(m, k));

	return v > 0 ? (uint64_t)v : 0;
}

static unsigned
shard_n(const struct snapshot *s)
{
	return s->shard_n > 0 ? s->shard_n : 1;
}

/* ---- the checks ---- */

/* The first setting, but the shard, where a and b differ; NULL: none. */
static const char *
other_setting(const json_t *a, const json_t *b)
{
	const json_t *sa = json_object_get(a, "settings"), *v;
	const json_t *sb = json_object_get(b, "settings");
	const char *k;

	json_object_foreach((json_t *)(uintptr_t)sa, k, v)
		if (strcmp(k, "shard") != 0 &&
		    !json_equal(v, json_object_get(sb, k)))
			return k;
	json_object_foreach((json_t *)(uintptr_t)sb, k, v)
		if (strcmp(k, "shard") != 0 && json_object_get(sa, k) == NULL)
			return k;
	return NULL;
}

/* Shard s (named arg) against the first one given, t. */
static int
check_alike(struct shards *ss, const struct shard *t, const char *arg,
    const struct snapshot *s)
{
	const char *k;

	if (strcmp(s->fingerprint, t->snap.fingerprint) != 0 ||
	    s->rows_input != t->snap.rows_input)
		return refuse(ss, EX_DATAERR, "shard '%s' was made from "
		    "another input than '%s'", arg, t->arg);
	if ((k = other_setting(t->snap.manifest, s->manifest)) != NULL)
		return refuse(ss, EX_DATAERR, "shard '%s' was run with "
		    "another '%s' than '%s'", arg, k, t->arg);
	if (shard_n(s) != ss->n)
		return refuse(ss, EX_DATAERR, "shard '%s' is one of %u, '%s' "
		    "one of %u", arg, shard_n(s), t->arg, ss->n);
	return 0;
}

/* Done, and not running (a run that died while "running" is not). */
static int
check_finished(struct shards *ss, const char *arg, const struct snapshot *s)
{
	const json_t *m = s->manifest;
	const char *state = json_string_value(json_object_get(json_object_get(
	    m, "run"), "state"));
	uint64_t done = count(m, "rows_done"), total = count(m, "rows_total");

	if (done >= total && (state == NULL || strcmp(state, "running") !=
	    0 || status_probe(s->dir, &(pid_t){ 0 }) == 0))
		return 0;
	return refuse(ss, EX_DATAERR, "shard %u/%u ('%s') is not finished "
	    "(%llu of %llu rows done); finish it (rerun its command), or use "
	    "--allow-partial", s->shard_k, shard_n(s), arg,
	    (unsigned long long)done, (unsigned long long)total);
}

/* The first shard given: N, the rows, and the room for N shards. */
static int
take_first(struct shards *ss, const char *arg, const struct snapshot *s)
{
	if (s->rows_input < 0)
		return refuse(ss, EX_DATAERR, "shard '%s': made by an older "
		    "rowpool (no rows_input in its manifest); rerun it", arg);
	ss->n = shard_n(s);
	ss->first = s->shard_k;
	ss->rows = (uint64_t)s->rows_input;
	if ((ss->sh = calloc(ss->n, sizeof(*ss->sh))) == NULL)
		return refuse(ss, EX_OSERR, "%s", strerror(ENOMEM));
	return 0;
}

static int
check_shard(struct shards *ss, const char *arg, const struct snapshot *s,
    unsigned flags)
{
	const struct shard *was;

	if (ss->sh == NULL ? take_first(ss, arg, s) == -1 :
	    check_alike(ss, ss->sh[ss->first], arg, s) == -1)
		return -1;
	if ((was = ss->sh[s->shard_k]) != NULL)
		return refuse(ss, EX_DATAERR, "shards '%s' and '%s' are both "
		    "shard %u/%u: they claim the same rows", was->arg, arg,
		    s->shard_k, ss->n);
	if (!(flags & SHARDS_UNFINISHED_OK))
		return check_finished(ss, arg, s);
	return 0;
}

static int
add_shard(struct shards *ss, const char *arg, unsigned flags)
{
	struct shard *sh;

	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return refuse(ss, EX_OSERR, "%s", strerror(ENOMEM));
	sh->arg = arg;
	if (snapshot_open(&sh->snap, arg) == -1)
		refuse(ss, sh->snap.status, "shard '%s': %s", arg,
		    sh->snap.why);
	else if (check_shard(ss, arg, &sh->snap, flags) == 0) {
		sh->k = sh->snap.shard_k;
		ss->sh[sh->k] = sh;
		return 0;
	}
	snapshot_release(&sh->snap);
	free(sh);
	return -1;
}

int
shards_open(struct shards *ss, const char *const args[], size_t nargs,
    unsigned flags)
{
	size_t i;
	unsigned k;

	memset(ss, 0, sizeof(*ss));
	if (nargs == 0 || nargs > SHARDS_MAX)
		return refuse(ss, EX_USAGE, "%zu shards: give 1 to %d", nargs,
		    SHARDS_MAX);
	for (i = 0; i < nargs; i++)
		if (add_shard(ss, args[i], flags) == -1)
			return -1;
	for (k = 0; k < ss->n && !(flags & SHARDS_MISSING_OK); k++)
		if (ss->sh[k] == NULL)
			return refuse(ss, EX_DATAERR, "shard %u/%u is missing; "
			    "with --allow-partial its rows are pending", k,
			    ss->n);
	return 0;
}

struct snapshot *
shards_first(struct shards *ss)
{
	return &ss->sh[ss->first]->snap;
}

const struct snapshot *
shards_get(const struct shards *ss, unsigned k)
{
	return k < ss->n && ss->sh[k] != NULL ? &ss->sh[k]->snap : NULL;
}

bool
shards_has(const struct shards *ss, uint64_t row)
{
	return ss->sh[row % ss->n] != NULL;
}

/* ---- each shard's rows, in order, in a temp file ---- */

static int
spill_row(void *arg, uint64_t row, const char *payload, uint32_t len,
    const char **step)
{
	FILE *fp = arg;

	if (fprintf(fp, "%llu ", (unsigned long long)row) < 0 ||
	    fwrite(payload, 1, len, fp) != len || fputc('\n', fp) == EOF) {
		*step = "spool";
		return -1;
	}
	return 0;
}

/* Why output_walk() failed on shard s, as export says it of a run. */
static int
walk_failed(struct shards *ss, const struct shard *s, const char *step)
{
	int err = errno;

	if (strcmp(step, "alloc") == 0 || err == ENOMEM)
		return refuse(ss, EX_OSERR, "%s", strerror(ENOMEM));
	if (strcmp(step, "check") == 0)
		return refuse(ss, EX_DATAERR, "shard '%s': journal '%s': a row "
		    "past the input's rows, or twice", s->arg, s->snap.jpath);
	if (strcmp(step, "spool") == 0)
		return refuse(ss, io_exit_status(err), "shard '%s': a temp "
		    "file: %s", s->arg, strerror(err));
	return refuse(ss, err == EBADMSG || err == ENODATA || err == ENOENT ?
	    EX_DATAERR : io_exit_status(err), "shard '%s': journal '%s': %s",
	    s->arg, s->snap.jpath, err == EBADMSG ? "damaged record" : err ==
	    ENODATA ? "shorter than the committed length" : strerror(err));
}

static int
spill_shard(struct shards *ss, struct shard *s)
{
	const char *step = "journal";

	s->next = -1;
	if (s->snap.committed == 0)
		return 0;	/* nothing committed yet: maybe no journal */
	if ((s->rows = tmpfile()) == NULL)
		return refuse(ss, io_exit_status(errno), "shard '%s': a temp "
		    "file: %s", s->arg, strerror(errno));
	if (output_walk(s->snap.jpath, s->snap.committed, ss->rows,
	    spill_row, s->rows, &step) == -1)
		return walk_failed(ss, s, step);
	if (fflush(s->rows) == EOF || fseeko(s->rows, 0, SEEK_SET) == -1)
		return walk_failed(ss, s, "spool");
	return 0;
}

/* The shard's next row number, reading a line when needed; -1: none. */
static long long
peek(struct shards *ss, struct shard *s)
{
	if (s->rows == NULL || s->next != -1)
		return s->next;
	errno = 0;
	if (getline(&s->line, &s->cap, s->rows) > 0)
		s->next = strtoll(s->line, NULL, 10);
	else if (ferror(s->rows))
		return walk_failed(ss, s, "spool"), -2;
	return s->next;
}

static int
foreign_row(struct shards *ss, const struct shard *s, long long row)
{
	return refuse(ss, EX_DATAERR, "shard '%s' claims row %lld, which is "
	    "not one of its own", s->arg, row);
}

/* Hands row r on when its shard has it next: 0, or -1. */
static int
visit_row(struct shards *ss, uint64_t r, output_visit_fn visit, void *arg)
{
	struct shard *s = ss->sh[r % ss->n];
	const char *text, *step = "visit";
	long long at;

	if (s == NULL || (at = peek(ss, s)) == -1)
		return 0;
	if (at == -2)
		return -1;
	if (at != (long long)r)
		return 0;
	s->next = -1;
	text = strchr(s->line, ' ') + 1;
	return visit(arg, r, text, (uint32_t)(strlen(text) - 1), &step);
}

int
shards_walk(struct shards *ss, output_visit_fn visit, void *arg)
{
	struct rlimit rl;
	long long at;
	uint64_t r;
	unsigned k;

	/* A temp file a shard, all open at once, and a few more. */
	fd_limit_raise((rlim_t)ss->n + SHARDS_FD_SPARE, &rl);
	for (k = 0; k < ss->n; k++)
		if (ss->sh[k] != NULL && spill_shard(ss, ss->sh[k]) == -1)
			return -1;
	for (r = 0; r < ss->rows; r++)
		if (visit_row(ss, r, visit, arg) == -1)
			return -1;
	/*
	 * A row that is not its shard's own is never reached: it stops its
	 * shard's walk there, and is left over at the end.
	 */
	for (k = 0; k < ss->n; k++)
		if (ss->sh[k] != NULL && (at = peek(ss, ss->sh[k])) != -1)
			return at == -2 ? -1 : foreign_row(ss, ss->sh[k], at);
	return 0;
}

void
shards_release(struct shards *ss)
{
	struct shard *s;
	unsigned k;

	for (k = 0; ss->sh != NULL && k < ss->n; k++) {
		if ((s = ss->sh[k]) == NULL)
			continue;
		snapshot_release(&s->snap);
		if (s->rows != NULL)
			fclose(s->rows);
		free(s->line);
		free(s);
	}
	free(ss->sh);
	ss->sh = NULL;
}
