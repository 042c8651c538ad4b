/*
 * fuzz_request: libFuzzer harness for the request builder and the rest
 * of a worker's row (proc_llm.c: the gemini and openai processors), from
 * the options to the result, with a fake http.c: this harness defines
 * http_new, http_post and http_free itself, and `make fuzz` links it
 * without src/http.c (FUZZ_OMIT_fuzz_request), so nothing in src/ had to
 * be opened up.  Seeds in tests/fuzz/corpus/request/.
 *
 * Input: byte 0 says which options are given (bit 0: the openai
 * processor, else gemini; bits 1-7: --system, --schema,
 * --schema-dialect, --temperature, --max-output-tokens,
 * --thinking-budget, --model), byte 1 what the fake http answers (an
 * HTTP status, or a transport failure); then, each ended by a NUL: the
 * prompt template, the system text, the schema, the dialect, the
 * temperature, the max output tokens, the thinking budget, the model,
 * the endpoint, the row (JSON), the response body ("=TEXT" is a
 * well-formed answer whose text is TEXT) and the API key (made of key
 * characters).  Files are memfds.
 *
 * The options go through procopt_config as main's would; the processor
 * is run as a worker runs it: check, init, then three rows (the row
 * twice, then {}).  Checked:
 *  - init fails exactly when check does, or for a URL or key too long;
 *  - the headers: the content type and the key, in the API's header,
 *    nothing else; the timeout below --timeout's;
 *  - the URL: the endpoint without its trailing '/'s, then the API's
 *    path (and the model for Gemini); never the key;
 *  - the body: exactly the request a reference builds from the settings
 *    (contents or messages, systemInstruction, generationConfig or the
 *    OpenAI fields, the schema under the dialect's name) with the prompt
 *    the template renders from the row; the same for the same row, so
 *    nothing of one row stays for the next; never the key;
 *  - the result: a transport failure's kind as http.h maps it; a
 *    response's, what the API's parser makes of it (the key redacted
 *    first), then the answer parsed and checked against the schema;
 *    the key (one of 20 bytes or more) nowhere in it, whatever the
 *    server echoed.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "rowpool/http.h"
#include "rowpool/io.h"
#include "rowpool/llm.h"
#include "rowpool/processor.h"
#include "rowpool/procopt.h"
#include "rowpool/schema.h"
#include "rowpool/secret.h"
#include "rowpool/template.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define TIMEOUT_MS	30000
#define KEY_REAL	20	/* Google's keys have 39 bytes */

enum field {
	F_PROMPT, F_SYSTEM, F_SCHEMA, F_DIALECT, F_TEMP, F_MAXTOK, F_THINK,
	F_MODEL, F_ENDPOINT, F_ROW, F_BODY, F_KEY, F_COUNT
};

/* ---- the fake http.c ---- */

struct http {
	int	 unused;
};

static struct {
	char	*headers[8];
	size_t	 nheaders;
	long	 timeout_ms;
	char	*url;
	char	*body;
	/* What http_post answers. */
	enum http_status st;
	long	 status;
	const char *resp;
	size_t	 resplen;
} fake;

struct http *
http_new(const struct http_opts *o, char *err, size_t errlen)
{
	const char *const *h;

	for (h = o->headers; *h != NULL; h++) {
		CHECK(fake.nheaders < 8);
		CHECK((fake.headers[fake.nheaders++] = strdup(*h)) != NULL);
	}
	fake.timeout_ms = o->timeout_ms;
	return calloc(1, sizeof(struct http));
}

enum http_status
http_post(struct http *h, const char *url, const char *body, size_t len,
    struct http_response *resp, char *err, size_t errlen)
{
	CHECK(strlen(body) == len);
	free(fake.url);
	free(fake.body);
	CHECK((fake.url = strdup(url)) != NULL);
	CHECK((fake.body = strdup(body)) != NULL);
	if (fake.st != HTTP_DONE) {
		snprintf(err, errlen, "transport failure %d", (int)fake.st);
		return fake.st;
	}
	resp->status = fake.status;
	resp->body = fake.resp;
	resp->len = fake.resplen;
	return HTTP_DONE;
}

/* The Batch API's calls (batchapi.c): never made for an online row. */
enum http_status
http_do(struct http *h, const struct http_request *req,
    struct http_response *resp, char *err, size_t errlen)
{
	(void)h, (void)req, (void)resp, (void)err, (void)errlen;
	CHECK(!"http_do called for an online row");
	return HTTP_DONE;
}

void
http_free(struct http *h)
{
	free(h);
}

static void
fake_reset(void)
{
	size_t i;

	for (i = 0; i < fake.nheaders; i++)
		free(fake.headers[i]);
	free(fake.url);
	free(fake.body);
	memset(&fake, 0, sizeof(fake));
}

/* ---- the input ---- */

static const struct {
	enum http_status st;
	long		 status;
} answers[] = {
	{ HTTP_DONE, 200 }, { HTTP_DONE, 200 }, { HTTP_DONE, 200 },
	{ HTTP_DONE, 429 }, { HTTP_DONE, 400 }, { HTTP_DONE, 401 },
	{ HTTP_DONE, 500 }, { HTTP_DONE, 503 }, { HTTP_TIMEOUT, 0 },
	{ HTTP_TOOBIG, 0 }, { HTTP_FAILED, 0 }, { HTTP_UNREACHABLE, 0 },
	{ HTTP_NETWORK, 0 },
};

static int
mem_file(const char *text, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz-request", MFD_CLOEXEC);

	CHECK(fd != -1);
	CHECK(write_full(fd, text, strlen(text)) == 0);
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* The argument of option opt, by the input's bits and fields. */
static const char *
argument(const struct proc_option *opt, uint8_t bits, char **f,
    char paths[3][64])
{
	static const struct {
		const char	*key;
		int		 bit;	/* -1: always */
		enum field	 field;
		int		 file;	/* index in paths, or -1 */
	} map[] = {
		{ "prompt", -1, F_PROMPT, 0 },
		{ "system", 1, F_SYSTEM, 1 },
		{ "schema", 2, F_SCHEMA, 2 },
		{ "schema_dialect", 3, F_DIALECT, -1 },
		{ "temperature", 4, F_TEMP, -1 },
		{ "max_output_tokens", 5, F_MAXTOK, -1 },
		{ "thinking_budget", 6, F_THINK, -1 },
		{ "model", 7, F_MODEL, -1 },
		{ "endpoint", -1, F_ENDPOINT, -1 },
	};
	size_t i;

	if (opt->name == NULL)
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(opt->key, map[i].key) != 0)
			continue;
		if (map[i].bit >= 0 && !(bits & (1 << map[i].bit)))
			return NULL;
		return map[i].file >= 0 ? paths[map[i].file] :
		    f[map[i].field];
	}
	return NULL;
}

/* ---- the reference request ---- */

static void
set_if(json_t *o, const char *k, const json_t *v)
{
	if (v != NULL && !json_is_null(v))
		CHECK(json_object_set(o, k, (json_t *)(uintptr_t)v) == 0);
}

static json_t *
ref_gemini(const json_t *s, const char *prompt)
{
	const json_t *schema = json_object_get(s, "schema");
	const json_t *tb = json_object_get(s, "thinking_budget");
	const char *sys = json_string_value(json_object_get(s, "system"));
	const char *dialect = json_string_value(json_object_get(s,
	    "schema_dialect"));
	json_t *gen = json_object(), *req;

	set_if(gen, "temperature", json_object_get(s, "temperature"));
	set_if(gen, "maxOutputTokens", json_object_get(s,
	    "max_output_tokens"));
	if (json_is_integer(tb))
		json_object_set_new(gen, "thinkingConfig", json_pack("{s:O}",
		    "thinkingBudget", tb));
	if (json_is_object(schema)) {
		json_object_set_new(gen, "responseMimeType",
		    json_string("application/json"));
		set_if(gen, strcmp(dialect, "openapi") == 0 ?
		    "responseSchema" : "responseJsonSchema", schema);
	}
	req = json_pack("{s:[{s:s, s:[{s:s}]}], s:o}", "contents", "role",
	    "user", "parts", "text", prompt, "generationConfig", gen);
	CHECK(req != NULL);
	if (sys != NULL)
		json_object_set_new(req, "systemInstruction", json_pack(
		    "{s:[{s:s}]}", "parts", "text", sys));
	return req;
}

static json_t *
ref_openai(const json_t *s, const char *prompt)
{
	const json_t *schema = json_object_get(s, "schema");
	const char *sys = json_string_value(json_object_get(s, "system"));
	json_t *req, *msgs = json_array();

	if (sys != NULL)
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
		    "system", "content", sys));
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user",
	    "content", prompt));
	req = json_pack("{s:s, s:o}", "model", json_string_value(
	    json_object_get(s, "model")), "messages", msgs);
	CHECK(req != NULL);
	set_if(req, "temperature", json_object_get(s, "temperature"));
	set_if(req, "max_tokens", json_object_get(s, "max_output_tokens"));
	if (json_is_object(schema))
		json_object_set_new(req, "response_format", json_pack(
		    "{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema",
		    "json_schema", "name", "row", "schema", schema, "strict",
		    0));
	return req;
}

static void
check_url(bool openai, const json_t *s)
{
	const char *ep = json_string_value(json_object_get(s, "endpoint"));
	size_t n = strlen(ep);
	char want[4096];

	while (n > 0 && ep[n - 1] == '/')
		n--;
	if (openai)
		snprintf(want, sizeof(want), "%.*s/chat/completions", (int)n,
		    ep);
	else
		snprintf(want, sizeof(want), "%.*s/v1beta/models/%s:"
		    "generateContent", (int)n, ep, json_string_value(
		    json_object_get(s, "model")));
	CHECK(strcmp(fake.url, want) == 0);
}

static void
check_headers(bool openai, const char *key)
{
	char want[2048];

	snprintf(want, sizeof(want), openai ? "Authorization: Bearer %s" :
	    "x-goog-api-key: %s", key);
	CHECK(fake.nheaders == 2);
	CHECK(strcmp(fake.headers[0], "Content-Type: application/json") == 0);
	CHECK(strcmp(fake.headers[1], want) == 0);
	CHECK(fake.timeout_ms > 0 && fake.timeout_ms < TIMEOUT_MS);
}

/* ---- the reference result ---- */

/* Is the key in any string of v (keys included)? */
static bool
json_has(const json_t *v, const char *key)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_string(v))
		return memmem(json_string_value(v), json_string_length(v), key,
		    strlen(key)) != NULL;
	json_array_foreach(v, i, m)
		if (json_has(m, key))
			return true;
	json_object_foreach((json_t *)(uintptr_t)v, k, m)
		if (strstr(k, key) != NULL || json_has(m, key))
			return true;
	return false;
}

static void
check_transport(const struct proc_result *res)
{
	CHECK(!res->ok);
	switch (fake.st) {
	case HTTP_TIMEOUT:
		CHECK(res->kind == KIND_TIMEOUT);
		break;
	case HTTP_TOOBIG:
		CHECK(res->kind == KIND_HTTP && res->retry == RETRY_NO);
		break;
	case HTTP_FAILED:
		CHECK(res->kind == KIND_NETWORK && res->retry == RETRY_NO);
		break;
	default:
		CHECK(res->kind == KIND_NETWORK);
		CHECK(res->unreachable == (fake.st == HTTP_UNREACHABLE));
	}
}

/* The answer's text: ok as {"text": ...}, or parsed and checked. */
static void
check_answer(const struct llm_outcome *o, const json_t *schema,
    const struct proc_result *res)
{
	const json_t *usage;
	json_t *data;

	if (!json_is_object(schema))
		data = json_pack("{s:s}", "text", o->text);
	else if ((data = json_loads(o->text, JSON_DECODE_ANY, NULL)) != NULL &&
	    schema_check(schema, data, NULL, 0) == -1) {
		json_decref(data);
		data = NULL;
	}
	if (data == NULL) {
		CHECK(!res->ok && res->kind == KIND_INVALID_OUTPUT);
		CHECK(res->retry == -1 && res->retry_after_ms == -1);
		return;
	}
	CHECK(res->ok && json_equal(res->data, data));
	usage = json_object_get(res->extra, "usage");
	CHECK(usage == NULL ? o->usage == NULL : json_equal(usage, o->usage));
	json_decref(data);
}

static void
check_result(bool openai, const char *key, const json_t *schema,
    const struct proc_result *res)
{
	struct secret sk;
	struct llm_outcome o;
	const char *body = fake.resp;
	char *copy = NULL;
	size_t len = fake.resplen;

	if (fake.st != HTTP_DONE) {
		check_transport(res);
		return;
	}
	secret_init(&sk, key);
	if (secret_in(&sk, body, len))
		CHECK((body = copy = secret_redact(&sk, body, len, &len)) !=
		    NULL);
	CHECK((openai ? openai_parse : gemini_parse)(fake.status, body, len,
	    &o) == 0);
	if (o.ok)
		check_answer(&o, schema, res);
	else {
		CHECK(!res->ok && res->kind == o.kind);
		CHECK(res->retry == (int)o.retry);
		CHECK(res->retry_after_ms == o.retry_after_ms);
		CHECK(strncmp(res->message, o.message,
		    sizeof(res->message) - 4) == 0);
	}
	/* A key as long as real ones: a short one may be a word of ours. */
	if (strlen(key) >= KEY_REAL) {
		CHECK(strstr(res->message, key) == NULL);
		CHECK(!json_has(res->data, key) && !json_has(res->extra, key));
	}
	llm_outcome_release(&o);
	free(copy);
}

/* ---- one worker ---- */

/* One row: the request as the reference builds it, and the result. */
static void
one_row(const struct processor *p, void *state, bool openai,
    const json_t *s, const struct template *t, json_t *row,
    const char *key)
{
	struct proc_result res;
	json_t *body, *want;
	char *prompt;

	proc_result_init(&res);
	p->process(state, row, 0, &res);
	CHECK(fake.body != NULL);
	CHECK((prompt = template_render(t, row, NULL)) != NULL);
	want = openai ? ref_openai(s, prompt) : ref_gemini(s, prompt);
	/* Exactly the reference's: so no key in it, nor in the URL. */
	body = json_loads(fake.body, 0, NULL);
	CHECK(json_is_object(body) && json_equal(body, want));
	check_url(openai, s);
	check_result(openai, key, json_object_get(s, "schema"), &res);
	json_decref(body);
	json_decref(want);
	free(prompt);
	proc_result_release(&res);
}

/* A well-formed answer of the API whose text is text. */
static char *
answer_body(bool openai, const char *text)
{
	json_t *b = openai ?
	    json_pack("{s:[{s:{s:s}, s:s}], s:{s:i, s:i, s:i}, s:s}",
	    "choices", "message", "content", text, "finish_reason", "stop",
	    "usage", "prompt_tokens", 10, "completion_tokens", 5,
	    "total_tokens", 15, "model", "gpt-test") :
	    json_pack("{s:[{s:{s:[{s:s}]}, s:s}], s:{s:i, s:i, s:i}, s:s}",
	    "candidates", "content", "parts", "text", text, "finishReason",
	    "STOP", "usageMetadata", "promptTokenCount", 10,
	    "candidatesTokenCount", 5, "totalTokenCount", 15, "modelVersion",
	    "gemini-test");
	char *s = b != NULL ? json_dumps(b, JSON_COMPACT) : NULL;

	json_decref(b);
	return s;
}

static bool
key_chars(const char *k)
{
	for (; *k != '\0'; k++)
		if (!((*k >= '0' && *k <= '9') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= 'a' && *k <= 'z') || *k == '-' || *k == '_'))
			return false;
	return true;
}

static void
run_worker(const struct processor *p, const json_t *conf, char **f)
{
	struct proc_config cfg = { .settings = conf, .api_key = f[F_KEY] };
	const char *prompt = json_string_value(json_object_get(conf,
	    "prompt"));
	bool openai = strcmp(p->name, "openai") == 0;
	struct template *t;
	char err[512];
	void *state = NULL;
	json_t *row, *empty = json_object();
	int checked, rc;

	checked = p->check(&cfg, NULL, 0, err, sizeof(err));
	rc = p->init(&state, &cfg, err, sizeof(err));
	if (rc == -1) {
		CHECK(checked == -1 || strstr(err, "URL too long") != NULL ||
		    strstr(err, "API key too long") != NULL);
		json_decref(empty);
		return;
	}
	CHECK(checked == 0);
	check_headers(openai, f[F_KEY]);
	CHECK((t = template_parse(prompt, strlen(prompt), NULL, 0)) != NULL);
	row = json_loads(f[F_ROW], 0, NULL);
	if (!json_is_object(row)) {
		json_decref(row);
		row = json_object();
	}
	one_row(p, state, openai, conf, t, row, f[F_KEY]);
	one_row(p, state, openai, conf, t, row, f[F_KEY]);
	one_row(p, state, openai, conf, t, empty, f[F_KEY]);
	p->fini(state);
	template_free(t);
	json_decref(row);
	json_decref(empty);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proc_option *opt;
	const struct processor *p;
	const char *args[PROC_OPTIONS_MAX] = { NULL };
	char *f[F_COUNT] = { NULL }, paths[3][64], err[1024], *body = NULL;
	const uint8_t *q, *end = data + size, *nul;
	json_t *settings, *conf = NULL;
	int fds[3], i;
	size_t k;

	if (size < 2)
		return 0;
	p = processor_find(data[0] & 1 ? "openai" : "gemini");
	fake.st = answers[data[1] % (sizeof(answers) / sizeof(answers[0]))].st;
	fake.status = answers[data[1] %
	    (sizeof(answers) / sizeof(answers[0]))].status;
	for (i = 0, q = data + 2; i < F_COUNT; i++) {
		nul = q < end ? memchr(q, '\0', (size_t)(end - q)) : NULL;
		k = nul != NULL ? (size_t)(nul - q) : (size_t)(end - q);
		CHECK((f[i] = strndup(q < end ? (const char *)q : "", k)) !=
		    NULL);
		q = nul != NULL ? nul + 1 : end;
	}
	if (!key_chars(f[F_KEY]))
		f[F_KEY][0] = '\0';
	/* NULL when the text is not UTF-8: then the raw body goes. */
	if (f[F_BODY][0] == '=')
		body = answer_body(data[0] & 1, f[F_BODY] + 1);
	fake.resp = body != NULL ? body : f[F_BODY];
	fake.resplen = strlen(fake.resp);
	fds[0] = mem_file(f[F_PROMPT], paths[0], sizeof(paths[0]));
	fds[1] = mem_file(f[F_SYSTEM], paths[1], sizeof(paths[1]));
	fds[2] = mem_file(f[F_SCHEMA], paths[2], sizeof(paths[2]));
	for (k = 0; (opt = processor_option(p, k)) != NULL; k++)
		args[k] = argument(opt, data[0], f, paths);

	settings = json_object();
	if (procopt_config(p, args, settings, TIMEOUT_MS, &conf, err,
	    sizeof(err)) == PROCOPT_OK)
		run_worker(p, conf, f);
	else
		CHECK(err[0] != '\0' && conf == NULL);
	json_decref(conf);
	json_decref(settings);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	for (i = 0; i < F_COUNT; i++)
		free(f[i]);
	free(body);
	fake_reset();
	return 0;
}
