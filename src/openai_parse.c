/*
 * openai_parse: an OpenAI-compatible /chat/completions response (HTTP
 * status and body) to a struct llm_outcome, with the same taxonomy as
 * gemini_parse.  Pure: no I/O, no clock.
 *
 * Servers that speak this dialect vary (OpenAI, Azure, Gemini's
 * compatibility endpoint, local servers), so errors are read in either
 * envelope, OpenAI's or Google's, and only choice 0 is read.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/llm.h"
#include "llm_local.h"

static int
same(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

static void
openai_error(struct llm_outcome *o, const json_t *root)
{
	const json_t *err = json_object_get(root, "error");
	const char *type = llm_str(err, "type");
	const char *code = llm_str(err, "code");
	struct llm_error e;

	llm_error_init(&e, o->http_status, err);
	if (code != NULL || type != NULL)
		e.label = code != NULL ? code : type;
	if (e.message == NULL)
		e.message = llm_str(root, "message");
	if (e.message == NULL)
		e.message = llm_str(root, "detail");
	e.no_quota = same(type, "insufficient_quota") ||
	    same(code, "insufficient_quota");
	e.filtered = same(code, "content_filter");
	llm_error_fail(o, &e);
}

static int
openai_meta(struct llm_outcome *o, const json_t *root)
{
	const json_t *u = json_object_get(root, "usage");
	const json_t *details = json_object_get(u,
	    "completion_tokens_details");
	json_int_t cached = llm_count(json_object_get(u,
	    "prompt_tokens_details"), "cached_tokens");

	llm_clean_str(o->model_version, sizeof(o->model_version),
	    llm_str(root, "model"));
	if (!json_is_object(u))
		return 0;
	if (llm_set_usage(o, llm_count(u, "prompt_tokens"),
	    llm_count(u, "completion_tokens"),
	    llm_count(details, "reasoning_tokens"),
	    llm_count(u, "total_tokens")) == -1)
		return -1;
	if (cached > 0 && json_object_set_new(o->usage, "cached_tokens",
	    json_integer(cached)) == -1)
		return -1;
	return 0;
}

/* message.content: a string, or an array of {"type":"text","text":...}. */
static int
openai_content(const json_t *msg, char **text)
{
	const json_t *c = json_object_get(msg, "content");

	if (json_is_array(c))
		return llm_join_text(c, text);
	*text = NULL;
	if (json_string_length(c) == 0)
		return 0;
	*text = strdup(json_string_value(c));
	return *text != NULL ? 0 : -1;
}

/* Any finish_reason but "stop". */
static void
openai_finish_fail(struct llm_outcome *o)
{
	if (strcmp(o->finish_reason, "length") == 0)
		llm_fail(o, KIND_TRUNCATED, RETRY_ONCE, "response cut at the "
		    "output token limit: finish_reason length");
	else if (strcmp(o->finish_reason, "content_filter") == 0)
		llm_fail(o, KIND_BLOCKED, RETRY_NO, "response blocked: "
		    "finish_reason content_filter");
	else
		llm_fail(o, KIND_BLOCKED, RETRY_NO, "response stopped for a "
		    "reason rowpool does not know: finish_reason %s",
		    o->finish_reason);
}

/* message.refusal (structured outputs): 1 and o filled, or 0. */
static int
openai_refused(struct llm_outcome *o, const json_t *msg)
{
	const char *refusal = llm_str(msg, "refusal");
	char buf[LLM_MESSAGE_MAX];

	if (refusal == NULL || *refusal == '\0')
		return 0;
	llm_clean_str(buf, sizeof(buf), refusal);
	llm_fail(o, KIND_BLOCKED, RETRY_NO, "model refused: %s", buf);
	return 1;
}

static int
openai_choice(struct llm_outcome *o, const json_t *choice)
{
	const json_t *msg = json_object_get(choice, "message");
	char *text;

	llm_clean_str(o->finish_reason, sizeof(o->finish_reason),
	    llm_str(choice, "finish_reason"));
	if (openai_refused(o, msg))
		return 0;
	if (o->finish_reason[0] != '\0' &&
	    strcmp(o->finish_reason, "stop") != 0) {
		openai_finish_fail(o);
		return 0;
	}
	if (openai_content(msg, &text) == -1)
		return llm_nomem(o);
	if (text == NULL) {
		llm_fail(o, KIND_TRUNCATED, RETRY_ONCE, "response has no content");
		return 0;
	}
	o->ok = 1;
	o->text = text;
	return 0;
}

/* A 2xx body that is not an error envelope. */
static int
openai_body(struct llm_outcome *o, const json_t *root)
{
	const json_t *choice = json_array_get(json_object_get(root,
	    "choices"), 0);

	if (openai_meta(o, root) == -1)
		return llm_nomem(o);
	if (!json_is_object(choice)) {
		llm_fail(o, KIND_HTTP, RETRY_YES, "HTTP %ld: response has no "
		    "choices", o->http_status);
		return 0;
	}
	return openai_choice(o, choice);
}

int
openai_parse(long http_status, const char *body, size_t len,
    struct llm_outcome *o)
{
	return llm_parse(http_status, body, len, o, openai_error, openai_body);
}
