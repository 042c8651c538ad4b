/*
 * cmd_status: `rowpool status [--json] STATE_DIR|OUTPUT`, the policy
 * around status.h: the options, what is printed where, and the exit
 * status.  It only reads the state directory: it may run from any shell,
 * any number of times, while the run goes on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "rowpool/cmd.h"
#include "rowpool/status.h"

static const char status_usage[] =
"usage: rowpool status [--json] STATE_DIR|OUTPUT\n"
"\n"
"Says how a run is going, or how it ended, from its state directory\n"
"(OUTPUT.state for an OUTPUT): running (its pid), stopped or finished;\n"
"rows done, ok, and failed by error kind; the retry queue; rows/s and\n"
"ETA; tokens and the estimated cost; when the last checkpoint was.  It\n"
"only reads: run it from any shell, while the run goes on or after.\n"
"\n"
"Options:\n"
"      --json   one JSON object, for scripts and monitoring (its keys:\n"
"               README, \"Watching a run: rowpool status\")\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 ok; 64 usage error; 65 a manifest that is not valid\n"
"JSON; 66 no such state directory, or no run has committed there yet;\n"
"71 out of memory; 74 a read or write failed; 77 permission denied.\n";

enum { OPT_JSON = 256 };

static const struct option status_longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int __attribute__((format(printf, 2, 3)))
complain(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("rowpool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int
usage_error(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "rowpool: %s\n", msg);
	fputs("Try 'rowpool status --help'.\n", stderr);
	return EX_USAGE;
}

static int
read_failed(const struct status *st, enum status_code rc)
{
	switch (rc) {
	case STATUS_NOMANIFEST:
		return complain(EX_NOINPUT, "%s", st->why);
	case STATUS_BADMANIFEST:
		return complain(EX_DATAERR, "%s", st->why);
	default:
		return complain(st->err == EACCES || st->err == EPERM ?
		    EX_NOPERM : st->err == ENOMEM ? EX_OSERR : EX_IOERR,
		    "%s", st->why);
	}
}

static int
show(const char *dir, bool json)
{
	struct status st;
	struct timespec ts;
	enum status_code rc;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	rc = status_read(&st, dir, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	if (rc != STATUS_OK)
		ret = read_failed(&st, rc);
	else if ((json ? status_print_json(stdout, st.obj) :
	    status_print_text(stdout, st.obj)) == -1)
		ret = complain(EX_IOERR, "standard output: %s",
		    strerror(errno));
	status_release(&st);
	return ret;
}

int
cmd_status(int argc, char *argv[])
{
	char dir[PATH_MAX];
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", status_longopts, NULL)) !=
	    -1) {
		if (c == 'h') {
			fputs(status_usage, stdout);
			return 0;
		}
		if (c != OPT_JSON)
			return usage_error(NULL);
		json = true;
	}
	if (optind != argc - 1)
		return usage_error(optind < argc ? "status: one STATE_DIR or "
		    "OUTPUT, please" : "status: no STATE_DIR or OUTPUT given");
	if (argv[optind][0] == '\0')
		return usage_error("status: the STATE_DIR or OUTPUT name is "
		    "empty");
	if (status_find_dir(argv[optind], dir, sizeof(dir)) == -1)
		return complain(EX_NOINPUT, errno == ENOENT ? "'%s' is not a "
		    "state directory, and there is no '%s.state'" :
		    "'%s': %s", argv[optind], errno == ENOENT ? argv[optind] :
		    strerror(errno));
	return show(dir, json);
}
