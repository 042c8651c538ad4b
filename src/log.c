/*
 * log: timestamped lines to the log file, and to stderr what the user
 * must see.  Each line is written with one write(2) so that concurrent
 * writers (there are none but the supervisor) could never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "rowpool/log.h"

static int	log_fd = -1;
static char	log_path[PATH_MAX];
static int	log_level;

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
}

void
log_set_verbose(int level)
{
	log_level = level;
}

static void
emit(int to_stderr, const char *fmt, va_list ap)
{
	char msg[1800], line[2048], stamp[32];
	struct timespec ts;
	struct tm tm;
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_fd != -1) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s rowpool[%ld]: %s\n",
		    stamp, (long)getpid(), msg);
		if (n > 0)
			write_full(log_fd, line, (size_t)n < sizeof(line) ?
			    (size_t)n : sizeof(line) - 1);
	}
	if (to_stderr)
		fprintf(stderr, "rowpool: %s\n", msg);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(log_level >= 1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 2)
		return;
	va_start(ap, fmt);
	emit(log_level >= 2, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(1, fmt, ap);
	va_end(ap);
}
