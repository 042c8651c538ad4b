/*
 * gemini_parse: a generateContent response (HTTP status and body) to a
 * struct llm_outcome, per the table in llm.h.  Pure: no I/O, no clock.
 *
 * Nothing in the body is trusted: every field is looked up with its type
 * checked, so any byte string gives an outcome and never a crash; only
 * candidate 0 is read.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/llm.h"
#include "llm_local.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* finishReasons that mean the model was stopped; any other is unknown. */
static const char *const stop_reasons[] = {
	"SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
	"OTHER", "LANGUAGE", "IMAGE_SAFETY", "MALFORMED_FUNCTION_CALL",
	"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER",
	"NO_IMAGE", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS",
};

static void
gemini_error(struct llm_outcome *o, const json_t *root)
{
	struct llm_error e;

	llm_error_init(&e, o->http_status, json_object_get(root, "error"));
	llm_error_fail(o, &e);
}

/*
 * model_version and usage: kept whatever the outcome.  A cache hit adds
 * "cached_tokens" (part of prompt_tokens, billed lower: see price.h).
 */
static int
gemini_meta(struct llm_outcome *o, const json_t *root)
{
	const json_t *u = json_object_get(root, "usageMetadata");
	json_int_t cached = llm_count(u, "cachedContentTokenCount");

	llm_clean_str(o->model_version, sizeof(o->model_version),
	    llm_str(root, "modelVersion"));
	if (!json_is_object(u))
		return 0;
	if (llm_set_usage(o, llm_count(u, "promptTokenCount"),
	    llm_count(u, "candidatesTokenCount"),
	    llm_count(u, "thoughtsTokenCount"),
	    llm_count(u, "totalTokenCount")) == -1)
		return -1;
	if (cached > 0 && json_object_set_new(o->usage, "cached_tokens",
	    json_integer(cached)) == -1)
		return -1;
	return 0;
}

/* promptFeedback.blockReason, or NULL when absent or unspecified. */
static const char *
block_reason(const json_t *feedback)
{
	const char *r = llm_str(feedback, "blockReason");

	if (r == NULL || *r == '\0' ||
	    strcmp(r, "BLOCK_REASON_UNSPECIFIED") == 0)
		return NULL;
	return r;
}

static void
gemini_prompt_blocked(struct llm_outcome *o, const json_t *feedback)
{
	char reason[LLM_LABEL_MAX], msg[LLM_MESSAGE_MAX];

	llm_clean_str(reason, sizeof(reason), block_reason(feedback));
	llm_clean_str(msg, sizeof(msg), llm_str(feedback,
	    "blockReasonMessage"));
	llm_fail(o, KIND_BLOCKED, RETRY_NO, "prompt blocked%s%s%s%s",
	    reason[0] != '\0' ? ": blockReason " : "", reason,
	    msg[0] != '\0' ? ": " : "", msg);
}

/*
 * Candidate 0's finishReason, copied into o; NULL when it is absent or
 * unspecified, which both mean STOP.
 */
static const char *
finish_reason(struct llm_outcome *o, const json_t *cand)
{
	const char *r = llm_str(cand, "finishReason");

	llm_clean_str(o->finish_reason, sizeof(o->finish_reason), r);
	if (r == NULL || *r == '\0' ||
	    strcmp(r, "FINISH_REASON_UNSPECIFIED") == 0)
		return NULL;
	return r;
}

static int
known_stop(const char *r)
{
	size_t i;

	for (i = 0; i < NELEM(stop_reasons); i++)
		if (strcmp(stop_reasons[i], r) == 0)
			return 1;
	return 0;
}

/* Any finishReason but STOP. */
static void
gemini_finish_fail(struct llm_outcome *o, const json_t *cand, const char *r)
{
	char reason[LLM_LABEL_MAX], msg[LLM_MESSAGE_MAX];
	enum retry_policy retry = RETRY_NO;
	enum kind kind = KIND_BLOCKED;
	const char *what = "response blocked";

	if (strcmp(r, "MAX_TOKENS") == 0) {
		kind = KIND_TRUNCATED;
		retry = RETRY_ONCE;
		what = "response cut at the output token limit";
	} else if (!known_stop(r))
		what = "response stopped for a reason rowpool does not know";
	llm_clean_str(reason, sizeof(reason), r);
	llm_clean_str(msg, sizeof(msg), llm_str(cand, "finishMessage"));
	llm_fail(o, kind, retry, "%s: finishReason %s%s%s", what, reason,
	    msg[0] != '\0' ? ": " : "", msg);
}

static int
gemini_candidate(struct llm_outcome *o, const json_t *cand)
{
	const json_t *content = json_object_get(cand, "content");
	const char *r = finish_reason(o, cand);
	char *text;

	if (r != NULL && strcmp(r, "STOP") != 0) {
		gemini_finish_fail(o, cand, r);
		return 0;
	}
	if (llm_join_text(json_object_get(content, "parts"), &text) == -1)
		return llm_nomem(o);
	if (text == NULL) {
		llm_fail(o, KIND_TRUNCATED, RETRY_ONCE, "response has no text%s%s",
		    o->finish_reason[0] != '\0' ? ": finishReason " : "",
		    o->finish_reason);
		return 0;
	}
	o->ok = 1;
	o->text = text;
	return 0;
}

/* A 2xx body that is not an error envelope. */
static int
gemini_body(struct llm_outcome *o, const json_t *root)
{
	const json_t *feedback = json_object_get(root, "promptFeedback");
	const json_t *cand = json_array_get(json_object_get(root,
	    "candidates"), 0);

	if (gemini_meta(o, root) == -1)
		return llm_nomem(o);
	if (!json_is_object(cand))
		cand = NULL;
	if (block_reason(feedback) != NULL ||
	    (cand == NULL && json_is_object(feedback))) {
		gemini_prompt_blocked(o, feedback);
		return 0;
	}
	if (cand == NULL) {
		llm_fail(o, KIND_HTTP, RETRY_YES, "HTTP %ld: response has no "
		    "candidates", o->http_status);
		return 0;
	}
	return gemini_candidate(o, cand);
}

int
gemini_parse(long http_status, const char *body, size_t len,
    struct llm_outcome *o)
{
	return llm_parse(http_status, body, len, o, gemini_error, gemini_body);
}
