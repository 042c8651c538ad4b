/*
 * kind: the table of error kinds.  Invariant: every kind has exactly one
 * row, in enum order (checked at compile time by the designated indexes
 * and at test time by test_kind.c).
 */
#include <string.h>
#include <sysexits.h>

#include "rowpool/kind.h"

static const struct kind_info kinds[KIND_COUNT] = {
	[KIND_CRASH] = { "crash", RETRY_YES, CHARGE_YES, false, 0, false },
	[KIND_TIMEOUT] = { "timeout", RETRY_YES, CHARGE_YES, true, 0,
	    false },
	[KIND_PROTOCOL] = { "protocol", RETRY_YES, CHARGE_YES, false, 0,
	    false },
	[KIND_INPUT] = { "input", RETRY_NO, CHARGE_NO, false, 0, false },
	[KIND_RATE_LIMITED] = { "rate_limited", RETRY_YES, CHARGE_THROTTLED,
	    false, 0, false },
	[KIND_QUOTA_EXHAUSTED] = { "quota_exhausted", RETRY_NO, CHARGE_NO,
	    false, EX_TEMPFAIL, false, "daily quota exhausted",
	    "; rerun the same command when it resets" },
	[KIND_HTTP] = { "http", RETRY_YES, CHARGE_YES, true, 0, false },
	[KIND_NETWORK] = { "network", RETRY_YES, CHARGE_YES, true, 0, false },
	[KIND_AUTH] = { "auth", RETRY_NO, CHARGE_NO, false, EX_NOPERM, true,
	    "the API refused the key", "" },
	[KIND_BLOCKED] = { "blocked", RETRY_NO, CHARGE_YES, false, 0, false },
	[KIND_TRUNCATED] = { "truncated", RETRY_ONCE, CHARGE_YES, false, 0,
	    false },
	[KIND_INVALID_OUTPUT] = { "invalid_output", RETRY_YES, CHARGE_YES,
	    false, 0, false },
	[KIND_INTERNAL] = { "internal", RETRY_YES, CHARGE_NO, false, 0,
	    false },
};

const struct kind_info *
kind_info(enum kind k)
{
	return &kinds[k];
}

const char *
kind_name(enum kind k)
{
	return kinds[k].name;
}

int
kind_parse(const char *name)
{
	int k;

	for (k = 0; name != NULL && k < KIND_COUNT; k++)
		if (strcmp(kinds[k].name, name) == 0)
			return k;
	return -1;
}

static const char *const retry_names[] = {
	[RETRY_NO] = "no",
	[RETRY_ONCE] = "once",
	[RETRY_YES] = "yes",
};

const char *
retry_name(enum retry_policy p)
{
	return retry_names[p];
}

int
retry_parse(const char *name)
{
	int p;

	if (name == NULL)
		return -1;
	for (p = RETRY_NO; p <= RETRY_YES; p++)
		if (strcmp(retry_names[p], name) == 0)
			return p;
	return -1;
}
