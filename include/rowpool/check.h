/*
 * check: `rowpool check`, a run's command line tried without the run.
 * It checks, in this order, and prints one line for each on standard
 * output: the settings; the input (opened, its rows counted, CSV's
 * header read); each file a processor option names (read and checked as
 * a run reads it: procopt.h), the prompt's placeholders against the
 * input's columns (the processor's own check); the API key (present,
 * its file private: apikey.h); that the state directory and the
 * directories of the output and the log are writable; then one
 * request, the processor run on the input's first good row in a worker
 * (trial.h), which proves the endpoint, the model and the key.  The
 * request is not sent when a check before it failed.
 *
 *	ok   input 'leads.csv': CSV, 615 rows, columns: name, party
 *	FAIL schema 's.json': line 1, column 2: ...: fix the schema
 *	skip request: not sent: fix what failed first
 *
 * Each line is "ok", "warn" (a run would go on, but look: bad input
 * rows, a row the model refused), "FAIL" (says what to fix) or "skip",
 * padded to 5 columns.  It writes nothing, makes no directory, never
 * takes the state's lock (a run may be going on: it tests it as rowpool
 * status does, status.h) and never prints the key or a part of it.  It
 * reads INPUT once: standard input ("-") too, into memory.
 *
 * Policy tier: prints; returns the exit status, never exits.
 */
#ifndef ROWPOOL_CHECK_H
#define ROWPOOL_CHECK_H

#include "rowpool/processor.h"
#include "rowpool/run.h"

/*
 * Checks what o (parsed and checked as for a run: main) and p's option
 * arguments args (one per option of p, in processor_option() order, or
 * NULL) would run.  o->settings gets p's settings added.  Returns 0 when
 * no line is FAIL; 77 (EX_NOPERM) when the API refused the key; 78
 * (EX_CONFIG) when another check failed, the input missing included;
 * 64 (EX_USAGE) when an argument of p's options is malformed (then it
 * prints "rowpool: why" on standard error, as run does, and no list).
 */
int	check_main(const struct run_opts *o, const struct processor *p,
	    const char *const *args);

#endif
