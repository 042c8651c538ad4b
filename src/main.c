/*
 * main: the command line.  It parses the command's own options (the table
 * below) into a struct run_opts and the chosen processor's options (their
 * tables, processor.h) into its settings and configuration (procopt.h),
 * validates them (exit 64 on a usage error, 78 on a configuration error),
 * and maps nothing else: the exit status comes from run_main, or from
 * check_main for `rowpool check`, which takes the same command line.
 *
 * getopt knows every processor's options, so that one given to another
 * processor is named as such rather than unknown.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/apikey.h"
#include "rowpool/check.h"
#include "rowpool/cmd.h"
#include "rowpool/input.h"
#include "rowpool/log.h"
#include "rowpool/price.h"
#include "rowpool/processor.h"
#include "rowpool/procopt.h"
#include "rowpool/run.h"
#include "rowpool/secret.h"
#include "rowpool/usage.h"

static const char usage_head[] =
"usage: rowpool run [OPTIONS] --output FILE INPUT|- [-- CMD [ARGS...]]\n"
"       rowpool check [OPTIONS] --output FILE INPUT|- [-- CMD [ARGS...]]\n"
"       rowpool status [--json] STATE_DIR|OUTPUT...\n"
"       rowpool export [OPTIONS] STATE_DIR|OUTPUT...\n"
"       rowpool merge --output FILE [--allow-partial] SHARD...\n"
"       rowpool cancel [--api-key-file FILE] STATE_DIR|OUTPUT\n"
"       rowpool COMMAND --help; rowpool --help | --version\n"
"\n"
"Runs a processor over every row of INPUT (CSV with a header row, or JSONL)\n"
"in parallel worker processes, with a crash-safe checkpoint after every\n"
"batch.  The same command run again resumes where the last one stopped.\n"
"\n"
"rowpool check takes the same options and checks them, the input against\n"
"the prompt, the files, the key, the state and the output, then sends one\n"
"request; it writes nothing and exits 0, 77 (the key refused) or 78 (a\n"
"FAIL line says what to fix).\n"
"\n"
"Options:\n";

static const char usage_exit[] =
"\n"
"Exit status:\n"
"   0  every row ok              1  complete, some rows failed\n"
"  64  usage error (also: an     65  bad input, a damaged or edited\n"
"      output, log or state         state, or state from another\n"
"      that is the input)           input/settings (see --restart)\n"
"  66  input missing            69  API unreachable (never answered)\n"
"  70  internal error           71  workers cannot start, or out of\n"
"  73  cannot create output         memory\n"
"      or state                 74  I/O error\n"
"  75  interrupted, locked, daily quota exhausted, an outage past\n"
"      --max-outage, or batches still running (--mode batch without\n"
"      --wait): rerun the same command to resume\n"
"  77  API key refused          78  configuration error\n";

enum {
	OPT_STATE = 256, OPT_FORMAT, OPT_PROCESSOR, OPT_BATCH, OPT_TIMEOUT,
	OPT_RETRIES, OPT_MAXROWS, OPT_GRACE, OPT_MAXBYTES, OPT_STRICT,
	OPT_RESTART, OPT_LOG, OPT_RPM, OPT_TPM, OPT_OUTAGE, OPT_RETRYFAILED,
	OPT_PROGRESS, OPT_MAXTOKENS, OPT_DRYRUN, OPT_MAXCOST, OPT_PRICEFILE,
	OPT_SYSLOG, OPT_SHARD, OPT_MODE, OPT_BATCHROWS, OPT_BATCHRETRY,
	OPT_BATCHPOLL, OPT_WAIT, OPT_CACHE, OPT_CACHEMAX,
	OPT_PROC = 512	/* + the index of a processor option's name */
};

/* The command's own options; the processors' come from their tables. */
struct core_option {
	const char	*name;
	int		 val;	/* the short option, or an OPT_* */
	const char	*arg;	/* NULL: it takes no argument */
	const char	*help;
};

static const struct core_option core_options[] = {
	{ "output", 'o', "FILE",
	  "results, one JSON line per input row (required)" },
	{ "state", OPT_STATE, "DIR",
	  "run state (journal, manifest, lock, log); default FILE.state" },
	{ "format", OPT_FORMAT, "csv|jsonl",
	  "input format (default: from INPUT's extension)" },
	{ "processor", OPT_PROCESSOR, "NAME",
	  "what runs on each row: one of the processors below" },
	{ "workers", 'j', "N", "worker processes (default 10)" },
	{ "batch-size", OPT_BATCH, "N", "rows per checkpoint (default 10)" },
	{ "timeout", OPT_TIMEOUT, "SECONDS", "per attempt (default 120)" },
	{ "retries", OPT_RETRIES, "N",
	  "extra attempts after the first (default 3)" },
	{ "worker-max-rows", OPT_MAXROWS, "N",
	  "recycle a worker after N rows (default 1000; 0 never)" },
	{ "grace", OPT_GRACE, "SECONDS",
	  "on SIGINT/SIGTERM, time for rows in flight (default 10)" },
	{ "max-row-bytes", OPT_MAXBYTES, "N",
	  "larger rows are input errors (default 1048576)" },
	{ "strict", OPT_STRICT, NULL,
	  "stop at the first bad input row (exit 65)" },
	{ "restart", OPT_RESTART, NULL, "discard the state and start over" },
	{ "retry-failed", OPT_RETRYFAILED, "[=KIND,...]", "do again the rows "
	    "that ended failed (with one of these kinds), besides those not "
	    "done" },
	{ "progress-interval", OPT_PROGRESS, "SECONDS", "not on a terminal: a "
	    "progress line this often (default 60; 0: never)" },
	{ "max-cost", OPT_MAXCOST, "USD", "as --max-tokens, for the estimated "
	    "cost (see --price-file)" },
	{ "price-file", OPT_PRICEFILE, "FILE", "prices per model (USD per "
	    "million tokens), over the built-in Gemini ones" },
	{ "shard", OPT_SHARD, "K/N", "do the rows whose index % N is K, into "
	    "this run's own state and output (rowpool merge joins them); "
	    "slurm: K and N from the Slurm job array; k8s/N: K from "
	    "JOB_COMPLETION_INDEX" },
	{ "mode", OPT_MODE, "online|batch", "online: a request per row "
	    "(default); batch: Gemini's Batch API, half the price, answers "
	    "within 24 hours" },
	{ "batch-rows", OPT_BATCHROWS, "N", "batch mode: at most N rows per "
	    "batch (default 10000)" },
	{ "batch-retry", OPT_BATCHRETRY, "batch|online", "batch mode: rows to "
	    "retry go in a new batch (default) or online" },
	{ "wait", OPT_WAIT, NULL, "batch mode: poll until every batch has "
	    "ended (default: submit, collect what ended, exit 75)" },
	{ "batch-poll", OPT_BATCHPOLL, "SECONDS", "batch mode: the longest "
	    "wait between two polls of a batch (default 60)" },
	{ "cache", OPT_CACHE, "DIR", "answer a request made before (by any "
	    "run) from the response cache DIR, and keep each new ok answer "
	    "there; none: no cache (default: $ROWPOOL_CACHE, else none)" },
	{ "cache-max-bytes", OPT_CACHEMAX, "N[K|M|G]", "the cache's bound: "
	    "least recently used answers go first (default 1G; 0: none)" },
	{ "syslog", OPT_SYSLOG, NULL, "log to syslog(3) too (ident rowpool, "
	    "facility user); --log none: syslog only" },
	{ "dry-run", OPT_DRYRUN, NULL, "send nothing, write nothing: show the "
	    "first 3 prompts, count the rows, estimate the tokens and cost" },
	{ "max-tokens", OPT_MAXTOKENS, "N", "stop (exit 75) before the tokens "
	    "spent, counting those in flight, would pass N; rerun with a "
	    "higher N to go on" },
	{ "log", OPT_LOG, "FILE", "log file (default STATE/log)" },
	{ "rpm", OPT_RPM, "N", "at most N requests a minute (all workers)" },
	{ "tpm", OPT_TPM, "N", "at most N tokens a minute (estimated before "
	  "a request, corrected by the usage that comes back)" },
	{ "max-outage", OPT_OUTAGE, "SECONDS", "stop (exit 75) when the API "
	  "keeps failing this long (default 900)" },
	{ "verbose", 'v', NULL, "also print the log to stderr (twice: debug)" },
	{ "quiet", 'q', NULL, "nothing on stderr when all is well; one line "
	    "per problem otherwise" },
	{ "help", 'h', NULL, "this text" },
	{ "version", 'V', NULL, "the version" },
};

#define NCORE		(sizeof(core_options) / sizeof(core_options[0]))

/* getopt's tables, and the processors' options as given. */
struct cmdline {
	struct option	 longopts[NCORE + PROC_NAMES_MAX + 1];
	char		 shortopts[2 * NCORE + 1];
	const char	*names[PROC_NAMES_MAX];	/* processors' options */
	const char	*args[PROC_NAMES_MAX];	/* last argument given */
	size_t		 nnames;
	char *const	*cmd;		/* INPUT -- CMD [ARGS...] */
	size_t		 ncmd;
};

/* Prints "rowpool: message" and tail, exits with code. */
static _Noreturn void
vdie(int code, const char *tail, const char *fmt, va_list ap)
{
	fputs("rowpool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
	exit(code);
}

static _Noreturn void __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(EX_USAGE, "\nTry 'rowpool --help'.\n", fmt, ap);
}

static _Noreturn void __attribute__((format(printf, 1, 2)))
config_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(EX_CONFIG, "\n", fmt, ap);
}

static void
usage(FILE *fp)
{
	struct run_opts dflt;
	size_t i;

	run_opts_init(&dflt);
	fputs(usage_head, fp);
	for (i = 0; i < NCORE; i++)
		usage_option(fp, core_options[i].val < 256 ?
		    core_options[i].val : 0, core_options[i].name,
		    core_options[i].arg, core_options[i].help);
	fputc('\n', fp);
	usage_processors(fp, dflt.processor);
	fputs(usage_exit, fp);
}

/* Index of name in c->names, or c->nnames; aborts on a core name. */
static size_t
cmdline_name(const struct cmdline *c, const char *name)
{
	size_t k;

	/* getopt would take the first: every test would show this abort. */
	for (k = 0; k < NCORE; k++)
		if (strcmp(core_options[k].name, name) == 0)
			abort();
	for (k = 0; k < c->nnames; k++)
		if (strcmp(c->names[k], name) == 0)
			break;
	return k;
}

/* Adds every processor's option names to getopt's table, each once. */
static void
cmdline_add_processors(struct cmdline *c, size_t n)
{
	const struct proc_option *opt;
	const struct processor *p;
	size_t i, j, k;

	for (i = 0; (p = processor_at(i)) != NULL; i++)
		for (j = 0; (opt = processor_option(p, j)) != NULL; j++) {
			if (opt->name == NULL ||
			    (k = cmdline_name(c, opt->name)) < c->nnames)
				continue;
			if (k == PROC_NAMES_MAX)
				abort();	/* a unit test prevents it */
			c->names[c->nnames++] = opt->name;
			c->longopts[n++] = (struct option){ opt->name,
			    opt->type == PROC_OPT_FLAG ? no_argument :
			    required_argument, NULL, OPT_PROC + (int)k };
		}
	c->longopts[n] = (struct option){ NULL, 0, NULL, 0 };
}

static void
cmdline_init(struct cmdline *c)
{
	const struct core_option *co;
	char *s = c->shortopts;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NCORE; i++) {
		co = &core_options[i];
		c->longopts[i] = (struct option){ co->name, co->arg == NULL ?
		    no_argument : co->arg[0] == '[' ? optional_argument :
		    required_argument, NULL, co->val };
		if (co->val < 256) {
			*s++ = (char)co->val;
			if (co->arg != NULL)
				*s++ = ':';
		}
	}
	*s = '\0';
	cmdline_add_processors(c, NCORE);
}

static unsigned long
parse_count(const char *opt, const char *s, unsigned long min,
    unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] == '-' || end == s || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		usage_error("%s: '%s' is not a number from %lu to %lu", opt, s,
		    min, max);
	return v;
}

static int64_t
parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < 0 || v > 1e7)
		usage_error("%s: '%s' is not a number of seconds", opt, s);
	return (int64_t)(v * 1000 + 0.5);
}

static double
parse_usd(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v <= 0)
		usage_error("%s: '%s' is not an amount of US dollars", opt, s);
	return v;
}

/* One of two words: false for the first, true for the second. */
static bool
parse_choice(const char *opt, const char *s, const char *no,
    const char *yes)
{
	if (strcmp(s, no) != 0 && strcmp(s, yes) != 0)
		usage_error("%s: '%s' is not %s or %s", opt, s, no, yes);
	return strcmp(s, yes) == 0;
}

static enum input_format
parse_format(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return INPUT_CSV;
	if (strcmp(s, "jsonl") == 0)
		return INPUT_JSONL;
	usage_error("--format: '%s' is not csv or jsonl", s);
}

/* The core options that take a number; false when c is not one. */
static bool
parse_number_opt(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'j':
		o->workers = (unsigned)parse_count("--workers", arg, 1, 1024);
		break;
	case OPT_BATCH:
		o->batch = (unsigned)parse_count("--batch-size", arg, 1,
		    10000000);
		break;
	case OPT_TIMEOUT: o->timeout_ms = parse_seconds("--timeout", arg);
		break;
	case OPT_RETRIES:
		o->retries = (unsigned)parse_count("--retries", arg, 0, 100);
		break;
	case OPT_MAXROWS:
		o->worker_max_rows = (unsigned)parse_count("--worker-max-rows",
		    arg, 0, UINT_MAX);
		break;
	case OPT_GRACE: o->grace_ms = parse_seconds("--grace", arg); break;
	case OPT_MAXBYTES:
		o->max_row_bytes = parse_count("--max-row-bytes", arg, 64,
		    256ul << 20);
		break;
	case OPT_RPM:
		o->rpm = (double)parse_count("--rpm", arg, 1, 100000000);
		break;
	case OPT_TPM:
		o->tpm = (double)parse_count("--tpm", arg, 1, 4000000000ul);
		break;
	case OPT_MAXCOST:
		o->max_cost = parse_usd("--max-cost", arg);
		break;
	case OPT_MAXTOKENS:
		o->max_tokens = (double)parse_count("--max-tokens", arg, 1,
		    ULONG_MAX);
		break;
	case OPT_PROGRESS:
		o->progress_ms = parse_seconds("--progress-interval", arg);
		break;
	case OPT_OUTAGE:
		o->max_outage_ms = parse_seconds("--max-outage", arg);
		break;
	case OPT_BATCHROWS:
		o->batch_rows = (unsigned)parse_count("--batch-rows", arg, 1,
		    10000000);
		break;
	case OPT_BATCHPOLL:
		o->batch_poll_ms = parse_seconds("--batch-poll", arg);
		break;
	default:
		return false;
	}
	return true;
}


/* --cache-max-bytes: N, NK, NM, NG or NT (powers of 1024). */
static uint64_t
parse_bytes(const char *opt, const char *s)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' && end[1] == '\0' && (u = strchr(units,
	    *end)) != NULL) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (s[0] == '-' || end == s || *end != '\0' || errno != 0 ||
	    v > (UINT64_MAX >> shift))
		usage_error("%s: '%s' is not a number of bytes (N, or N with "
		    "K, M, G or T)", opt, s);
	return (uint64_t)v << shift;
}

/* --price-file: over the built-in prices; a bad file is exit 78. */
static const struct price_table *
load_prices(const char *path)
{
	static struct price_table t;
	char err[PATH_MAX + 256];

	price_table_init(&t);
	if (price_load_file(path, &t, err, sizeof(err)) == -1)
		config_error("--price-file %s", err);
	return &t;
}

/* An environment variable holding a number; usage error otherwise. */
static unsigned long
env_count(const char *var)
{
	const char *v = getenv(var);

	if (v == NULL)
		usage_error("--shard: %s is not set (not in a job array?)", var);
	return parse_count(var, v, 0, 1000000);
}

/* --shard K/N, slurm, k8s/N */
static void
parse_shard(struct run_opts *o, const char *arg)
{
	unsigned long k, n;
	char extra;

	if (strcmp(arg, "slurm") == 0) {
		k = env_count("SLURM_ARRAY_TASK_ID") -
		    env_count("SLURM_ARRAY_TASK_MIN");
		n = env_count("SLURM_ARRAY_TASK_COUNT");
	} else if (sscanf(arg, "k8s/%lu%c", &n, &extra) == 1)
		k = env_count("JOB_COMPLETION_INDEX");
	else if (sscanf(arg, "%lu/%lu%c", &k, &n, &extra) != 2 ||
	    arg[0] == '-')
		usage_error("--shard: '%s' is not K/N, slurm or k8s/N", arg);
	if (n == 0 || n > 100000 || k >= n)
		usage_error("--shard: shard %lu of %lu does not exist (K is "
		    "0 to N-1)", k, n);
	o->shard_k = (unsigned)k;
	o->shard_n = (unsigned)n;
}

/* --retry-failed[=KIND,...]: bits 1 << kind; every kind without one. */
static unsigned
parse_kinds(const char *arg)
{
	char buf[256], *p, *name;
	unsigned bits = 0;
	int k;

	if (arg == NULL)
		return (1u << KIND_COUNT) - 1;
	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		usage_error("--retry-failed: '%s' is too long", arg);
	for (p = buf; (name = strsep(&p, ",")) != NULL; ) {
		if ((k = kind_parse(name)) == -1)
			usage_error("--retry-failed: '%s' is not an error kind "
			    "(see README, Error kinds)", name);
		bits |= 1u << k;
	}
	return bits;
}

static void
parse_opt(struct run_opts *o, int c, const char *arg)
{
	if (parse_number_opt(o, c, arg))
		return;
	switch (c) {
	case 'o': o->output = arg; break;
	case OPT_STATE: o->state = arg; break;
	case OPT_FORMAT: o->format = parse_format(arg); break;
	case OPT_PROCESSOR: o->processor = arg; break;
	case OPT_STRICT: o->strict = true; break;
	case OPT_RESTART: o->restart = true; break;
	case OPT_LOG: o->log_path = arg; break;
	case OPT_RETRYFAILED: o->retry_kinds = parse_kinds(arg); break;
	case OPT_DRYRUN: o->dry_run = true; break;
	case OPT_PRICEFILE: o->prices = load_prices(arg); break;
	case OPT_SYSLOG: o->syslog = true; break;
	case OPT_SHARD: parse_shard(o, arg); break;
	case OPT_MODE: o->batch_mode = parse_choice("--mode", arg, "online",
	    "batch"); break;
	case OPT_BATCHRETRY: o->batch_retry_online = parse_choice(
	    "--batch-retry", arg, "batch", "online"); break;
	case OPT_WAIT: o->wait = true; break;
	case OPT_CACHE: o->cache_dir = arg; break;
	case OPT_CACHEMAX:
		o->cache_max_bytes = parse_bytes("--cache-max-bytes", arg);
		break;
	case 'v': o->verbose++; break;
	case 'q': o->quiet = true; break;
	default:
		fputs("Try 'rowpool --help'.\n", stderr);
		exit(EX_USAGE);
	}
}

static const char *
format_name(enum input_format f)
{
	return f == INPUT_CSV ? "csv" : "jsonl";
}

static void
check_opts(struct run_opts *o, const char *input)
{
	o->input = input;
	if (o->output == NULL)
		usage_error("%s", "--output FILE is required");
	if (o->output[0] == '\0')
		usage_error("%s", "--output: the file name is empty");
	if (input[0] == '\0')
		usage_error("%s", "the INPUT file name is empty");
	if (o->format == 0)
		o->format = input_format_from_path(input);
	if (o->format == 0)
		usage_error("cannot tell the format of '%s' from its name; "
		    "use --format csv or --format jsonl", input);
	if (o->timeout_ms < 1)
		usage_error("%s", "--timeout must be above 0");
	if (o->cache_dir == NULL && getenv("ROWPOOL_CACHE") != NULL &&
	    getenv("ROWPOOL_CACHE")[0] != '\0')
		o->cache_dir = getenv("ROWPOOL_CACHE");
	if (o->cache_dir != NULL && strcmp(o->cache_dir, "none") == 0)
		o->cache_dir = NULL;	/* a directory named none: ./none */
	else if (o->cache_dir != NULL && o->cache_dir[0] == '\0')
		usage_error("%s", "--cache: the directory name is empty");
	if (processor_find(o->processor) == NULL)
		config_error("unknown processor '%s' (have: %s)", o->processor,
		    processor_names());
	if (o->batch_mode && strcmp(o->processor, "gemini") != 0)
		config_error("--mode batch: the %s processor has no batch mode "
		    "(only gemini; see README, Batch mode)", o->processor);
	if (o->batch_poll_ms < 1000)
		usage_error("%s", "--batch-poll must be at least 1 second");
	/* The settings whose change would change results. */
	o->settings = json_pack("{s:s, s:s, s:I}", "processor", o->processor,
	    "format", format_name(o->format), "max_row_bytes",
	    (json_int_t)o->max_row_bytes);
	if (o->shard_n > 0)	/* which rows: a setting that changes results */
		json_object_set_new(o->settings, "shard", json_sprintf("%u/%u",
		    o->shard_k, o->shard_n));
}

/* "the gemini and openai processors": those that have option name. */
static void
owners(const char *name, char *buf, size_t len)
{
	const char *who[16];
	const struct processor *p;
	size_t i, n = 0;

	for (i = 0; (p = processor_at(i)) != NULL && n < 16; i++)
		if (processor_option_find(p, name) != NULL)
			who[n++] = p->name;
	strlcpy(buf, "the", len);
	for (i = 0; i < n; i++) {
		strlcat(buf, i == 0 ? " " : i + 1 == n ? " and " : ", ", len);
		strlcat(buf, who[i], len);
	}
	strlcat(buf, n == 1 ? " processor" : " processors", len);
}

/* The last argument given for the processor option called name. */
static const char *
given(const struct cmdline *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], name) == 0)
			return c->args[i];
	return NULL;
}

/*
 * Fills args, one per option of p in processor_option() order; an option
 * of another processor given is a usage error.
 */
static void
proc_args(const struct cmdline *c, const struct processor *p,
    const char **args)
{
	const struct proc_option *opt;
	char who[256];
	size_t i;

	for (i = 0; i < c->nnames; i++)
		if (c->args[i] != NULL &&
		    processor_option_find(p, c->names[i]) == NULL) {
			owners(c->names[i], who, sizeof(who));
			usage_error("--%s is an option of %s, not %s",
			    c->names[i], who, p->name);
		}
	for (i = 0; (opt = processor_option(p, i)) != NULL; i++) {
		if (i == PROC_OPTIONS_MAX)
			abort();	/* a unit test prevents it */
		args[i] = opt->name != NULL ? given(c, opt->name) : NULL;
	}
}

/* The processor's key, held by the supervisor for the workers it forks. */
static void
load_key(struct run_opts *o, const struct processor *p, const char *file)
{
	char err[PATH_MAX + 512], *key;

	if (apikey_load(p, file, &key, err, sizeof(err)) == -1)
		config_error("%s", err);
	o->api_key = key;
	log_hide(key);
	if (key != NULL && key[0] != '\0' && secret_nodump() == -1) {
		fprintf(stderr, "rowpool: cannot turn core dumps off: %s\n",
		    strerror(errno));
		exit(EX_OSERR);
	}
}

/*
 * The processor's settings (added to o->settings), its configuration
 * (the settings, its other options and the timeout) and its key.
 */
static void
check_processor(struct run_opts *o, const struct cmdline *c)
{
	const struct processor *p = processor_find(o->processor);
	const char *args[PROC_OPTIONS_MAX] = { NULL };
	char err[PATH_MAX + 1024];
	enum procopt_status st;

	proc_args(c, p, args);
	st = procopt_command(p, c->cmd, c->ncmd, o->settings, err,
	    sizeof(err));
	if (st == PROCOPT_OK)
		st = procopt_config(p, args, o->settings, o->timeout_ms,
		    &o->pconf, err, sizeof(err));
	if (st == PROCOPT_USAGE)
		usage_error("%s", err);
	if (st != PROCOPT_OK)
		config_error("%s", err);
	if (!o->dry_run)	/* a dry run sends nothing: no key needed */
		load_key(o, p, apikey_file(p, args));
}

/* rowpool check: what a run with these options would do, tried (check.h). */
static int
check_command(const struct run_opts *o, const struct cmdline *c)
{
	const struct processor *p = processor_find(o->processor);
	const char *args[PROC_OPTIONS_MAX] = { NULL };
	char err[256];
	enum procopt_status st;

	proc_args(c, p, args);
	st = procopt_command(p, c->cmd, c->ncmd, o->settings, err,
	    sizeof(err));
	if (st == PROCOPT_USAGE)
		usage_error("%s", err);
	if (st != PROCOPT_OK)
		config_error("%s", err);
	return check_main(o, p, args);
}

/*
 * After getopt: INPUT, and the command after "--" when "--" ended the
 * options (getopt moved INPUT just after it).  "--" as an option's
 * argument (-o --) ends nothing: last is the last argument taken.
 */
static void
operands(int argc, char *argv[], const char *last, struct cmdline *c)
{
	bool dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0 &&
	    argv[optind - 1] != last;

	if (dashdash && optind < argc) {
		c->cmd = argv + optind + 1;
		c->ncmd = (size_t)(argc - optind - 1);
		return;
	}
	if (optind != argc - 1)
		usage_error("%s", optind < argc ? "one INPUT file, please" :
		    "no INPUT file given");
}

/* Parses argv into o and c; returns only when a run is to be made. */
static void
parse_args(int argc, char *argv[], struct run_opts *o, struct cmdline *c)
{
	const char *last = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, c->shortopts, c->longopts,
	    NULL)) != -1) {
		last = optarg;
		if (ch == 'h') {
			usage(stdout);
			exit(0);
		}
		if (ch == 'V') {
			puts("rowpool " ROWPOOL_VERSION);
			exit(0);
		}
		if (ch >= OPT_PROC && (size_t)(ch - OPT_PROC) < c->nnames)
			c->args[ch - OPT_PROC] = optarg != NULL ? optarg : "";
		else
			parse_opt(o, ch, optarg);
	}
	operands(argc, argv, last, c);
}

int
main(int argc, char *argv[], char *envp[])
{
	struct run_opts o;
	struct cmdline c;
	bool check = false;
	int rc;

	setproctitle_init(argc, argv, envp);
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "merge") == 0)
		return cmd_merge(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "cancel") == 0)
		return cmd_cancel(argc - 1, argv + 1);
	run_opts_init(&o);
	cmdline_init(&c);
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0 ||
	    (check = strcmp(argv[1], "check") == 0)) {
		argv++;
		argc--;
	} else if (argv[1][0] != '-') {
		usage_error("unknown command '%s'", argv[1]);
	}
	parse_args(argc, argv, &o, &c);
	check_opts(&o, argv[optind]);
	if (check)
		rc = check_command(&o, &c);
	else {
		check_processor(&o, &c);
		log_set_verbose(o.verbose);
		rc = run_main(&o);
	}
	if (o.api_key != NULL)
		explicit_bzero((char *)(uintptr_t)o.api_key, strlen(o.api_key));
	free((char *)(uintptr_t)o.api_key);
	json_decref(o.settings);
	json_decref(o.pconf);
	return rc;
}
