/* Latency percentiles from the log-scale histogram: within 10%. */
#include <criterion/criterion.h>

#include "rowpool/stats.h"

Test(stats, percentiles_within_ten_percent)
{
	struct stats s = { 0 };
	int64_t ms, got;
	double p;

	cr_assert_eq(stats_percentile(&s, 50), -1, "no samples");
	for (ms = 1; ms <= 10000; ms++)
		stats_latency(&s, ms);
	for (p = 10; p <= 100; p += 10) {
		got = stats_percentile(&s, p);
		cr_assert(got >= (int64_t)(p * 100 * 0.9) &&
		    got <= (int64_t)(p * 100 * 1.1) + 1, "p%.0f: %lld", p,
		    (long long)got);
	}
	stats_latency(&s, 400LL * 3600 * 1000);	/* past the last bucket */
	cr_assert_gt(stats_percentile(&s, 100), 10000);
}

Test(stats, one_sample)
{
	struct stats s = { 0 };

	stats_latency(&s, 200);
	cr_assert(stats_percentile(&s, 50) >= 180 &&
	    stats_percentile(&s, 99) <= 220);
	stats_latency(&s, 0);
	cr_assert_leq(stats_percentile(&s, 1), 1);
}
