/*
 * cmd_export: the command line of rowpool export.  It parses the options,
 * ignores SIGPIPE and notes SIGHUP, SIGINT and SIGTERM (so that an
 * interrupted export removes its temp file), runs export_run() and turns
 * its outcome into a message and the exit status.  A reader of standard
 * output that goes away (`| head`) ends the export quietly with 0, as
 * the reader had all it wanted.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "rowpool/cmd.h"
#include "rowpool/export.h"
#include "rowpool/shards.h"
#include "rowpool/sigcatch.h"
#include "rowpool/usage.h"

static const char export_head[] =
"usage: rowpool export [OPTIONS] STATE_DIR|OUTPUT...\n"
"\n"
"Writes the results a run has committed so far, one per input row, in\n"
"input order: of a finished run, a stopped one, or one still going (rows\n"
"not done yet are pending).  STATE_DIR is a run's state directory; given\n"
"the run's OUTPUT instead, its state is OUTPUT.state.  Given the shards\n"
"of one run (--shard K/N), it exports them as that run; it refuses, as\n"
"merge does, a shard missing, from another input or with other\n"
"settings, and two shards that claim the same rows.\n"
"\n"
"Options:\n";

static const char export_tail[] =
"\n"
"Exit status: 0 done (also when the reader of standard output went away),\n"
"64 usage error, 65 a damaged state, the input changed since the run or\n"
"shards that do not make one run, 66 no state (or no input for\n"
"--with-input), 71 out of memory, 73 cannot create the output, 74 I/O\n"
"error, 75 interrupted.\n";

enum { OPT_FORMAT = 256, OPT_WITH_INPUT, OPT_FAILED_ONLY,
    OPT_ALLOW_PARTIAL };

static const struct {
	struct option	 opt;
	const char	*arg;
	const char	*help;
} export_options[] = {
	{ { "format", required_argument, NULL, OPT_FORMAT }, "jsonl|csv",
	  "JSON lines (the default, or csv when FILE ends in .csv): the "
	  "results as they are; or CSV for a spreadsheet" },
	{ { "with-input", no_argument, NULL, OPT_WITH_INPUT }, NULL,
	  "each row's input beside its result (the input must be the run's "
	  "or have only grown)" },
	{ { "failed-only", no_argument, NULL, OPT_FAILED_ONLY }, NULL,
	  "only the rows that failed" },
	{ { "allow-partial", no_argument, NULL, OPT_ALLOW_PARTIAL }, NULL,
	  "shards: a missing shard's rows are pending, not refused" },
	{ { "output", required_argument, NULL, 'o' }, "FILE",
	  "write FILE, atomically, instead of standard output" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};

#define NOPTS	(sizeof(export_options) / sizeof(export_options[0]))

static void
export_usage(FILE *fp)
{
	size_t i;

	fputs(export_head, fp);
	for (i = 0; i < NOPTS; i++)
		usage_option(fp, export_options[i].opt.val < 256 ?
		    export_options[i].opt.val : 0, export_options[i].opt.name,
		    export_options[i].arg, export_options[i].help);
	fputs(export_tail, fp);
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rowpool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'rowpool export --help'.\n", stderr);
	return EX_USAGE;
}

static bool
ends_in_csv(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcasecmp(path + n - 4, ".csv") == 0;
}

static int
parse_opt(struct export_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_FORMAT:
		if (strcmp(arg, "jsonl") == 0)
			o->format = EXPORT_JSONL;
		else if (strcmp(arg, "csv") == 0)
			o->format = EXPORT_CSV;
		else
			return usage_error("--format: '%s' is not jsonl or csv",
			    arg);
		return 0;
	case OPT_WITH_INPUT: o->with_input = true; return 0;
	case OPT_FAILED_ONLY: o->failed_only = true; return 0;
	case OPT_ALLOW_PARTIAL: o->allow_partial = true; return 0;
	case 'o': o->output = arg; return 0;
	case 'h': export_usage(stdout); return -1;
	default:
		fputs("Try 'rowpool export --help'.\n", stderr);
		return EX_USAGE;
	}
}

/* Fills o from argv: 0, -1 when done (--help), or EX_USAGE. */
static int
parse_args(int argc, char *argv[], struct export_opts *o)
{
	struct option longopts[NOPTS + 1];
	size_t i;
	int ch, rc;

	for (i = 0; i < NOPTS; i++)
		longopts[i] = export_options[i].opt;
	longopts[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;	/* GNU: start afresh, whoever called getopt before */
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1)
		if ((rc = parse_opt(o, ch, optarg)) != 0)
			return rc;
	if (optind >= argc || argc - optind > SHARDS_MAX)
		return usage_error("%s", optind >= argc ? "no STATE_DIR or "
		    "OUTPUT given" : "more than " SHARDS_MAX_TEXT " shards");
	o->target = argv[optind];
	if (argc - optind > 1) {
		o->targets = (const char *const *)(argv + optind);
		o->ntargets = (size_t)(argc - optind);
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (argv[i][0] == '\0')
			return usage_error("%s", "a STATE_DIR or OUTPUT name "
			    "is empty");
	if (o->output != NULL && o->output[0] == '\0')
		return usage_error("%s", "--output: the file name is empty");
	if (o->format == 0)
		o->format = o->output != NULL && ends_in_csv(o->output) ?
		    EXPORT_CSV : EXPORT_JSONL;
	return 0;
}

static bool
interrupted(void)
{
	return sigcatch_take() != 0;
}

int
cmd_export(int argc, char *argv[])
{
	struct export_opts o = { .interrupted = interrupted };
	struct sigaction ign, oldpipe;
	struct export_result r;
	struct sigcatch_old old;
	int rc;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc == -1 ? 0 : rc;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &oldpipe);
	sigcatch_install(&old);
	rc = export_run(&o, &r);
	sigcatch_restore(&old);
	sigaction(SIGPIPE, &oldpipe, NULL);
	if (rc != 0 && r.broken_pipe)
		return 0;	/* the reader had all it wanted */
	if (rc != 0)
		fprintf(stderr, "rowpool: %s\n", r.why);
	return rc;
}
