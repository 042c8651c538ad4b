/*
 * dryrun: rowpool run --dry-run.  Sends nothing and writes nothing: it
 * reads the whole input, renders the first 3 prompts to standard output,
 * counts the rows, and estimates the tokens (4 bytes a token, the system
 * instruction once per request) and, when a price is known, the cost of
 * the whole run.
 *
 * Policy tier: prints; returns the exit status (0, or the input's).
 */
#ifndef ROWPOOL_DRYRUN_H
#define ROWPOOL_DRYRUN_H

#include <stdio.h>

#include "rowpool/run.h"

#define DRYRUN_SHOW	3	/* prompts printed */

int	dryrun_main(const struct run_opts *o, FILE *out);

#endif
