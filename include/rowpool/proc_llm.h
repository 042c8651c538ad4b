/*
 * proc_llm: the Gemini processor's request and answer for one row, lent
 * to batch mode (batch.h, batchapi.h) so that a row sent in a batch is
 * the very request online mode sends, and each line of a batch's
 * responses file goes through the same parser, failure taxonomy and
 * schema check as an online answer.
 *
 * Domain tier: a result, never prints or exits.
 *
 * Calling sequence:
 *  1. l = llm_batch_open(cfg, with_http, err, errlen): the prompt
 *     template, the schema and the request's fixed part from cfg's
 *     settings; with_http false where no row is sent (the supervisor:
 *     no libcurl there);
 *  2. llm_batch_body(l, row): a row's generateContent request body;
 *     llm_batch_read(l, status, body, len, &res): what came back for a
 *     row (an HTTP status and a GenerateContentResponse, or an error
 *     envelope) as its result;
 *  3. llm_batch_close(l).
 */
#ifndef ROWPOOL_PROC_LLM_H
#define ROWPOOL_PROC_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/processor.h"

struct llm;

/* NULL with err set (a bad template, out of memory, libcurl). */
struct llm	*llm_batch_open(const struct proc_config *cfg, bool with_http,
		    char *err, size_t errlen);
/* The request body as JSON text (malloc'd), or NULL out of memory. */
char		*llm_batch_body(struct llm *l, json_t *row);
/* Fills res (proc_result_init'ed), as the processor would. */
void		 llm_batch_read(struct llm *l, long status, const char *body,
		    size_t len, struct proc_result *res);
void		 llm_batch_close(struct llm *l);

#endif
