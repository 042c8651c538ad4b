/*
 * sigcatch: SIGHUP, SIGINT and SIGTERM outside the pool's loop.  Inside
 * it the pool reads them from a signalfd; before and after it (start-up,
 * the final output) a handler that only notes them keeps rowpool from
 * being killed outright with its files half done.  The handler is
 * installed without SA_RESTART, so a blocking open(2) or read(2) of a
 * FIFO or a pipe returns EINTR and the caller can look.
 *
 * Mechanism tier.
 *
 * Calling sequence: sigcatch_install(&old) first; sigcatch_take() to see
 * (and clear) what came; sigcatch_restore(&old) last.
 */
#ifndef ROWPOOL_SIGCATCH_H
#define ROWPOOL_SIGCATCH_H

#include <signal.h>

#define SIGCATCH_N	3	/* SIGHUP, SIGINT, SIGTERM, in that order */

struct sigcatch_old {
	struct sigaction	 sa[SIGCATCH_N];
};

extern const int	 sigcatch_signals[SIGCATCH_N];

void	sigcatch_install(struct sigcatch_old *old);
void	sigcatch_restore(const struct sigcatch_old *old);
/* The signals noted since the last call, as bits 1 << signo; clears. */
int	sigcatch_take(void);
/*
 * Test hook: ROWPOOL_TEST_RAISE=point:SIGNAME[,point:SIGNAME...] raises
 * SIGNAME at the named point ("startup", "output").
 */
void	sigcatch_test_raise(const char *point);

#endif
