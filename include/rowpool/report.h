/*
 * report: what a run tells the people watching it, apart from errors:
 * the session's counters (stats.h), the progress line (progress.h), the
 * rate over the last minute, the lines said on stderr unless -q, and the
 * end-of-run summary.  It decides nothing about the run.
 *
 * Policy tier for output: it prints (stderr, the log).
 *
 * Calling sequence: report_init() at the start; report_rate() at every
 * checkpoint; report_say() any time; report_summary() at the end.
 */
#ifndef ROWPOOL_REPORT_H
#define ROWPOOL_REPORT_H

#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "rowpool/kind.h"
#include "rowpool/price.h"
#include "rowpool/progress.h"
#include "rowpool/run.h"
#include "rowpool/stats.h"

#define REPORT_RATE_SAMPLES	64

struct report {
	const struct run_opts	*o;
	struct stats		 stats;
	struct progress		 progress;
	uint64_t		 kinds[KIND_COUNT];	/* this session's
							   failed rows */
	int64_t			 t0;		/* monotonic ms */
	time_t			 started;	/* wall clock */
	double			 rate;		/* at the last report_rate */
	struct {
		int64_t		 ms;
		uint64_t	 done;
	}			 samples[REPORT_RATE_SAMPLES];
	unsigned		 nsamples;
};

/* What the summary counts: the run's totals, all sessions together. */
struct report_totals {
	uint64_t		 rows, ok, failed;
	const json_t		*tokens;	/* usage totals */
	double			 cost_usd;	/* -1: no price */
	const struct price	*price;
	const char		*cache;		/* --cache DIR, or NULL */
};

void	report_init(struct report *rep, const struct run_opts *o,
	    int64_t now);
/* Always in the log; on stderr unless -q (or -v, which mirrors it). */
void	report_say(struct report *rep, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Rows a second over the last minute, counting done rows now. */
double	report_rate(struct report *rep, int64_t now, uint64_t done);
/* "2026-12-01T10:00:00Z" */
void	report_iso(time_t t, char *buf, size_t len);
void	report_summary(struct report *rep, const struct report_totals *t,
	    int64_t now);

#endif
