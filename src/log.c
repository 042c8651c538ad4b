/*
 * log: timestamped lines to the log file, to syslog(3) when asked, and
 * to stderr what the user must see.  Each line is written with one
 * write(2) so that concurrent writers (there are none but the supervisor)
 * could never interleave.  Invariant: every sink gets the same text,
 * redacted once (log_hide) before any of them sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "rowpool/log.h"
#include "rowpool/secret.h"

static int		log_fd = -1;
static char		log_path[PATH_MAX];
static int		log_level;
static bool		log_to_syslog;
static struct secret	log_key;	/* zero: hides nothing */

static void
sink_syslog(int priority, const char *msg)
{
	syslog(priority, "%s", msg);
}

static void	(*syslog_sink)(int, const char *) = sink_syslog;
static void	(*before_stderr)(void);

void
log_before_stderr(void (*fn)(void))
{
	before_stderr = fn;
}

int
log_open(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	strlcpy(log_path, path, sizeof(log_path));
	return 0;
}

int
log_reopen(void)
{
	if (log_path[0] == '\0')
		return 0;
	return log_open(log_path);
}

void
log_close(void)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	log_path[0] = '\0';
	log_syslog(0);
}

void
log_syslog(int on)
{
	if (on && !log_to_syslog)
		openlog("rowpool", LOG_PID, LOG_USER);
	else if (!on && log_to_syslog)
		closelog();
	log_to_syslog = on;
}

void
log_syslog_sink(void (*fn)(int priority, const char *msg))
{
	syslog_sink = fn != NULL ? fn : sink_syslog;
}

void
log_hide(const char *key)
{
	secret_init(&log_key, key);
}

void
log_set_verbose(int level)
{
	log_level = level;
}

static void
emit_file(const char *msg)
{
	char line[2048], stamp[32];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s rowpool[%ld]: %s\n", stamp,
	    (long)getpid(), msg);
	if (n > 0)
		write_full(log_fd, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

/* level: LOG_WARNING, LOG_INFO or LOG_DEBUG, for syslog. */
static void
emit(int level, int to_stderr, const char *fmt, va_list ap)
{
	char msg[1800];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	secret_redact_msg(&log_key, msg, sizeof(msg));
	if (log_fd != -1)
		emit_file(msg);
	if (log_to_syslog)
		syslog_sink(LOG_USER | level, msg);
	if (to_stderr && before_stderr != NULL)
		before_stderr();
	if (to_stderr)
		fprintf(stderr, "rowpool: %s\n", msg);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_INFO, log_level >= 1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 2)
		return;
	va_start(ap, fmt);
	emit(LOG_DEBUG, log_level >= 2, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_WARNING, 1, fmt, ap);
	va_end(ap);
}
