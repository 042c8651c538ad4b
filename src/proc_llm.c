/*
 * proc_llm: the Gemini (generateContent) and OpenAI-compatible
 * (/chat/completions) processors.  Each worker renders the prompt from the
 * row, makes exactly one HTTP request on its kept-alive connection, and
 * reports what came back; retries are the supervisor's business.  With
 * --cache the supervisor renders the same body with the same code
 * (render_init, llm_render: no connection, no key) for the cache's key.
 *
 * Invariant: the API key travels only in a request header (x-goog-api-key
 * or Authorization), never in a URL, a message or a result: a response
 * that quotes it has it redacted before anything reads it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/apikey.h"
#include "rowpool/http.h"
#include "rowpool/llm.h"
#include "rowpool/proc_llm.h"
#include "rowpool/processor.h"
#include "rowpool/schema.h"
#include "rowpool/secret.h"
#include "rowpool/template.h"

#define RESPONSE_MAX	(8u << 20)
#define KEY_HEADER_MAX	1024

enum api { API_GEMINI, API_OPENAI };

struct llm {
	enum api		 api;
	struct http		*http;
	struct template		*tmpl;
	const json_t		*schema;	/* borrowed from settings */
	const char		*system;	/* borrowed from settings */
	json_t			*base;		/* request without the prompt */
	struct secret		 key;		/* borrowed from the config */
	char			 url[2048];
};

static const char *
setting_str(const json_t *s, const char *key)
{
	return json_string_value(json_object_get(s, key));
}

/* ---- the supervisor-side check ---- */

static int
llm_check(const struct proc_config *cfg, const char *const *cols, size_t n,
    char *err, size_t errlen)
{
	const char *text = setting_str(cfg->settings, "prompt");
	const char *file = setting_str(cfg->settings, "prompt_file");
	struct template *t;
	char why[512];
	int rc = 0;

	if (text == NULL) {
		snprintf(err, errlen, "--prompt FILE is required");
		return -1;
	}
	if ((t = template_parse(text, strlen(text), why, sizeof(why))) ==
	    NULL)
		rc = -1;
	else if (cols != NULL)
		rc = template_check(t, cols, n, why, sizeof(why));
	template_free(t);
	if (rc == -1)
		snprintf(err, errlen, "--prompt '%s': %s", file ? file : "-",
		    why);
	return rc;
}

/* ---- request bodies ---- */

static void
set_if(json_t *o, const char *key, json_t *v)
{
	if (v != NULL && !json_is_null(v))
		json_object_set(o, key, v);
}

static json_t *
gemini_base(const json_t *s)
{
	json_t *gen = json_object(), *base = json_object(), *sys, *tb;
	const char *system = setting_str(s, "system");

	set_if(gen, "temperature", json_object_get(s, "temperature"));
	set_if(gen, "maxOutputTokens", json_object_get(s,
	    "max_output_tokens"));
	tb = json_object_get(s, "thinking_budget");
	if (json_is_integer(tb))
		json_object_set_new(gen, "thinkingConfig",
		    json_pack("{s:O}", "thinkingBudget", tb));
	if (json_is_object(json_object_get(s, "schema"))) {
		json_object_set_new(gen, "responseMimeType",
		    json_string("application/json"));
		json_object_set(gen, strcmp(setting_str(s, "schema_dialect"),
		    "openapi") == 0 ? "responseSchema" : "responseJsonSchema",
		    json_object_get(s, "schema"));
	}
	if (system != NULL) {
		sys = json_pack("{s:[{s:s}]}", "parts", "text", system);
		json_object_set_new(base, "systemInstruction", sys);
	}
	json_object_set_new(base, "generationConfig", gen);
	return base;
}

static json_t *
openai_base(const json_t *s)
{
	json_t *base = json_pack("{s:s}", "model", setting_str(s, "model"));
	json_t *schema = json_object_get(s, "schema");

	set_if(base, "temperature", json_object_get(s, "temperature"));
	set_if(base, "max_tokens", json_object_get(s, "max_output_tokens"));
	if (json_is_object(schema))
		json_object_set_new(base, "response_format", json_pack(
		    "{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema",
		    "json_schema", "name", "row", "schema", schema,
		    "strict", 0));
	return base;
}

/* The whole body for one prompt; malloc'd JSON text. */
static char *
request_body(struct llm *l, const char *prompt)
{
	json_t *msgs;
	char *out;

	if (l->api == API_GEMINI) {
		json_object_set_new(l->base, "contents", json_pack(
		    "[{s:s, s:[{s:s}]}]", "role", "user", "parts", "text",
		    prompt));
	} else {
		msgs = json_array();
		if (l->system != NULL)
			json_array_append_new(msgs, json_pack("{s:s, s:s}",
			    "role", "system", "content", l->system));
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
		    "user", "content", prompt));
		json_object_set_new(l->base, "messages", msgs);
	}
	out = json_dumps(l->base, JSON_COMPACT);
	json_object_del(l->base, l->api == API_GEMINI ? "contents" :
	    "messages");
	return out;
}

/* ---- start-up in the worker ---- */

static int
make_url(struct llm *l, const json_t *s, char *err, size_t errlen)
{
	const char *ep = setting_str(s, "endpoint");
	size_t n = strlen(ep);
	int w;

	while (n > 0 && ep[n - 1] == '/')
		n--;
	if (l->api == API_GEMINI)
		w = snprintf(l->url, sizeof(l->url),
		    "%.*s/v1beta/models/%s:generateContent", (int)n, ep,
		    setting_str(s, "model"));
	else
		w = snprintf(l->url, sizeof(l->url), "%.*s/chat/completions",
		    (int)n, ep);
	if (w < 0 || (size_t)w >= sizeof(l->url)) {
		snprintf(err, errlen, "--endpoint: URL too long");
		return -1;
	}
	return 0;
}

static struct http *
make_http(enum api api, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	char key[KEY_HEADER_MAX];
	const char *headers[] = { "Content-Type: application/json", key, NULL };
	long timeout = (long)json_integer_value(json_object_get(cfg->settings,
	    "timeout_ms"));
	struct http_opts o = {
		.connect_timeout_ms = 10000,
		/* Below the supervisor's deadline: a clean "timeout". */
		.timeout_ms = timeout - (timeout / 10 < 2000 ? timeout / 10 :
		    2000),
		.low_speed_time_s = 60,
		.max_response = RESPONSE_MAX,
		.headers = headers,
	};
	struct http *h;
	int n;

	n = snprintf(key, sizeof(key), api == API_GEMINI ?
	    "x-goog-api-key: %s" : "Authorization: Bearer %s",
	    cfg->api_key ? cfg->api_key : "");
	if (n < 0 || (size_t)n >= sizeof(key)) {
		snprintf(err, errlen, "API key too long");
		return NULL;
	}
	h = http_new(&o, err, errlen);
	explicit_bzero(key, sizeof(key));
	return h;
}

static void
llm_fini(void *state)
{
	struct llm *l = state;

	if (l == NULL)
		return;
	http_free(l->http);
	template_free(l->tmpl);
	json_decref(l->base);
	free(l);
}

/* What renders a row's request: all but the connection. */
static struct llm *
llm_new(enum api api, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	const json_t *s = cfg->settings;
	const char *text = setting_str(s, "prompt");
	struct llm *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->api = api;
	secret_init(&l->key, cfg->api_key);
	l->system = setting_str(s, "system");
	l->schema = json_object_get(s, "schema");
	if (!json_is_object(l->schema))
		l->schema = NULL;
	l->base = api == API_GEMINI ? gemini_base(s) : openai_base(s);
	if (text == NULL || make_url(l, s, err, errlen) == -1 ||
	    (l->tmpl = template_parse(text, strlen(text), err,
	    errlen)) == NULL) {
		if (text == NULL)
			snprintf(err, errlen, "--prompt FILE is required");
		llm_fini(l);
		return NULL;
	}
	return l;
}

static int
llm_init(enum api api, void **state, const struct proc_config *cfg,
    char *err, size_t errlen)
{
	struct llm *l;

	if ((l = llm_new(api, cfg, err, errlen)) == NULL)
		return -1;
	if ((l->http = make_http(api, cfg, err, errlen)) == NULL) {
		llm_fini(l);
		return -1;
	}
	*state = l;
	return 0;
}

static int
gemini_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	return llm_init(API_GEMINI, state, cfg, err, errlen);
}

static int
openai_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	return llm_init(API_OPENAI, state, cfg, err, errlen);
}

/* In the supervisor, for the response cache: no connection, no key. */
static int
gemini_render_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	return (*state = llm_new(API_GEMINI, cfg, err, errlen)) ? 0 : -1;
}

static int
openai_render_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	return (*state = llm_new(API_OPENAI, cfg, err, errlen)) ? 0 : -1;
}

/* The body row's request sends; the cache's key is made from it. */
static char *
llm_render(void *state, json_t *row, size_t *len)
{
	struct llm *l = state;
	char *prompt, *body;

	if ((prompt = template_render(l->tmpl, row, NULL)) == NULL)
		return NULL;
	body = request_body(l, prompt);
	free(prompt);
	if (body == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*len = strlen(body);
	return body;
}

/* ---- one row ---- */

static void
transport_error(struct proc_result *res, enum http_status st,
    const char *msg)
{
	switch (st) {
	case HTTP_TIMEOUT:
		proc_result_error(res, KIND_TIMEOUT, "%s", msg);
		break;
	case HTTP_TOOBIG:
		proc_result_error(res, KIND_HTTP, "%s", msg);
		res->retry = RETRY_NO;
		break;
	case HTTP_FAILED:
		proc_result_error(res, KIND_NETWORK, "%s", msg);
		res->retry = RETRY_NO;
		break;
	case HTTP_UNREACHABLE:
		proc_result_error(res, KIND_NETWORK, "%s", msg);
		res->unreachable = 1;
		break;
	default:
		proc_result_error(res, KIND_NETWORK, "%s", msg);
		break;
	}
}

/* The answer text as the result's data: parsed and checked, or as text. */
static void
answer(struct llm *l, struct llm_outcome *o, struct proc_result *res)
{
	json_error_t jerr;
	char why[256];
	json_t *data;

	if (l->schema == NULL) {
		proc_result_ok(res, json_pack("{s:s}", "text", o->text));
		return;
	}
	data = json_loads(o->text, JSON_DECODE_ANY, &jerr);
	if (data == NULL) {
		proc_result_error(res, KIND_INVALID_OUTPUT, "model text is not "
		    "JSON: %s", jerr.text);
		return;
	}
	if (schema_check(l->schema, data, why, sizeof(why)) == -1) {
		json_decref(data);
		proc_result_error(res, KIND_INVALID_OUTPUT, "answer breaks the "
		    "schema: %s", why);
		return;
	}
	proc_result_ok(res, data);
}

static void
outcome(struct llm *l, struct llm_outcome *o, struct proc_result *res)
{
	if (!o->ok) {
		proc_result_error(res, o->kind, "%s", o->message);
		res->retry = (int)o->retry;
		res->retry_after_ms = o->retry_after_ms;
		res->quota_rpm = o->quota_rpm;
		return;
	}
	answer(l, o, res);
	if (res->ok && (res->extra = json_object()) != NULL) {
		if (o->usage != NULL)
			json_object_set(res->extra, "usage", o->usage);
		if (o->model_version[0] != '\0')
			json_object_set_new(res->extra, "model_version",
			    json_string(o->model_version));
	}
}

/*
 * Reads what came back.  A server or a proxy may quote the key (a 400
 * that names it, a page that echoes the request's headers): it goes
 * before the parser sees the body, so that no message the parser cuts
 * short keeps a piece of it and no credential pattern in llm.c redacts
 * only its first half.
 */
static void
response(struct llm *l, const struct http_response *resp,
    struct proc_result *res)
{
	struct llm_outcome o;
	const char *body = resp->body;
	char *copy = NULL;
	size_t len = resp->len;

	if (secret_in(&l->key, body, len) &&
	    (body = copy = secret_redact(&l->key, body, len, &len)) == NULL) {
		proc_result_error(res, KIND_INTERNAL, "out of memory");
		return;
	}
	llm_outcome_init(&o);
	if ((l->api == API_GEMINI ? gemini_parse : openai_parse)(resp->status,
	    body, len, &o) == -1)
		proc_result_error(res, KIND_INTERNAL, "out of memory");
	else
		outcome(l, &o, res);
	llm_outcome_release(&o);
	free(copy);
}

static void
llm_process(void *state, json_t *row, uint64_t index,
    struct proc_result *res)
{
	struct llm *l = state;
	struct http_response resp;
	enum http_status st;
	char err[512], *body;
	size_t len;

	if ((body = llm_render(l, row, &len)) == NULL) {
		proc_result_error(res, KIND_INTERNAL, "out of memory");
		return;
	}
	st = http_post(l->http, l->url, body, len, &resp, err, sizeof(err));
	free(body);
	if (st != HTTP_DONE)
		transport_error(res, st, err);
	else
		response(l, &resp, res);
}

/* ---- options ---- */

static const char *const dialects[] = { "json", "openapi", NULL };

/* What both APIs are told. */
static const struct proc_option llm_options[] = {
	{ .key = "prompt", .name = "prompt", .arg = "FILE",
	  .type = PROC_OPT_TEXT_FILE, .results = true, .required = true,
	  .help = "the prompt template: {{column}} is replaced by the row's "
	  "value" },
	{ .key = "system", .name = "system", .arg = "FILE",
	  .type = PROC_OPT_TEXT_FILE, .results = true,
	  .help = "the system instruction" },
	{ .key = "schema", .name = "schema", .arg = "FILE",
	  .type = PROC_OPT_SCHEMA_FILE, .results = true,
	  .help = "the JSON Schema of the answer: the model answers JSON, "
	  "checked against it (without it, data is {\"text\": ...})" },
	{ .key = "schema_dialect", .name = "schema-dialect",
	  .type = PROC_OPT_ENUM, .values = dialects, .def = "json",
	  .results = true,
	  .help = "json sends the schema as responseJsonSchema, openapi as "
	  "responseSchema (Gemini's OpenAPI subset)" },
	{ .key = "temperature", .name = "temperature", .arg = "T",
	  .type = PROC_OPT_NUMBER, .results = true,
	  .help = "the sampling temperature; default: the model's" },
	{ .key = "max_output_tokens", .name = "max-output-tokens", .arg = "N",
	  .type = PROC_OPT_COUNT, .min = 1, .max = 10000000, .results = true,
	  .help = "at most N tokens in an answer; default: the model's" },
	{ .key = NULL },
};

static const struct proc_option gemini_options[] = {
	{ .key = "model", .name = "model", .arg = "NAME",
	  .type = PROC_OPT_STRING, .def = "gemini-2.5-flash",
	  .results = true, .help = "the model" },
	{ .key = "endpoint", .name = "endpoint", .arg = "URL",
	  .type = PROC_OPT_STRING,
	  .def = "https://generativelanguage.googleapis.com",
	  .help = "the API: rowpool posts to "
	  "URL/v1beta/models/MODEL:generateContent" },
	{ .key = "thinking_budget", .name = "thinking-budget", .arg = "N",
	  .type = PROC_OPT_COUNT, .min = 0, .max = 1000000, .none = "-1",
	  .def = "0", .results = true,
	  .help = "thinking tokens, -1 to leave it to the model; extraction "
	  "needs none, and thinking can eat the output budget" },
	{ .key = NULL },
};

static const struct proc_option openai_options[] = {
	{ .key = "model", .name = "model", .arg = "NAME",
	  .type = PROC_OPT_STRING, .def = "gpt-4o-mini", .results = true,
	  .help = "the model" },
	{ .key = "endpoint", .name = "endpoint", .arg = "URL",
	  .type = PROC_OPT_STRING, .required = true,
	  .help = "the API: rowpool posts to URL/chat/completions" },
	/* Not an option here: kept (null) so that the settings keep the
	 * keys they always had and state directories resume. */
	{ .key = "thinking_budget", .type = PROC_OPT_COUNT, .results = true },
	{ .key = NULL },
};

static const struct proc_option *const gemini_tables[] = {
	llm_options, gemini_options, apikey_options, NULL
};

static const struct proc_option *const openai_tables[] = {
	llm_options, openai_options, apikey_options, NULL
};

static const char *const gemini_keys[] = {
	"GEMINI_API_KEY", "GOOGLE_API_KEY", NULL
};

static const char *const openai_keys[] = { "OPENAI_API_KEY", NULL };

const struct processor proc_gemini = {
	.name = "gemini",
	.summary = "Gemini's generateContent API",
	.options = gemini_tables,
	.key_env = gemini_keys,
	.key_required = true,
	.check = llm_check,
	.init = gemini_init,
	.render_init = gemini_render_init,
	.process = llm_process,
	.fini = llm_fini,
	.render = llm_render,
	.render_fini = llm_fini,
};

const struct processor proc_openai = {
	.name = "openai",
	.summary = "an OpenAI-compatible /chat/completions endpoint",
	.options = openai_tables,
	.key_env = openai_keys,
	.check = llm_check,
	.init = openai_init,
	.render_init = openai_render_init,
	.process = llm_process,
	.fini = llm_fini,
	.render = llm_render,
	.render_fini = llm_fini,
};

/* ---- batch mode (proc_llm.h) ---- */

struct llm *
llm_batch_open(const struct proc_config *cfg, bool with_http, char *err,
    size_t errlen)
{
	struct llm *l;

	if ((l = llm_new(API_GEMINI, cfg, err, errlen)) == NULL)
		return NULL;
	if (with_http && (l->http = make_http(API_GEMINI, cfg, err,
	    errlen)) == NULL) {
		llm_fini(l);
		return NULL;
	}
	return l;
}

char *
llm_batch_body(struct llm *l, json_t *row)
{
	char *prompt, *body;
	size_t len;

	if ((prompt = template_render(l->tmpl, row, &len)) == NULL)
		return NULL;
	body = request_body(l, prompt);
	free(prompt);
	return body;
}

void
llm_batch_read(struct llm *l, long status, const char *body, size_t len,
    struct proc_result *res)
{
	struct http_response resp = { .status = status, .body = body,
	    .len = len };

	response(l, &resp, res);
}

void
llm_batch_close(struct llm *l)
{
	llm_fini(l);
}
