/*
 * sink: standard output or a durable file behind one interface.
 * Invariant: after a failed write nothing more is written (the first
 * failure sticks), so a reader never sees bytes from after a gap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/durable.h"
#include "rowpool/io.h"
#include "rowpool/sink.h"

static void
set_step(const char **step, const char *what)
{
	if (step != NULL)
		*step = what;
}

int
sink_open(struct sink *s, const char *path, const char **step)
{
	memset(s, 0, sizeof(*s));
	s->d.fd = -1;
	if (path != NULL) {
		s->file = true;
		return durable_open_unique(&s->d, path, 0666, step);
	}
	if ((s->buf = malloc(SINK_BUFSZ)) == NULL) {
		set_step(step, "open");
		return -1;
	}
	return 0;
}

static int
flush_stdout(struct sink *s, const char **step)
{
	if (s->failed == 0 && s->len > 0 &&
	    write_full(STDOUT_FILENO, s->buf, s->len) == -1)
		s->failed = errno;
	s->len = 0;
	if (s->failed != 0) {
		set_step(step, "write");
		errno = s->failed;
		return -1;
	}
	return 0;
}

int
sink_write(struct sink *s, const void *p, size_t n, const char **step)
{
	if (s->file)
		return durable_write(&s->d, p, n, step);
	if (s->failed == 0 && n > SINK_BUFSZ - s->len &&
	    flush_stdout(s, step) == -1)
		return -1;
	if (s->failed == 0 && n >= SINK_BUFSZ &&
	    write_full(STDOUT_FILENO, p, n) == -1)
		s->failed = errno;
	else if (s->failed == 0 && n < SINK_BUFSZ) {
		memcpy(s->buf + s->len, p, n);
		s->len += n;
	}
	if (s->failed != 0) {
		set_step(step, "write");
		errno = s->failed;
		return -1;
	}
	return 0;
}

int
sink_commit(struct sink *s, const char **step)
{
	int rc;

	if (s->file)
		return durable_commit(&s->d, step);
	rc = flush_stdout(s, step);
	sink_abort(s);
	return rc;
}

void
sink_abort(struct sink *s)
{
	int saved = errno;

	if (s->file)
		durable_abort(&s->d);
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
	errno = saved;
}
