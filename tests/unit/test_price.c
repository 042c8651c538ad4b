/*
 * Tests for the price table: tables of (model, usage, cost) for
 * price_cost, (name, entry found) for price_find, (tokens, cost) for
 * price_estimate, and (price file, first problem) for price_load_file.
 * JSON is written with ' for ".
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/price.h"
#include "scratch.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

TestSuite(price, .init = scratch_setup, .fini = scratch_teardown);

/* s with ' turned into ", in a static buffer. */
static const char *
dq(const char *s)
{
	static char buf[8192];
	size_t i;

	cr_assert_lt(strlen(s), sizeof(buf));
	for (i = 0; s[i] != '\0'; i++)
		buf[i] = s[i] == '\'' ? '"' : s[i];
	buf[i] = '\0';
	return buf;
}

static void
assert_usd(double got, double want, const char *name)
{
	cr_assert(fabs(got - want) <= 1e-12 + fabs(want) * 1e-9,
	    "%s: cost %.12g, want %.12g", name, got, want);
}

struct cost_case {
	const char	*name;
	const char	*model;
	const char	*usage;		/* JSON with ' for "; NULL: none */
	double		 want;		/* USD */
};

static const struct cost_case cost_cases[] = {
	{ "flash: thoughts at the output rate", "gemini-2.5-flash",
	    "{'prompt_tokens':1000,'output_tokens':200,'thoughts_tokens':300,"
	    "'total_tokens':1500}", (1000 * 0.30 + 500 * 2.50) / 1e6 },
	{ "flash: cached part of the prompt", "gemini-2.5-flash",
	    "{'prompt_tokens':1200,'output_tokens':5,'thoughts_tokens':0,"
	    "'total_tokens':1205,'cached_tokens':1024}",
	    (176 * 0.30 + 1024 * 0.03 + 5 * 2.50) / 1e6 },
	{ "cached capped at the prompt", "gemini-2.5-flash",
	    "{'prompt_tokens':100,'cached_tokens':500,'total_tokens':100}",
	    100 * 0.03 / 1e6 },
	{ "flash-lite: a million each way", "gemini-2.5-flash-lite",
	    "{'prompt_tokens':1000000,'output_tokens':1000000,"
	    "'total_tokens':2000000}", 0.10 + 0.40 },
	{ "pro at the tier threshold", "gemini-2.5-pro",
	    "{'prompt_tokens':200000,'output_tokens':1000,"
	    "'total_tokens':201000}", 200000 * 1.25 / 1e6 + 1000 * 10.0 / 1e6 },
	{ "pro above: every token at the tier rates", "gemini-2.5-pro",
	    "{'prompt_tokens':200001,'output_tokens':1000,"
	    "'thoughts_tokens':1000,'total_tokens':202001}",
	    (200001 * 2.50 + 2000 * 15.0) / 1e6 },
	{ "pro above, cached", "gemini-2.5-pro",
	    "{'prompt_tokens':300000,'cached_tokens':100000,"
	    "'total_tokens':300000}", (200000 * 2.50 + 100000 * 0.25) / 1e6 },
	{ "openai: reasoning inside output, billed once", "gemini-2.5-flash",
	    "{'prompt_tokens':100,'output_tokens':50,'thoughts_tokens':30,"
	    "'total_tokens':150}", (100 * 0.30 + 50 * 2.50) / 1e6 },
	{ "no total: thoughts apart", "gemini-2.5-flash",
	    "{'prompt_tokens':100,'output_tokens':50,'thoughts_tokens':30}",
	    (100 * 0.30 + 80 * 2.50) / 1e6 },
	{ "wrong types are 0", "gemini-2.5-flash",
	    "{'prompt_tokens':'7','output_tokens':-3,'thoughts_tokens':null,"
	    "'total_tokens':1.5,'cached_tokens':[]}", 0 },
	{ "usage not an object", "gemini-2.5-flash", "[1,2]", 0 },
	{ "no usage", "gemini-2.5-flash", NULL, 0 },
};

Test(price, cost_table)
{
	struct price_table t;
	const struct cost_case *c;
	const struct price *p;
	json_error_t jerr;
	json_t *u;
	size_t i;

	price_table_init(&t);
	for (i = 0; i < NELEM(cost_cases); i++) {
		c = &cost_cases[i];
		p = price_find(&t, c->model);
		cr_assert_not_null(p, "%s: no price for %s", c->name, c->model);
		u = NULL;
		if (c->usage != NULL && (u = json_loads(dq(c->usage), 0,
		    &jerr)) == NULL)
			cr_assert_fail("%s: bad test JSON: %s", c->name,
			    jerr.text);
		assert_usd(price_cost(p, u), c->want, c->name);
		json_decref(u);
	}
}

/* Four different rates, so that a rate used for another count shows. */
Test(price, cost_uses_each_rate_for_its_count)
{
	struct price p = { .model = "m",
	    .rates = { .input = 1, .output = 2, .thinking = 3, .cached = 4 } };
	json_t *u;

	u = json_pack("{s:i,s:i,s:i,s:i,s:i}", "prompt_tokens", 10,
	    "cached_tokens", 4, "output_tokens", 100, "thoughts_tokens", 1000,
	    "total_tokens", 1110);
	cr_assert_not_null(u);
	assert_usd(price_cost(&p, u), (6 * 1 + 4 * 4 + 100 * 2 + 1000 * 3) /
	    1e6, "four rates");
	json_decref(u);
}

struct find_case {
	const char	*name;		/* as asked */
	const char	*want;		/* the entry found; NULL: none */
};

static const struct find_case find_cases[] = {
	{ "gemini-2.5-flash", "gemini-2.5-flash" },
	{ "models/gemini-2.5-flash", "gemini-2.5-flash" },
	{ "gemini-2.5-flash-001", "gemini-2.5-flash" },
	{ "gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash" },
	{ "gemini-2.5-flash-latest", "gemini-2.5-flash" },
	{ "gemini-2.5-flash-lite", "gemini-2.5-flash-lite" },
	{ "models/gemini-2.5-flash-lite-preview-06-17",
	    "gemini-2.5-flash-lite" },
	{ "gemini-2.5-pro-exp-03-25", "gemini-2.5-pro" },
	{ "publishers/google/models/gemini-2.5-pro", "gemini-2.5-pro" },
	/* Other models, other prices: none rather than a wrong one. */
	{ "gemini-2.5-flash-image", NULL },
	{ "gemini-2.5-flash-preview-tts", NULL },
	{ "gemini-2.5-flash-native-audio-preview-09-2025", NULL },
	{ "gemini-2.5-flashy", NULL },
	{ "gemini-2.5-flash001", NULL },
	{ "gemini-2.5-flash-", NULL },
	{ "gemini-2.5-flash--001", NULL },
	{ "gemini-2.5", NULL },
	{ "gemini-2.0-flash", NULL },
	{ "GEMINI-2.5-FLASH", NULL },
	{ "gpt-4o-mini", NULL },
	{ "models/", NULL },
	{ "", NULL },
};

Test(price, find_table)
{
	struct price_table t;
	const struct find_case *c;
	const struct price *p;
	size_t i;

	price_table_init(&t);
	for (i = 0; i < NELEM(find_cases); i++) {
		c = &find_cases[i];
		p = price_find(&t, c->name);
		if (c->want == NULL)
			cr_assert_null(p, "'%s': found %s", c->name,
			    p ? p->model : "");
		else
			cr_assert(p != NULL && strcmp(p->model, c->want) == 0,
			    "'%s': found %s, want %s", c->name,
			    p ? p->model : "none", c->want);
	}
	cr_assert_null(price_find(&t, NULL));
}

/* The longest entry wins, whatever the order of the table. */
Test(price, find_longest_entry)
{
	static const char *const orders[][2] = {
		{ "m", "m-preview" }, { "m-preview", "m" },
	};
	struct price_table t = { .n = 2 };
	size_t i;

	for (i = 0; i < NELEM(orders); i++) {
		strlcpy(t.v[0].model, orders[i][0], sizeof(t.v[0].model));
		strlcpy(t.v[1].model, orders[i][1], sizeof(t.v[1].model));
		cr_assert_str_eq(price_find(&t, "m-preview-05-20")->model,
		    "m-preview");
		cr_assert_str_eq(price_find(&t, "m-001")->model, "m");
		cr_assert_str_eq(price_find(&t, "m")->model, "m");
	}
}

Test(price, builtin_rates)
{
	struct price_table t;
	const struct price *p;

	price_table_init(&t);
	p = price_find(&t, "gemini-2.5-flash");
	cr_assert(p->rates.input == 0.30 && p->rates.output == 2.50 &&
	    p->rates.thinking == 2.50 && p->rates.cached == 0.03 &&
	    p->tier_above == 0);
	p = price_find(&t, "gemini-2.5-flash-lite");
	cr_assert(p->rates.input == 0.10 && p->rates.output == 0.40 &&
	    p->rates.thinking == 0.40 && p->rates.cached == 0.01);
	p = price_find(&t, "gemini-2.5-pro");
	cr_assert(p->rates.input == 1.25 && p->rates.output == 10 &&
	    p->rates.cached == 0.125 && p->tier_above == 200000 &&
	    p->tier.input == 2.50 && p->tier.output == 15 &&
	    p->tier.thinking == 15 && p->tier.cached == 0.25);
}

struct estimate_case {
	const char	*model;
	long long	 in, out;
	double		 want;
};

static const struct estimate_case estimate_cases[] = {
	{ "gemini-2.5-flash", 1000, 500, (1000 * 0.30 + 500 * 2.50) / 1e6 },
	{ "gemini-2.5-flash-lite", 2000000, 0, 0.20 },
	{ "gemini-2.5-pro", 200000, 100, (200000 * 1.25 + 100 * 10.0) / 1e6 },
	{ "gemini-2.5-pro", 250000, 1000, (250000 * 2.50 + 1000 * 15.0) / 1e6 },
	{ "gemini-2.5-flash", -5, -1, 0 },
	{ "gemini-2.5-flash", 0, 0, 0 },
};

Test(price, estimate_table)
{
	struct price_table t;
	const struct estimate_case *c;
	char name[64];
	size_t i;

	price_table_init(&t);
	for (i = 0; i < NELEM(estimate_cases); i++) {
		c = &estimate_cases[i];
		snprintf(name, sizeof(name), "%s %lld/%lld", c->model, c->in,
		    c->out);
		assert_usd(price_estimate(price_find(&t, c->model), c->in,
		    c->out), c->want, name);
	}
}

struct file_case {
	const char	*name;
	const char	*text;		/* JSON with ' for " */
	const char	*want;		/* in the message after "'path': " */
};

#define RATES	"{'input':1,'output':2}"

static const struct file_case file_cases[] = {
	{ "not JSON", "{", "line 1, column 1: " },
	{ "duplicate key", "{'m':" RATES ",'m':" RATES "}",
	    "line 1, column 31: duplicate object key" },
	{ "not an object", "[]", "expected an object of models, got array" },
	{ "entry not an object", "{'m':3}",
	    "'m': expected an object of rates, got number" },
	{ "input missing", "{'m':{'output':1}}", "'m': missing \"input\"" },
	{ "output missing", "{'m':{'input':1}}", "'m': missing \"output\"" },
	{ "negative", "{'m':{'input':-1,'output':1}}",
	    "'m': input: expected a number from 0 to 1000000, got -1" },
	{ "too big", "{'m':{'input':1,'output':2e6}}",
	    "'m': output: expected a number from 0 to 1000000, got 2e+06" },
	{ "a string", "{'m':{'input':1,'output':'2'}}",
	    "'m': output: expected a number from 0 to 1000000, got string" },
	{ "thinking null", "{'m':{'input':1,'output':2,'thinking':null}}",
	    "'m': thinking: expected a number from 0 to 1000000, got null" },
	{ "cached negative", "{'m':{'input':1,'output':2,'cached':-0.5}}",
	    "'m': cached: expected a number from 0 to 1000000, got -0.5" },
	{ "misspelt key", "{'m':{'input':1,'ouput':2}}",
	    "'m': unknown key 'ouput'" },
	{ "tier alone", "{'m':{'input':1,'output':2,'tier':" RATES "}}",
	    "'m': \"tier\" and \"tier_above\" go together" },
	{ "tier_above alone", "{'m':{'input':1,'output':2,'tier_above':9}}",
	    "'m': \"tier\" and \"tier_above\" go together" },
	{ "tier_above 0", "{'m':{'input':1,'output':2,'tier_above':0,"
	    "'tier':" RATES "}}",
	    "'m': tier_above: expected an integer > 0 (prompt tokens), got 0" },
	{ "tier_above a real", "{'m':{'input':1,'output':2,"
	    "'tier_above':2e5,'tier':" RATES "}}",
	    "'m': tier_above: expected an integer > 0 (prompt tokens), "
	    "got number" },
	{ "tier not an object", "{'m':{'input':1,'output':2,'tier_above':9,"
	    "'tier':[]}}",
	    "'m': tier: expected an object of rates, got array" },
	{ "tier without output", "{'m':{'input':1,'output':2,'tier_above':9,"
	    "'tier':{'input':1}}}", "'m': tier: missing \"output\"" },
	{ "tier in a tier", "{'m':{'input':1,'output':2,'tier_above':9,"
	    "'tier':{'input':1,'output':2,'tier_above':3}}}",
	    "'m': tier: unknown key 'tier_above'" },
	{ "the same model twice", "{'m':" RATES ",'models/m':" RATES "}",
	    "'models/m': given twice" },
	{ "empty name", "{'models/':" RATES "}",
	    "'models/': empty model name" },
	{ "control bytes quoted", "{'a\\u0001b':3}",
	    "'a?b': expected an object of rates, got number" },
	{ "long name", "{'m1234567890123456789012345678901234567890123456789"
	    "01234567890123':" RATES "}", "'m12345678901234567890123456789"
	    "012345678901234567890123456789...': model name longer than 63 "
	    "bytes" },
};

/* Writes text (with ' for ") to the scratch file p.json. */
static const char *
write_prices(const char *text)
{
	const char *path = scratch_path("p.json");
	const char *s = dq(text);

	scratch_write(path, s, strlen(s));
	return path;
}

static void
assert_unchanged(const struct price_table *t)
{
	struct price_table d;

	price_table_init(&d);
	cr_assert_eq(t->n, d.n, "a failed load changed the table");
	cr_assert(memcmp(t->v, d.v, sizeof(d.v[0]) * d.n) == 0,
	    "a failed load changed the table");
}

Test(price, file_errors)
{
	struct price_table t;
	const struct file_case *c;
	const char *path;
	char err[512], want[512];
	size_t i;

	for (i = 0; i < NELEM(file_cases); i++) {
		c = &file_cases[i];
		path = write_prices(c->text);
		price_table_init(&t);
		memset(err, 0, sizeof(err));
		cr_assert_eq(price_load_file(path, &t, err, sizeof(err)), -1,
		    "%s: loaded", c->name);
		scratch_fmt(want, sizeof(want), "'%s': %s", path, c->want);
		cr_assert(strncmp(err, want, strlen(want)) == 0,
		    "%s: '%s', want '%s'", c->name, err, want);
		assert_unchanged(&t);
	}
}

Test(price, file_all_or_nothing)
{
	struct price_table t;
	char err[512];

	price_table_init(&t);
	cr_assert_eq(price_load_file(write_prices("{'gemini-2.5-flash':"
	    RATES ",'x':{'input':1}}"), &t, err, sizeof(err)), -1);
	assert_unchanged(&t);
	cr_assert_eq(price_find(&t, "x"), NULL);
}

Test(price, file_not_there_or_not_a_file)
{
	struct price_table t;
	char err[512], want[512];
	const char *path = scratch_path("none.json");

	price_table_init(&t);
	cr_assert_eq(price_load_file(path, &t, err, sizeof(err)), -1);
	scratch_fmt(want, sizeof(want), "'%s': No such file or directory",
	    path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(price_load_file(scratch_dir, &t, err, sizeof(err)), -1);
	scratch_fmt(want, sizeof(want), "'%s': not a regular file",
	    scratch_dir);
	cr_assert_str_eq(err, want);
	/* err may be NULL. */
	cr_assert_eq(price_load_file(path, &t, NULL, 0), -1);
	assert_unchanged(&t);
}

Test(price, file_too_many_models)
{
	struct price_table t;
	char *text, err[512];
	size_t i, len = 0, size = 128 * 40;

	cr_assert_not_null(text = malloc(size));
	len += snprintf(text + len, size - len, "{");
	for (i = 0; i < PRICE_TABLE_MAX; i++)
		len += snprintf(text + len, size - len, "%s'm%zu':" RATES,
		    i > 0 ? "," : "", i);
	snprintf(text + len, size - len, "}");
	price_table_init(&t);
	cr_assert_eq(price_load_file(write_prices(text), &t, err,
	    sizeof(err)), -1);
	cr_assert(strstr(err, "': more than 64 models") != NULL, "%s", err);
	assert_unchanged(&t);
	free(text);
}

Test(price, file_merges_over_the_defaults)
{
	struct price_table t;
	const struct price *p;
	char err[512] = "";

	price_table_init(&t);
	cr_assert_eq(price_load_file(write_prices(
	    "{'gemini-2.5-flash':{'input':1,'output':2},"
	    "'models/gpt-4o-mini':{'input':0.15,'output':0.6,'cached':0.075},"
	    "'gemini-2.5-pro':{'input':1,'output':2,'thinking':3,'cached':0}}"),
	    &t, err, sizeof(err)), 0, "%s", err);
	p = price_find(&t, "gemini-2.5-flash-001");
	cr_assert(p->rates.input == 1 && p->rates.output == 2 &&
	    p->rates.thinking == 2 && p->rates.cached == 1,
	    "thinking defaults to output, cached to input");
	p = price_find(&t, "gpt-4o-mini");
	cr_assert(p != NULL && p->rates.cached == 0.075 &&
	    strcmp(p->model, "gpt-4o-mini") == 0, "a new model, name cut");
	p = price_find(&t, "gemini-2.5-pro");
	cr_assert(p->rates.thinking == 3 && p->rates.cached == 0 &&
	    p->tier_above == 0, "an entry replaces the built-in tier too");
	p = price_find(&t, "gemini-2.5-flash-lite");
	cr_assert(p->rates.input == 0.10, "others keep the defaults");
	cr_assert_eq(t.n, 4);
	cr_assert_eq(price_load_file(write_prices("{'m':{'input':1,"
	    "'output':2,'tier_above':10,'tier':{'input':5,'output':6}}}"),
	    &t, err, sizeof(err)), 0, "%s", err);
	p = price_find(&t, "m");
	cr_assert(p->tier_above == 10 && p->tier.thinking == 6 &&
	    p->tier.cached == 5);
	assert_usd(price_estimate(p, 11, 1), (11 * 5 + 6) / 1e6, "own tier");
}

/* The cells of a README table row "| a | b | c |", trimmed. */
static int
cells(char *line, char *cell[], int max)
{
	char *p = line, *bar;
	int n = 0;

	if (*p++ != '|')
		return 0;
	while (n < max && (bar = strchr(p, '|')) != NULL) {
		*bar = '\0';
		while (*p == ' ')
			p++;
		cell[n++] = p;
		p = bar + 1;
	}
	return n;
}

/* "$1.25 ($2.50 above ...)": 1.25 and, when there, 2.50 (else -1). */
static void
dollars(const char *cell, double *base, double *tier)
{
	const char *t = strstr(cell, "($");

	cr_assert(cell[0] == '$', "'%s': no price", cell);
	*base = strtod(cell + 1, NULL);
	*tier = t != NULL ? strtod(t + 2, NULL) : -1;
}

static void
check_readme_row(const struct price_table *t, char *cell[], int n)
{
	const struct price *p;
	char model[PRICE_MODEL_MAX];
	double in, in_t, out, out_t, ca, ca_t;

	cr_assert_eq(n, 4, "README price row with %d cells", n);
	cr_assert(sscanf(cell[0], "`%63[a-z0-9.-]`", model) == 1, "%s",
	    cell[0]);
	cr_assert_not_null(p = price_find(t, model), "README prices '%s', "
	    "rowpool has no price for it", model);
	cr_assert_str_eq(p->model, model);
	dollars(cell[1], &in, &in_t);
	dollars(cell[2], &out, &out_t);
	dollars(cell[3], &ca, &ca_t);
	cr_assert(in == p->rates.input && out == p->rates.output &&
	    out == p->rates.thinking && ca == p->rates.cached,
	    "%s: README and price.c differ", model);
	if (p->tier_above == 0)
		cr_assert(in_t == -1 && out_t == -1 && ca_t == -1, "%s: tier",
		    model);
	else
		cr_assert(in_t == p->tier.input && out_t == p->tier.output &&
		    out_t == p->tier.thinking && ca_t == p->tier.cached,
		    "%s: README and price.c differ above the tier", model);
}

/* README "Cost and logging options" lists the built-in prices. */
Test(price, readme_table_agrees)
{
	struct price_table t;
	char line[2048], *cell[8];
	bool in = false;
	size_t rows = 0;
	FILE *f;

	price_table_init(&t);
	cr_assert_not_null(f = fopen("README.md", "r"), "run from the repo");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "### Cost and logging options", 28) == 0)
			in = true;
		else if (in && line[0] == '#')
			break;
		if (!in || strncmp(line, "| `gemini", 9) != 0)
			continue;
		check_readme_row(&t, cell, cells(line, cell, 8));
		rows++;
	}
	fclose(f);
	cr_assert(in, "README has no '### Cost and logging options'");
	cr_assert_eq(rows, t.n, "README prices %zu models, price.c %zu",
	    rows, t.n);
}
