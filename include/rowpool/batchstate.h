/*
 * batchstate: the file STATE/batches, batch mode's record of its chunks,
 * one JSON object replaced atomically (durable.h):
 *
 *   {"version":1,"job":"<12 hex>","nonce":"<8 hex>","endpoint":URL,
 *    "model":NAME,"next_chunk":N,"chunks":[CHUNK...]}
 *
 *   CHUNK: {"id":N,"display":"rowpool-JOB-NONCE-N","step":STEP,
 *    "rows":[[first,last]...],"nrows":N,"bytes":N,"request":FILE,
 *    "attempts":{"ROW":N...},"built":TIME,"file":"files/..."|null,
 *    "name":"batches/..."|null,"state":"BATCH_STATE_..."|null,
 *    "submitted":TIME|null,"submitted_epoch":S|null,"ended":TIME|null,
 *    "responses":"files/..."|null,"error":MSG|null,
 *    "requests":N,"succeeded":N,"errors":N (the API's batchStats),
 *    "ok":N,"failed":N (once collected: its rows ok, and not ok)}
 *
 *   STEP: built (its request file written), uploaded, creating (a create
 *   may have been sent), submitted (the batch's name known), ended (it
 *   reached a final state), collected (its rows' results committed; its
 *   rows and request file are then dropped).
 *
 * Mechanism tier (load, save: -1 with errno) plus the read-only views
 * rowpool status and rowpool cancel share.
 */
#ifndef ROWPOOL_BATCHSTATE_H
#define ROWPOOL_BATCHSTATE_H

#include <stdio.h>
#include <jansson.h>

#define BATCHSTATE_FILE		"batches"
#define BATCHSTATE_VERSION	1

/*
 * Reads DIR/batches into *root (a new reference).  Returns 1, 0 when
 * there is no such file (*root NULL), or -1 with errno (EBADMSG: not a
 * batch state of this version).
 */
int	batchstate_load(const char *dir, json_t **root);

/* Replaces DIR/batches with root.  -1 with errno and *step (durable.h). */
int	batchstate_save(const char *dir, const json_t *root, const char **step);

/* Is a chunk's step one whose batch may still run or be collected? */
int	batchstate_live(const json_t *chunk);

/*
 * For rowpool status: the chunks of root as a JSON array of {"id",
 * "step","name","state","rows","submitted","answered","errors" (the
 * API's counts),"ok","failed" (rows, once collected)}; a new reference
 * (an empty array for NULL).
 */
json_t	*batchstate_json(const json_t *root);

/*
 * That array as text: a line per chunk not collected ("batch 3:
 * batches/abc BATCH_STATE_RUNNING, 10000 rows, submitted ...") and one
 * summing up the collected ones; nothing for NULL or [].
 */
void	batchstate_print(FILE *fp, const json_t *batches);

#endif
