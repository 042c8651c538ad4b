/*
 * progress: the live status line.  On a terminal: one line on stderr,
 * redrawn in place at most 4 times a second (with TERM=dumb: no cursor
 * control, so plain lines as below).  Not on a terminal: one plain line
 * every interval (--progress-interval; 0: never).  Quiet (-q): nothing.
 *
 * Mechanism tier for the drawing; progress_format() is pure.
 *
 * Calling sequence: progress_init(); on every tick, when progress_due(),
 * progress_format() then progress_draw(); progress_clear() before any
 * other write to the same fd and at the end.
 */
#ifndef ROWPOOL_PROGRESS_H
#define ROWPOOL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROGRESS_TTY_MS	250

struct progress_view {
	uint64_t	 done, total;
	uint64_t	 ok, failed;	/* of done */
	uint64_t	 retrying, in_flight;
	double		 rate;		/* rows/s over the last minute */
	long long	 tokens;	/* so far, -1: none */
	const char	*slow;		/* "paused: rate limited", or NULL */
};

enum progress_mode { PROGRESS_OFF, PROGRESS_TTY, PROGRESS_PLAIN };

struct progress {
	enum progress_mode	 mode;
	int			 fd;
	int64_t			 every_ms;
	int64_t			 last;
	bool			 drawn;	/* a line is on the terminal */
};

/*
 * Picks the mode: OFF when quiet or (not a tty and interval 0); TTY when
 * fd is a terminal and TERM is set and not "dumb"; PLAIN otherwise.
 */
void	progress_init(struct progress *p, int fd, bool quiet,
	    int64_t interval_ms);
bool	progress_due(struct progress *p, int64_t now);
/* "1,200/5,000 rows 24.0% | 35.2 rows/s | ETA 1m48s | ok 1,190 ..." */
size_t	progress_format(const struct progress_view *v, char *buf,
	    size_t len);
/* 1234567 -> "1,234,567" (buf returned) */
const char *progress_num(unsigned long long n, char *buf, size_t len);
void	progress_draw(struct progress *p, const char *line, int64_t now);
void	progress_clear(struct progress *p);

#endif
