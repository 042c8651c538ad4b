/*
 * worker: one row in, one result out, until the supervisor hangs up.
 * Invariant: for every TASK received the worker sends exactly one RESULT
 * with the same id, or dies (and the supervisor accounts for the row).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/io.h"
#include "rowpool/proto.h"
#include "rowpool/secret.h"
#include "rowpool/worker.h"

/*
 * Dies of SIGSEGV with the default handler: a crash on purpose, not a
 * fault for a sanitizer's handler (which a worker keeps) to report.
 */
static _Noreturn void
test_crash(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	raise(SIGSEGV);
	abort();
}

/*
 * Test hooks, after git's GIT_TEST_* variables: the end-to-end tests make
 * the real binary misbehave on chosen rows.
 *   ROWPOOL_TEST_FAULT="crash:13,hang:7"  kinds: crash hang garbage
 *                                         oversized exit badjson
 *   ROWPOOL_TEST_DELAY_MS=N               sleep N ms before each row
 */
static void
test_fault(int fd, uint64_t row)
{
	const char *spec = getenv("ROWPOOL_TEST_FAULT");
	char kind[16];
	unsigned long long r;
	unsigned char hdr[FRAME_HDR_SIZE];
	int n;

	while (spec != NULL && sscanf(spec, "%15[a-z]:%llu%n", kind, &r,
	    &n) == 2) {
		spec = spec[n] == ',' ? spec + n + 1 : NULL;
		if (r != row)
			continue;
		if (strcmp(kind, "crash") == 0)
			test_crash();
		if (strcmp(kind, "exit") == 0)
			_exit(3);
		if (strcmp(kind, "garbage") == 0)
			write_full(fd, "garbage, not a frame", 20);
		if (strcmp(kind, "oversized") == 0) {
			frame_hdr_encode(hdr, FRAME_RESULT, row, UINT32_MAX);
			write_full(fd, hdr, sizeof(hdr));
		}
		if (strcmp(kind, "badjson") == 0)
			frame_send(fd, FRAME_RESULT, row, "{\"ok\":", 6);
		for (;;)
			pause();
	}
}

static void
test_delay(void)
{
	const char *d = getenv("ROWPOOL_TEST_DELAY_MS");
	struct timespec ts;
	long ms;

	if (d == NULL || (ms = atol(d)) <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

#define ENCODE_FAILED	"{\"ok\":false,\"kind\":\"internal\",\"message\":" \
	"\"the result could not be encoded as JSON\",\"retry_after_ms\":-1}"

static void
title_row(uint64_t row)
{
	setproctitle("worker: row %llu", (unsigned long long)row);
}

/*
 * Nothing a worker sends holds the key, whichever processor made it: an
 * answer or a message may quote what a server or a proxy echoed.
 */
static void
redact_result(const struct secret *key, struct proc_result *res)
{
	secret_redact_msg(key, res->message, sizeof(res->message));
	if (secret_redact_json(key, res->data) == 0 &&
	    secret_redact_json(key, res->extra) == 0)
		return;
	proc_result_release(res);
	proc_result_error(res, KIND_INTERNAL, "out of memory hiding the API key");
}

/* What say (processor.h) needs: the channel, and the key to hide. */
struct sayer {
	int			 fd;
	const struct secret	*key;
};

static void
say(void *arg, uint64_t row, const char *line)
{
	struct sayer *w = arg;
	char buf[PROC_LOG_MAX + 1];
	char *out;
	size_t len;

	snprintf(buf, sizeof(buf), "%s", line);
	secret_redact_msg(w->key, buf, sizeof(buf));
	if ((out = proto_log_encode(row, buf, &len)) == NULL)
		return;
	frame_send(w->fd, FRAME_LOG, row == PROC_NO_ROW ? 0 : row, out, len);
	free(out);
}

/*
 * Answers the TASK f.  Returns 0, 1 when the processor asked for a
 * restart (this was the worker's last answer), or -1 when the channel
 * broke.
 */
static int
answer(int fd, const struct processor *proc, void *state,
    const struct secret *key, const struct frame *f)
{
	struct proc_result res;
	json_error_t jerr;
	json_t *row;
	char *out;
	size_t len = 0;
	int rc, restart;

	proc_result_init(&res);
	row = json_loadb(f->payload, f->len, 0, &jerr);
	if (row == NULL || !json_is_object(row))
		proc_result_error(&res, KIND_INPUT, "row is not a JSON object");
	else
		proc->process(state, row, f->id, &res);
	json_decref(row);
	redact_result(key, &res);
	out = proto_result_encode(&res, &len);
	restart = res.restart;
	proc_result_release(&res);
	if (out == NULL)	/* the row, not the worker, is at fault */
		rc = frame_send(fd, FRAME_RESULT, f->id, ENCODE_FAILED,
		    sizeof(ENCODE_FAILED) - 1);
	else
		rc = frame_send(fd, FRAME_RESULT, f->id, out, len);
	free(out);
	return rc == -1 ? -1 : restart;
}

static int
init_failed(int fd, const struct secret *key, char *err, size_t errlen)
{
	secret_redact_msg(key, err, errlen);
	frame_send(fd, FRAME_FATAL, 0, err, strlen(err));
	return WORKER_EXIT_INIT;
}

/* Serves TASK frames until end of file; returns the exit status. */
static int
serve(int fd, const struct processor *proc, void *state,
    const struct secret *key)
{
	struct frame_reader rd;
	struct frame f;
	int rc, status = WORKER_EXIT_OK;
	bool test_hooks = getenv("ROWPOOL_TEST_FAULT") != NULL ||
	    getenv("ROWPOOL_TEST_DELAY_MS") != NULL;

	frame_reader_init(&rd, FRAME_MAX_DEFAULT);
	setproctitle("worker: idle");
	while ((rc = frame_recv(&rd, fd, &f)) == 1) {
		if (f.type != FRAME_TASK)
			continue;
		title_row(f.id);
		if (test_hooks) {
			test_fault(fd, f.id);
			test_delay();
		}
		if ((rc = answer(fd, proc, state, key, &f)) != 0) {
			status = rc == 1 ? WORKER_EXIT_RESTART :
			    WORKER_EXIT_CHANNEL;
			break;
		}
	}
	if (rc == -1)
		status = WORKER_EXIT_CHANNEL;
	frame_reader_release(&rd);
	return status;
}

int
worker_serve(int fd, const struct processor *proc,
    const struct proc_config *cfg)
{
	struct proc_config c = *cfg;
	struct secret key;
	struct sayer w = { .fd = fd, .key = &key };
	char err[512];
	void *state = NULL;
	int status;

	setproctitle("worker: starting");
	secret_init(&key, cfg->api_key);
	c.say = say;
	c.say_arg = &w;
	err[0] = '\0';
	/* Before the processor copies the key anywhere. */
	if (secret_nodump() == -1) {
		snprintf(err, sizeof(err), "cannot turn core dumps off: %s",
		    strerror(errno));
		return init_failed(fd, &key, err, sizeof(err));
	}
	if (proc->init(&state, &c, err, sizeof(err)) == -1)
		return init_failed(fd, &key, err, sizeof(err));
	if (frame_send(fd, FRAME_READY, 0, NULL, 0) == -1) {
		proc->fini(state);
		return WORKER_EXIT_CHANNEL;
	}
	status = serve(fd, proc, state, &key);
	proc->fini(state);
	return status;
}
