/*
 * check: the checklist of `rowpool check`.  Each check is made by the
 * code a run uses for it (procopt, input, apikey, the processor's check,
 * a worker through trial); this module only orders them, words the lines
 * and picks the exit status, and the state's lock is tested as rowpool
 * status tests it.  Invariant: it only reads (the input, the option
 * files, the key, the state's manifest) and sends one request, from a
 * worker; no line holds the key.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "rowpool/apikey.h"
#include "rowpool/check.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/manifest.h"
#include "rowpool/procopt.h"
#include "rowpool/secret.h"
#include "rowpool/status.h"
#include "rowpool/template.h"
#include "rowpool/trial.h"

#define LIST_MAX	60	/* a list longer than this is cut */

enum mark { MARK_OK, MARK_WARN, MARK_FAIL, MARK_SKIP };

/* A file one of the processor's options names, as read. */
struct file_check {
	const struct proc_option *opt;
	const char		*path;
	json_t			*v;		/* its value; NULL: err */
	char			 err[1024];
};

struct check {
	const struct run_opts	*o;
	const struct processor	*p;
	/* The arguments; a file that cannot be read is left out, so that
	 * the configuration is made of the others. */
	const char		*args[PROC_OPTIONS_MAX];
	struct file_check	 files[PROC_OPTIONS_MAX];
	size_t			 nfiles;
	json_t			*pconf;		/* NULL: the settings failed */
	char			*key;
	struct input		*in;	/* open until the prompt is checked */
	const char		*in_name;
	uint64_t		 rows, bad, first;
	char			 bad_msg[INPUT_ERROR_MAX];
	char			*row;	/* what the request is made of */
	int			 status;
	bool			 failed;	/* a FAIL line: no request */
};

static void __attribute__((format(printf, 3, 4)))
line(struct check *c, enum mark m, const char *fmt, ...)
{
	static const char *const name[] = { "ok", "warn", "FAIL", "skip" };
	va_list ap;

	printf("%-4s ", name[m]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);		/* each line when known: the request waits */
	if (m == MARK_FAIL) {
		c->failed = true;
		if (c->status == 0)
			c->status = EX_CONFIG;
	}
}

/* msg without its "--NAME 'PATH': ", which the line says already. */
static const char *
unprefixed(const char *msg, const char *name, const char *path)
{
	char pre[PATH_MAX + 64];
	size_t n;

	snprintf(pre, sizeof(pre), "--%s '%s': ", name, path);
	n = strlen(pre);
	return strncmp(msg, pre, n) == 0 ? msg + n : msg;
}

/* "{{a}}, {{b}}" into buf: each name between pre and post, cut. */
static void
join(char *buf, size_t len, const char *const *names, size_t n,
    const char *pre, const char *post)
{
	char more[64];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strlen(buf) + strlen(names[i]) > LIST_MAX) {
			snprintf(more, sizeof(more), ", and %zu more", n - i);
			strlcat(buf, more, len);
			return;
		}
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, pre, len);
		strlcat(buf, names[i], len);
		strlcat(buf, post, len);
	}
}

/* ---- settings, and the files they name ---- */

static bool
is_file(const struct proc_option *opt)
{
	return opt->type == PROC_OPT_TEXT_FILE ||
	    opt->type == PROC_OPT_JSON_FILE ||
	    opt->type == PROC_OPT_SCHEMA_FILE;
}

/* Reads each file the options name, on its own, as a run reads it. */
static void
load_files(struct check *c)
{
	const struct proc_option *opt;
	struct file_check *f;
	size_t i;

	for (i = 0; (opt = processor_option(c->p, i)) != NULL; i++) {
		if (c->args[i] == NULL || !is_file(opt))
			continue;
		f = &c->files[c->nfiles++];
		f->opt = opt;
		f->path = c->args[i];
		if (procopt_value(opt, f->path, &f->v, f->err,
		    sizeof(f->err)) != PROCOPT_OK || f->v == NULL)
			c->args[i] = NULL;
	}
}

static bool
files_read(const struct check *c)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		if (c->files[i].v == NULL)
			return false;
	return true;
}

static void
settings_ok(struct check *c)
{
	const char *model = json_string_value(json_object_get(c->pconf,
	    "model"));
	char mod[256] = "";

	if (model != NULL)
		snprintf(mod, sizeof(mod), ", model %s", model);
	line(c, MARK_OK, "settings: processor %s%s, %u worker%s, timeout %g s",
	    c->p->name, mod, c->o->workers, c->o->workers == 1 ? "" : "s",
	    (double)c->o->timeout_ms / 1000);
}

/* The settings line; -1 for a usage error (said on stderr, as run does). */
static int
check_settings(struct check *c)
{
	enum procopt_status st;
	char err[PATH_MAX + 1024];

	st = procopt_check(c->p, c->args, err, sizeof(err));
	if (st == PROCOPT_USAGE) {
		fprintf(stderr, "rowpool: %s\nTry 'rowpool --help'.\n", err);
		return -1;
	}
	load_files(c);
	if (st != PROCOPT_OK) {
		line(c, MARK_FAIL, "settings: %s", err);
		return 0;
	}
	st = procopt_config(c->p, c->args, c->o->settings, c->o->timeout_ms,
	    &c->pconf, err, sizeof(err));
	/* A file that cannot be read has a line of its own (and a required
	 * one left out fails here again). */
	if (st != PROCOPT_OK && files_read(c))
		line(c, MARK_FAIL, "settings: %s", err);
	else
		settings_ok(c);
	return 0;
}

/* ---- the input ---- */

/* Copies what fd holds to its end into a new memfd; -1 with errno. */
static int
spool_fd(int fd)
{
	char buf[65536];
	ssize_t n;
	int mfd, e;

	if ((mfd = memfd_create("rowpool-check-input", MFD_CLOEXEC)) == -1)
		return -1;
	while ((n = read_some(fd, buf, sizeof(buf))) > 0)
		if (write_full(mfd, buf, (size_t)n) == -1)
			break;
	if (n == 0)
		return mfd;
	e = errno;
	close(mfd);
	errno = e;
	return -1;
}

/*
 * A stream (standard input, a pipe, a FIFO) copied into memory: the
 * reader seeks, and a run copies it into its state, which check does
 * not write.  Returns the memfd, or -1 with errno.
 */
static int
spool(const char *path)
{
	int in, mfd, e;

	if (strcmp(path, "-") == 0)
		return spool_fd(STDIN_FILENO);
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	mfd = spool_fd(in);
	e = errno;
	close(in);
	errno = e;
	return mfd;
}

static int
open_input(struct check *c)
{
	enum input_status st = INPUT_IOERR;
	const char *path = c->o->input;
	char err[INPUT_ERROR_MAX + PATH_MAX], fdpath[64];
	struct stat sb;
	int fd = -1;

	c->in_name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	if (strcmp(path, "-") == 0 || (stat(path, &sb) == 0 &&
	    !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))) {
		if ((fd = spool(path)) == -1)
			snprintf(err, sizeof(err), "%s: read: %s", c->in_name,
			    strerror(errno));
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		path = fdpath;
	}
	if (fd != -1 || strcmp(c->o->input, "-") != 0)
		c->in = input_open_as(path, c->in_name, c->o->format,
		    c->o->max_row_bytes, &st, err, sizeof(err));
	if (fd != -1)
		close(fd);
	if (c->in != NULL)
		return 0;
	line(c, MARK_FAIL, "input: %s: %s", err, st == INPUT_IOERR ?
	    "check the INPUT argument" : "fix the input, or --format");
	return -1;
}

/* A row of empty values when the input has no good row to send. */
static char *
empty_row(const struct input *in)
{
	const char *const *cols;
	json_t *row = json_object();
	char *text;
	size_t i, n = 0;

	cols = input_columns(in, &n);
	for (i = 0; row != NULL && i < n; i++)
		json_object_set_new(row, cols[i], json_string(""));
	text = row != NULL ? json_dumps(row, JSON_COMPACT) : NULL;
	json_decref(row);
	return text;
}

/* Counts the rows, keeps the first good one and the first problem. */
static int
scan_input(struct check *c)
{
	struct input_row r;
	enum input_status st;

	while ((st = input_next(c->in, &r, c->row == NULL)) == INPUT_ROW ||
	    st == INPUT_BAD) {
		c->rows++;
		if (st == INPUT_BAD && c->bad++ == 0)
			strlcpy(c->bad_msg, r.error, sizeof(c->bad_msg));
		if (st == INPUT_ROW && c->row == NULL) {
			c->first = r.index;
			if ((c->row = strdup(r.json)) == NULL)
				break;
		}
	}
	if (st == INPUT_EOF && c->row == NULL)
		c->row = empty_row(c->in);
	if (st == INPUT_EOF && c->row != NULL)
		return 0;
	line(c, MARK_FAIL, "input: %s", st == INPUT_EOF || st == INPUT_ROW ?
	    "out of memory" : r.error);
	return -1;
}

static void
input_line(struct check *c)
{
	const char *const *cols;
	char list[256] = "", bad[INPUT_ERROR_MAX + 128] = "";
	size_t n = 0;
	enum mark m = MARK_OK;

	if ((cols = input_columns(c->in, &n)) != NULL)
		join(list, sizeof(list), cols, n, "", "");
	if (c->bad > 0) {
		m = c->o->strict ? MARK_FAIL : MARK_WARN;
		snprintf(bad, sizeof(bad), "; %llu bad (the first: %s): %s",
		    (unsigned long long)c->bad, c->bad_msg, c->o->strict ?
		    "--strict stops the run there: fix the input" :
		    "they will end failed, kind input");
	}
	line(c, m, "input '%s': %s, %llu row%s%s%s%s", c->in_name,
	    c->o->format == INPUT_CSV ? "CSV" : "JSONL",
	    (unsigned long long)c->rows, c->rows == 1 ? "" : "s",
	    cols != NULL ? ", columns: " : "", list, bad);
}

static void
check_input(struct check *c)
{
	if (open_input(c) == 0 && scan_input(c) == 0)
		input_line(c);
}

/* ---- the files, the prompt against the input ---- */

/* The prompt's placeholders, "{{a}}, {{b}}", or "" when it has none. */
static void
placeholders(const char *text, char *buf, size_t len)
{
	const char *const *names;
	struct template *t;
	char err[256];
	size_t n;

	buf[0] = '\0';
	if ((t = template_parse(text, strlen(text), err, sizeof(err))) ==
	    NULL)
		return;
	n = template_names(t, &names);
	join(buf, len, names, n, "{{", "}}");
	template_free(t);
}

/* The processor's own check (the placeholders against the columns). */
static void
check_prompt(struct check *c, const struct file_check *f)
{
	struct proc_config cfg = { .settings = c->pconf };
	const char *const *cols = NULL;
	char err[1024], names[256];
	size_t n = 0;

	placeholders(json_string_value(f->v), names, sizeof(names));
	if (c->in != NULL)
		cols = input_columns(c->in, &n);
	if (c->pconf == NULL || c->in == NULL || c->p->check == NULL)
		line(c, MARK_OK, "prompt '%s': placeholders %s (not checked "
		    "against the input: fix the above first)", f->path,
		    names[0] != '\0' ? names : "none");
	else if (c->p->check(&cfg, cols, n, err, sizeof(err)) == -1)
		line(c, MARK_FAIL, "prompt '%s': %s: fix the prompt or the "
		    "input's header", f->path, unprefixed(err, f->opt->name,
		    f->path));
	else if (names[0] == '\0')
		line(c, MARK_WARN, "prompt '%s': no placeholders: every row "
		    "gets the same prompt", f->path);
	else
		line(c, MARK_OK, "prompt '%s': placeholders %s %s", f->path,
		    names, cols != NULL ? "all in the input" : "(JSONL: a "
		    "key a row lacks is replaced by nothing)");
}

static void
check_files(struct check *c)
{
	const struct file_check *f;
	size_t i;

	for (i = 0; i < c->nfiles; i++) {
		f = &c->files[i];
		if (f->v == NULL)
			line(c, MARK_FAIL, "%s '%s': %s: fix the %s",
			    f->opt->key, f->path, unprefixed(f->err,
			    f->opt->name, f->path), f->opt->key);
		else if (strcmp(f->opt->key, "prompt") == 0)
			check_prompt(c, f);
		else
			line(c, MARK_OK, "%s '%s': %s", f->opt->key, f->path,
			    f->opt->type == PROC_OPT_SCHEMA_FILE ?
			    "a valid JSON Schema" :
			    f->opt->type == PROC_OPT_JSON_FILE ?
			    "valid JSON" : "read");
	}
}

/* The command of a processor that runs one (exec): found, and the
 * processor's check of it against the input's columns. */
static void
check_command(struct check *c)
{
	struct proc_config cfg = { .settings = c->pconf };
	const char *const *cols = NULL;
	const char *name;
	char err[1024];
	size_t n = 0;

	if (c->p->command == NULL || c->pconf == NULL || c->p->check == NULL)
		return;
	if (c->in != NULL)
		cols = input_columns(c->in, &n);
	name = json_string_value(json_array_get(json_object_get(c->pconf,
	    "command"), 0));
	if (c->p->check(&cfg, cols, n, err, sizeof(err)) == -1)
		line(c, MARK_FAIL, "%s", err);
	else
		line(c, MARK_OK, "command '%s': found, run %s", name,
		    json_is_true(json_object_get(c->pconf, "exec_per_row")) ?
		    "once per row" : "once per worker");
}

/* ---- the key ---- */

static void
check_key(struct check *c)
{
	const char *file = apikey_file(c->p, c->args), *env;
	char err[PATH_MAX + 512];

	if (c->p->key_env == NULL) {
		line(c, MARK_OK, "API key: none needed (the %s processor)",
		    c->p->name);
		return;
	}
	if (apikey_load(c->p, file, &c->key, err, sizeof(err)) == -1) {
		line(c, MARK_FAIL, "API key: %s", err);
		return;
	}
	if (secret_nodump() == -1)
		line(c, MARK_FAIL, "API key: cannot turn core dumps off: %s",
		    strerror(errno));
	else if (file != NULL)
		line(c, MARK_OK, "API key: from --api-key-file '%s' (only its "
		    "owner may read it)", file);
	else if ((env = apikey_env(c->p)) != NULL)
		line(c, MARK_OK, "API key: from %s", env);
	else
		line(c, MARK_OK, "API key: none (%s is not set): the endpoint "
		    "must take requests without one", c->p->key_env[0]);
}

/* ---- the state directory and the output ---- */

/* 0 when path is a directory this process may make files in. */
static int
writable_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return access(path, W_OK | X_OK);
}

/* What the manifest m (NULL: none) says a run would start from. */
static void
describe_done(const struct check *c, const json_t *m, char *buf, size_t len)
{
	json_int_t done = json_integer_value(json_object_get(m, "rows_done"));
	const json_t *total = json_object_get(m, "rows_total");

	if (m == NULL)
		snprintf(buf, len, "nothing done yet");
	else if (c->o->restart)
		snprintf(buf, len, "--restart discards the %lld rows done",
		    (long long)done);
	else if (json_is_integer(total) && json_integer_value(total) == done)
		snprintf(buf, len, "finished: all %lld rows done; a run writes "
		    "the output again", (long long)done);
	else if (json_is_integer(total))
		snprintf(buf, len, "resumable: %lld of %lld rows done",
		    (long long)done, (long long)json_integer_value(total));
	else
		snprintf(buf, len, "resumable: %lld rows done",
		    (long long)done);
}

static void
state_contents(struct check *c, const char *dir)
{
	char done[256], run[64] = "", err[512];
	pid_t pid = 0;
	json_t *m;

	/* status's probe: a shared flock for a moment, which a run that
	 * starts meanwhile tries again (never the lock itself). */
	if (status_probe(dir, &pid) == 1)
		snprintf(run, sizeof(run), "; a run in progress: pid %ld",
		    (long)pid);
	m = manifest_load(dir, err, sizeof(err));
	if (m == NULL && errno != ENOENT && !c->o->restart) {
		line(c, MARK_FAIL, "state '%s': manifest: %s: restore it, or "
		    "use --restart to start over", dir, err);
		return;
	}
	describe_done(c, m, done, sizeof(done));
	line(c, MARK_OK, "state '%s': writable (%s%s)", dir, done, run);
	json_decref(m);
}

static void
check_state(struct check *c)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	int n;

	n = c->o->state != NULL ?
	    snprintf(dir, sizeof(dir), "%s", c->o->state) :
	    snprintf(dir, sizeof(dir), "%s.state", c->o->output);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		line(c, MARK_FAIL, "state: %s: use a shorter --state",
		    strerror(ENAMETOOLONG));
		return;
	}
	if (writable_dir(dir) == 0)
		state_contents(c, dir);
	else if (errno != ENOENT)
		line(c, MARK_FAIL, "state '%s': %s: use another --state", dir,
		    strerror(errno));
	else if (path_dirname(parent, sizeof(parent), dir) == -1 ||
	    writable_dir(parent) == -1)
		line(c, MARK_FAIL, "state '%s': cannot be made in '%s': %s: "
		    "use another --state", dir, parent, strerror(errno));
	else
		line(c, MARK_OK, "state '%s': none yet; a run makes it (its "
		    "directory is writable)", dir);
}

static void
check_output(struct check *c)
{
	const char *out = c->o->output;
	char dir[PATH_MAX];
	struct stat st, in;
	bool exists = stat(out, &st) == 0;

	if (exists && S_ISDIR(st.st_mode))
		line(c, MARK_FAIL, "output '%s': %s: use another --output",
		    out, strerror(EISDIR));
	else if (exists && stat(c->o->input, &in) == 0 &&
	    in.st_dev == st.st_dev && in.st_ino == st.st_ino)
		line(c, MARK_FAIL, "output '%s' is the input: use another "
		    "--output", out);
	else if (path_dirname(dir, sizeof(dir), out) == -1 ||
	    writable_dir(dir) == -1)
		line(c, MARK_FAIL, "output '%s': its directory '%s': %s: use "
		    "another --output", out, dir, strerror(errno));
	else
		line(c, MARK_OK, "output '%s': its directory is writable%s",
		    out, exists ? " (the file exists: a finished run replaces "
		    "it)" : "");
}

/* --log FILE (STATE/log is the state's, none is no file). */
static void
check_log(struct check *c)
{
	const char *log = c->o->log_path;
	char dir[PATH_MAX] = "";

	if (log == NULL || strcmp(log, "none") == 0)
		return;
	if (path_dirname(dir, sizeof(dir), log) == -1 ||
	    writable_dir(dir) == -1)
		line(c, MARK_FAIL, "log '%s': its directory '%s': %s: use "
		    "another --log", log, dir, strerror(errno));
	else
		line(c, MARK_OK, "log '%s': its directory is writable", log);
}

/* ---- the request ---- */

/* What a failed attempt says about the configuration. */
struct verdict {
	enum mark	 mark;
	const char	*fix;
};

static struct verdict
http_verdict(const char *message)
{
	long status = 0;

	sscanf(message, "HTTP %ld", &status);
	if (status == 404)
		return (struct verdict){ MARK_FAIL, "check --model (and "
		    "--endpoint)" };
	if (status == 400)
		return (struct verdict){ MARK_FAIL, "check --schema and the "
		    "other settings the request carries" };
	if (status == 408 || status >= 500)
		return (struct verdict){ MARK_FAIL, "the API is failing: try "
		    "again later" };
	return (struct verdict){ MARK_FAIL, "check --endpoint" };
}

static struct verdict
verdict(const struct proc_result *res)
{
	switch (res->kind) {
	case KIND_HTTP:
		return http_verdict(res->message);
	case KIND_NETWORK:
		return (struct verdict){ MARK_FAIL, "check --endpoint (and "
		    "the network)" };
	case KIND_TIMEOUT:
		return (struct verdict){ MARK_FAIL, "check --endpoint, or "
		    "raise --timeout" };
	case KIND_QUOTA_EXHAUSTED:
		return (struct verdict){ MARK_FAIL, "the daily quota is "
		    "spent: wait for it, or use another key" };
	case KIND_RATE_LIMITED:
		return (struct verdict){ MARK_WARN, "the key and the model "
		    "were accepted; lower --rpm or --workers if it lasts" };
	case KIND_BLOCKED:
	case KIND_TRUNCATED:
	case KIND_INVALID_OUTPUT:
		return (struct verdict){ MARK_WARN, "the API works; check the "
		    "prompt and the schema against this row" };
	default:
		return (struct verdict){ MARK_FAIL, "a bug: please report it" };
	}
}

/* The length of msg without its full stops at the end. */
static int
unstopped(const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && msg[n - 1] == '.')
		n--;
	return (int)n;
}

static void
result_failed(struct check *c, const struct trial *t, const char *target)
{
	const char *msg = t->res.message;
	struct verdict v;

	if (t->res.kind == KIND_AUTH) {
		line(c, MARK_FAIL, "request: %s: the API refused the key "
		    "(%.*s): check the key", target, unstopped(msg), msg);
		c->status = EX_NOPERM;
		return;
	}
	v = verdict(&t->res);
	if (v.mark == MARK_WARN)
		line(c, v.mark, "request: %s: answered in %lld ms, but row "
		    "%llu failed: %s: %.*s: %s", target,
		    (long long)t->latency_ms, (unsigned long long)c->first,
		    kind_name(t->res.kind), unstopped(msg), msg, v.fix);
	else
		line(c, v.mark, "request: %s: %.*s: %s", target,
		    unstopped(msg), msg, v.fix);
}

static void
trial_failed(struct check *c, const struct trial *t, const char *target)
{
	switch (t->status) {
	case TRIAL_TIMEOUT:
		line(c, MARK_FAIL, "request: %s: no answer within %g s: check "
		    "--endpoint, or raise --timeout", target,
		    (double)c->o->timeout_ms / 1000);
		break;
	case TRIAL_CRASH:
		line(c, MARK_FAIL, "request: %s: %s: a bug: please report it",
		    target, t->why);
		break;
	case TRIAL_NOSTART:
		line(c, MARK_FAIL, "request: %s: the %s processor cannot "
		    "start: %s: fix the settings", target, c->p->name, t->why);
		break;
	default:
		line(c, MARK_FAIL, "request: %s: %s", target, t->why);
		break;
	}
}

/* "gemini-2.5-flash at https://...", or "" for a processor with no API. */
static void
describe_target(const struct check *c, char *buf, size_t len)
{
	const char *ep = json_string_value(json_object_get(c->pconf,
	    "endpoint"));
	const char *model = json_string_value(json_object_get(c->pconf,
	    "model"));

	buf[0] = '\0';
	if (ep != NULL && model != NULL)
		snprintf(buf, len, "%s at %s", model, ep);
	else if (ep != NULL)
		snprintf(buf, len, "%s", ep);
}

static void
check_request(struct check *c)
{
	struct proc_config cfg = { .settings = c->pconf, .api_key = c->key };
	char target[1024];
	struct trial t;

	if (c->failed || c->pconf == NULL || c->row == NULL) {
		line(c, MARK_SKIP, "request: not sent: fix what failed first");
		return;
	}
	describe_target(c, target, sizeof(target));
	if (trial_run(&t, c->p, &cfg, c->first, c->row, c->o->timeout_ms) !=
	    TRIAL_RESULT)
		trial_failed(c, &t, target[0] != '\0' ? target : c->p->name);
	else if (!t.res.ok)
		result_failed(c, &t, target[0] != '\0' ? target : c->p->name);
	else if (target[0] == '\0')
		line(c, MARK_OK, "request: none needed (the %s processor): row "
		    "%llu went through a worker in %lld ms", c->p->name,
		    (unsigned long long)c->first, (long long)t.latency_ms);
	else
		line(c, MARK_OK, "request: %s: answered in %lld ms (ok)",
		    target, (long long)t.latency_ms);
	trial_release(&t);
}

/* ---- the calling sequence ---- */

static void
check_release(struct check *c)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		json_decref(c->files[i].v);
	if (c->in != NULL)
		input_close(c->in);
	if (c->key != NULL)
		explicit_bzero(c->key, strlen(c->key));
	free(c->key);
	free(c->row);
	json_decref(c->pconf);
}

int
check_main(const struct run_opts *o, const struct processor *p,
    const char *const *args)
{
	struct check c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.p = p;
	for (i = 0; i < PROC_OPTIONS_MAX && processor_option(p, i) != NULL;
	    i++)
		c.args[i] = args[i];
	if (check_settings(&c) == -1) {
		check_release(&c);
		return EX_USAGE;
	}
	check_input(&c);
	check_files(&c);
	check_command(&c);
	if (c.in != NULL)
		input_close(c.in);	/* not in the worker's way */
	c.in = NULL;
	check_key(&c);
	check_state(&c);
	check_output(&c);
	check_log(&c);
	check_request(&c);
	rc = c.status;
	check_release(&c);
	return rc;
}
