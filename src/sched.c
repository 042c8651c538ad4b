/*
 * sched: retry timing.  No clock reads and no I/O here; randomness comes
 * from arc4random_uniform only.
 */
#include <stdlib.h>
#include <string.h>

#include "rowpool/sched.h"

static const struct {
	const char		*kind;
	enum retry_policy	 policy;
} policies[] = {
	{ "crash", RETRY_YES },
	{ "timeout", RETRY_YES },
	{ "protocol", RETRY_YES },
	{ "network", RETRY_YES },
	{ "http", RETRY_YES },
	{ "rate_limited", RETRY_YES },
	{ "invalid_output", RETRY_YES },
	{ "truncated", RETRY_ONCE },
};

enum retry_policy
sched_retry_policy(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policies[i].kind, kind) == 0)
			return policies[i].policy;
	return RETRY_NO;
}

int64_t
sched_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
    int64_t floor_ms)
{
	int64_t top = base_ms, d;
	unsigned i;

	for (i = 2; i < attempt && top < cap_ms; i++)
		top *= 2;
	if (top > cap_ms)
		top = cap_ms;
	d = top > 0 ? (int64_t)arc4random_uniform((uint32_t)top + 1) : 0;
	return d < floor_ms ? floor_ms : d;
}

static const char *const retry_names[] = {
	[RETRY_NO] = "no",
	[RETRY_ONCE] = "once",
	[RETRY_YES] = "yes",
};

const char *
sched_retry_name(enum retry_policy p)
{
	return retry_names[p];
}

int
sched_retry_parse(const char *name)
{
	int i;

	for (i = RETRY_NO; i <= RETRY_YES; i++)
		if (name != NULL && strcmp(retry_names[i], name) == 0)
			return i;
	return -1;
}
