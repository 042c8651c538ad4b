/*
 * export: a run's results, committed so far, in input order: as JSON
 * lines (the journal's results as they are, a row not done yet as
 * {"row":N,"status":"pending"}) or as CSV for a spreadsheet (sheet.h
 * lays out its columns), optionally with each row's input beside its
 * result, optionally only the failed rows.  It works on a finished run,
 * a stopped one and one still going (read only, no lock: snapshot.h);
 * of one run, or of the shards of one run (--shard K/N) as that run,
 * read through shards.h as rowpool merge reads them.
 *
 * Memory does not grow with the number of rows: the journal is walked in
 * row order by output_walk() (its window and the stragglers), the input
 * is read alongside it one row at a time, and one row is written at a
 * time.  A JSONL input exported as CSV with its input is read twice: a
 * first pass collects its keys (at most EXPORT_KEYS_MAX).
 *
 * Domain tier: export_run() returns 0 or an exit status of sysexits.h
 * and says why in r->why; it never prints or exits.
 */
#ifndef ROWPOOL_EXPORT_H
#define ROWPOOL_EXPORT_H

#include <stdbool.h>

/*
 * A JSONL input's keys become CSV columns, in the order they first
 * appear; an input with more distinct keys is one column "input" (each
 * row's JSON text).
 */
#define EXPORT_KEYS_MAX	1024

enum export_format {
	EXPORT_JSONL = 1,
	EXPORT_CSV = 2
};

struct export_opts {
	const char		*target;	/* STATE_DIR, or OUTPUT whose
						   state is OUTPUT.state */
	/* Or, when ntargets > 0, targets[0 .. ntargets): the shards of
	 * one run (shards.h), exported as that run: each must be there
	 * (but with allow_partial), of the same input and settings, each
	 * K once; a shard not finished has its rows not done pending.  A
	 * single target that is a shard is its own rows only. */
	const char *const	*targets;
	size_t			 ntargets;
	bool			 allow_partial;	/* a missing shard's rows
						   are pending */
	const char		*output;	/* NULL: standard output */
	enum export_format	 format;
	bool			 with_input;
	bool			 failed_only;
	/* Asked before each row; true stops the export (75).  May be
	 * NULL. */
	bool			(*interrupted)(void);
};

struct export_result {
	int	 status;	/* as returned */
	/* Standard output's reader went away (EPIPE): status is 74, and
	 * the caller may choose to see it as the end of the work. */
	bool	 broken_pipe;
	char	 why[1024];
};

/*
 * Writes the export; an --output file appears only whole (durable.h).
 * Returns 0, or 64 (output is the input or in a state directory), 66
 * (no state, or the input missing for with_input), 65 (a damaged state,
 * the input changed since the run, or it disagrees with the journal;
 * shards that do not make one run: missing, of another input or
 * settings, two with the same K), 73
 * (output cannot be created), 74 (a read or write error), 71 (out of
 * memory) or 75 (interrupted).
 */
int	export_run(const struct export_opts *o, struct export_result *r);

#endif
