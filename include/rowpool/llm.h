/*
 * llm: what one call to a model API came back with, whatever the API.
 * gemini_parse() and openai_parse() turn an HTTP status and body into a
 * struct llm_outcome; they are pure (no I/O, no clock) and fuzzable.
 *
 * The failure taxonomy (README "Error kinds"):
 *
 *   what came back                               kind             retry
 *   429 RESOURCE_EXHAUSTED, per-minute quota     rate_limited     yes, not before
 *                                                                 RetryInfo.retryDelay
 *   429 whose QuotaFailure quotaId has PerDay    quota_exhausted  no (the run stops, 75)
 *   500 502 503 504 408                          http             yes
 *   400 INVALID_ARGUMENT, 404, other 4xx         http             no
 *   401, 403, 400 with reason API_KEY_INVALID    auth             no (the run stops, 77)
 *   promptFeedback.blockReason                   blocked          no
 *   finishReason SAFETY RECITATION OTHER ... or
 *   one not known                                blocked          no
 *   finishReason MAX_TOKENS, or no text parts    truncated        once
 *   text not JSON / JSON breaking the schema     invalid_output   yes
 *   (checked by the caller, see schema.h)
 *   a body that is not JSON (proxy HTML page)    http             yes
 *   (network errors and timeouts are classified by http.h: network/timeout)
 *
 * Domain tier: a status and a message; never prints or exits.
 */
#ifndef ROWPOOL_LLM_H
#define ROWPOOL_LLM_H

#include <stddef.h>
#include <jansson.h>

#include "rowpool/sched.h"

#define LLM_KIND_MAX	32
#define LLM_MESSAGE_MAX	512

struct llm_outcome {
	int			 ok;		/* 1: text is the answer */
	char			*text;		/* ok: answer text, thought parts
						   skipped, parts joined (malloc) */
	char			 kind[LLM_KIND_MAX];	/* !ok */
	char			 message[LLM_MESSAGE_MAX];	/* !ok: e.g. "HTTP 503
					   UNAVAILABLE: The model is overloaded..." */
	enum retry_policy	 retry;		/* !ok: per the table above */
	long			 retry_after_ms;	/* RetryInfo; -1 when absent */
	long			 http_status;
	char			 finish_reason[32];	/* "" when absent */
	char			 model_version[128];	/* "" when absent */
	/* {"prompt_tokens":N,"output_tokens":N,"thoughts_tokens":N,
	 *  "total_tokens":N}; missing counts are 0; NULL when the body had
	 *  no usage at all.  Owned. */
	json_t			*usage;
};

void	llm_outcome_init(struct llm_outcome *o);
void	llm_outcome_release(struct llm_outcome *o);

/*
 * Parses a generateContent response.  Any field may be missing.  Always
 * fills o (ok or an error kind); returns 0, or -1 with ENOMEM.
 */
int	gemini_parse(long http_status, const char *body, size_t len,
	    struct llm_outcome *o);

/* The same for an OpenAI-compatible /chat/completions response. */
int	openai_parse(long http_status, const char *body, size_t len,
	    struct llm_outcome *o);

/*
 * Parses a google.protobuf.Duration string as Gemini sends it ("58s",
 * "45.837906927s", "0.5s") into milliseconds, rounded up.  Returns -1 when
 * s is not such a string.
 */
long	llm_parse_duration_ms(const char *s);

#endif
