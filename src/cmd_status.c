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
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "rowpool/cmd.h"
#include "rowpool/status.h"

static const char status_usage[] =
"usage: rowpool status [--json] STATE_DIR|OUTPUT...\n"
"\n"
"Says how a run is going, or how it ended, from its state directory\n"
"(OUTPUT.state for an OUTPUT): running (its pid), stopped or finished;\n"
"rows done, ok, and failed by error kind; the retry queue; rows/s and\n"
"ETA; tokens and the estimated cost; when the last checkpoint was.  It\n"
"only reads: run it from any shell, while the run goes on or after.\n"
"Given the shards of one run (--shard K/N), it says the same of them as\n"
"one run, with a line per shard.\n"
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

/* ---- several shards, as one run ---- */

static const char *const sums[] = { "rows_total", "rows_done", "ok",
    "failed", "cached", "retry_queue", "in_flight", NULL };

static void
add_number(json_t *into, const char *k, const json_t *v)
{
	json_t *was = json_object_get(into, k);

	if (json_is_integer(v) && (was == NULL || json_is_integer(was)))
		json_object_set_new(into, k, json_integer(
		    json_integer_value(was) + json_integer_value(v)));
	else if (json_is_number(v))
		json_object_set_new(into, k, json_real(json_number_value(was) +
		    json_number_value(v)));
}

static void
add_object(json_t *into, const char *k, const json_t *obj)
{
	json_t *sum = json_object_get(into, k), *v;
	const char *key;

	if (!json_is_object(obj))
		return;
	if (sum == NULL)
		json_object_set_new(into, k, sum = json_object());
	json_object_foreach((json_t *)(uintptr_t)obj, key, v)
		add_number(sum, key, v);
}

/* The run's state: running if a shard runs, finished if all are. */
static const char *
total_state(const char *was, const char *shard)
{
	if (was == NULL || strcmp(shard, "running") == 0)
		return shard;
	if (strcmp(was, "running") == 0 || strcmp(shard, "finished") == 0)
		return was;
	return "stopped";
}

static void
add_shard(json_t *total, const json_t *obj)
{
	const char *st = json_string_value(json_object_get(obj, "state"));
	size_t i;

	for (i = 0; sums[i] != NULL; i++)
		add_number(total, sums[i], json_object_get(obj, sums[i]));
	add_number(total, "rows_per_s", json_object_get(obj, "rows_per_s"));
	add_number(total, "cost_usd", json_object_get(obj, "cost_usd"));
	add_object(total, "failed_by_kind", json_object_get(obj,
	    "failed_by_kind"));
	add_object(total, "tokens", json_object_get(obj, "tokens"));
	json_object_set_new(total, "state", json_string(total_state(
	    json_string_value(json_object_get(total, "state")),
	    st != NULL ? st : "stopped")));
}

static void
print_shard_line(const char *arg, const json_t *obj)
{
	printf("shard '%s': %s, %lld of %lld rows done, %lld ok, %lld "
	    "failed\n", arg, json_string_value(json_object_get(obj, "state")),
	    json_integer_value(json_object_get(obj, "rows_done")),
	    json_integer_value(json_object_get(obj, "rows_total")),
	    json_integer_value(json_object_get(obj, "ok")),
	    json_integer_value(json_object_get(obj, "failed")));
}

static int
read_shard(const char *arg, struct status *st)
{
	struct timespec ts;
	char dir[PATH_MAX];
	enum status_code rc;

	if (status_find_dir(arg, dir, sizeof(dir)) == -1)
		return complain(EX_NOINPUT, "'%s' is not a state directory, "
		    "and there is no '%s.state'", arg, arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	rc = status_read(st, dir, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	return rc == STATUS_OK ? 0 : read_failed(st, rc);
}

/* {"version":1,"shards":[...],"total":{...}}, or the total as text. */
static int
print_total(json_t *shards, json_t *total, bool json)
{
	json_t *obj;
	int rc;

	if (!json)
		return status_print_text(stdout, total) == -1 ? EX_IOERR : 0;
	obj = json_pack("{s:i, s:O, s:O}", "version", 1, "shards", shards,
	    "total", total);
	rc = obj != NULL && status_print_json(stdout, obj) == 0 ? 0 :
	    EX_IOERR;
	json_decref(obj);
	return rc;
}

/* The state directory arg names, by device and inode (0 when none). */
static int
dir_id(const char *arg, struct stat *sb)
{
	char dir[PATH_MAX];

	if (status_find_dir(arg, dir, sizeof(dir)) == -1 ||
	    stat(dir, sb) == -1)
		return -1;	/* read_shard() says why */
	return 0;
}

/* Is one of the n shards named twice (the same directory, by inode)? */
static int
named_twice(int n, char *args[])
{
	struct stat a, b;
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i && dir_id(args[i], &a) == 0; j++)
			if (dir_id(args[j], &b) == 0 && a.st_ino == b.st_ino &&
			    a.st_dev == b.st_dev)
				return usage_error("status: the same state "
				    "directory is named twice");
	return 0;
}

static unsigned
shard_n(const json_t *obj)
{
	const char *sh = json_string_value(json_object_get(obj, "shard"));
	unsigned k, n;
	char extra;

	if (sh == NULL || sscanf(sh, "%u/%u%c", &k, &n, &extra) != 2)
		return 0;
	return n;
}

/* Is obj (named arg) a shard of the same run as those read before? */
static int
check_shard(const char *arg, const json_t *obj, const json_t *shards)
{
	const json_t *prev = json_array_get(shards, 0);
	const char *sh = json_string_value(json_object_get(obj, "shard"));
	size_t i;

	if (shard_n(obj) == 0)
		return complain(EX_USAGE, "status: '%s' is not a shard (--shard "
		    "K/N): name several state directories only for the shards "
		    "of one run", arg);
	if (prev == NULL)
		return 0;
	if (!json_equal(json_object_get(obj, "fingerprint"),
	    json_object_get(prev, "fingerprint")))
		return complain(EX_DATAERR, "shard '%s' was made from another "
		    "input than the first one named", arg);
	if (shard_n(obj) != shard_n(prev))
		return complain(EX_DATAERR, "shard '%s' is one of %u, the first "
		    "one named one of %u", arg, shard_n(obj), shard_n(prev));
	for (i = 0; i < json_array_size(shards); i++)
		if (strcmp(sh, json_string_value(json_object_get(
		    json_array_get(shards, i), "shard"))) == 0)
			return complain(EX_DATAERR, "shard '%s' is shard %s "
			    "again: it claims the same rows", arg, sh);
	return 0;
}

static int
show_shards(int n, char *args[], bool json)
{
	json_t *total = json_object(), *shards = json_array();
	struct status st;
	double rate, left;
	int i, ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		if ((ret = read_shard(args[i], &st)) == 0 &&
		    (ret = check_shard(args[i], st.obj, shards)) == 0) {
			add_shard(total, st.obj);
			json_array_append(shards, st.obj);
		}
		status_release(&st);
	}
	for (i = 0; i < n && ret == 0 && !json; i++)
		print_shard_line(args[i], json_array_get(shards, i));
	rate = json_number_value(json_object_get(total, "rows_per_s"));
	left = json_number_value(json_object_get(total, "rows_total")) -
	    json_number_value(json_object_get(total, "rows_done"));
	json_object_set_new(total, "eta_s", rate > 0 ? json_integer(
	    (json_int_t)(left / rate)) : json_null());
	if (ret == 0)
		ret = print_total(shards, total, json);
	json_decref(shards);
	json_decref(total);
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
	if (optind >= argc)
		return usage_error("status: no STATE_DIR or OUTPUT given");
	if (argc - optind > 1)
		return named_twice(argc - optind, argv + optind) != 0 ?
		    EX_USAGE : show_shards(argc - optind, argv + optind, json);
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
