/*
 * worker: the main loop of a worker process.  It starts the processor,
 * says READY, then answers each TASK frame with one RESULT frame until
 * its channel reaches end of file.  A worker never writes a file: what it
 * learns goes back over the channel, and only the supervisor records it.
 *
 * Policy tier inside the worker: it decides to exit, never the processor.
 */
#ifndef ROWPOOL_WORKER_H
#define ROWPOOL_WORKER_H

#include "rowpool/processor.h"

/* Exit statuses of a worker process. */
#define WORKER_EXIT_OK		0
#define WORKER_EXIT_CHANNEL	1	/* the channel broke */
#define WORKER_EXIT_INIT	2	/* the processor could not start */
#define WORKER_EXIT_RESTART	4	/* the processor asked for a restart */

/*
 * Serves frames on fd with processor proc until end of file, or until a
 * result that asks for a restart has been sent.  If init fails, sends a
 * FATAL frame with the reason first.  Returns the exit status for the
 * process.  Sets the process title to the row in hand.  The processor's
 * say (processor.h) sends LOG frames, redacted as the results are.
 *
 * The key: before init, the process is made undumpable with core dumps
 * off (secret_nodump); every frame it sends (the FATAL reason, each
 * result's message, data and extra fields) has cfg->api_key redacted
 * (secret.h), whatever the processor did.
 */
int	worker_serve(int fd, const struct processor *proc,
	    const struct proc_config *cfg);

#endif
