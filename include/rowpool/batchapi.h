/*
 * batchapi: the worker's side of batch mode.  libcurl stays out of the
 * supervisor, so every call to the Batch API is a task the pool hands a
 * worker, as a row is: its id has BATCH_OP_BIT set and its payload is the
 * operation, a JSON object:
 *
 *   {"op":"upload","path":P,"display":D}   the request file P, through
 *       the Files API's resumable upload -> {"file":"files/..."}
 *   {"op":"create","file":F,"display":D}   batchGenerateContent with the
 *       input file F -> a batch (below)
 *   {"op":"find","display":D}   batches.list, every page, for the batch
 *       called D -> a batch, or {"name":null}
 *   {"op":"get","name":N}   batches.get -> a batch
 *   {"op":"cancel","name":N}   batches.cancel -> {}
 *   {"op":"download","file":F,"from":K,"max_bytes":M}   the responses
 *       file F, its lines from the K-th on, each through the Gemini
 *       processor's parser, taxonomy and schema check (proc_llm.h) ->
 *       {"results":[[row, RESULT], ...],"lines":N,"bad":B,"next":K2|null}
 *       where RESULT is the row's result as a RESULT payload (proto.h),
 *       N the lines read, B the lines that are no line of a responses
 *       file, and next the line to go on from when the results passed M
 *       bytes
 *
 * A batch is {"name","display","state" (BATCH_STATE_...),"done",
 * "responses" (files/... or null),"error" (the batch's error message or
 * null),"requests","succeeded","failed"}.  A failed call is a failed
 * result whose kind says what went wrong (the taxonomy of llm.h: auth,
 * rate_limited, http, network, timeout...), its message naming the call.
 * A task with BATCH_REQUEST_BIT instead is a row's request body (what
 * the row was in its batch), sent online to generateContent and read as
 * the gemini processor reads an answer (--batch-retry online).
 *
 * The key goes in the x-goog-api-key header only, and only to the
 * endpoint's own origin: an upload URL on another host is refused.
 *
 * Domain tier: results, never prints or exits.
 */
#ifndef ROWPOOL_BATCHAPI_H
#define ROWPOOL_BATCHAPI_H

#include <stdint.h>

#include "rowpool/processor.h"

#define BATCH_OP_BIT		(UINT64_C(1) << 63)
#define BATCH_REQUEST_BIT	(UINT64_C(1) << 62)

/* The worker's processor in batch mode: the gemini processor's settings,
 * options and key. */
extern const struct processor batchapi_processor;

#endif
