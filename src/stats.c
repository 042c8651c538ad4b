/*
 * stats: session counters and a log-scale latency histogram.  Invariant:
 * bucket i holds the latencies in [1.1^i - 1, 1.1^(i+1) - 1) ms, so any
 * percentile read back is within 10% of the truth.
 */
#include <math.h>

#include "rowpool/stats.h"

#define STATS_BASE	1.1

static unsigned
bucket(int64_t ms)
{
	double b = log((double)(ms > 0 ? ms : 0) + 1) / log(STATS_BASE);

	return b >= STATS_BUCKETS - 1 ? STATS_BUCKETS - 1 : (unsigned)b;
}

void
stats_latency(struct stats *s, int64_t ms)
{
	s->lat[bucket(ms)]++;
	s->nlat++;
}

int64_t
stats_percentile(const struct stats *s, double p)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (s->nlat == 0)
		return -1;
	want = (uint64_t)ceil((double)s->nlat * p / 100.0);
	if (want == 0)
		want = 1;
	for (i = 0; i < STATS_BUCKETS; i++)
		if ((seen += s->lat[i]) >= want)
			break;
	/* The middle of the bucket, on the log scale. */
	return (int64_t)llround(pow(STATS_BASE, (double)i + 0.5) - 1);
}
