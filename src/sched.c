/*
 * sched: retry timing.  No clock reads and no I/O here; randomness comes
 * from arc4random_uniform only.
 */
#include <stdlib.h>
#include <string.h>

#include "rowpool/sched.h"

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

/* ---- token bucket ---- */

static void
bucket_refill(struct bucket *b, int64_t now)
{
	if (now > b->last) {
		b->tokens += (double)(now - b->last) * b->per_ms;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
	}
	b->last = now;
}

void
bucket_init(struct bucket *b, double per_minute, double burst, int64_t now)
{
	b->per_ms = per_minute > 0 ? per_minute / 60000.0 : 0;
	b->burst = burst < 1 ? 1 : burst;
	b->tokens = b->burst;
	b->last = now;
}

void
bucket_set_rate(struct bucket *b, double per_minute, double burst,
    int64_t now)
{
	bucket_refill(b, now);
	b->per_ms = per_minute > 0 ? per_minute / 60000.0 : 0;
	b->burst = burst < 1 ? 1 : burst;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
}

int64_t
bucket_take(struct bucket *b, double cost, int64_t now)
{
	double need, wait;

	if (b->per_ms == 0)
		return 0;
	bucket_refill(b, now);
	/* A cost above the burst could never be met: let it through whole. */
	need = cost > b->burst ? b->burst : cost;
	if (b->tokens >= need) {
		b->tokens -= cost;
		return 0;
	}
	/* A deficit of answers that cost far more than estimated. */
	wait = (need - b->tokens) / b->per_ms;
	return wait < (double)BUCKET_WAIT_MAX ? (int64_t)wait + 1 :
	    BUCKET_WAIT_MAX;
}

void
bucket_adjust(struct bucket *b, double delta)
{
	b->tokens += delta;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
}

/* ---- AIMD ---- */

void
aimd_init(struct aimd *a, unsigned max, int64_t cooldown_ms)
{
	a->limit = a->max = max > 0 ? max : 1;
	a->min = 1;
	a->cooldown_ms = cooldown_ms;
	a->last_cut = INT64_MIN / 2;
}

void
aimd_success(struct aimd *a)
{
	a->limit += 1.0 / a->limit;
	if (a->limit > a->max)
		a->limit = a->max;
}

bool
aimd_throttled(struct aimd *a, int64_t now)
{
	if (now - a->last_cut < a->cooldown_ms)
		return false;
	a->last_cut = now;
	a->limit /= 2;
	if (a->limit < a->min)
		a->limit = a->min;
	return true;
}

unsigned
aimd_limit(const struct aimd *a)
{
	return (unsigned)a->limit;
}

/* ---- retry budget ---- */

void
budget_init(struct retry_budget *b, double initial, double ratio)
{
	b->tokens = b->cap = initial;
	b->ratio = ratio;
}

void
budget_success(struct retry_budget *b)
{
	b->tokens += b->ratio;
	if (b->tokens > b->cap)
		b->tokens = b->cap;
}

bool
budget_take(struct retry_budget *b)
{
	if (b->tokens < 1 - 1e-9)	/* 5 x 0.2 is one token */
		return false;
	b->tokens -= 1;
	return true;
}

/* ---- circuit breaker ---- */

#define PROBE_FIRST_MS	1000
#define PROBE_MAX_MS	60000

void
breaker_init(struct breaker *b, unsigned threshold, int64_t max_outage_ms)
{
	memset(b, 0, sizeof(*b));
	b->threshold = threshold;
	b->max_outage_ms = max_outage_ms;
}

void
breaker_failure(struct breaker *b, enum kind kind, bool grow, int64_t now)
{
	if (b->failures > 0 && b->kind != kind)
		b->failures = 0;
	b->kind = kind;
	b->failures++;
	b->probing = false;
	if (b->state == BREAKER_OPEN) {
		if (grow)
			b->probe_ms = b->probe_ms * 2 > PROBE_MAX_MS ?
			    PROBE_MAX_MS : b->probe_ms * 2;
		b->next_probe = now + b->probe_ms;
	} else if (b->failures >= b->threshold) {
		b->state = BREAKER_OPEN;
		b->opened = now;
		b->probe_ms = PROBE_FIRST_MS;
		b->next_probe = now + b->probe_ms;
	}
}

void
breaker_success(struct breaker *b)
{
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->probing = false;
}

bool
breaker_allow(struct breaker *b, int64_t now, int64_t *wake_at)
{
	if (b->state == BREAKER_CLOSED)
		return true;
	if (!b->probing && now >= b->next_probe) {
		b->probing = true;
		return true;
	}
	*wake_at = b->probing ? -1 : b->next_probe;
	return false;
}

bool
breaker_expired(const struct breaker *b, int64_t now)
{
	return b->state == BREAKER_OPEN && now - b->opened >= b->max_outage_ms;
}
