/*
 * proc_exec: the processor that hands each row to the user's own
 * program, CMD, one JSON object a line each way (execproto.h).  By
 * default each worker starts CMD once and streams its rows through it;
 * with --exec-per-row it runs CMD once per row (the row on its standard
 * input, then end of file; the answer on its standard output; exit
 * status 0).  CMD's standard error goes to the supervisor's log line by
 * line, each tagged with the row the worker was on when it read it
 * (processor.h's say: LOG frames on the worker's channel).
 *
 * Invariants: CMD runs only in a worker, as its child and in its process
 * group (spawn.h), so whatever kills the worker's group (the pool's
 * timeout) kills CMD, and CMD dies with its worker.  A CMD that failed
 * (died, closed its standard output, broke the protocol) is never talked
 * to again: its row's result asks for a restart, the worker exits, and
 * the pool starts a new worker, and with it a new CMD, after its
 * start-up backoff.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rowpool/execproto.h"
#include "rowpool/frame.h"
#include "rowpool/io.h"
#include "rowpool/processor.h"
#include "rowpool/spawn.h"
#include "rowpool/utf8.h"

/* The longest answer: a frame, less room for the result around it. */
#define ANSWER_MAX	(FRAME_MAX_DEFAULT - 65536)
/* The longest stderr line passed on whole: the rest is cut ("..."). */
#define ELINE_MAX	(PROC_LOG_MAX - 128)
#define CRASH_WAIT_MS	200	/* CMD's stdout ended: for it to exit */
#define STOP_WAIT_MS	500	/* its stdin closed: for it to exit */
#define DRAIN_READS	64	/* of stderr between rows: 256 KiB */

struct exec {
	char		**argv;		/* CMD [ARGS...], NULL-ended */
	const char	*tag;		/* CMD's last path part: log lines */
	const char	*dir;		/* --exec-cwd, or NULL */
	bool		 per_row;
	struct spawn	 sp;		/* CMD; pid -1 when none runs */
	char		*out;		/* what CMD wrote on stdout */
	size_t		 olen, ocap;
	size_t		 nl;		/* where the answer's '\n' is */
	char		 eline[ELINE_MAX + 1];	/* stderr's line so far */
	size_t		 elen;
	bool		 eskip;		/* a long line cut: drop to '\n' */
	uint64_t	 row;		/* the row in hand, or PROC_NO_ROW */
	void		(*say)(void *, uint64_t, const char *);
	void		*say_arg;
};

static const char *
setting_str(const json_t *s, const char *key)
{
	return json_string_value(json_object_get(s, key));
}

/* ---- finding CMD: the supervisor's check, and each worker's ---- */

static int
check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "--exec-cwd '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--exec-cwd '%s': %s", dir,
		    strerror(ENOTDIR));
		return -1;
	}
	return 0;
}

/*
 * CMD can be started: it is found (in PATH, or under dir), an executable
 * file, and the interpreter its #! line names, if absolute, is one too.
 */
static int
find_command(const char *name, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], interp[PATH_MAX], ipath[PATH_MAX];

	if (dir != NULL && check_dir(dir, err, errlen) == -1)
		return -1;
	if (spawn_resolve(name, dir, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "command '%s': %s", name, errno ==
		    ENOENT && strchr(name, '/') == NULL ? "not found in PATH" :
		    strerror(errno));
		return -1;
	}
	if (spawn_interpreter(path, interp, sizeof(interp)) == 1 &&
	    interp[0] == '/' &&
	    spawn_resolve(interp, NULL, ipath, sizeof(ipath)) == -1) {
		snprintf(err, errlen, "command '%s': its interpreter '%s': %s",
		    name, interp, strerror(errno));
		return -1;
	}
	return 0;
}

static int
exec_check(const struct proc_config *cfg, const char *const *cols,
    size_t ncols, char *err, size_t errlen)
{
	const json_t *cmd = json_object_get(cfg->settings, "command");
	const char *name = json_string_value(json_array_get(cmd, 0));
	size_t i;

	if (name == NULL) {
		snprintf(err, errlen, "the exec processor runs a command: "
		    "INPUT -- CMD [ARGS...]");
		return -1;
	}
	for (i = 0; cols != NULL && i < ncols; i++)
		if (strcmp(cols[i], "row") == 0) {
			snprintf(err, errlen, "the input has a column 'row', "
			    "the name the exec processor gives the row "
			    "number: rename the column");
			return -1;
		}
	return find_command(name, setting_str(cfg->settings, "exec_cwd"),
	    err, errlen);
}

/* ---- CMD's standard error: lines for the log ---- */

static void
err_line(struct exec *e, bool cut)
{
	char buf[PROC_LOG_MAX + 1];

	if (e->elen > 0 && e->eline[e->elen - 1] == '\r')
		e->elen--;
	e->eline[e->elen] = '\0';
	e->elen = 0;
	snprintf(buf, sizeof(buf), "%s: %s%s", e->tag, e->eline,
	    cut ? "..." : "");
	utf8_clean(buf);
	if (e->say != NULL)
		e->say(e->say_arg, e->row, buf);
}

static void
err_bytes(struct exec *e, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!e->eskip)
				err_line(e, false);
			e->eskip = false;
		} else if (e->eskip) {
			continue;
		} else if (e->elen == ELINE_MAX) {
			err_line(e, true);
			e->eskip = true;
		} else
			e->eline[e->elen++] = p[i];
	}
}

/* Reads CMD's stderr once; at its end, the last line and the pipe go. */
static void
err_read(struct exec *e)
{
	char buf[4096];
	ssize_t n;

	if (e->sp.err == -1)
		return;
	if ((n = read_some(e->sp.err, buf, sizeof(buf))) > 0) {
		err_bytes(e, buf, (size_t)n);
		return;
	}
	if (n == -1 && errno == EAGAIN)
		return;
	if (e->elen > 0 && !e->eskip)
		err_line(e, false);
	e->elen = 0;
	e->eskip = false;
	close(e->sp.err);
	e->sp.err = -1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Passes on what CMD writes on stderr until it ends, for up to ms; with
 * ms 0, what is there now (a bounded amount: CMD may write on and on).
 */
static void
err_drain(struct exec *e, int ms)
{
	struct pollfd pf;
	int64_t end = now_ms() + ms, left = 0;
	int reads = 0;

	while (e->sp.err != -1) {
		if (ms > 0 && (left = end - now_ms()) <= 0)
			return;
		if (ms == 0 && reads++ == DRAIN_READS)
			return;
		pf = (struct pollfd){ .fd = e->sp.err, .events = POLLIN };
		if (poll(&pf, 1, (int)left) <= 0)
			return;
		err_read(e);
	}
}

/* ---- the conversation with CMD ---- */

enum talk_end {
	TALK_GOING,
	TALK_LINE,	/* persistent: a line is in out, ending at nl */
	TALK_EOF,	/* stdout ended (per row: and stderr: all read) */
	TALK_LONG,	/* more than ANSWER_MAX bytes */
	TALK_FAILED	/* poll or memory failed: errno */
};

struct talk {
	const char	*req;
	size_t		 len, off;
	enum talk_end	 end;
};

static void
talk_write(struct exec *e, struct talk *t)
{
	ssize_t n;

	n = write(e->sp.in, t->req + t->off, t->len - t->off);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EPIPE: CMD does not read; its stdout tells what became of it. */
	t->off = n == -1 ? t->len : t->off + (size_t)n;
	if (t->off == t->len && (e->per_row || n == -1))
		spawn_close_in(&e->sp);
}

/* Room for more of stdout, up to one byte past ANSWER_MAX. */
static int
out_room(struct exec *e)
{
	size_t cap;
	char *p;

	if (e->olen < e->ocap)
		return 0;
	cap = e->ocap == 0 ? 65536 : e->ocap * 2;
	if (cap > (size_t)ANSWER_MAX + 1)
		cap = (size_t)ANSWER_MAX + 1;
	if (cap <= e->ocap || (p = realloc(e->out, cap)) == NULL)
		return -1;
	e->out = p;
	e->ocap = cap;
	return 0;
}

static void
talk_read(struct exec *e, struct talk *t)
{
	char *nl;
	ssize_t n;
	size_t at = e->olen;

	if (out_room(e) == -1) {
		t->end = TALK_FAILED;
		return;
	}
	n = read_some(e->sp.out, e->out + e->olen, e->ocap - e->olen);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close(e->sp.out);
		e->sp.out = -1;
		if (!e->per_row || e->sp.err == -1)
			t->end = TALK_EOF;
		return;
	}
	e->olen += (size_t)n;
	if (!e->per_row && (nl = memchr(e->out + at, '\n', (size_t)n))) {
		e->nl = (size_t)(nl - e->out);
		t->end = TALK_LINE;
	} else if (e->olen > ANSWER_MAX)
		t->end = TALK_LONG;
}

/* What poll found; a per-row CMD's end is that of both its outputs. */
static void
talk_events(struct exec *e, struct talk *t, const struct pollfd *pf,
    nfds_t n)
{
	nfds_t i;

	for (i = 0; i < n && t->end == TALK_GOING; i++) {
		if (pf[i].revents == 0)
			continue;
		if (pf[i].fd == e->sp.in)
			talk_write(e, t);
		else if (pf[i].fd == e->sp.out)
			talk_read(e, t);
		else if (pf[i].fd == e->sp.err) {
			err_read(e);
			if (e->per_row && e->sp.err == -1 && e->sp.out == -1)
				t->end = TALK_EOF;
		}
	}
}

/*
 * Writes req to CMD while reading its stdout and stderr, until the
 * answer is in (or the output ended, ran long, or something failed).
 * Blocks: the pool's deadline is the only clock.
 */
static enum talk_end
talk(struct exec *e, const char *req, size_t len)
{
	struct talk t = { .req = req, .len = len, .end = TALK_GOING };
	struct pollfd pf[3];
	nfds_t n;

	e->olen = 0;
	while (t.end == TALK_GOING) {
		n = 0;
		if (e->sp.in != -1 && t.off < t.len)
			pf[n++] = (struct pollfd){ e->sp.in, POLLOUT, 0 };
		if (e->sp.out != -1)
			pf[n++] = (struct pollfd){ e->sp.out, POLLIN, 0 };
		if (e->sp.err != -1)
			pf[n++] = (struct pollfd){ e->sp.err, POLLIN, 0 };
		if (n == 0) {	/* nothing left to hear from */
			t.end = TALK_EOF;
			break;
		}
		if (poll(pf, n, -1) == -1) {
			if (errno != EINTR)
				t.end = TALK_FAILED;
			continue;
		}
		talk_events(e, &t, pf, n);
	}
	return t.end;
}

/* ---- results ---- */

/* CMD failed: the row has lost an attempt, and CMD is started afresh. */
static void __attribute__((format(printf, 4, 5)))
broke(struct exec *e, struct proc_result *res, enum kind kind,
    const char *fmt, ...)
{
	char why[PROC_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	proc_result_error(res, kind, "command '%s' %s", e->argv[0], why);
	res->restart = !e->per_row;
}

/* The answer in out[0..len), as execproto reads it. */
static void
decode(struct exec *e, size_t len, struct proc_result *res)
{
	char why[PROC_MESSAGE_MAX - 64];

	if (execproto_answer(e->out != NULL ? e->out : "", len, e->row, res,
	    why, sizeof(why)) == 0)
		return;
	broke(e, res, KIND_PROTOCOL, "answered row %llu badly: %s",
	    (unsigned long long)e->row, why);
}

/* How CMD ended, once its stdout did: it exited, or it is killed. */
static void
ended(struct exec *e, struct proc_result *res)
{
	char how[128];

	err_drain(e, CRASH_WAIT_MS);
	if (spawn_wait(&e->sp, CRASH_WAIT_MS) != 1) {
		spawn_kill(&e->sp);
		broke(e, res, KIND_CRASH, "closed its standard output");
		return;
	}
	spawn_describe(e->sp.status, how, sizeof(how));
	broke(e, res, KIND_CRASH, "%s", how);
}

static void
talk_failed(struct exec *e, enum talk_end end, struct proc_result *res)
{
	if (end == TALK_LONG)
		broke(e, res, KIND_PROTOCOL, "answered with more than %u "
		    "bytes on a line", (unsigned)ANSWER_MAX);
	else
		broke(e, res, KIND_INTERNAL, "could not be talked to: %s",
		    strerror(errno));
}

/* ---- the two modes ---- */

static int
start(struct exec *e, char *err, size_t errlen)
{
	if (spawn_start(&e->sp, e->argv, e->dir) == 0)
		return 0;
	snprintf(err, errlen, "cannot run command '%s': %s", e->argv[0],
	    strerror(errno));
	return -1;
}

/*
 * CMD wrote on its stdout since its last answer, before this row was
 * sent: out of step, whatever it wrote would pass for this row's answer.
 * (A line that comes later still can only be caught by "row".)
 */
static bool
out_of_step(const struct exec *e)
{
	struct pollfd pf = { .fd = e->sp.out, .events = POLLIN };

	return e->sp.out != -1 && poll(&pf, 1, 0) == 1 &&
	    (pf.revents & POLLIN);
}

/* Persistent: one line to the running CMD, one line back. */
static void
converse(struct exec *e, const char *req, size_t len,
    struct proc_result *res)
{
	enum talk_end end;

	if (out_of_step(e)) {
		broke(e, res, KIND_PROTOCOL, "wrote on its standard output "
		    "before row %llu was sent", (unsigned long long)e->row);
		return;
	}
	end = talk(e, req, len);

	if (end == TALK_EOF) {
		ended(e, res);
		return;
	}
	if (end != TALK_LINE) {
		talk_failed(e, end, res);
		return;
	}
	err_drain(e, 0);
	if (e->olen > e->nl + 1) {
		broke(e, res, KIND_PROTOCOL, "answered row %llu with more "
		    "than one line", (unsigned long long)e->row);
		return;
	}
	decode(e, e->nl, res);
}

/* Per row: CMD started for the row, fed it, read to the end, reaped. */
static void
once(struct exec *e, const char *req, size_t len, struct proc_result *res)
{
	char err[PROC_MESSAGE_MAX], how[128];
	enum talk_end end;

	if (start(e, err, sizeof(err)) == -1) {
		proc_result_error(res, KIND_CRASH, "%s", err);
		res->restart = 1;	/* the new worker checks CMD first */
		return;
	}
	end = talk(e, req, len);
	if (end != TALK_EOF) {
		spawn_release(&e->sp);
		talk_failed(e, end, res);
		return;
	}
	spawn_wait(&e->sp, -1);
	spawn_release(&e->sp);
	spawn_describe(e->sp.status, how, sizeof(how));
	if (!WIFEXITED(e->sp.status) || WEXITSTATUS(e->sp.status) != 0)
		broke(e, res, KIND_CRASH, "%s", how);
	else
		decode(e, e->olen, res);
}

static void
exec_process(void *state, json_t *row, uint64_t index,
    struct proc_result *res)
{
	struct exec *e = state;
	char *req;
	size_t len;

	if ((req = execproto_request(row, index, &len)) == NULL) {
		if (errno == EEXIST)
			proc_result_error(res, KIND_INPUT, "the row has a "
			    "field 'row', the name the exec processor gives "
			    "the row number: rename it");
		else
			proc_result_error(res, KIND_INTERNAL, "out of memory");
		return;
	}
	e->row = index;
	if (e->per_row)
		once(e, req, len, res);
	else
		converse(e, req, len, res);
	e->row = PROC_NO_ROW;
	free(req);
}

/* ---- start and end, in the worker ---- */

static void
exec_fini(void *state)
{
	struct exec *e = state;
	char **a;

	if (e == NULL)
		return;
	/* A loop program ends at end of file on its stdin. */
	spawn_close_in(&e->sp);
	err_drain(e, STOP_WAIT_MS);
	spawn_wait(&e->sp, e->sp.pid != -1 ? 100 : 0);
	spawn_release(&e->sp);
	for (a = e->argv; a != NULL && *a != NULL; a++)
		free(*a);
	free(e->argv);
	free(e->out);
	free(e);
}

/* argv from the setting "command" (an array of strings). */
static char **
make_argv(const json_t *cmd)
{
	size_t i, n = json_array_size(cmd);
	const char *a;
	char **argv;

	if (n == 0 || (argv = calloc(n + 1, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		a = json_string_value(json_array_get(cmd, i));
		if ((argv[i] = strdup(a != NULL ? a : "")) == NULL)
			break;
	}
	if (i == n)
		return argv;
	while (i > 0)
		free(argv[--i]);
	free(argv);
	return NULL;
}

static int
exec_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	struct exec *e;
	const char *slash;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->argv = make_argv(json_object_get(cfg->settings,
	    "command"))) == NULL) {
		free(e);
		snprintf(err, errlen, "out of memory, or no command");
		return -1;
	}
	spawn_init(&e->sp);
	slash = strrchr(e->argv[0], '/');
	e->tag = slash != NULL && slash[1] != '\0' ? slash + 1 : e->argv[0];
	e->dir = setting_str(cfg->settings, "exec_cwd");
	e->per_row = json_is_true(json_object_get(cfg->settings,
	    "exec_per_row"));
	e->row = PROC_NO_ROW;
	e->say = cfg->say;
	e->say_arg = cfg->say_arg;
	*state = e;
	if ((e->per_row ? find_command(e->argv[0], e->dir, err, errlen) :
	    start(e, err, errlen)) == 0)
		return 0;
	exec_fini(e);
	*state = NULL;
	return -1;
}

/* ---- options ---- */

static const struct proc_option exec_options[] = {
	{ .key = "exec_per_row", .name = "exec-per-row",
	  .type = PROC_OPT_FLAG, .results = true,
	  .help = "run CMD once per row (the row on its stdin, its answer "
	  "on its stdout, exit status 0), not once per worker" },
	{ .key = "exec_cwd", .name = "exec-cwd", .arg = "DIR",
	  .type = PROC_OPT_STRING,
	  .help = "run CMD in DIR (a CMD with a '/' is found from there "
	  "too); default: the working directory" },
	{ .key = NULL },
};

static const struct proc_option *const exec_tables[] = {
	exec_options, NULL
};

const struct processor proc_exec = {
	.name = "exec",
	.summary = "your own program, CMD: a JSON line in, one out, per row",
	.options = exec_tables,
	.command = "the program each worker starts once and streams its "
	    "rows through, one JSON object a line each way (see README, The "
	    "exec processor)",
	.check = exec_check,
	.init = exec_init,
	.process = exec_process,
	.fini = exec_fini,
};
