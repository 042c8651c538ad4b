/*
 * price: token counts to US dollars (see price.h).  Pure: no I/O but the
 * price file's read, no clock.  Invariant: a table only ever holds
 * checked prices (rates from 0 to PRICE_RATE_MAX, so that every cost is
 * finite; a tier only with its threshold), and a merge that fails leaves
 * it as it was.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "rowpool/msgbuf.h"
#include "rowpool/price.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define PER_TOKEN	1e-6	/* the rates are per million tokens */

/*
 * The built-in prices: the Gemini Developer API, paid Standard tier, text
 * (and image, video) input, USD per million tokens, as listed on
 * https://ai.google.dev/gemini-api/docs/pricing.  Checked on 2026-12-01
 * against that page as quoted by Google's forum (2.5 Pro cache $0.125 /
 * $0.25, discuss.ai.google.dev/t/107349) and by pricing guides dated
 * 2026 (deploybase.ai, morphllm.com, hivebook.wiki): Flash $0.30 / $2.50,
 * Flash-Lite $0.10 / $0.40, Pro $1.25 / $10 up to 200k prompt tokens and
 * $2.50 / $15 above; cached input is a tenth of the input rate (Flash
 * $0.03, Flash-Lite $0.01; older copies of the page list Flash at
 * $0.075); thinking is billed at the output rate.  gemini-2.0-flash is
 * left out: it was shut down on 2026-06-01; 2.5 Flash and Pro are listed
 * as deprecated too, and the Gemini 3 models that replace them are not
 * here yet.  Prices change: --price-file overrides these without a
 * rebuild.
 */
static const struct price builtin[] = {
	{ .model = "gemini-2.5-flash",
	  .rates = { .input = 0.30, .output = 2.50, .thinking = 2.50,
	      .cached = 0.03 } },
	{ .model = "gemini-2.5-flash-lite",
	  .rates = { .input = 0.10, .output = 0.40, .thinking = 0.40,
	      .cached = 0.01 } },
	{ .model = "gemini-2.5-pro",
	  .rates = { .input = 1.25, .output = 10.00, .thinking = 10.00,
	      .cached = 0.125 },
	  .tier_above = 200000,
	  .tier = { .input = 2.50, .output = 15.00, .thinking = 15.00,
	      .cached = 0.25 } },
};

static_assert(NELEM(builtin) <= PRICE_TABLE_MAX, "builtin table too big");

void
price_table_init(struct price_table *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->v, builtin, sizeof(builtin));
	t->n = NELEM(builtin);
}

/* "models/gemini-2.5-flash" is "gemini-2.5-flash". */
static const char *
base_name(const char *model)
{
	const char *slash = strrchr(model, '/');

	return slash != NULL ? slash + 1 : model;
}

static bool
version_segment(const char *s, size_t n)
{
	static const char *const words[] = { "preview", "latest", "exp" };
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < NELEM(words); i++)
		if (strlen(words[i]) == n && strncmp(s, words[i], n) == 0)
			return true;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* rest is "" or "-seg-seg..." with every seg a version segment. */
static bool
version_suffix(const char *rest)
{
	size_t n;

	while (*rest != '\0') {
		if (*rest++ != '-')
			return false;
		n = strcspn(rest, "-");
		if (!version_segment(rest, n))
			return false;
		rest += n;
	}
	return true;
}

const struct price *
price_find(const struct price_table *t, const char *model)
{
	const struct price *best = NULL;
	size_t i, n, best_n = 0;

	if (model == NULL)
		return NULL;
	model = base_name(model);
	for (i = 0; i < t->n; i++) {
		n = strlen(t->v[i].model);
		if (n <= best_n && best != NULL)
			continue;
		if (strncmp(model, t->v[i].model, n) == 0 &&
		    version_suffix(model + n)) {
			best = &t->v[i];
			best_n = n;
		}
	}
	return best;
}

/* usage[key] if a non-negative integer, else 0. */
static double
count(const json_t *usage, const char *key)
{
	const json_t *v = json_object_get(usage, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	return (double)json_integer_value(v);
}

static const struct price_rates *
rates_for(const struct price *p, double prompt)
{
	if (p->tier_above > 0 && prompt > (double)p->tier_above)
		return &p->tier;
	return &p->rates;
}

double
price_cost(const struct price *p, const json_t *usage)
{
	const struct price_rates *r;
	double prompt, cached, out, thoughts, total;

	if (!json_is_object(usage))
		return 0;
	prompt = count(usage, "prompt_tokens");
	cached = count(usage, "cached_tokens");
	out = count(usage, "output_tokens");
	thoughts = count(usage, "thoughts_tokens");
	total = count(usage, "total_tokens");
	if (cached > prompt)
		cached = prompt;
	/* OpenAI's completion_tokens include the reasoning tokens. */
	if (thoughts > 0 && total > 0 && prompt + out + thoughts > total)
		out = out > thoughts ? out - thoughts : 0;
	r = rates_for(p, prompt);
	return ((prompt - cached) * r->input + cached * r->cached +
	    out * r->output + thoughts * r->thinking) * PER_TOKEN;
}

double
price_estimate(const struct price *p, long long input_tokens,
    long long output_tokens)
{
	const struct price_rates *r;
	double in, out;

	in = input_tokens > 0 ? (double)input_tokens : 0;
	out = output_tokens > 0 ? (double)output_tokens : 0;
	r = rates_for(p, in);
	return (in * r->input + out * r->output) * PER_TOKEN;
}

/*
 * The price file: a JSON object of models, each checked whole into a
 * copy of the table, which replaces the table only when all passed.
 */

struct perr {
	char	msg[256];	/* what is wrong, without the model */
};

static int __attribute__((format(printf, 2, 3)))
fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgbuf_vformat(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* A name fit to quote: control bytes as '?', cut with "..." to fit. */
static void
quote_name(char *dst, size_t size, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++)
		dst[i] = (unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f ? '?' : name[i];
	dst[i] = '\0';
	if (name[i] != '\0' && size > 4)
		memcpy(dst + size - 4, "...", 4);
}

static bool
known_key(const char *key, bool top)
{
	static const char *const keys[] = {
		"input", "output", "thinking", "cached",	/* rates */
		"tier_above", "tier"				/* top only */
	};
	size_t i, n = top ? NELEM(keys) : 4;

	for (i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* obj[key] into *r; when absent, *r is left as it is (or an error). */
static int
rate(const json_t *obj, const char *key, bool required, double *r,
    const char *where, struct perr *e)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return required ? fail(e, "%smissing \"%s\"", where, key) : 0;
	if (!json_is_number(v))
		return fail(e, "%s%s: expected a number from 0 to %.0f, got %s",
		    where, key, PRICE_RATE_MAX, type_name(v));
	if (json_number_value(v) < 0 || json_number_value(v) > PRICE_RATE_MAX)
		return fail(e, "%s%s: expected a number from 0 to %.0f, got %g",
		    where, key, PRICE_RATE_MAX, json_number_value(v));
	*r = json_number_value(v);
	return 0;
}

/* where: "" for a model's rates, "tier: " for its tier's. */
static int
parse_rates(const json_t *obj, struct price_rates *r, const char *where,
    struct perr *e)
{
	const char *key;
	json_t *v;
	char q[PRICE_MODEL_MAX];

	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (!known_key(key, *where == '\0')) {
			quote_name(q, sizeof(q), key);
			return fail(e, "%sunknown key '%s'", where, q);
		}
	}
	if (rate(obj, "input", true, &r->input, where, e) == -1 ||
	    rate(obj, "output", true, &r->output, where, e) == -1)
		return -1;
	r->thinking = r->output;
	r->cached = r->input;
	if (rate(obj, "thinking", false, &r->thinking, where, e) == -1 ||
	    rate(obj, "cached", false, &r->cached, where, e) == -1)
		return -1;
	return 0;
}

static int
parse_tier(const json_t *obj, struct price *p, struct perr *e)
{
	const json_t *above = json_object_get(obj, "tier_above");
	const json_t *tier = json_object_get(obj, "tier");

	if (above == NULL && tier == NULL)
		return 0;
	if (above == NULL || tier == NULL)
		return fail(e, "\"tier\" and \"tier_above\" go together");
	if (!json_is_integer(above))
		return fail(e, "tier_above: expected an integer > 0 (prompt "
		    "tokens), got %s", type_name(above));
	if (json_integer_value(above) <= 0)
		return fail(e, "tier_above: expected an integer > 0 (prompt "
		    "tokens), got %" JSON_INTEGER_FORMAT,
		    json_integer_value(above));
	if (!json_is_object(tier))
		return fail(e, "tier: expected an object of rates, got %s",
		    type_name(tier));
	p->tier_above = json_integer_value(above);
	return parse_rates(tier, &p->tier, "tier: ", e);
}

static int
parse_price(const char *name, const json_t *obj, struct price *p,
    struct perr *e)
{
	memset(p, 0, sizeof(*p));
	if (*name == '\0')
		return fail(e, "empty model name");
	if (strlen(name) >= sizeof(p->model))
		return fail(e, "model name longer than %zu bytes",
		    sizeof(p->model) - 1);
	if (!json_is_object(obj))
		return fail(e, "expected an object of rates, got %s",
		    type_name(obj));
	strlcpy(p->model, name, sizeof(p->model));
	if (parse_rates(obj, &p->rates, "", e) == -1)
		return -1;
	return parse_tier(obj, p, e);
}

/* The index of model's entry in t, or of a new one; -1 when t is full. */
static long
slot(struct price_table *t, const char *model)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].model, model) == 0)
			return (long)i;
	if (t->n == PRICE_TABLE_MAX)
		return -1;
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	return (long)t->n++;
}

/* err = "'key': msg", or just msg when key is NULL.  Returns -1. */
static int
report(char *err, size_t errlen, const char *key, const struct perr *e)
{
	char q[PRICE_MODEL_MAX];

	if (err == NULL || errlen == 0)
		return -1;
	if (key == NULL) {
		snprintf(err, errlen, "%s", e->msg);
		return -1;
	}
	quote_name(q, sizeof(q), key);
	snprintf(err, errlen, "'%s': %s", q, e->msg);
	return -1;
}

int
price_merge(struct price_table *t, const json_t *prices, char *err,
    size_t errlen)
{
	struct price_table nt;
	bool seen[PRICE_TABLE_MAX] = { false };
	struct perr e;
	struct price p;
	const char *key;
	json_t *v;
	long i;

	if (!json_is_object(prices)) {
		fail(&e, "expected an object of models, got %s",
		    type_name(prices));
		return report(err, errlen, NULL, &e);
	}
	nt = *t;
	json_object_foreach((json_t *)(uintptr_t)prices, key, v) {
		if (parse_price(base_name(key), v, &p, &e) == -1)
			return report(err, errlen, key, &e);
		if ((i = slot(&nt, p.model)) == -1) {
			fail(&e, "more than %d models", PRICE_TABLE_MAX);
			return report(err, errlen, NULL, &e);
		}
		if (seen[i]) {
			fail(&e, "given twice");
			return report(err, errlen, key, &e);
		}
		seen[i] = true;
		nt.v[i] = p;
	}
	*t = nt;
	return 0;
}

/* err = "'path': msg".  Returns -1. */
static int
file_fail(char *err, size_t errlen, const char *path, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "'%s': %s", path, msg);
	return -1;
}

static json_t *
read_json(const char *path, char *msg, size_t msglen)
{
	json_error_t jerr;
	struct stat st;
	json_t *v = NULL;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(msg, msglen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1)
		snprintf(msg, msglen, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(msg, msglen, "not a regular file");
	else if ((v = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		snprintf(msg, msglen, "line %d, column %d: %s", jerr.line,
		    jerr.column, jerr.text);
	fclose(f);
	return v;
}

int
price_load_file(const char *path, struct price_table *t, char *err,
    size_t errlen)
{
	json_t *prices;
	char msg[512];
	int rc;

	if ((prices = read_json(path, msg, sizeof(msg))) == NULL)
		return file_fail(err, errlen, path, msg);
	rc = price_merge(t, prices, msg, sizeof(msg));
	json_decref(prices);
	return rc == -1 ? file_fail(err, errlen, path, msg) : 0;
}
