/*
 * snapshot: what a state directory has committed, read without its lock,
 * for commands that only look (rowpool export): the manifest's fields
 * checked for what such a command uses, the settings, the journal's path
 * and committed length, and the input the run read.  A run may be going
 * on: the manifest is replaced atomically and the journal only grows
 * past the committed length it names, so what is read here stays true
 * for the journal's committed prefix.
 *
 * Policy for files (it decides to refuse a state and says why), but it
 * never prints or exits: each function returns 0, or -1 with s->status
 * (an exit status of sysexits.h: 66 no state, 65 a damaged one (a
 * shard setting that is not K/N with K < N among them) or a changed
 * input, 74 an I/O error, 71 out of memory) and s->why.
 *
 * Calling sequence:
 *  1. snapshot_open(&s, target): target is a state directory (one that
 *     holds a manifest), or else an output whose state is target.state;
 *  2. snapshot_input(&s, &grew) when the input is to be read;
 *  3. snapshot_release(&s), also after a failure.
 */
#ifndef ROWPOOL_SNAPSHOT_H
#define ROWPOOL_SNAPSHOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/input.h"

struct snapshot {
	char		 dir[PATH_MAX];
	char		 jpath[PATH_MAX];	/* DIR/journal */
	json_t		*manifest;
	/* DIR/settings.json, or the manifest's settings (long ones only as
	 * digests) when a rowpool before settings.json made the state. */
	json_t		*settings;
	uint64_t	 committed;	/* the journal's committed length */
	int64_t		 rows_total;	/* -1: not recorded */
	/* The rows of the whole input (a shard's rows_total counts only
	 * its own); -1: not recorded (a rowpool before shards). */
	int64_t		 rows_input;
	/* --shard K/N, from the manifest's settings; n 0: not a shard. */
	unsigned	 shard_k, shard_n;
	/* The file the run read: the manifest's input.abspath (DIR/input
	 * for a spooled one), or input.path in an older manifest. */
	char		 in_path[PATH_MAX];
	const char	*in_name;	/* the input as the run named it */
	const char	*fingerprint;	/* "SIZE:HASH" */
	enum input_format format;	/* 0: unknown */
	size_t		 max_row_bytes;	/* 0: the default */
	int		 status;
	char		 why[1024];
};

int	snapshot_open(struct snapshot *s, const char *target);
/*
 * Checks that the input is still the one the run read: the same
 * fingerprint, or (*grew set) the same bytes followed by more rows.  A
 * missing input is 66, a changed one 65.
 */
int	snapshot_input(struct snapshot *s, bool *grew);
void	snapshot_release(struct snapshot *s);

#endif
