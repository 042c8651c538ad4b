/*
 * cmd_cancel: `rowpool cancel STATE_DIR|OUTPUT`, the one way to cancel
 * the batches a batch-mode run submitted (SIGTERM never does).  It takes
 * the state's lock (a running rowpool would only submit its rows again),
 * cancels every batch not yet ended, each call made by a worker as a run
 * makes them (batchapi.h: no libcurl in this process), and records what
 * each batch says afterwards in STATE/batches.  A later `rowpool run
 * --mode batch` collects what the cancelled batches finished and retries
 * the rest by the usual rules.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/apikey.h"
#include "rowpool/batchapi.h"
#include "rowpool/batchstate.h"
#include "rowpool/buf.h"
#include "rowpool/cmd.h"
#include "rowpool/kind.h"
#include "rowpool/log.h"
#include "rowpool/pool.h"
#include "rowpool/secret.h"
#include "rowpool/status.h"
#include "rowpool/worker.h"

static const char cancel_usage[] =
"usage: rowpool cancel [--api-key-file FILE] STATE_DIR|OUTPUT\n"
"\n"
"Cancels the batches that `rowpool run --mode batch` submitted from this\n"
"state directory (OUTPUT.state for an OUTPUT) and have not ended; SIGTERM\n"
"to a run never does.  It waits for no batch.  A later run in batch mode\n"
"collects what they finished and sends the rest again (retried by the\n"
"usual rules).  The key: GEMINI_API_KEY or GOOGLE_API_KEY.\n"
"\n"
"Options:\n"
"      --api-key-file FILE   the key, from a file only its owner may read\n"
"  -h, --help                this text\n"
"\n"
"Exit status: 0 every batch cancelled (or none left to cancel); 64 usage\n"
"error; 66 no batch-mode state there; 69 the API could not be reached;\n"
"74 the state could not be written; 75 a rowpool runs there, or the API\n"
"failed; 77 the key was refused; 78 no key.\n";

struct cancel {
	json_t		*root;
	json_t		**todo;		/* chunks to cancel, in order */
	size_t		 n, cap, next, done, failed;
	int		 status;
	struct proc_config pcfg;
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

static enum pool_next
c_next(void *arg, int64_t now, struct pool_task *t, int64_t *wake_at)
{
	static char payload[512];
	struct cancel *c = arg;
	const char *name;

	if (c->next == c->n)
		return c->done + c->failed == c->n ? POOL_DONE : POOL_WAIT;
	name = json_string_value(json_object_get(c->todo[c->next], "name"));
	snprintf(payload, sizeof(payload), "{\"op\":\"cancel\",\"name\":"
	    "\"%s\"}", name);
	t->row = BATCH_OP_BIT | c->next;
	t->payload = payload;
	t->len = strlen(payload);
	t->ctx = c->todo[c->next++];
	return POOL_TASK;
}

static void
c_outcome(void *arg, const struct pool_outcome *o)
{
	struct cancel *c = arg;
	json_t *chunk = o->ctx;
	const char *name = json_string_value(json_object_get(chunk, "name"));
	const struct proc_result *r = o->result;

	if (o->event == POOL_RESULT && r->ok) {
		c->done++;
		json_object_set_new(chunk, "cancelled", json_true());
		printf("cancelled %s (batch %lld, %lld rows)\n", name,
		    (long long)json_integer_value(json_object_get(chunk, "id")),
		    (long long)json_integer_value(json_object_get(chunk,
		    "nrows")));
		return;
	}
	c->failed++;
	if (o->event != POOL_RESULT) {
		complain(0, "cancel %s: %s", name, o->message);
		c->status = EX_TEMPFAIL;
		return;
	}
	complain(0, "cancel %s: %s", name, r->message);
	if (kind_info(r->kind)->stop != 0)
		c->status = kind_info(r->kind)->stop;
	else if (c->status == 0)
		c->status = r->unreachable ? EX_UNAVAILABLE : EX_TEMPFAIL;
}

static int
c_worker(int fd, void *arg)
{
	struct cancel *c = arg;

	return worker_serve(fd, &batchapi_processor, &c->pcfg);
}

static const struct pool_ops cancel_ops = {
	.next_task = c_next,
	.on_outcome = c_outcome,
	.worker_main = c_worker,
};

/* The chunks whose batch may still run; -1 out of memory. */
static int
collect(struct cancel *c)
{
	json_t *chunk;
	const char *step;
	size_t i;

	json_array_foreach(json_object_get(c->root, "chunks"), i, chunk) {
		step = json_string_value(json_object_get(chunk, "step"));
		if (step == NULL || strcmp(step, "submitted") != 0 ||
		    json_string_value(json_object_get(chunk, "name")) == NULL)
			continue;
		if (buf_grow_array((void **)&c->todo, &c->cap, c->n + 1,
		    sizeof(*c->todo)) == -1)
			return -1;
		c->todo[c->n++] = chunk;
	}
	return 0;
}

static int
run_cancels(struct cancel *c, const char *key)
{
	struct pool_opts po = {
		.ops = &cancel_ops, .arg = c, .nworkers = 2,
		.timeout_ms = 60 * 1000, .grace_ms = 10 * 1000,
	};
	struct pool *p;
	char err[512];
	enum pool_status st;

	c->pcfg.api_key = key;
	c->pcfg.settings = json_pack("{s:s?, s:s?, s:s, s:I}", "endpoint",
	    json_string_value(json_object_get(c->root, "endpoint")), "model",
	    json_string_value(json_object_get(c->root, "model")), "prompt", "",
	    "timeout_ms", (json_int_t)po.timeout_ms);
	if (c->pcfg.settings == NULL || (p = pool_new(&po)) == NULL)
		return complain(EX_OSERR, "out of memory");
	st = pool_run(p, err, sizeof(err));
	pool_free(p);
	json_decref((json_t *)(uintptr_t)c->pcfg.settings);
	if (st == POOL_NOSTART || st == POOL_FAILED)
		return complain(EX_OSERR, "%s", err);
	return c->status;
}

static int
cancel_dir(const char *dir, const char *keyfile)
{
	struct cancel c = { .status = 0 };
	char err[PATH_MAX + 512], *key = NULL;
	const char *step = "write";
	int rc;

	if ((rc = batchstate_load(dir, &c.root)) != 1)
		return complain(rc == 0 ? EX_NOINPUT : EX_DATAERR, "'%s': no "
		    "batch-mode state there%s%s", dir, rc == 0 ? "" : ": ",
		    rc == 0 ? "" : strerror(errno));
	if (collect(&c) == -1 || c.n == 0) {
		rc = c.n == 0 ? 0 : complain(EX_OSERR, "out of memory");
		if (c.n == 0)
			printf("no batch to cancel in '%s'\n", dir);
		goto out;
	}
	if (apikey_load(processor_find("gemini"), keyfile, &key, err,
	    sizeof(err)) == -1) {
		rc = complain(EX_CONFIG, "%s", err);
		goto out;
	}
	log_hide(key);
	rc = secret_nodump() == -1 ? complain(EX_OSERR, "cannot turn core "
	    "dumps off: %s", strerror(errno)) : run_cancels(&c, key);
	explicit_bzero(key, strlen(key));
	free(key);
	if (c.done > 0 && batchstate_save(dir, c.root, &step) == -1)
		rc = complain(EX_IOERR, "batch state '%s/%s': %s: %s", dir,
		    BATCHSTATE_FILE, step, strerror(errno));
out:
	free(c.todo);
	json_decref(c.root);
	return rc;
}

int
cmd_cancel(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "api-key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char dir[PATH_MAX], lock[PATH_MAX + 8];
	const char *keyfile = NULL;
	struct pidfh *pfh;
	pid_t other = 0;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(cancel_usage, stdout);
			return 0;
		}
		if (ch != 'k')
			return complain(EX_USAGE, "Try 'rowpool cancel --help'.");
		keyfile = optarg;
	}
	if (optind != argc - 1)
		return complain(EX_USAGE, "one STATE_DIR or OUTPUT, please; "
		    "try 'rowpool cancel --help'");
	if (status_find_dir(argv[optind], dir, sizeof(dir)) == -1)
		return complain(EX_NOINPUT, "'%s' is not a state directory, and "
		    "there is no '%s.state'", argv[optind], argv[optind]);
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	if ((pfh = pidfile_open(lock, 0600, &other)) == NULL)
		return errno == EEXIST ? complain(EX_TEMPFAIL, "a rowpool runs "
		    "in '%s' (pid %ld): stop it first (SIGTERM leaves its "
		    "batches running), then cancel", dir, (long)other) :
		    complain(EX_CANTCREAT, "lock '%s': %s", lock,
		    strerror(errno));
	rc = cancel_dir(dir, keyfile);
	pidfile_remove(pfh);
	return rc;
}
