/*
 * cmd: the subcommands besides run.  Each is a policy entry point that
 * main calls with argv[0] the subcommand's name ("status"); it parses its
 * own options with getopt_long (main has not called getopt), prints, and
 * returns the process's exit status (sysexits.h).  None calls exit, so a
 * test may call one in its own process.
 */
#ifndef ROWPOOL_CMD_H
#define ROWPOOL_CMD_H

/*
 * rowpool status [--json] STATE_DIR|OUTPUT...: how a run is going or how
 * it ended (status.h), as text or one JSON object on standard output.
 * Returns 0; 64 (EX_USAGE) for a usage error; 65 (EX_DATAERR) for a
 * manifest that is not JSON or of an unknown version; 66 (EX_NOINPUT)
 * when there is no such state directory or no run has committed there
 * yet; 74 (EX_IOERR) when a read or the output failed; 77 (EX_NOPERM)
 * for a state directory it may not read; 71 (EX_OSERR) out of memory.
 */
int	cmd_status(int argc, char *argv[]);

/*
 * rowpool export [--format jsonl|csv] [--with-input] [--failed-only]
 * [--allow-partial] [--output FILE] STATE_DIR|OUTPUT...: a run's results
 * so far, in input order, or those of the shards of one run as that run
 * (export.h).  Returns 0 (also when the reader of standard output went
 * away: `| head`); 64 (EX_USAGE) for a usage error or an output that is
 * the input or in a state directory; 66 (EX_NOINPUT) when there is no
 * state or, for --with-input, no input; 65 (EX_DATAERR) for a damaged
 * state, an input changed since the run, or shards that do not make one
 * run; 73 (EX_CANTCREAT)
 * when the output cannot be created; 74 (EX_IOERR) for a read or write
 * error; 71 (EX_OSERR) out of memory; 75 (EX_TEMPFAIL) interrupted.
 */
int	cmd_export(int argc, char *argv[]);

/*
 * rowpool merge --output FILE [--allow-partial] SHARD...: the shards of
 * one run (--shard K/N) joined into one output in input order (merge.c).
 * Returns 0; 64 (EX_USAGE); 65 (EX_DATAERR) for shards that do not make
 * one run (missing, unfinished, another input or settings, two claiming
 * the same rows); 66 (EX_NOINPUT) for a shard with no state; 73, 74, 71.
 */
int	cmd_merge(int argc, char *argv[]);

/*
 * rowpool cancel [--api-key-file FILE] STATE_DIR|OUTPUT: cancels the
 * batches a batch-mode run submitted there and that have not ended
 * (cmd_cancel.c), holding the state's lock meanwhile.  Returns 0; 64
 * (EX_USAGE); 66 (EX_NOINPUT) for no batch-mode state; 75 (EX_TEMPFAIL)
 * when a rowpool runs there or the API failed; 69, 77, 78 as a run; 74.
 */
int	cmd_cancel(int argc, char *argv[]);

#endif
