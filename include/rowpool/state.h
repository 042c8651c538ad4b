/*
 * state: a run's state directory.  It owns the directory's lock and the
 * output's lock, the paths that must never be the input, the spooled
 * copy of an input that is not a regular file, the manifest (validated
 * field by field, never trusted over the journal), the journal's
 * recovery to its committed length, the done set, the counters, and the
 * checkpoint that commits them.
 *
 * Policy for files (it decides to refuse a state and says why), but it
 * never prints or exits: each function returns 0, or -1 with s->status
 * (an exit status of sysexits.h) and s->why set; the first failure
 * sticks.
 *
 * Calling sequence:
 *  1. state_init(&s, &opts);
 *  2. state_open(&s): the paths checked, the directory made and locked,
 *     the output locked;
 *  3. state_spool(&s) when s.spooled: the input copied into DIR/input;
 *  4. state_recover(&s, fingerprint): the manifest checked, the journal
 *     recovered (s.done, s.ndone... as committed);
 *  5. state_record() for each final result, state_commit() per batch;
 *  6. state_release(&s) (removes the locks).  In a forked child,
 *     state_child(&s) closes the locks without removing them.
 */
#ifndef ROWPOOL_STATE_H
#define ROWPOOL_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/bitset.h"
#include "rowpool/kind.h"

struct journal;
struct pidfh;

struct state_opts {
	const char	*input;		/* "-": standard input */
	const char	*output;
	const char	*dir;		/* NULL: OUTPUT.state */
	const char	*log_path;	/* NULL: DIR/log */
	const json_t	*settings;	/* those that change results */
	const json_t	*sources;	/* "prompt_file"...: for messages */
	bool		 restart;
	/* --retry-failed: rows whose last result failed with one of these
	 * kinds (bits 1 << kind) are done again; 0: none. */
	unsigned	 retry_kinds;
	/* Called when a read of a stream input is interrupted by a
	 * signal: true to stop (then s->status is the caller's to set). */
	bool		(*interrupted)(void *arg);
	void		*arg;
};

struct state {
	struct state_opts	 o;
	char			 dir[PATH_MAX];
	char			 jpath[PATH_MAX];
	char			 log[PATH_MAX];		/* the log's path */
	char			 in_path[PATH_MAX];	/* what is read */
	const char		*in_name;	/* in messages */
	bool			 spooled;	/* in_path: DIR/input */
	struct pidfh		*pfh;
	struct pidfh		*out_pfh;	/* OUTPUT.lock */
	struct journal		*j;
	json_t			*manifest;
	struct bitset		 done;		/* rows with a final record */
	struct bitset		 redo;		/* done, but to be done again */
	/* Rows whose last result failed, by kind ([KIND_COUNT]: kinds this
	 * rowpool does not know). */
	struct bitset		 failed[KIND_COUNT + 1];
	uint64_t		 nkind[KIND_COUNT + 1];	/* [KIND_COUNT]: kinds
							   this rowpool does
							   not know */
	uint64_t		 ndone, nok, nfailed, nredo;
	uint64_t		 ncached;	/* ok rows from the response
						   cache, every run together */
	uint64_t		 rows_input;	/* rows in the whole input (a
						   shard does some of them) */
	uint64_t		 appended;	/* input bytes new since the
						   last run (it grew), or 0 */
	json_t			*run;		/* the live "run" object the
						   caller keeps up to date */
	json_t			*tokens;	/* usage totals of ok rows */
	double			 cost_usd;	/* estimated, ok rows; -1: no
						   price known */
	bool			 commit_failed;	/* never commit again */
	int			 status;	/* 0, or why it failed */
	char			 why[1024];
	uint64_t		 nrecords;	/* recovery: distinct rows */
	bool			 bad_replace;	/* recovery: a replacement of
						   a row never done */
	uint64_t		 m_ok, m_failed;	/* recovery: the manifest's */
	uint64_t		 dup_off;	/* recovery: 1 + a repeat's */
	uint64_t		 rows_max;	/* recovery: the input's size */
	bool			 bad_row;	/* recovery: a row past it */
	int			 visit_errno;	/* recovery */
};

void	state_init(struct state *s, const struct state_opts *o);
int	state_open(struct state *s);
int	state_spool(struct state *s);
int	state_recover(struct state *s, const char *fingerprint);
/* Should row be sent (not done, or to be done again)? */
bool	state_wanted(const struct state *s, uint64_t row);
/*
 * Appends the final result rec of row to the journal and marks it done;
 * the row must not be done yet, or be one to do again (abort()
 * otherwise: a bug); for the latter the record replaces the old one.
 */
int	state_record(struct state *s, uint64_t row, const json_t *rec,
	    bool ok);
/* Adds an ok row's usage object to the token totals. */
void	state_add_usage(struct state *s, const json_t *usage);
/*
 * Commits a checkpoint: the journal is made durable first, then the
 * manifest that names its length; rows_total is -1 while unknown.  A
 * failure keeps the previous checkpoint (exit 74, or 71 out of memory);
 * an fsync is never retried: after one, every commit fails.
 */
int	state_commit(struct state *s, int64_t rows_total);
void	state_child(struct state *s);
void	state_release(struct state *s);

#endif
