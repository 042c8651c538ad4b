/*
 * llm: what one call to a model API came back with, whatever the API.
 * gemini_parse() and openai_parse() turn an HTTP status and body into a
 * struct llm_outcome; they are pure (no I/O, no clock) and fuzzable.
 *
 * The failure taxonomy (README "Error kinds"):
 *
 *   what came back                            kind             retry
 *   429 RESOURCE_EXHAUSTED, per-minute quota  rate_limited     yes, not before
 *                                                              retryDelay
 *   429 whose QuotaFailure quotaId has PerDay quota_exhausted  no (run stops,
 *                                                              75)
 *   500 502 503 504 408, any other 5xx        http             yes
 *   400 INVALID_ARGUMENT, 404, other 4xx      http             no
 *   401, 403, 400 with reason API_KEY_INVALID auth             no (run stops,
 *                                                              77)
 *   promptFeedback.blockReason, or no         blocked          no
 *   candidates but a promptFeedback
 *   finishReason SAFETY RECITATION OTHER ...  blocked          no
 *   or one not known
 *   finishReason MAX_TOKENS, or no text parts truncated        once
 *   text not JSON / JSON breaking the schema  invalid_output   yes
 *   (checked by the caller, see schema.h)
 *   a body that is not JSON (proxy HTML page) http             yes
 *   whatever the status, or empty, or a
 *   2xx object with no candidates
 *   (network errors and timeouts are classified by http.h: network/timeout)
 *
 * Domain tier: a status and a message; never prints or exits.
 */
#ifndef ROWPOOL_LLM_H
#define ROWPOOL_LLM_H

#include <stddef.h>
#include <jansson.h>

#include "rowpool/kind.h"

#define LLM_MESSAGE_MAX	512

struct llm_outcome {
	int			 ok;		/* 1: text is the answer */
	char			*text;		/* ok: answer text, thought
						   parts skipped, parts joined
						   (malloc) */
	enum kind		 kind;		/* !ok */
	/* !ok: e.g. "HTTP 503 UNAVAILABLE: The model is overloaded..." */
	char			 message[LLM_MESSAGE_MAX];
	enum retry_policy	 retry;		/* !ok: per the table above */
	/* RetryInfo, else the message's "retry in 58s"; -1 when neither */
	long			 retry_after_ms;
	long			 http_status;
	/* A 429's QuotaFailure: the per-minute request quota it names
	 * (quotaValue of a ...RequestsPerMinute... quotaId); 0 when none. */
	long			 quota_rpm;
	char			 finish_reason[32];	/* "" when absent */
	char			 model_version[128];	/* "" when absent */
	/*
	 * {"prompt_tokens":N,"output_tokens":N,"thoughts_tokens":N,
	 *  "total_tokens":N} and, on a cache hit, "cached_tokens":N (Gemini's
	 * cachedContentTokenCount, part of prompt_tokens); missing counts
	 * are 0; NULL when the body had no usage at all.  Owned.
	 */
	json_t			*usage;
};

/* Sets o to an empty, not-ok outcome: no text, no usage, retry_after -1. */
void	llm_outcome_init(struct llm_outcome *o);
/* Frees text and usage and sets o as llm_outcome_init() does. */
void	llm_outcome_release(struct llm_outcome *o);

/*
 * Parses a generateContent response: len bytes at body (not necessarily
 * NUL-terminated; body may be NULL when len is 0).  Any field may be
 * missing or of the wrong type.  o need not be initialised and is
 * overwritten (release it first when reusing one).  Always fills o (ok or
 * an error kind); returns 0, or -1 with ENOMEM (o then says kind "http",
 * retry yes, and holds nothing to free).
 *
 * Beyond the table:
 *  - an error envelope ({"error":{...}}, or {"error":"text"}) in a 2xx
 *    body is an error, with error.code as its status when that is a 4xx
 *    or 5xx;
 *  - a 4xx with an ErrorInfo reason "API_KEY_..." is auth; a 429 whose
 *    ErrorInfo metadata.quota_limit has PerDay is quota_exhausted;
 *  - retry_after_ms comes from RetryInfo, else from "retry in 58.2s" /
 *    "try again in 600ms" in the message, else -1;
 *  - 3xx is http, no retry; other statuses outside 2xx-5xx, http, retry;
 *  - [{"error":...}] is read as its first element (the OpenAI-compatible
 *    endpoint wraps Gemini's errors so);
 *  - finishReason absent or FINISH_REASON_UNSPECIFIED counts as STOP, and
 *    blockReason BLOCK_REASON_UNSPECIFIED as absent; a joined text that
 *    is "" counts as no text.
 *
 * message is one line of valid UTF-8 (control characters and line breaks
 * become spaces), cut at a character boundary with "..." when too long.
 * It quotes only what the server said (status, message, finish and block
 * reasons, a printable-ASCII excerpt of a non-JSON body) and never the
 * request; anything shaped like a credential in that text (AIza..., sk-...,
 * key=..., Bearer ...) becomes "[redacted]".
 */
int	gemini_parse(long http_status, const char *body, size_t len,
	    struct llm_outcome *o);

/*
 * The same for an OpenAI-compatible /chat/completions response:
 * choices[0].message.content (a string, or an array of {"text":...}
 * parts) with finish_reason "stop" or none is ok; "length", or no content,
 * is truncated; "content_filter", a message.refusal or any other
 * finish_reason is blocked.  Errors ({"error":{"message","type","code"}},
 * or Gemini's envelope, bare or in an array): 401/403 auth; 429 with type
 * or code "insufficient_quota" (or a PerDay quota) quota_exhausted, else
 * rate_limited; a 4xx with code "content_filter" (Azure) blocked; the
 * rest as for gemini_parse.  The Retry-After header is the caller's
 * business; retry_after_ms only holds what the body says.  usage:
 * prompt_tokens; completion_tokens as output_tokens (OpenAI's include the
 * reasoning tokens, Gemini's candidatesTokenCount does not);
 * completion_tokens_details.reasoning_tokens as thoughts_tokens;
 * total_tokens; prompt_tokens_details.cached_tokens, when > 0, as
 * cached_tokens.  model_version is "model".
 */
int	openai_parse(long http_status, const char *body, size_t len,
	    struct llm_outcome *o);

/*
 * Parses a google.protobuf.Duration string as Gemini sends it ("58s",
 * "45.837906927s", "0.5s") into milliseconds, rounded up.  Returns -1 when
 * s is not such a string (NULL, "", "5", "-1s", " 5s", ".5s", "5.s") or
 * is too large for a long.
 */
long	llm_parse_duration_ms(const char *s);

#endif
