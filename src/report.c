/*
 * report: counters, rates and the summary.  Invariant: nothing here
 * changes what a run does; every line said on stderr erases the progress
 * line first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "rowpool/log.h"
#include "rowpool/report.h"

void
report_init(struct report *rep, const struct run_opts *o, int64_t now)
{
	memset(rep, 0, sizeof(*rep));
	rep->o = o;
	rep->t0 = now;
	rep->started = time(NULL);
	progress_init(&rep->progress, 2, o->quiet || o->verbose > 0,
	    o->progress_ms);
}

void
report_say(struct report *rep, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("%s", line);
	if (!rep->o->quiet && rep->o->verbose == 0) {
		progress_clear(&rep->progress);
		fprintf(stderr, "rowpool: %s\n", line);
	}
}

double
report_rate(struct report *rep, int64_t now, uint64_t done)
{
	unsigned i, n, old = 0;
	bool found = false;

	n = rep->nsamples < REPORT_RATE_SAMPLES ? rep->nsamples :
	    REPORT_RATE_SAMPLES;
	for (i = 0; i < n; i++)
		if (now - rep->samples[i].ms <= 60000 && (!found ||
		    rep->samples[i].ms < rep->samples[old].ms)) {
			old = i;
			found = true;
		}
	i = rep->nsamples++ % REPORT_RATE_SAMPLES;
	rep->samples[i].ms = now;
	rep->samples[i].done = done;
	rep->rate = !found || now <= rep->samples[old].ms ? 0 :
	    (double)(done - rep->samples[old].done) * 1000.0 /
	    (double)(now - rep->samples[old].ms);
	return rep->rate;
}

void
report_iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the summary ---- */

static double
tv_sec(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* What the run cost the machine: for the log, and for scripts/bench. */
static void
log_resources(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	log_info("resources: supervisor cpu %.3f s (user %.3f, sys %.3f), "
	    "peak rss %ld KiB; workers cpu %.3f s",
	    tv_sec(self.ru_utime) + tv_sec(self.ru_stime),
	    tv_sec(self.ru_utime), tv_sec(self.ru_stime), self.ru_maxrss,
	    tv_sec(kids.ru_utime) + tv_sec(kids.ru_stime));
}

/* " (this run: crash 2, http 1)", or "" */
static void
kinds_text(const struct report *rep, char *buf, size_t len)
{
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < KIND_COUNT; k++)
		if (rep->kinds[k] > 0 && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s %llu",
			    n == 0 ? " (this run: " : ", ",
			    kind_name((enum kind)k),
			    (unsigned long long)rep->kinds[k]);
	if (n > 0 && n < len)
		snprintf(buf + n, len - n, ")");
}

/* "412 ms", "1.20 s" */
static const char *
duration(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%lld ms", (long long)ms);
	else
		snprintf(buf, len, "%.2f s", (double)ms / 1000.0);
	return buf;
}

static void
summary_latency(struct report *rep)
{
	const struct stats *s = &rep->stats;
	char a[32], b[32], c[32];

	report_say(rep, "latency p50 %s, p90 %s, p99 %s; %llu requests, %llu "
	    "answered 429, %llu retries",
	    duration(stats_percentile(s, 50), a, sizeof(a)),
	    duration(stats_percentile(s, 90), b, sizeof(b)),
	    duration(stats_percentile(s, 99), c, sizeof(c)),
	    (unsigned long long)s->requests, (unsigned long long)s->throttled,
	    (unsigned long long)s->retries);
}

static unsigned long long
tokens(const json_t *totals, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(totals, k));

	return v > 0 ? (unsigned long long)v : 0;
}

static void
summary_tokens(struct report *rep, const json_t *t)
{
	char a[32], b[32], c[32], d[32], e[32];

	report_say(rep, "tokens: prompt %s, output %s, thinking %s, cached "
	    "%s, total %s",
	    progress_num(tokens(t, "prompt_tokens"), a, sizeof(a)),
	    progress_num(tokens(t, "output_tokens"), b, sizeof(b)),
	    progress_num(tokens(t, "thoughts_tokens"), c, sizeof(c)),
	    progress_num(tokens(t, "cached_tokens"), d, sizeof(d)),
	    progress_num(tokens(t, "total_tokens"), e, sizeof(e)));
}

static void
summary_cache(struct report *rep, const char *dir)
{
	char a[32], b[32], saved[96] = "";

	if (rep->stats.saved_tokens > 0)
		snprintf(saved, sizeof(saved), " (their answers had cost %s "
		    "tokens)", progress_num(rep->stats.saved_tokens, b,
		    sizeof(b)));
	report_say(rep, "cache: %s rows answered from '%s', no request sent "
	    "for them%s", progress_num(rep->stats.cached, a, sizeof(a)), dir,
	    saved);
}

void
report_summary(struct report *rep, const struct report_totals *t,
    int64_t now)
{
	int64_t ms = now - rep->t0;
	char kinds[512], a[32], b[32];

	progress_clear(&rep->progress);
	report_say(rep, "%s rows in %.1f s (%.1f rows/s this run): %s ok, %llu "
	    "failed", progress_num(t->rows, a, sizeof(a)), (double)ms / 1000.0,
	    ms > 0 ? (double)(rep->stats.ok + rep->stats.failed) * 1000.0 /
	    (double)ms : 0.0, progress_num(t->ok, b, sizeof(b)),
	    (unsigned long long)t->failed);
	if (rep->stats.requests > 0)
		summary_latency(rep);
	if (t->cache != NULL)
		summary_cache(rep, t->cache);
	if (json_object_size(t->tokens) > 0)
		summary_tokens(rep, t->tokens);
	if (t->cost_usd >= 0 && t->price != NULL)
		report_say(rep, "estimated cost: $%.4f (%s at $%.2f/$%.2f per "
		    "million input/output tokens%s)", t->cost_usd,
		    t->price->model, t->price->rates.input,
		    t->price->rates.output, rep->o->batch_mode ? "; rows "
		    "answered in a batch at half that" : "");
	kinds_text(rep, kinds, sizeof(kinds));
	if (t->failed > 0)	/* a problem: said even with -q */
		log_warnx("%llu of %llu rows failed%s; see '%s'",
		    (unsigned long long)t->failed,
		    (unsigned long long)t->rows, kinds, rep->o->output);
	log_resources();
}
