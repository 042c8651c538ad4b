/*
 * retry: what to do with one failed attempt at a row.  It reads the kind
 * table (kind.h), asks the gate (gate.h) whether the attempt is the row's
 * fault, and decides: retry it (when), record the row failed, or stop the
 * run.  Which attempts are charged to the row is decided here only.
 *
 * Domain tier and pure (the clock is passed in; the backoff's jitter
 * comes from arc4random_uniform).
 */
#ifndef ROWPOOL_RETRY_H
#define ROWPOOL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "rowpool/gate.h"
#include "rowpool/kind.h"

/* A row's attempts so far; retry_decide updates it. */
struct attempt {
	unsigned	 attempts;	/* charged, the current one included */
	unsigned	 failures;	/* failed attempts, charged or not */
	unsigned	 throttled;	/* 429s */
	bool		 probe;		/* the current one is the breaker's */
};

/* What a failed attempt says. */
struct failure {
	enum kind	 kind;
	const char	*message;
	int64_t		 retry_after;	/* ms the server asked for, or -1 */
	int		 retry;		/* enum retry_policy, or -1: by kind */
	long		 quota_rpm;	/* a 429's per-minute quota, or 0 */
	bool		 unreachable;	/* the API was never reached */
};

struct retry_opts {
	unsigned	 retries;	/* extra attempts */
	int64_t		 backoff_base_ms;
	int64_t		 backoff_cap_ms;
};

enum verdict_what {
	VERDICT_RETRY,	/* not before v->not_before */
	VERDICT_FAILED,	/* final: record the row failed */
	VERDICT_STOP	/* stop the run (v->stop); the row stays undone */
};

struct verdict {
	enum verdict_what	 what;
	bool			 charged;	/* the attempt counted */
	int64_t			 not_before;	/* RETRY */
	struct gate_stop	 stop;		/* STOP, or a stop the gate
						   decided alongside a RETRY */
};

/* Charged attempts a row of policy p may have in all. */
unsigned	retry_allowed(enum retry_policy p, const struct retry_opts *o);

/*
 * Decides about attempt a that failed with f at time now.  a->attempts
 * is decremented when the attempt is not charged.  v->stop.status may be
 * set with a RETRY verdict too (e.g. rate limited past --max-outage: the
 * row waits for the next run).
 */
void	retry_decide(struct gate *g, struct attempt *a,
	    const struct failure *f, const struct retry_opts *o, int64_t now,
	    struct verdict *v);

#endif
