/*
 * main: the command line.  It parses options into a struct run_opts,
 * validates them (exit 64 on a usage error), and maps nothing else: the
 * exit status comes from run_main.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "rowpool/input.h"
#include "rowpool/log.h"
#include "rowpool/processor.h"
#include "rowpool/run.h"

static const char usage_text[] =
"usage: rowpool run [OPTIONS] --output FILE INPUT\n"
"       rowpool --help | --version\n"
"\n"
"Runs a processor over every row of INPUT (CSV with a header row, or JSONL)\n"
"in parallel worker processes, with a crash-safe checkpoint after every\n"
"batch.  The same command run again resumes where the last one stopped.\n"
"\n"
"Options:\n"
"  -o, --output FILE       results, one JSON line per input row (required)\n"
"      --state DIR         run state (journal, manifest, lock, log);\n"
"                          default FILE.state\n"
"      --format csv|jsonl  input format (default: from INPUT's extension)\n"
"      --processor NAME    echo (default: echo)\n"
"  -j, --workers N         worker processes (default 10)\n"
"      --batch-size N      rows per checkpoint (default 10)\n"
"      --timeout SECONDS   per attempt (default 120)\n"
"      --retries N         extra attempts after the first (default 3)\n"
"      --worker-max-rows N recycle a worker after N rows (default 1000;\n"
"                          0 never)\n"
"      --grace SECONDS     on SIGINT/SIGTERM, time for rows in flight\n"
"                          (default 10)\n"
"      --max-row-bytes N   larger rows are input errors (default 1048576)\n"
"      --strict            stop at the first bad input row (exit 65)\n"
"      --restart           discard the state and start over\n"
"      --log FILE          log file (default STATE/log)\n"
"  -v, --verbose           also print the log to stderr (twice: debug)\n"
"  -q, --quiet             no failure summary on stderr\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"\n"
"Exit status:\n"
"   0  every row ok              1  complete, some rows failed\n"
"  64  usage error              65  bad input, or state from another\n"
"  66  input missing                input/settings (see --restart)\n"
"  71  workers cannot start     73  cannot create output or state\n"
"  74  I/O error                75  interrupted or locked: rerun the\n"
"  78  configuration error          same command to resume\n";

enum {
	OPT_STATE = 256, OPT_FORMAT, OPT_PROCESSOR, OPT_BATCH, OPT_TIMEOUT,
	OPT_RETRIES, OPT_MAXROWS, OPT_GRACE, OPT_MAXBYTES, OPT_STRICT,
	OPT_RESTART, OPT_LOG
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "processor", required_argument, NULL, OPT_PROCESSOR },
	{ "workers", required_argument, NULL, 'j' },
	{ "batch-size", required_argument, NULL, OPT_BATCH },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "worker-max-rows", required_argument, NULL, OPT_MAXROWS },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "max-row-bytes", required_argument, NULL, OPT_MAXBYTES },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "restart", no_argument, NULL, OPT_RESTART },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static _Noreturn void __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rowpool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'rowpool --help'.\n", stderr);
	exit(EX_USAGE);
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
	    v < min || v > max) {
		fprintf(stderr, "rowpool: %s: '%s' is not a number from %lu "
		    "to %lu\n", opt, s, min, max);
		exit(EX_USAGE);
	}
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
	    v < 0 || v > 1e7) {
		fprintf(stderr, "rowpool: %s: '%s' is not a number of "
		    "seconds\n", opt, s);
		exit(EX_USAGE);
	}
	return (int64_t)(v * 1000 + 0.5);
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

static void
parse_opt(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'o': o->output = arg; break;
	case OPT_STATE: o->state = arg; break;
	case OPT_FORMAT: o->format = parse_format(arg); break;
	case OPT_PROCESSOR: o->processor = arg; break;
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
	case OPT_STRICT: o->strict = true; break;
	case OPT_RESTART: o->restart = true; break;
	case OPT_LOG: o->log_path = arg; break;
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
	if (o->format == 0)
		o->format = input_format_from_path(input);
	if (o->format == 0)
		usage_error("cannot tell the format of '%s' from its name; "
		    "use --format csv or --format jsonl", input);
	if (o->timeout_ms < 1)
		usage_error("%s", "--timeout must be above 0");
	if (processor_find(o->processor) == NULL) {
		fprintf(stderr, "rowpool: unknown processor '%s' (have: %s)\n",
		    o->processor, processor_names());
		exit(EX_CONFIG);
	}
	/* The settings whose change would change results. */
	o->settings = json_pack("{s:s, s:s, s:I}", "processor", o->processor,
	    "format", format_name(o->format), "max_row_bytes",
	    (json_int_t)o->max_row_bytes);
}

int
main(int argc, char *argv[], char *envp[])
{
	struct run_opts o;
	int c, rc;

	setproctitle_init(argc, argv, envp);
	run_opts_init(&o);
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		argv++;
		argc--;
	} else if (argc > 1 && argv[1][0] != '-') {
		usage_error("unknown command '%s'", argv[1]);
	}
	while ((c = getopt_long(argc, argv, "o:j:vqhV", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (c == 'V') {
			puts("rowpool " ROWPOOL_VERSION);
			return 0;
		}
		parse_opt(&o, c, optarg);
	}
	if (optind != argc - 1)
		usage_error("%s", optind < argc ? "one INPUT file, please" :
		    "no INPUT file given");
	check_opts(&o, argv[optind]);
	log_set_verbose(o.verbose);
	rc = run_main(&o);
	json_decref(o.settings);
	return rc;
}
