/*
 * retry: the decision about one failed attempt.  Invariant: an attempt
 * is charged to its row unless the kind table or the gate says the row
 * was not at fault (a 429, an outage, an API never reached, a worker out
 * of memory); a row ends failed only once its charged attempts reach
 * what its retry policy allows.
 */
#include <stdio.h>
#include <string.h>

#include "rowpool/retry.h"
#include "rowpool/sched.h"

unsigned
retry_allowed(enum retry_policy p, const struct retry_opts *o)
{
	return p == RETRY_YES ? o->retries + 1 : p == RETRY_ONCE ? 2 : 1;
}

/* Is this attempt the row's fault?  The gate learns from it meanwhile. */
static bool
row_at_fault(struct gate *g, struct attempt *a, const struct failure *f,
    enum retry_policy pol, int64_t now, struct gate_stop *stop)
{
	const struct kind_info *ki = kind_info(f->kind);
	bool free = ki->charge == CHARGE_NO;

	if (f->kind == KIND_RATE_LIMITED)
		free = gate_rate_limited(g, f->retry_after, f->quota_rpm,
		    ++a->throttled, now, stop);
	else if (ki->transient && pol == RETRY_YES)
		free = gate_transient(g, f->kind, a->probe, a->failures > 1,
		    now);
	if (f->kind == KIND_INTERNAL)
		free = gate_internal(g, stop);
	if (f->unreachable && gate_unreachable(g, f->message, now, stop))
		free = true;
	return !free;
}

void
retry_decide(struct gate *g, struct attempt *a, const struct failure *f,
    const struct retry_opts *o, int64_t now, struct verdict *v)
{
	const struct kind_info *ki = kind_info(f->kind);
	enum retry_policy pol = f->retry >= 0 ? (enum retry_policy)f->retry :
	    ki->retry;
	int64_t after;

	memset(v, 0, sizeof(*v));
	a->failures++;
	if (ki->stop != 0) {
		v->what = VERDICT_STOP;
		v->stop.status = ki->stop;
		v->stop.now = ki->stop_now;
		snprintf(v->stop.why, sizeof(v->stop.why), "%s: %s%s",
		    ki->stop_what, f->message, ki->stop_hint);
		return;
	}
	v->charged = row_at_fault(g, a, f, pol, now, &v->stop);
	if (!v->charged && a->attempts > 0)
		a->attempts--;
	if (a->attempts >= retry_allowed(pol, o) && v->stop.status == 0) {
		v->what = VERDICT_FAILED;
		return;
	}
	after = f->retry_after < GATE_RETRY_AFTER_CAP_MS ? f->retry_after :
	    GATE_RETRY_AFTER_CAP_MS;
	v->what = VERDICT_RETRY;
	v->not_before = now + sched_backoff_ms(a->attempts + 1,
	    o->backoff_base_ms, o->backoff_cap_ms, after);
}
