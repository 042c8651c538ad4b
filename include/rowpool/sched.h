/*
 * sched: when to try a row again.  Pure functions of their arguments (the
 * clock is passed in), so every policy is testable without waiting.
 *
 * Domain tier.
 */
#ifndef ROWPOOL_SCHED_H
#define ROWPOOL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "rowpool/kind.h"

/*
 * Delay before attempt number `attempt` (2 for the first retry): "full
 * jitter" exponential backoff, uniform in [0, min(cap, base * 2^(attempt-2))],
 * but never less than floor_ms (a server's Retry-After; -1 for none).
 */
int64_t	sched_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
	    int64_t floor_ms);


/*
 * Token bucket, for --rpm and --tpm: rate tokens per minute, at most burst
 * tokens saved up.  Pure: the caller passes the monotonic time in ms.
 */
struct bucket {
	double	 per_ms;	/* refill rate; 0: unlimited */
	double	 burst;
	double	 tokens;
	int64_t	 last;
};

void	bucket_init(struct bucket *b, double per_minute, double burst,
	    int64_t now);
/* Changes the rate, keeping the tokens saved (capped at the new burst). */
void	bucket_set_rate(struct bucket *b, double per_minute, double burst,
	    int64_t now);
/*
 * 0 when cost tokens are there now (and takes them), otherwise the ms to
 * wait before they will be (taking nothing), at most BUCKET_WAIT_MAX.
 * Always 0 when unlimited.
 */
#define BUCKET_WAIT_MAX	(INT64_MAX / 4)	/* never, but now + it fits */
int64_t	bucket_take(struct bucket *b, double cost, int64_t now);
/* Adds or removes tokens without waiting (corrections; may go negative). */
void	bucket_adjust(struct bucket *b, double delta);

/*
 * AIMD concurrency: the rows in flight allowed.  A 429 halves it (at most
 * once per cooldown_ms, since one burst of 429s is one signal); each
 * success adds 1/limit, so it grows by about one per limit successes.
 */
struct aimd {
	double	 limit;
	double	 min;
	double	 max;
	int64_t	 cooldown_ms;
	int64_t	 last_cut;
};

void		aimd_init(struct aimd *a, unsigned max, int64_t cooldown_ms);
void		aimd_success(struct aimd *a);
/* Returns true when this 429 cut the limit. */
bool		aimd_throttled(struct aimd *a, int64_t now);
unsigned	aimd_limit(const struct aimd *a);

/*
 * Retry budget: a retry costs one token; each success earns ratio tokens,
 * up to cap.  During an outage retries stay bounded (one per 1/ratio
 * successes once the initial tokens are spent).
 */
struct retry_budget {
	double	 tokens;
	double	 ratio;
	double	 cap;
};

void	budget_init(struct retry_budget *b, double initial, double ratio);
void	budget_success(struct retry_budget *b);
/* Takes a token for a retry; false when there is none. */
bool	budget_take(struct retry_budget *b);

/*
 * Circuit breaker: after `threshold` consecutive transient failures the
 * breaker opens: no dispatch but one probe row at a time, probe_ms apart
 * (doubling up to 60 s).  A success closes it.  Open longer than
 * max_outage_ms: the caller gives up (breaker_expired).
 */
enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN };

struct breaker {
	enum breaker_state	 state;
	unsigned		 threshold;
	unsigned		 failures;	/* consecutive */
	enum kind		 kind;		/* of the last failure */
	int64_t			 opened;
	int64_t			 next_probe;
	int64_t			 probe_ms;
	int64_t			 max_outage_ms;
	bool			 probing;	/* a probe is in flight */
};

void	breaker_init(struct breaker *b, unsigned threshold,
	    int64_t max_outage_ms);
/*
 * An attempt failed transiently (kind: http, network, timeout...).  While
 * open, the next probe comes probe_ms later, doubled first when grow.
 */
void	breaker_failure(struct breaker *b, enum kind kind, bool grow,
	    int64_t now);
void	breaker_success(struct breaker *b);
/*
 * May a row be dispatched now?  When open: true once per probe interval
 * (the probe), and *wake_at says when to ask again otherwise.
 */
bool	breaker_allow(struct breaker *b, int64_t now, int64_t *wake_at);
bool	breaker_expired(const struct breaker *b, int64_t now);

#endif
