/*
 * sched: when to try a row again.  Pure functions of their arguments (the
 * clock is passed in), so every policy is testable without waiting.
 *
 * Domain tier.
 */
#ifndef ROWPOOL_SCHED_H
#define ROWPOOL_SCHED_H

#include <stdint.h>

enum retry_policy {
	RETRY_NO,	/* final at once */
	RETRY_ONCE,	/* one more attempt at most */
	RETRY_YES	/* up to --retries */
};

/*
 * The retry policy for an error kind (see README "Error kinds"): crash,
 * timeout, protocol, network, http (retryable statuses), rate_limited,
 * invalid_output -> yes; truncated -> once; input, blocked, auth,
 * quota_exhausted, config and unknown kinds -> no.
 */
enum retry_policy	sched_retry_policy(const char *kind);

/* "no", "once", "yes"; and back (-1 for an unknown name). */
const char		*sched_retry_name(enum retry_policy p);
int			 sched_retry_parse(const char *name);

/*
 * Delay before attempt number `attempt` (2 for the first retry): "full
 * jitter" exponential backoff, uniform in [0, min(cap, base * 2^(attempt-2))],
 * but never less than floor_ms (a server's Retry-After; -1 for none).
 */
int64_t	sched_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
	    int64_t floor_ms);

#endif
