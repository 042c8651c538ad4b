/*
 * merge: rowpool merge --output FILE [--allow-partial] SHARD...: the
 * outputs of the shards of one run (--shard K/N) joined into one output
 * in input order.  Invariants: the shards are checked (shards.h) before a
 * byte is written; every row of the input is written once, in order: its
 * result, or with --allow-partial a pending line; the output is written
 * through a temp file and renamed, so a refused or failed merge leaves no
 * output.  Memory is flat in rows: shards_walk() streams the rows.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/cmd.h"
#include "rowpool/durable.h"
#include "rowpool/io.h"
#include "rowpool/msgbuf.h"
#include "rowpool/shards.h"

struct merge {
	struct shards	 ss;
	struct durable	 d;
	const char	*out;
	uint64_t	 next;		/* rows below it are written */
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

static int
put(struct merge *mg, const char *p, size_t n)
{
	const char *step = "write";

	if (durable_write(&mg->d, p, n, &step) == -1)
		return refuse(mg, io_exit_status(errno), "output '%s': %s: %s",
		    mg->out, step, strerror(errno));
	return 0;
}

/* Row r has no result: pending with --allow-partial, else refused. */
static int
put_gap(struct merge *mg, uint64_t r)
{
	unsigned k = (unsigned)(r % mg->ss.n);
	const struct snapshot *s = shards_get(&mg->ss, k);
	char pending[64];

	if (!mg->partial)
		return refuse(mg, EX_DATAERR, "shard %u/%u ('%s') has no "
		    "result for row %llu", k, mg->ss.n, s != NULL ? s->dir :
		    "missing", (unsigned long long)r);
	snprintf(pending, sizeof(pending), "{\"row\":%llu,\"status\":"
	    "\"pending\"}\n", (unsigned long long)r);
	return put(mg, pending, strlen(pending));
}

/* The rows before row with no result, then row's result. */
static int
put_row(void *arg, uint64_t row, const char *payload, uint32_t len,
    const char **step)
{
	struct merge *mg = arg;

	for (; mg->next < row; mg->next++)
		if (put_gap(mg, mg->next) == -1)
			return -1;
	mg->next = row + 1;
	return put(mg, payload, len) == -1 || put(mg, "\n", 1) == -1 ? -1 :
	    0;
}

static int
write_merged(struct merge *mg)
{
	const char *step = "open";

	if (durable_open_unique(&mg->d, mg->out, 0666, &step) == -1)
		return refuse(mg, EX_CANTCREAT, "output '%s': %s: %s", mg->out,
		    step, strerror(errno));
	if (shards_walk(&mg->ss, put_row, mg) == -1) {
		durable_abort(&mg->d);
		return refuse(mg, mg->ss.status, "%s", mg->ss.why);
	}
	for (; mg->next < mg->ss.rows; mg->next++)
		if (put_gap(mg, mg->next) == -1) {
			durable_abort(&mg->d);
			return -1;
		}
	if (durable_commit(&mg->d, &step) == -1)
		return refuse(mg, io_exit_status(errno), "output '%s': %s: %s",
		    mg->out, step, strerror(errno));
	return 0;
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
		    "--output FILE is required" : optind >= argc ?
		    "no SHARD given" : "more than " SHARDS_MAX_TEXT " SHARDs");
		return EX_USAGE;
	}
	return -1;
}

int
cmd_merge(int argc, char *argv[])
{
	struct merge mg = { .status = 0 };
	int rc;

	if ((rc = merge_args(argc, argv, &mg.out, &mg.partial)) != -1)
		return rc;
	if (shards_open(&mg.ss, (const char *const *)(argv + optind),
	    (size_t)(argc - optind), mg.partial ? SHARDS_MISSING_OK |
	    SHARDS_UNFINISHED_OK : 0) == -1)
		refuse(&mg, mg.ss.status, "%s", mg.ss.why);
	else
		write_merged(&mg);
	if (mg.status != 0)
		fprintf(stderr, "rowpool merge: %s\n", mg.why);
	shards_release(&mg.ss);
	return mg.status;
}
