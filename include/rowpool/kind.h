/*
 * kind: the error kinds, one table for the whole project (README "Error
 * kinds" is checked against it by tests/unit/test_kind.c).  A failed
 * attempt has exactly one kind; what the supervisor does with it (retry,
 * charge it to the row, stop the run) is read from this table, never from
 * string comparisons.  On the wire (the worker's RESULT) and in results a
 * kind is its name.
 *
 * Domain tier: pure lookups.
 */
#ifndef ROWPOOL_KIND_H
#define ROWPOOL_KIND_H

#include <stdbool.h>

enum kind {
	KIND_CRASH,		/* the worker died holding the row */
	KIND_TIMEOUT,		/* no answer in time (worker or HTTP) */
	KIND_PROTOCOL,		/* the worker broke the protocol */
	KIND_INPUT,		/* the row itself is bad */
	KIND_RATE_LIMITED,	/* 429, per-minute quota */
	KIND_QUOTA_EXHAUSTED,	/* 429, per-day quota */
	KIND_HTTP,		/* an HTTP error status, a body not JSON */
	KIND_NETWORK,		/* connect, reset, DNS, TLS, short body */
	KIND_AUTH,		/* the key was refused */
	KIND_BLOCKED,		/* the model refused the prompt or answer */
	KIND_TRUNCATED,		/* the answer was cut (MAX_TOKENS) */
	KIND_INVALID_OUTPUT,	/* not JSON, or breaks the schema */
	KIND_INTERNAL,		/* the worker ran out of memory */
	KIND_COUNT
};

enum retry_policy {
	RETRY_NO,	/* final at once */
	RETRY_ONCE,	/* one more attempt at most */
	RETRY_YES	/* up to --retries */
};

enum kind_charge {
	CHARGE_YES,		/* the attempt counts against --retries */
	CHARGE_NO,		/* never the row's fault */
	CHARGE_THROTTLED	/* not charged, up to KIND_THROTTLED_MAX
				   times per row */
};

#define KIND_THROTTLED_MAX	50

struct kind_info {
	const char		*name;
	enum retry_policy	 retry;		/* unless the worker says */
	enum kind_charge	 charge;	/* before the outage rules */
	bool			 transient;	/* the API failing: feeds the
						   circuit breaker */
	int			 stop;		/* exit status that stops the
						   run at once, or 0 */
	bool			 stop_now;	/* kill the workers (else let
						   rows in flight finish) */
	const char		*stop_what;	/* "STOP_WHAT: message" */
	const char		*stop_hint;	/* appended */
};

/* The entry of k (k < KIND_COUNT). */
const struct kind_info	*kind_info(enum kind k);
const char		*kind_name(enum kind k);
/* The kind called name; -1 when there is none (or name is NULL). */
int			 kind_parse(const char *name);

/* "no", "once", "yes"; and back (-1 for an unknown name). */
const char		*retry_name(enum retry_policy p);
int			 retry_parse(const char *name);

#endif
