/*
 * merge: rowpool merge --output FILE [--allow-partial] SHARD...: the
 * outputs of the shards of one run (--shard K/N) joined into one output
 * in input order.  Invariants: every shard is checked against the first
 * before a byte is written (same input, same settings but the shard, the
 * same N, each K once); row r is taken from shard r % N only, and only if
 * it is that shard's next row; the output is written through a temp file
 * and renamed, so a refused or failed merge leaves no output.  Memory is
 * flat: each shard's committed results are walked in row order into an
 * unlinked temp file (output_walk), and the temp files are read in turn.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/cmd.h"
#include "rowpool/durable.h"
#include "rowpool/io.h"
#include "rowpool/manifest.h"
#include "rowpool/msgbuf.h"
#include "rowpool/output.h"
#include "rowpool/status.h"

#define SHARDS_MAX	1024

struct shard {
	const char	*arg;		/* as given */
	char		 dir[PATH_MAX];
	json_t		*m;		/* its manifest */
	unsigned	 k, n;
	uint64_t	 done, total;	/* rows */
	FILE		*rows;		/* its results in row order */
	char		*line;
	size_t		 cap;
	long long	 next;		/* row of the line read, -1: none */
};

struct merge {
	struct shard	*sh;		/* the shards, by K */
	unsigned	 nsh, n;
	uint64_t	 rows;		/* in the whole input */
	bool		 partial;
	int		 status;
	char		 why[1024];
};

static int __attribute__((format(printf, 3, 4)))
refuse(struct merge *mg, int status, const char *fmt, ...)
{
	va_list ap;

	if (mg->status != 0)
		return -1;
	mg->status = status;
	va_start(ap, fmt);
	msgbuf_vformat(mg->why, sizeof(mg->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- reading a shard ---- */

static const char *
setting(const json_t *m, const char *k)
{
	return json_string_value(json_object_get(json_object_get(m,
	    "settings"), k));
}

static uint64_t
count(const json_t *m, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(m, k));

	return v > 0 ? (uint64_t)v : 0;
}

static int
load_shard(struct merge *mg, struct shard *s)
{
	const char *sh;
	char err[512];
	char extra;

	if (status_find_dir(s->arg, s->dir, sizeof(s->dir)) == -1 ||
	    (s->m = manifest_load(s->dir, err, sizeof(err))) == NULL)
		return refuse(mg, errno == ENOENT ? EX_NOINPUT : EX_DATAERR,
		    "shard '%s': %s", s->arg, errno == ENOENT ? "no state "
		    "(no run has committed there)" : err);
	sh = setting(s->m, "shard");
	s->k = 0;
	s->n = 1;
	if (sh != NULL && sscanf(sh, "%u/%u%c", &s->k, &s->n, &extra) != 2)
		return refuse(mg, EX_DATAERR, "shard '%s': a shard setting "
		    "'%s' rowpool cannot read", s->arg, sh);
	s->done = count(s->m, "rows_done");
	s->total = count(s->m, "rows_total");
	if (json_object_get(s->m, "rows_input") == NULL)
		return refuse(mg, EX_DATAERR, "shard '%s': made by an older "
		    "rowpool (no rows_input in its manifest); rerun it",
		    s->arg);
	return 0;
}

/* ---- the checks, before anything is written ---- */

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

static const char *
fingerprint(const json_t *m)
{
	const char *fp = json_string_value(json_object_get(json_object_get(m,
	    "input"), "fingerprint"));

	return fp != NULL ? fp : "";
}

/* Shard s against the first one, t. */
static int
check_alike(struct merge *mg, const struct shard *t, const struct shard *s)
{
	const char *k;

	if (strcmp(fingerprint(s->m), fingerprint(t->m)) != 0 ||
	    count(s->m, "rows_input") != count(t->m, "rows_input"))
		return refuse(mg, EX_DATAERR, "shard '%s' was made from "
		    "another input than '%s'", s->arg, t->arg);
	if ((k = other_setting(t->m, s->m)) != NULL)
		return refuse(mg, EX_DATAERR, "shard '%s' was run with "
		    "another '%s' than '%s'", s->arg, k, t->arg);
	if (s->n != t->n)
		return refuse(mg, EX_DATAERR, "shard '%s' is one of %u, '%s' "
		    "one of %u", s->arg, s->n, t->arg, t->n);
	return 0;
}

static int
check_finished(struct merge *mg, const struct shard *s)
{
	const char *state = json_string_value(json_object_get(json_object_get(
	    s->m, "run"), "state"));

	if (s->done >= s->total && (state == NULL ||
	    strcmp(state, "running") != 0 || status_probe(s->dir,
	    &(pid_t){ 0 }) == 0))
		return 0;
	if (mg->partial)
		return 0;
	return refuse(mg, EX_DATAERR, "shard %u/%u ('%s') is not finished "
	    "(%llu of %llu rows done); finish it (rerun its command), or "
	    "merge with --allow-partial", s->k, s->n, s->arg,
	    (unsigned long long)s->done, (unsigned long long)s->total);
}

/* Puts the shards in K order; each K once, none missing (or partial). */
static int
order_shards(struct merge *mg, struct shard *in, unsigned nin)
{
	unsigned i;

	mg->n = in[0].n;
	if ((mg->sh = calloc(mg->n, sizeof(*mg->sh))) == NULL)
		return refuse(mg, EX_OSERR, "out of memory");
	for (i = 0; i < nin; i++) {
		if (mg->sh[in[i].k].arg != NULL)
			return refuse(mg, EX_DATAERR, "shards '%s' and '%s' are "
			    "both shard %u/%u: they claim the same rows",
			    mg->sh[in[i].k].arg, in[i].arg, in[i].k, in[i].n);
		mg->sh[in[i].k] = in[i];
		in[i].m = NULL;	/* owned by mg->sh now */
	}
	for (i = 0; i < mg->n; i++)
		if (mg->sh[i].arg == NULL && !mg->partial)
			return refuse(mg, EX_DATAERR, "shard %u/%u is missing; "
			    "merge with --allow-partial to write its rows as "
			    "pending", i, mg->n);
	return 0;
}

static int
check_shards(struct merge *mg, struct shard *in, unsigned nin)
{
	unsigned i;

	for (i = 0; i < nin; i++)
		if (load_shard(mg, &in[i]) == -1 || (i > 0 &&
		    check_alike(mg, &in[0], &in[i]) == -1) ||
		    check_finished(mg, &in[i]) == -1)
			return -1;
	mg->rows = count(in[0].m, "rows_input");
	return order_shards(mg, in, nin);
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

static int
spill_shard(struct merge *mg, struct shard *s)
{
	const char *step = "journal";
	char jpath[PATH_MAX];

	if (path_join(jpath, sizeof(jpath), s->dir, "journal") == -1 ||
	    (s->rows = tmpfile()) == NULL)
		return refuse(mg, EX_OSERR, "shard '%s': %s", s->arg,
		    strerror(errno));
	if (output_walk(jpath, count(s->m, "journal_length"), mg->rows,
	    spill_row, s->rows, &step) == -1 || fflush(s->rows) == EOF)
		return refuse(mg, errno == EBADMSG || errno == ENODATA ?
		    EX_DATAERR : EX_IOERR, "shard '%s': %s: %s", s->arg, step,
		    strerror(errno));
	rewind(s->rows);
	s->next = -1;
	return 0;
}

/* The shard's next row number, reading a line when needed; -1: none. */
static long long
peek(struct shard *s)
{
	ssize_t n;

	if (s->rows == NULL)
		return -1;
	if (s->next == -1 && (n = getline(&s->line, &s->cap, s->rows)) > 0)
		s->next = strtoll(s->line, NULL, 10);
	return s->next;
}

/* ---- the merge ---- */

static int
put_row(struct merge *mg, struct durable *d, uint64_t r)
{
	struct shard *s = &mg->sh[r % mg->n];
	long long at = peek(s);
	char pending[64];
	const char *step;
	char *text;

	if (at != -1 && (at < (long long)r || at % mg->n != s->k))
		return refuse(mg, EX_DATAERR, "shard '%s' claims row %lld, "
		    "which is not one of its own", s->arg, at);
	if (at == (long long)r) {
		text = strchr(s->line, ' ') + 1;
		s->next = -1;
		return durable_write(d, text, strlen(text), &step);
	}
	if (!mg->partial)
		return refuse(mg, EX_DATAERR, "shard '%s' has no result for "
		    "row %llu", s->arg ? s->arg : "?", (unsigned long long)r);
	snprintf(pending, sizeof(pending), "{\"row\":%llu,\"status\":"
	    "\"pending\"}\n", (unsigned long long)r);
	return durable_write(d, pending, strlen(pending), &step);
}

static int
write_merged(struct merge *mg, const char *out)
{
	const char *step = "open";
	struct durable d;
	uint64_t r;
	unsigned i;

	for (i = 0; i < mg->n; i++)
		if (mg->sh[i].arg != NULL && spill_shard(mg, &mg->sh[i]) == -1)
			return -1;
	if (durable_open_unique(&d, out, 0666, &step) == -1)
		return refuse(mg, EX_CANTCREAT, "output '%s': %s: %s", out,
		    step, strerror(errno));
	for (r = 0; r < mg->rows; r++)
		if (put_row(mg, &d, r) == -1) {
			durable_abort(&d);
			return refuse(mg, io_exit_status(errno), "output '%s': "
			    "write: %s", out, strerror(errno));
		}
	if (durable_commit(&d, &step) == -1)
		return refuse(mg, io_exit_status(errno), "output '%s': %s: %s",
		    out, step, strerror(errno));
	return 0;
}

static void
merge_release(struct merge *mg, struct shard *in, unsigned nin)
{
	unsigned i;

	for (i = 0; i < nin; i++)
		json_decref(in[i].m);
	for (i = 0; mg->sh != NULL && i < mg->n; i++) {
		json_decref(mg->sh[i].m);
		if (mg->sh[i].rows != NULL)
			fclose(mg->sh[i].rows);
		free(mg->sh[i].line);
	}
	free(mg->sh);
}

/* ---- the command ---- */

static const char merge_usage[] =
"usage: rowpool merge --output FILE [--allow-partial] SHARD...\n"
"\n"
"Joins the outputs of the shards of one run (rowpool run --shard K/N)\n"
"into one output in input order, written atomically.  A SHARD is a\n"
"shard's state directory or its output (then OUTPUT.state).  It refuses,\n"
"naming them, a shard that is missing or not finished, made from another\n"
"input or with other settings, or two shards that claim the same rows.\n"
"\n"
"Options:\n"
"  -o, --output FILE    the merged output (required)\n"
"      --allow-partial  write what is done; rows not done are pending\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 merged; 64 usage error; 65 shards that do not make one\n"
"run; 66 a shard with no state; 73 the output cannot be created; 74 an\n"
"I/O error; 71 out of memory.\n";

static int
merge_args(int argc, char *argv[], const char **out, bool *partial)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "allow-partial", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1)
		if (c == 'o')
			*out = optarg;
		else if (c == 'p')
			*partial = true;
		else if (c == 'h') {
			fputs(merge_usage, stdout);
			return 0;
		} else
			return EX_USAGE;
	if (*out == NULL || optind >= argc || argc - optind > SHARDS_MAX) {
		fprintf(stderr, "rowpool merge: %s\n", *out == NULL ?
		    "--output FILE is required" : "no SHARD given");
		return EX_USAGE;
	}
	return -1;
}

int
cmd_merge(int argc, char *argv[])
{
	struct merge mg = { .status = 0 };
	struct shard *in;
	const char *out = NULL;
	unsigned i, nin;
	int rc;

	if ((rc = merge_args(argc, argv, &out, &mg.partial)) != -1)
		return rc;
	nin = (unsigned)(argc - optind);
	if ((in = calloc(nin, sizeof(*in))) == NULL)
		return EX_OSERR;
	for (i = 0; i < nin; i++)
		in[i].arg = argv[optind + i];
	if (check_shards(&mg, in, nin) == 0)
		write_merged(&mg, out);
	if (mg.status != 0)
		fprintf(stderr, "rowpool merge: %s\n", mg.why);
	merge_release(&mg, in, nin);
	free(in);
	return mg.status;
}
