/*
 * progress: one status line.  Invariant: on a terminal the line is the
 * last thing on the screen and is erased before anything else is
 * written (progress_clear), so warnings never land in its middle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "rowpool/progress.h"

void
progress_init(struct progress *p, int fd, bool quiet, int64_t interval_ms)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->last = -1;
	if (quiet)
		p->mode = PROGRESS_OFF;
	else if (isatty(fd) && term != NULL && *term != '\0' &&
	    strcmp(term, "dumb") != 0) {
		p->mode = PROGRESS_TTY;
		p->every_ms = PROGRESS_TTY_MS;
	} else {
		p->mode = interval_ms > 0 ? PROGRESS_PLAIN : PROGRESS_OFF;
		p->every_ms = interval_ms;
	}
}

bool
progress_due(struct progress *p, int64_t now)
{
	if (p->mode == PROGRESS_OFF)
		return false;
	if (p->last == -1) {	/* the first plain line after an interval */
		p->last = p->mode == PROGRESS_TTY ? now - p->every_ms : now;
	}
	return now - p->last >= p->every_ms;
}

const char *
progress_num(unsigned long long n, char *buf, size_t len)
{
	char d[32];
	size_t nd, i, o = 0;

	nd = (size_t)snprintf(d, sizeof(d), "%llu", n);
	for (i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = d[i];
	}
	buf[o] = '\0';
	return buf;
}

static void
eta(const struct progress_view *v, char *buf, size_t len)
{
	unsigned long long s;

	if (v->rate <= 0 || v->done >= v->total) {
		snprintf(buf, len, "%s", v->done >= v->total ? "0s" : "?");
		return;
	}
	s = (unsigned long long)((double)(v->total - v->done) / v->rate);
	if (s >= 3600)
		snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, len, "%llus", s);
}

size_t
progress_format(const struct progress_view *v, char *buf, size_t len)
{
	char a[32], b[32], c[32], d[32], e[32], t[32] = "", when[32];
	int n;

	eta(v, when, sizeof(when));
	if (v->tokens >= 0)
		snprintf(t, sizeof(t), " | tokens %s",
		    progress_num((unsigned long long)v->tokens, e, sizeof(e)));
	n = snprintf(buf, len, "%s/%s rows %.1f%% | %.1f rows/s | ETA %s | "
	    "ok %s failed %s retrying %llu in flight %llu%s%s%s",
	    progress_num(v->done, a, sizeof(a)), progress_num(v->total, b,
	    sizeof(b)), v->total > 0 ? 100.0 * (double)v->done /
	    (double)v->total : 100.0, v->rate, when, progress_num(v->ok, c,
	    sizeof(c)), progress_num(v->failed, d, sizeof(d)),
	    (unsigned long long)v->retrying,
	    (unsigned long long)v->in_flight, t, v->slow ? " | " : "",
	    v->slow ? v->slow : "");
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

void
progress_draw(struct progress *p, const char *line, int64_t now)
{
	char buf[1024];
	int n;

	p->last = now;
	if (p->mode == PROGRESS_OFF)
		return;
	if (p->mode == PROGRESS_TTY)
		n = snprintf(buf, sizeof(buf), "\r%s\033[K", line);
	else
		n = snprintf(buf, sizeof(buf), "rowpool: %s\n", line);
	if (n > 0)
		(void)write_full(p->fd, buf, (size_t)n < sizeof(buf) ?
		    (size_t)n : sizeof(buf) - 1);
	p->drawn = p->mode == PROGRESS_TTY;
}

void
progress_clear(struct progress *p)
{
	if (!p->drawn)
		return;
	(void)write_full(p->fd, "\r\033[K", 4);
	p->drawn = false;
}
