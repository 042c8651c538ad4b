/*
 * log: where the supervisor says what happened.  Two sinks:
 *  - the log file (STATE/log unless --log says otherwise): every notable
 *    event, timestamped, appended; reopened on SIGHUP for logrotate;
 *  - standard error: only what the user must see (warnings, errors, the
 *    failure summary), so a healthy cron run prints nothing.  With
 *    verbose, info lines are mirrored there too.
 * Never log an API key: callers pass no secret to these functions.
 *
 * Calling sequence: log_open(path) (optional), log_* any time,
 * log_reopen() on SIGHUP, log_close().
 */
#ifndef ROWPOOL_LOG_H
#define ROWPOOL_LOG_H

#include <stdbool.h>

int	log_open(const char *path);	/* -1 with errno */
int	log_reopen(void);		/* -1 with errno; keeps the old file */
void	log_close(void);
void	log_set_verbose(int level);	/* 0 quiet, 1 info, 2 debug */

/* The log file only (and stderr when verbose >= 1 / 2). */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The log file and stderr, prefixed "rowpool: ". */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
