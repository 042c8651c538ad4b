/*
 * run: one `rowpool run`.  It takes the lock on the state directory,
 * recovers the journal to its last checkpoint, streams the input into the
 * pool, turns outcomes into final results or retries, commits checkpoints,
 * and writes the ordered output when every row is final.
 *
 * Policy tier: it decides retries, commits and the exit status, but does
 * not exit; run_main returns the process exit status (sysexits style, see
 * README "Exit status").
 */
#ifndef ROWPOOL_RUN_H
#define ROWPOOL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/input.h"
#include "rowpool/price.h"

struct run_opts {
	const char		*input;
	enum input_format	 format;
	const char		*output;
	const char		*state;		/* NULL: OUTPUT.state */
	const char		*processor;
	const char		*log_path;	/* NULL: STATE/log */
	unsigned		 workers;
	unsigned		 batch;		/* finals per checkpoint */
	unsigned		 retries;	/* extra attempts */
	unsigned		 worker_max_rows;	/* 0: never recycle */
	int64_t			 timeout_ms;
	int64_t			 grace_ms;
	int64_t			 commit_ms;	/* checkpoint at least this often */
	int64_t			 backoff_base_ms;
	int64_t			 backoff_cap_ms;
	size_t			 max_row_bytes;
	double			 rpm;		/* requests per minute; 0: no limit */
	double			 tpm;		/* tokens per minute; 0: no limit */
	double			 max_tokens;	/* spend guard; 0: none */
	double			 max_cost;	/* USD; 0: none */
	const struct price_table *prices;	/* NULL: the built-in ones */
	bool			 syslog;	/* --syslog */
	unsigned		 shard_k;	/* --shard K/N: rows whose */
	unsigned		 shard_n;	/* index % N == K; N 0: all */
	int64_t			 max_outage_ms;	/* breaker open this long: stop */
	int64_t			 unreachable_ms;	/* API never reached this
						   long: stop (exit 69) */
	const char		*cache_dir;	/* --cache; NULL: none */
	uint64_t		 cache_max_bytes;	/* 0: no bound */
	bool			 restart;
	bool			 batch_mode;	/* --mode batch (batch.h) */
	unsigned		 batch_rows;	/* --batch-rows */
	bool			 batch_retry_online;	/* --batch-retry online */
	bool			 wait;		/* --wait */
	int64_t			 batch_poll_ms;	/* --batch-poll */
	bool			 dry_run;	/* see dryrun.h */
	unsigned		 retry_kinds;	/* --retry-failed: bits 1 << kind */
	bool			 strict;
	int			 verbose;	/* 0, 1, 2 */
	bool			 quiet;
	int64_t			 progress_ms;	/* not a tty: a line this often;
						   0: never */
	/* Settings whose change changes results; checked on resume. */
	json_t			*settings;
	/* What the processor reads (settings plus the rest); NULL: settings. */
	json_t			*pconf;
	const char		*api_key;	/* never stored anywhere */
	/* Test seam: replaces the processor's worker when non-NULL. */
	int			(*worker_main)(int fd, void *arg);
	void			*worker_arg;
};

/* Defaults for every field but input, output and settings. */
void	run_opts_init(struct run_opts *o);

/* Runs to the end; returns the exit status. */
int	run_main(const struct run_opts *o);

#endif
