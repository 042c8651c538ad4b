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
	struct bitset		 done;
	uint64_t		 ndone, nok, nfailed;
	json_t			*tokens;	/* usage totals of ok rows */
	bool			 commit_failed;	/* never commit again */
	int			 status;	/* 0, or why it failed */
	char			 why[1024];
	uint64_t		 nrecords;	/* recovery */
	uint64_t		 dup_off;	/* recovery: 1 + a repeat's */
	int			 visit_errno;	/* recovery */
};

void	state_init(struct state *s, const struct state_opts *o);
int	state_open(struct state *s);
int	state_spool(struct state *s);
int	state_recover(struct state *s, const char *fingerprint);
/*
 * Appends the final result rec of row to the journal and marks it done;
 * the row must not be done yet (abort() otherwise: a bug).
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
