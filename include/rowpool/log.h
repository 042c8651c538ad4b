/*
 * log: where the supervisor says what happened.  Three sinks:
 *  - the log file (STATE/log unless --log says otherwise): every notable
 *    event, timestamped, appended; reopened on SIGHUP for logrotate;
 *  - syslog(3), with --syslog: the same lines as the log file, ident
 *    "rowpool" with the pid, facility user, level warning (log_warnx),
 *    info (log_info) or debug (log_debug, only at verbose 2 as in the
 *    file); syslog stamps them.  Without a syslog daemon the lines are
 *    dropped, silently: never a failure of the run;
 *  - standard error: only what the user must see (warnings, errors, the
 *    failure summary), so a healthy cron run prints nothing.  With
 *    verbose, info lines are mirrored there too.
 * The sinks are independent: no log_open() means no file (syslog only,
 * for --log none), and log_syslog(0) (the default) no syslog.
 *
 * Never log an API key or a request header: callers pass no secret to
 * these functions.  As a safety net, log_hide(key) redacts the key
 * (whole, encoded, or cut at the end of a long line) from every line
 * before any sink gets it.
 *
 * Calling sequence (supervisor):
 *  1. log_hide(key), log_set_verbose(n), log_syslog(1) (each optional);
 *  2. log_open(path) (optional);
 *  3. log_* any time; log_reopen() on SIGHUP (the file only: syslog
 *     needs no reopening);
 *  4. log_close(): closes the file and syslog (closelog).
 * A worker calls log_close() first thing after fork, so that it neither
 * writes to the supervisor's file nor keeps its syslog socket.
 */
#ifndef ROWPOOL_LOG_H
#define ROWPOOL_LOG_H

#include <stdbool.h>

int	log_open(const char *path);	/* -1 with errno */
int	log_reopen(void);		/* -1 with errno; keeps the old file */
void	log_close(void);		/* the file and syslog */
void	log_set_verbose(int level);
/* Called before a line goes to stderr (to erase a progress line). */
void	log_before_stderr(void (*fn)(void));	/* 0 quiet, 1 info, 2 debug */

/*
 * on: openlog("rowpool", LOG_PID, LOG_USER) and send every line to
 * syslog from now on; 0: closelog() and stop.  Never fails.
 */
void	log_syslog(int on);

/*
 * Test seam: fn gets what would go to syslog(3), the priority being
 * LOG_USER | LOG_WARNING, LOG_INFO or LOG_DEBUG and msg the line (no
 * stamp, no newline); NULL restores syslog(3).  For tests only.
 */
void	log_syslog_sink(void (*fn)(int priority, const char *msg));

/*
 * Redacts key from every line from now on (see secret.h); key is
 * borrowed and must outlive the log; NULL, or a key shorter than
 * SECRET_MIN, hides nothing.
 */
void	log_hide(const char *key);

/* The log file and syslog (and stderr when verbose >= 1 / 2). */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The log file, syslog and stderr, prefixed "rowpool: ". */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
