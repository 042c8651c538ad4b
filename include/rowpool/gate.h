/*
 * gate: when the supervisor may send the next row, and what the API's
 * answers teach it.  One gate per run, shared by all workers:
 *  - the --rpm and --tpm token buckets (requests evenly spaced at 98% of
 *    the limit; tokens estimated before a request, corrected after);
 *  - the pause after a 429 (every dispatch waits for its retryDelay,
 *    honoured up to GATE_RETRY_AFTER_CAP_MS) and the quota a 429 names;
 *  - AIMD on the rows in flight;
 *  - the retry budget;
 *  - the circuit breaker and its probe;
 *  - the stops that time decides: an outage or rate limiting longer than
 *    max_outage_ms (75), an API never reached for unreachable_ms (69).
 *
 * Domain tier and pure: no clock reads, no I/O, no logging.  The caller
 * passes the monotonic time in ms; what a caller would log comes back as
 * event bits (gate_events).  Tests drive it with a fake clock.
 *
 * Calling sequence:
 *  1. gate_init(&g, &opts, now);
 *  2. to dispatch: gate_may_dispatch() (the pause and the breaker), pick
 *     a row (fresh rows first when gate_prefers_fresh()), then
 *     gate_take() (the buckets); gate_probe_done() when a probe was let
 *     through but no row went, or its row came back without an answer;
 *  3. on outcomes: gate_success(), or the failure hooks called by
 *     retry_decide() (retry.h); gate_answered() for any answer at all;
 *  4. gate_check() on every tick, for the stops that time decides.
 */
#ifndef ROWPOOL_GATE_H
#define ROWPOOL_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "rowpool/kind.h"
#include "rowpool/sched.h"

#define GATE_QUOTA_PACE		0.98	/* of a request quota */
#define GATE_RETRY_AFTER_CAP_MS	(60 * 60 * 1000)
#define GATE_AIMD_COOLDOWN_MS	2000	/* one burst of 429s, one cut */
#define GATE_BUDGET_BASE	20	/* retries before successes count */
#define GATE_BUDGET_RATIO	0.2	/* then one per five successes */
#define GATE_BREAKER_THRESHOLD	10	/* transient failures in a row */
#define GATE_INTERNAL_MAX	5	/* worker out of memory, in a row */
#define GATE_MESSAGE_MAX	256

struct gate_opts {
	double	 rpm;		/* requests a minute; 0: no limit */
	double	 tpm;		/* tokens a minute; 0: no limit */
	unsigned workers;	/* AIMD's ceiling */
	int64_t	 max_outage_ms;
	int64_t	 unreachable_ms;
	int64_t	 pause_ms;	/* a 429 without a retryDelay */
	double	 prompt_bytes;	/* the template, for token estimates */
	unsigned shards;	/* runs sharing one key's quota; 0: 1 */
};

/* What happened, for the caller's log (bits, cleared by gate_events). */
enum gate_event {
	GATE_EV_BREAKER_OPENED = 1 << 0,
	GATE_EV_LIMIT_CUT = 1 << 1,
	GATE_EV_PAUSED = 1 << 2,
	GATE_EV_QUOTA_LEARNED = 1 << 3
};

/* A stop decided by the gate: exit status and message. */
struct gate_stop {
	int	 status;	/* 0: none */
	bool	 now;		/* kill the workers, not drain */
	char	 why[512];
};

struct gate {
	struct gate_opts	 o;
	struct bucket		 rpm, tpm;
	struct aimd		 aimd;
	struct retry_budget	 budget;
	struct breaker		 breaker;
	int64_t			 pause_until;	/* no dispatch before (429) */
	int64_t			 throttled_since; /* first 429 since the last
						   success, or 0 */
	long			 learned_rpm;	/* a 429's quotaValue, or 0 */
	bool			 answered;	/* the API answered once */
	int64_t			 unreach_since;	/* first failure to reach it */
	char			 unreach_msg[GATE_MESSAGE_MAX];
	const char		*endpoint;	/* for the 69 message */
	unsigned		 internal;	/* internal failures in a row */
	double			 avg_output;	/* output tokens per row */
	double			 avg_total;	/* total tokens per row, or 0 */
	unsigned		 events;
};

void	gate_init(struct gate *g, const struct gate_opts *o, int64_t now);

/*
 * May a row go now, as far as a 429's pause and the breaker say?  When
 * the breaker is open, true once per probe interval: that row is the
 * probe (gate_is_probing).  Otherwise false and *wake_at says when to ask
 * again (-1: on the next outcome).
 */
bool	gate_may_dispatch(struct gate *g, int64_t now, int64_t *wake_at);
/* A probe was let through but no row went, or it came back unanswered. */
void	gate_probe_done(struct gate *g);
/* True while the breaker is open: the row let through is the probe. */
bool	gate_is_probing(const struct gate *g);
/* After a transient failure (until a success): fresh rows first. */
bool	gate_prefers_fresh(const struct gate *g);
/* Estimated tokens of a request for a row of row_bytes. */
double	gate_estimate(const struct gate *g, double row_bytes);
/*
 * 0 when the --rpm and --tpm buckets let a request of tokens go now (and
 * charges them), otherwise the ms to wait (charging nothing).
 */
int64_t	gate_take(struct gate *g, double tokens, int64_t now);
/* A due retry may go: it takes a budget token (or last_work allows). */
bool	gate_take_retry(struct gate *g, bool last_work);
/* The rows in flight that AIMD allows now. */
unsigned gate_limit(const struct gate *g);

/* A row succeeded: est was charged to --tpm, usage says what it cost. */
void	gate_success(struct gate *g, double est, long long total_tokens,
	    long long output_tokens);
/* The API answered (any status): it is reachable. */
void	gate_answered(struct gate *g);

/*
 * Failure hooks, for retry_decide.  Each returns true when the attempt
 * is not the row's fault (not to be charged), and may set *stop.
 */
bool	gate_rate_limited(struct gate *g, int64_t retry_after_ms,
	    long quota_rpm, unsigned throttled, int64_t now,
	    struct gate_stop *stop);
bool	gate_transient(struct gate *g, enum kind k, bool probe,
	    bool failed_before, int64_t now);
bool	gate_unreachable(struct gate *g, const char *message, int64_t now,
	    struct gate_stop *stop);
bool	gate_internal(struct gate *g, struct gate_stop *stop);

/*
 * The stops that time decides; returns stop->status (0: none) and the
 * time it wants to be asked again in *wake_at (-1: none).
 */
int	gate_check(struct gate *g, int64_t now, struct gate_stop *stop,
	    int64_t *wake_at);

/* The events since the last call (GATE_EV_* bits); clears them. */
unsigned gate_events(struct gate *g);

#endif
