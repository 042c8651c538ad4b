/*
 * stats: what one run session did, for the end-of-run summary and the
 * progress line: requests sent, 429s, retries, and the latency of ok
 * rows as a histogram (percentiles within 10%, memory fixed).
 *
 * Domain tier and pure.
 */
#ifndef ROWPOOL_STATS_H
#define ROWPOOL_STATS_H

#include <stdint.h>

#define STATS_BUCKETS	200	/* 1.1^i ms: up to about 50 hours */

struct stats {
	uint64_t	 requests;	/* attempts dispatched */
	uint64_t	 retries;	/* of them, not a row's first */
	uint64_t	 throttled;	/* answered 429 */
	uint64_t	 ok, failed;	/* rows final in this session */
	uint64_t	 cached;	/* of the ok, from the response cache */
	uint64_t	 saved_tokens;	/* what their answers had cost */
	uint64_t	 nlat;
	uint32_t	 lat[STATS_BUCKETS];
};

/* One ok row took ms from dispatch to answer. */
void	stats_latency(struct stats *s, int64_t ms);
/* The p-th percentile (0 < p <= 100) of the latencies, in ms; -1: none. */
int64_t	stats_percentile(const struct stats *s, double p);

#endif
