/*
 * llm_local: what llm.c shares with the two response parsers
 * (gemini_parse.c, openai_parse.c).  Not part of the llm.h contract.
 */
#ifndef ROWPOOL_LLM_LOCAL_H
#define ROWPOOL_LLM_LOCAL_H

#include <stddef.h>
#include <jansson.h>

#include "rowpool/llm.h"

/* Room for a server's status or code label in a message. */
#define LLM_LABEL_MAX	64

/* What an error body said, gathered before it is classified. */
struct llm_error {
	long		 status;	/* the HTTP status, or error.code */
	const char	*label;		/* "RESOURCE_EXHAUSTED", a code... */
	const char	*message;	/* the server's text, or NULL */
	int		 per_day;	/* a quota id with PerDay */
	int		 bad_key;	/* ErrorInfo reason API_KEY_* */
	int		 no_quota;	/* OpenAI insufficient_quota */
	int		 filtered;	/* OpenAI/Azure content_filter */
	long		 retry_after_ms;	/* -1 when the body says none */
	long		 quota_rpm;	/* per-minute request quota, 0 */
};

/*
 * Starts e for a body that came with HTTP status, from the error object
 * err (anything, NULL included; a string is the message): its "message",
 * its "status" as the label, its google.rpc "details" (RetryInfo,
 * QuotaFailure, ErrorInfo), and its integer "code" as the status when
 * status is 2xx and code is a 4xx or 5xx.
 */
void	llm_error_init(struct llm_error *e, long status, const json_t *err);

/*
 * Fills o from e: the kind and retry policy per llm.h, retry_after_ms
 * (from e, else from the message text) and "HTTP 429 LABEL: message".
 */
void	llm_error_fail(struct llm_outcome *o, struct llm_error *e);

/*
 * Loads body as a JSON object into *root.  Returns 1 with *root (owned
 * by the caller); 0 when the body is empty, not JSON or not an object,
 * with o filled (http, retry yes); -1 with ENOMEM.
 */
int	llm_load(long status, const char *body, size_t len,
	    struct llm_outcome *o, json_t **root);

/*
 * The parse both APIs share: init o, load the body, then on_error for an
 * error status or an "error" member, on_body otherwise.  Returns as
 * gemini_parse() does.
 */
int	llm_parse(long http_status, const char *body, size_t len,
	    struct llm_outcome *o,
	    void (*on_error)(struct llm_outcome *, const json_t *),
	    int (*on_body)(struct llm_outcome *, const json_t *));

/* Sets o to a failure; the message is cut with "..." when too long. */
void	llm_fail(struct llm_outcome *o, enum kind kind,
	    enum retry_policy retry, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Fills o for ENOMEM and returns -1. */
int	llm_nomem(struct llm_outcome *o);

/*
 * Copies server text (len bytes, possibly not NUL-terminated) into dst
 * as one clean line: runs of control characters, spaces and line breaks
 * become one space, credentials "[redacted]", and with ascii set
 * anything but printable ASCII '?'.  Cut with "..." at a character
 * boundary when it does not fit.
 */
void	llm_clean(char *dst, size_t size, const char *src, size_t len,
	    int ascii);

/* llm_clean of a NUL-terminated string; "" for NULL. */
void	llm_clean_str(char *dst, size_t size, const char *s);

/*
 * The delay a message asks for ("Please retry in 58.217843437s.",
 * "Please try again in 600ms."), in ms rounded up; -1 when none.
 */
long	llm_message_delay_ms(const char *msg);

/* 1 when status is 2xx. */
int	llm_status_2xx(long status);

/* obj[key] if it is a string, else NULL. */
const char	*llm_str(const json_t *obj, const char *key);

/* obj[key] if it is a non-negative integer, else 0. */
json_int_t	 llm_count(const json_t *obj, const char *key);

/*
 * Joins the "text" strings of the objects in the array parts, skipping
 * those with "thought": true.  Sets *text to the malloc'd result, or NULL
 * when there is no text at all (or only ""); returns 0, or -1 with ENOMEM.
 */
int	llm_join_text(const json_t *parts, char **text);

/*
 * Sets o->usage to {"prompt_tokens":p,"output_tokens":out,
 * "thoughts_tokens":th,"total_tokens":tot}.  Returns 0, or -1 (ENOMEM).
 */
int	llm_set_usage(struct llm_outcome *o, json_int_t p, json_int_t out,
	    json_int_t th, json_int_t tot);

#endif
