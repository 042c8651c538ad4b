/*
 * batchapi: the Batch API and Files API calls, made in a worker.
 * Invariants: every name the server gave us (files/..., batches/...) is
 * checked before it goes into a URL; the key goes to the endpoint's
 * origin only; a worker reads the request file but never writes a file.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rowpool/batchapi.h"
#include "rowpool/batchfile.h"
#include "rowpool/http.h"
#include "rowpool/proc_llm.h"
#include "rowpool/proto.h"
#include "llm_local.h"

#define DOWNLOAD_MAX	(1024u << 20)
#define LIST_PAGES_MAX	1000
#define NAME_MAX_LEN	256

struct bapi {
	struct llm	*llm;		/* rows sent online, lines read */
	struct http	*http;		/* the Batch and Files API */
	char		 ep[1024];	/* the endpoint, no trailing / */
	char		 origin[1024];	/* scheme://host[:port] */
	char		 model[256];
	char		 url[4096];
};

/* ---- calls ---- */

static int
valid_name(const char *s, const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (s == NULL || strncmp(s, prefix, n) != 0 || s[n] == '\0' ||
	    strlen(s) > NAME_MAX_LEN)
		return 0;
	for (i = n; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static const char *
url(struct bapi *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
url(struct bapi *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->url, sizeof(b->url), fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof(b->url) ? NULL : b->url;
}

static void
transport_failed(struct proc_result *res, enum http_status st,
    const char *what, const char *msg)
{
	enum kind k = st == HTTP_TIMEOUT ? KIND_TIMEOUT : st == HTTP_TOOBIG ?
	    KIND_HTTP : KIND_NETWORK;

	proc_result_error(res, k, "%s: %s", what, msg);
	if (st == HTTP_UNREACHABLE)
		res->unreachable = 1;
	if (st == HTTP_TOOBIG || st == HTTP_FAILED)
		res->retry = RETRY_NO;
}

/* An error status or envelope, classified as online answers are. */
static void
api_failed(struct proc_result *res, const char *what, long status,
    const json_t *root, struct llm_outcome *o)
{
	struct llm_error e;

	if (root != NULL) {
		llm_error_init(&e, status, json_object_get(root, "error"));
		llm_error_fail(o, &e);
	}
	proc_result_error(res, o->kind, "%s: %s", what, o->message);
	res->retry = (int)o->retry;
	res->retry_after_ms = o->retry_after_ms;
	res->quota_rpm = o->quota_rpm;
}

/*
 * Makes one call.  Returns the response's JSON object (new reference;
 * an empty body is {}), or NULL with res set to the failure.
 */
static json_t *
call(struct bapi *b, const struct http_request *req, const char *what,
    struct proc_result *res, struct http_response *resp)
{
	struct llm_outcome o;
	enum http_status st;
	json_t *root = NULL;
	char err[512];
	int r;

	if (req->url == NULL) {
		proc_result_error(res, KIND_HTTP, "%s: URL too long", what);
		res->retry = RETRY_NO;
		return NULL;
	}
	if ((st = http_do(b->http, req, resp, err, sizeof(err))) != HTTP_DONE) {
		transport_failed(res, st, what, err);
		return NULL;
	}
	if (resp->len == 0 && llm_status_2xx(resp->status))
		return json_object();
	llm_outcome_init(&o);
	if ((r = llm_load(resp->status, resp->body, resp->len, &o, &root)) ==
	    -1)
		proc_result_error(res, KIND_INTERNAL, "out of memory");
	else if (r == 0)
		api_failed(res, what, resp->status, NULL, &o);
	else if (!llm_status_2xx(resp->status) ||
	    (json_object_get(root, "error") != NULL &&
	    json_object_get(root, "name") == NULL)) {
		/* (an Operation's "error" is its batch's, not the call's) */
		api_failed(res, what, resp->status, root, &o);
		json_decref(root);
		root = NULL;
	}
	llm_outcome_release(&o);
	return root;
}

/* A JSON body's call. */
static json_t *
call_json(struct bapi *b, const char *method, const char *u,
    const json_t *body, const char *what, struct proc_result *res)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json", NULL
	};
	struct http_response resp;
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_request req = {
		.method = method, .url = u, .headers = hdrs, .body = text,
		.len = text != NULL ? strlen(text) : 0,
	};
	json_t *out;

	if (body != NULL && text == NULL) {
		proc_result_error(res, KIND_INTERNAL, "out of memory");
		return NULL;
	}
	out = call(b, &req, what, res, &resp);
	free(text);
	return out;
}

/* ---- a batch, as the supervisor reads it ---- */

static json_int_t
stat_count(const json_t *stats, const char *k)
{
	const json_t *v = json_object_get(stats, k);

	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) :
	    0;
}

static json_t *
batch_summary(const json_t *op)
{
	const json_t *m = json_object_get(op, "metadata");
	const json_t *st = json_object_get(m, "batchStats");
	const char *rf = json_string_value(json_object_get(
	    json_object_get(op, "response"), "responsesFile"));
	const char *name = json_string_value(json_object_get(op, "name"));

	if (rf == NULL)
		rf = json_string_value(json_object_get(json_object_get(m,
		    "output"), "responsesFile"));
	if (!valid_name(name, "batches/"))
		return NULL;
	return json_pack("{s:s, s:s?, s:s?, s:b, s:s?, s:s?, s:I, s:I, s:I}",
	    "name", name,
	    "display", json_string_value(json_object_get(m, "displayName")),
	    "state", json_string_value(json_object_get(m, "state")),
	    "done", json_is_true(json_object_get(op, "done")),
	    "responses", valid_name(rf, "files/") ? rf : NULL,
	    "error", json_string_value(json_object_get(json_object_get(op,
	    "error"), "message")),
	    "requests", stat_count(st, "requestCount"),
	    "succeeded", stat_count(st, "successfulRequestCount"),
	    "failed", stat_count(st, "failedRequestCount"));
}

static void
batch_result(json_t *op, const char *what, struct proc_result *res)
{
	json_t *s = batch_summary(op);

	json_decref(op);
	if (s == NULL) {
		proc_result_error(res, KIND_HTTP, "%s: the answer is not a "
		    "batch (no valid 'name')", what);
		return;
	}
	proc_result_ok(res, s);
}

/* ---- the operations ---- */

static void
op_create(struct bapi *b, const json_t *op, struct proc_result *res)
{
	const char *file = json_string_value(json_object_get(op, "file"));
	const char *display = json_string_value(json_object_get(op,
	    "display"));
	json_t *body, *out;

	if (!valid_name(file, "files/") || display == NULL) {
		proc_result_error(res, KIND_PROTOCOL, "batch create: bad task");
		return;
	}
	body = json_pack("{s:{s:s, s:{s:s}}}", "batch", "display_name",
	    display, "input_config", "file_name", file);
	out = call_json(b, "POST", url(b, "%s/v1beta/models/%s:"
	    "batchGenerateContent", b->ep, b->model), body, "batch create", res);
	json_decref(body);
	if (out != NULL)
		batch_result(out, "batch create", res);
}

static void
op_get(struct bapi *b, const json_t *op, struct proc_result *res)
{
	const char *name = json_string_value(json_object_get(op, "name"));
	json_t *out;

	if (!valid_name(name, "batches/")) {
		proc_result_error(res, KIND_PROTOCOL, "batch get: bad task");
		return;
	}
	out = call_json(b, "GET", url(b, "%s/v1beta/%s", b->ep, name), NULL,
	    "batch get", res);
	if (out != NULL)
		batch_result(out, "batch get", res);
}

static void
op_cancel(struct bapi *b, const json_t *op, struct proc_result *res)
{
	const char *name = json_string_value(json_object_get(op, "name"));
	json_t *out, *empty = json_object();

	if (!valid_name(name, "batches/")) {
		proc_result_error(res, KIND_PROTOCOL, "batch cancel: bad task");
		json_decref(empty);
		return;
	}
	out = call_json(b, "POST", url(b, "%s/v1beta/%s:cancel", b->ep, name),
	    empty, "batch cancel", res);
	json_decref(empty);
	if (out != NULL)
		proc_result_ok(res, out);
}

/* The operation of page called display, or NULL. */
static const json_t *
in_page(const json_t *page, const char *display)
{
	const json_t *op;
	const char *d;
	size_t i;

	json_array_foreach(json_object_get(page, "operations"), i, op) {
		d = json_string_value(json_object_get(json_object_get(op,
		    "metadata"), "displayName"));
		if (d != NULL && strcmp(d, display) == 0)
			return op;
	}
	return NULL;
}

static void
op_find(struct bapi *b, const json_t *op, struct proc_result *res)
{
	const char *display = json_string_value(json_object_get(op,
	    "display"));
	char token[512] = "";
	const json_t *hit;
	json_t *page;
	int i;

	for (i = 0; display != NULL && i < LIST_PAGES_MAX; i++) {
		page = call_json(b, "GET", url(b, "%s/v1beta/batches?pageSize="
		    "100%s%s", b->ep, token[0] ? "&pageToken=" : "", token),
		    NULL, "batch list", res);
		if (page == NULL)
			return;
		if ((hit = in_page(page, display)) != NULL) {
			batch_result(json_incref((json_t *)(uintptr_t)hit),
			    "batch list", res);
			json_decref(page);
			return;
		}
		snprintf(token, sizeof(token), "%s", json_string_value(
		    json_object_get(page, "nextPageToken")) ?: "");
		json_decref(page);
		if (token[0] == '\0' || strspn(token, "abcdefghijklmnopqrstuv"
		    "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=") !=
		    strlen(token))
			break;
	}
	if (display == NULL)
		proc_result_error(res, KIND_PROTOCOL, "batch list: bad task");
	else
		proc_result_ok(res, json_pack("{s:n}", "name"));
}

/* The same origin as the endpoint: scheme://host[:port] then a '/'. */
static int
same_origin(const struct bapi *b, const char *u)
{
	size_t n = strlen(b->origin);

	return u != NULL && strncmp(u, b->origin, n) == 0 && u[n] == '/';
}

static json_t *
upload_start(struct bapi *b, const char *display, size_t size,
    struct proc_result *res, char *session, size_t slen)
{
	char len[64];
	const char *hdrs[] = { "X-Goog-Upload-Protocol: resumable",
	    "X-Goog-Upload-Command: start", len,
	    "X-Goog-Upload-Header-Content-Type: application/jsonl",
	    "Content-Type: application/json", NULL };
	json_t *body = json_pack("{s:{s:s}}", "file", "display_name", display);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_request req = { .method = "POST", .url = url(b,
	    "%s/upload/v1beta/files", b->ep), .headers = hdrs, .body = text,
	    .len = text ? strlen(text) : 0,
	    .want_header = "X-Goog-Upload-URL" };
	struct http_response resp;
	json_t *out = NULL;

	snprintf(len, sizeof(len), "X-Goog-Upload-Header-Content-Length: %zu",
	    size);
	if (text == NULL)
		proc_result_error(res, KIND_INTERNAL, "out of memory");
	else if ((out = call(b, &req, "upload start", res, &resp)) != NULL &&
	    (!same_origin(b, resp.header) || strlen(resp.header) >= slen)) {
		proc_result_error(res, KIND_HTTP, "upload start: %s",
		    resp.header == NULL ? "no X-Goog-Upload-URL in the answer" :
		    "the upload URL is not on the endpoint's host");
		json_decref(out);
		out = NULL;
	} else if (out != NULL)
		strlcpy(session, resp.header, slen);
	free(text);
	json_decref(body);
	return out;
}

static void
upload_bytes(struct bapi *b, const char *session, const void *p,
    size_t size, struct proc_result *res)
{
	const char *hdrs[] = { "X-Goog-Upload-Offset: 0",
	    "X-Goog-Upload-Command: upload, finalize",
	    "Content-Type: application/jsonl", NULL };
	struct http_request req = { .method = "POST", .url = session,
	    .headers = hdrs, .body = p, .len = size };
	struct http_response resp;
	const char *name;
	json_t *out;

	if ((out = call(b, &req, "upload", res, &resp)) == NULL)
		return;
	name = json_string_value(json_object_get(json_object_get(out, "file"),
	    "name"));
	if (valid_name(name, "files/"))
		proc_result_ok(res, json_pack("{s:s}", "file", name));
	else
		proc_result_error(res, KIND_HTTP, "upload: the answer names no "
		    "file");
	json_decref(out);
}

static void
op_upload(struct bapi *b, const json_t *op, struct proc_result *res)
{
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *display = json_string_value(json_object_get(op,
	    "display"));
	char session[2048];
	struct stat sb;
	json_t *started;
	void *p = NULL;
	int fd;

	if (path == NULL || display == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || sb.st_size == 0 ||
	    (p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		proc_result_error(res, KIND_INTERNAL, "upload '%s': %s",
		    path ? path : "?", strerror(errno));
		return;
	}
	close(fd);
	if ((started = upload_start(b, display, (size_t)sb.st_size, res,
	    session, sizeof(session))) != NULL) {
		json_decref(started);
		upload_bytes(b, session, p, (size_t)sb.st_size, res);
	}
	munmap(p, (size_t)sb.st_size);
}

/* One line of the responses file into results; its size, about. */
static size_t
read_line(struct bapi *b, const char *line, size_t len, json_t *results,
    unsigned *bad)
{
	struct proc_result r;
	enum batchfile_line k;
	uint64_t row;
	long status;
	char *body, err[128];
	json_t *o;
	size_t n;

	k = batchfile_response_line(line, len, &row, &status, &body, err,
	    sizeof(err));
	if (k == BATCHFILE_BLANK)
		return 0;
	if (k == BATCHFILE_BAD) {
		(*bad)++;
		return 0;
	}
	proc_result_init(&r);
	llm_batch_read(b->llm, status, body, strlen(body), &r);
	n = strlen(body) + 256;
	free(body);
	o = proto_result_json(&r);
	proc_result_release(&r);
	if (o != NULL)
		json_array_append_new(results, json_pack("[I, o]",
		    (json_int_t)row, o));
	return n;
}

/* Lines from the from-th, until their results pass max bytes. */
static json_t *
read_lines(struct bapi *b, const char *p, size_t len, json_int_t from,
    json_int_t max)
{
	json_t *results = json_array();
	const char *end = p + len, *nl;
	json_int_t line = 0;
	unsigned bad = 0;
	size_t bytes = 0;

	for (; p < end && results != NULL; p = nl + 1, line++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (line < from)
			continue;
		if (max > 0 && bytes > (size_t)max)
			break;
		bytes += read_line(b, p, (size_t)(nl - p), results, &bad);
	}
	return json_pack("{s:o, s:I, s:i, s:o}", "results", results, "lines",
	    line, "bad", (int)bad, "next", p < end ? json_integer(line) :
	    json_null());
}

static void
op_download(struct bapi *b, const json_t *op, struct proc_result *res)
{
	const char *file = json_string_value(json_object_get(op, "file"));
	static const char *const hdrs[] = { "Accept: */*", NULL };
	struct http_request req = { .method = "GET", .headers = hdrs };
	struct http_response resp;
	struct llm_outcome o;
	enum http_status st;
	char err[512];
	json_t *root = NULL, *data;

	if (!valid_name(file, "files/")) {
		proc_result_error(res, KIND_PROTOCOL, "download: bad task");
		return;
	}
	req.url = url(b, "%s/download/v1beta/%s:download?alt=media", b->ep,
	    file);
	if ((st = http_do(b->http, &req, &resp, err, sizeof(err))) !=
	    HTTP_DONE) {
		transport_failed(res, st, "download", err);
		return;
	}
	if (!llm_status_2xx(resp.status)) {
		llm_outcome_init(&o);
		if (llm_load(resp.status, resp.body, resp.len, &o, &root) != -1)
			api_failed(res, "download", resp.status, root, &o);
		json_decref(root);
		llm_outcome_release(&o);
		return;
	}
	data = read_lines(b, resp.body, resp.len, json_integer_value(
	    json_object_get(op, "from")), json_integer_value(json_object_get(op,
	    "max_bytes")));
	if (data == NULL)
		proc_result_error(res, KIND_INTERNAL, "out of memory");
	else
		proc_result_ok(res, data);
}

/* A row sent online: its request as it was in its batch. */
static void
op_generate(struct bapi *b, const json_t *body, struct proc_result *res)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json", NULL
	};
	char *text = json_dumps(body, JSON_COMPACT), err[512];
	struct http_request req = { .method = "POST", .url = url(b,
	    "%s/v1beta/models/%s:generateContent", b->ep, b->model),
	    .headers = hdrs, .body = text, .len = text ? strlen(text) : 0 };
	struct http_response resp;
	enum http_status st;

	if (text == NULL || req.url == NULL) {
		proc_result_error(res, KIND_INTERNAL, "out of memory");
		free(text);
		return;
	}
	st = http_do(b->http, &req, &resp, err, sizeof(err));
	free(text);
	if (st != HTTP_DONE)
		transport_failed(res, st, "generateContent", err);
	else
		llm_batch_read(b->llm, resp.status, resp.body, resp.len, res);
}

static const struct {
	const char	*name;
	void		(*run)(struct bapi *, const json_t *,
			    struct proc_result *);
} ops[] = {
	{ "upload", op_upload },
	{ "create", op_create },
	{ "find", op_find },
	{ "get", op_get },
	{ "cancel", op_cancel },
	{ "download", op_download },
};

/* ---- the processor ---- */

static void
bapi_process(void *state, json_t *task, uint64_t index,
    struct proc_result *res)
{
	struct bapi *b = state;
	const char *name = json_string_value(json_object_get(task, "op"));
	size_t i;

	if (!(index & BATCH_OP_BIT)) {
		op_generate(b, task, res);
		return;
	}
	for (i = 0; name != NULL && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0) {
			ops[i].run(b, task, res);
			return;
		}
	proc_result_error(res, KIND_PROTOCOL, "unknown batch operation");
}

static void
bapi_fini(void *state)
{
	struct bapi *b = state;

	if (b == NULL)
		return;
	llm_batch_close(b->llm);
	http_free(b->http);
	free(b);
}

/* ep without its trailing slashes, and its origin. */
static int
endpoint(struct bapi *b, const char *ep)
{
	size_t n = strlen(ep);
	const char *host;

	while (n > 0 && ep[n - 1] == '/')
		n--;
	if (n >= sizeof(b->ep) || (host = strstr(ep, "://")) == NULL)
		return -1;
	memcpy(b->ep, ep, n);
	b->ep[n] = '\0';
	host += 3;
	n = (size_t)(host - ep) + strcspn(host, "/?#");
	if (n >= sizeof(b->origin) || n > strlen(b->ep))
		return -1;
	memcpy(b->origin, b->ep, n);
	b->origin[n] = '\0';
	return 0;
}

static struct http *
make_http(const struct proc_config *cfg, char *err, size_t errlen)
{
	char key[1024];
	const char *headers[] = { key, NULL };
	long timeout = (long)json_integer_value(json_object_get(cfg->settings,
	    "timeout_ms"));
	struct http_opts o = {
		.connect_timeout_ms = 10000,
		.timeout_ms = timeout - (timeout / 10 < 2000 ? timeout / 10 :
		    2000),
		.low_speed_time_s = 60,
		.max_response = DOWNLOAD_MAX,
		.headers = headers,
	};
	struct http *h;
	int n;

	n = snprintf(key, sizeof(key), "x-goog-api-key: %s",
	    cfg->api_key ? cfg->api_key : "");
	if (n < 0 || (size_t)n >= sizeof(key)) {
		snprintf(err, errlen, "API key too long");
		return NULL;
	}
	h = http_new(&o, err, errlen);
	explicit_bzero(key, sizeof(key));
	return h;
}

static int
bapi_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	const json_t *s = cfg->settings;
	const char *ep = json_string_value(json_object_get(s, "endpoint"));
	const char *model = json_string_value(json_object_get(s, "model"));
	struct bapi *b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ep == NULL || model == NULL || endpoint(b, ep) == -1 ||
	    strlcpy(b->model, model, sizeof(b->model)) >= sizeof(b->model)) {
		snprintf(err, errlen, "--endpoint or --model: not a URL or "
		    "too long");
		bapi_fini(b);
		return -1;
	}
	if ((b->llm = llm_batch_open(cfg, false, err, errlen)) == NULL ||
	    (b->http = make_http(cfg, err, errlen)) == NULL) {
		bapi_fini(b);
		return -1;
	}
	*state = b;
	return 0;
}

const struct processor batchapi_processor = {
	.name = "gemini",
	.summary = "Gemini's Batch API (rowpool run --mode batch)",
	.init = bapi_init,
	.process = bapi_process,
	.fini = bapi_fini,
};
