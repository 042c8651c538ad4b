/* The progress line: what it says, and when and how it is drawn. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "rowpool/progress.h"

Test(progress, the_line_says_it_all)
{
	struct progress_view v = { .done = 1200, .total = 5000, .ok = 1190,
	    .failed = 10, .retrying = 3, .in_flight = 10, .rate = 35.2,
	    .tokens = 123456, .slow = "paused: rate limited" };
	char buf[512];

	progress_format(&v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1,200/5,000 rows 24.0% | 35.2 rows/s | ETA "
	    "1m47s | ok 1,190 failed 10 retrying 3 in flight 10 | tokens "
	    "123,456 | paused: rate limited");
	v.rate = 0;
	v.tokens = -1;
	v.slow = NULL;
	progress_format(&v, buf, sizeof(buf));
	cr_assert(strstr(buf, "ETA ? |") != NULL, "%s", buf);
	cr_assert(strstr(buf, "tokens") == NULL, "%s", buf);
	v.done = v.total = 0;
	progress_format(&v, buf, sizeof(buf));
	cr_assert(strstr(buf, "0/0 rows 100.0%") != NULL, "%s", buf);
	v.total = 100000;
	v.done = 0;
	v.rate = 1;
	progress_format(&v, buf, sizeof(buf));
	cr_assert(strstr(buf, "ETA 27h46m") != NULL, "%s", buf);
}

/* All that was written to fd so far (a pty gives it in pieces). */
static char *
drain(int fd)
{
	static char buf[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t got;

	while (n < sizeof(buf) - 1 && poll(&pfd, 1, 200) == 1 &&
	    (got = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	return buf;
}

/* Not a terminal: one plain line per interval; quiet: nothing. */
Test(progress, plain_lines_every_interval)
{
	struct progress p;
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	progress_init(&p, fds[1], false, 60000);
	cr_assert_eq(p.mode, PROGRESS_PLAIN);
	cr_assert(!progress_due(&p, 1000), "not at once");
	cr_assert(!progress_due(&p, 60999));
	cr_assert(progress_due(&p, 61000));
	progress_draw(&p, "x", 61000);
	progress_clear(&p);
	cr_assert_str_eq(drain(fds[0]), "rowpool: x\n");
	cr_assert(!progress_due(&p, 120999));
	progress_init(&p, fds[1], false, 0);
	cr_assert_eq(p.mode, PROGRESS_OFF, "interval 0: never");
	progress_init(&p, fds[1], true, 60000);
	cr_assert(!progress_due(&p, 1000000), "quiet");
}

/* On a terminal: redrawn in place, at most 4 times a second; erased. */
Test(progress, a_terminal_line_redrawn_in_place)
{
	struct progress p;
	int m;

	setenv("TERM", "xterm", 1);
	cr_assert_neq(m = posix_openpt(O_RDWR | O_NOCTTY), -1);
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	progress_init(&p, open(ptsname(m), O_RDWR | O_NOCTTY), false, 60000);
	cr_assert_eq(p.mode, PROGRESS_TTY);
	cr_assert(progress_due(&p, 1000), "at once");
	progress_draw(&p, "one", 1000);
	cr_assert(!progress_due(&p, 1249));
	cr_assert(progress_due(&p, 1250));
	progress_draw(&p, "two", 1250);
	progress_clear(&p);
	cr_assert_str_eq(drain(m), "\rone\033[K\rtwo\033[K\r\033[K");
	setenv("TERM", "dumb", 1);
	progress_init(&p, open(ptsname(m), O_RDWR | O_NOCTTY), false, 60000);
	cr_assert_eq(p.mode, PROGRESS_PLAIN, "TERM=dumb: no cursor control");
}
