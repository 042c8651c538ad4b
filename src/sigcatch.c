/*
 * sigcatch: note signals in a flag.  Invariant: the handler only sets a
 * bit; everything else happens in the main flow, with the signals
 * blocked while the bits are read and cleared.
 */
#include <stdlib.h>
#include <string.h>

#include "rowpool/sigcatch.h"

const int sigcatch_signals[SIGCATCH_N] = { SIGHUP, SIGINT, SIGTERM };

static volatile sig_atomic_t caught;	/* bit 1 << signo */

static void
on_caught(int signo)
{
	caught |= 1 << signo;
}

static void
catch_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < SIGCATCH_N; i++)
		sigaddset(set, sigcatch_signals[i]);
}

void
sigcatch_install(struct sigcatch_old *old)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_caught;	/* no SA_RESTART: blocking calls end */
	catch_set(&sa.sa_mask);
	for (i = 0; i < SIGCATCH_N; i++)
		sigaction(sigcatch_signals[i], &sa, &old->sa[i]);
}

void
sigcatch_restore(const struct sigcatch_old *old)
{
	size_t i;

	for (i = 0; i < SIGCATCH_N; i++)
		sigaction(sigcatch_signals[i], &old->sa[i], NULL);
}

int
sigcatch_take(void)
{
	sigset_t set, old;
	int got;

	catch_set(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	got = caught;
	caught = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return got;
}

void
sigcatch_test_raise(const char *point)
{
	const char *p = getenv("ROWPOOL_TEST_RAISE");
	size_t n = strlen(point), len;
	int sig;

	for (; p != NULL && *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (strncmp(p, point, n) != 0 || p[n] != ':')
			continue;
		for (sig = 1; sig < NSIG; sig++)
			if (sigabbrev_np(sig) != NULL &&
			    strlen(sigabbrev_np(sig)) == len - n - 1 &&
			    strncmp(p + n + 1, sigabbrev_np(sig),
			    len - n - 1) == 0)
				raise(sig);
	}
}
