/*
 * batch: `rowpool run --mode batch`, the supervisor's side.  Rows not
 * done are rendered (the same generateContent request as online) into
 * request files in the state directory, a chunk of at most --batch-rows
 * rows each; each chunk is uploaded, submitted as one batch, polled with
 * backoff until it ends, and its responses file downloaded; every line
 * becomes its row's result through the same parser, taxonomy and schema
 * check as online mode (proc_llm.h), handed to the run (batch_host) to
 * journal or retry.  Every call to the API is a task for a worker
 * (batchapi.h): libcurl never runs in the supervisor.
 *
 * The state file STATE/batches (batchstate.h) records each chunk's step,
 * rows, file and batch names, replaced atomically at each step, so that:
 *  - a chunk's batch name is on disk before rowpool waits on it;
 *  - a chunk whose create may have been sent (step "creating") is looked
 *    for by its display name (rowpool-JOB-NONCE-ID, JOB from the input's
 *    fingerprint and the settings, NONCE the state's own) before it is
 *    created again: a kill between create and commit never pays twice;
 *  - a chunk is marked collected only after its rows' results are
 *    committed (the run's checkpoint); collected again after a crash,
 *    its rows already done are skipped;
 *  - a row is in at most one live chunk: a row held by one is neither
 *    read again (batch_holds) nor taken from another chunk's results.
 *
 * Policy tier: it decides what to call next and what a failed call
 * means, but reports through batch_host and never exits.
 *
 * Calling sequence (in the supervisor):
 *  1. b = batch_open(&opts, &status, err, errlen) after the state is
 *     recovered;
 *  2. from the pool's callbacks: batch_next() for the next call to make,
 *     batch_outcome() for an outcome whose row has BATCH_OP_BIT;
 *     batch_holds() when reading input;
 *  3. batch_parked_why() for the message of a run that stops to wait;
 *  4. batch_free(b).
 */
#ifndef ROWPOOL_BATCH_H
#define ROWPOOL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/pool.h"
#include "rowpool/processor.h"

/* A row handed over for a chunk: valid until the next take. */
struct batch_row {
	uint64_t	 row;
	const char	*json;		/* the row as JSON text, or */
	size_t		 len;
	bool		 request;	/* json is its request (a retry) */
	unsigned	 attempts;	/* charged so far */
};

/* The Batch API bills half the standard price. */
#define BATCH_PRICE_FACTOR	0.5

/* What the run lends batch mode. */
struct batch_host {
	void	*arg;
	/* The next row for a chunk: 1 with *row, 0 when none is left now,
	 * -1 when the run is stopping. */
	int	(*take)(void *arg, int64_t now, struct batch_row *row);
	/* Is row still to be done? */
	bool	(*wanted)(void *arg, uint64_t row);
	/* A row's result from its batch; attempts counts this one; request
	 * (len bytes, valid during the call) is the request it was: what a
	 * retry sends again, in a batch or online (BATCH_REQUEST_BIT). */
	void	(*result)(void *arg, uint64_t row, unsigned attempts,
		    const struct proc_result *res, const char *request,
		    size_t len, int64_t latency_ms, int64_t now);
	/* A checkpoint of what is journaled: 0, or -1 (the run failed). */
	int	(*commit)(void *arg, int64_t now);
	/* Stops the run with status and why. */
	void	(*fail)(void *arg, int status, const char *why);
};

struct batch_opts {
	const char		*dir;		/* the state directory */
	const char		*fingerprint;	/* the input's */
	const json_t		*settings;	/* those that change results */
	const struct proc_config *pcfg;		/* to render requests */
	unsigned		 rows;		/* --batch-rows */
	uint64_t		 max_bytes;	/* a request file's limit */
	bool			 wait;		/* --wait: poll to the end */
	bool			 restart;	/* --restart: forget the chunks */
	int64_t			 poll_min_ms;	/* the first poll's wait */
	int64_t			 poll_max_ms;	/* --batch-poll */
	int64_t			 max_outage_ms;	/* calls failing this long */
	int64_t			 unreachable_ms;
	struct batch_host	 host;
};

enum batch_next {
	BATCH_TASK,	/* *pt is a call to make */
	BATCH_WAIT,	/* nothing now: ask again at *wake_at (-1: on an
			   outcome) */
	BATCH_PARKED,	/* only batches running on the server are left,
			   each polled this run, and no --wait */
	BATCH_DONE	/* no chunk left, none to build */
};

struct batch;

/*
 * Loads STATE/batches (none yet: a new one).  NULL on failure, with
 * *status (sysexits.h) and err.
 */
struct batch	*batch_open(const struct batch_opts *o, int *status,
		    char *err, size_t errlen);
void		 batch_free(struct batch *b);

/* Is row in a chunk not yet collected? */
bool		 batch_holds(const struct batch *b, uint64_t row);

enum batch_next	 batch_next(struct batch *b, int64_t now,
		    struct pool_task *pt, int64_t *wake_at);
void		 batch_outcome(struct batch *b, const struct pool_outcome *o);

/* Rows in live chunks, and the message of a parked run. */
uint64_t	 batch_rows_waiting(const struct batch *b);
const char	*batch_parked_why(struct batch *b);

#endif
