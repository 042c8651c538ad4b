/*
 * price: what a run costs, in US dollars, from the token counts the API
 * reports.  A table of per-model prices (USD per million tokens), with
 * built-in defaults for Gemini that --price-file FILE can override, and
 * two pure functions: the cost of one answer from its usage object, and
 * the estimate of one request from token counts alone (--dry-run, the
 * spend guard).
 *
 * How Gemini bills, and so how the cost is computed:
 *  - promptTokenCount includes the tokens served from the context cache
 *    (cachedContentTokenCount): those are billed at the cached rate, the
 *    rest of the prompt at the input rate;
 *  - thinking tokens (thoughtsTokenCount) are billed at the output rate:
 *    the built-in "thinking" rate is the output rate;
 *  - 2.5 Pro has a second tier: every token of a request whose prompt
 *    (cache included) is above 200,000 tokens is billed at higher rates.
 *    A price has an optional tier for that (tier_above, tier);
 *  - the Batch, Flex and Priority tiers, audio input, grounding and cache
 *    storage are not modelled: the estimate is of text requests at the
 *    Standard tier.
 * The numbers are an estimate, not an invoice.
 *
 * Model names: a name is looked up after its last '/' ("models/x" is
 * "x").  An exact entry wins; otherwise the longest entry that the name
 * extends by version segments only: '-' then digits, "preview", "latest"
 * or "exp", as many as there are ("gemini-2.5-flash-001",
 * "gemini-2.5-flash-preview-09-2025").  Any other suffix is another
 * model with other prices ("gemini-2.5-flash-image", "...-preview-tts")
 * and finds nothing: no price, rather than a wrong one.
 *
 * The price file (--price-file) is one JSON object of models:
 *   {"gemini-2.5-flash": {"input": 0.30, "output": 2.50,
 *                         "thinking": 2.50, "cached": 0.03},
 *    "gemini-2.5-pro": {"input": 1.25, "output": 10, "cached": 0.125,
 *                       "tier_above": 200000,
 *                       "tier": {"input": 2.50, "output": 15,
 *                                "cached": 0.25}}}
 * "input" and "output" are required, "thinking" defaults to "output" and
 * "cached" to "input"; rates are numbers from 0 to 1000000, USD per
 * million tokens.
 * "tier_above" (an integer > 0, prompt tokens) and "tier" (rates as
 * above) go together.  An entry replaces the whole price of its model
 * (the built-in tier too); models not in the file keep the defaults.
 * Any other key is an error, to catch a misspelt "ouput".
 *
 * Domain tier: no output, no exit.  The table is plain memory (no
 * allocation): copy it, and drop it without a release.
 *
 * Calling sequence:
 *  1. price_table_init(&t): the built-in prices;
 *  2. price_load_file(path, &t, err, errlen) for --price-file (optional);
 *  3. p = price_find(&t, model) once; NULL: no price for that model;
 *  4. price_cost(p, usage) per answer, price_estimate(p, in, out) per
 *     planned request; sum them.
 */
#ifndef ROWPOOL_PRICE_H
#define ROWPOOL_PRICE_H

#include <stddef.h>
#include <jansson.h>

#define PRICE_MODEL_MAX	64	/* bytes of a model name, NUL included */
#define PRICE_TABLE_MAX	64	/* models in a table */
#define PRICE_RATE_MAX	1e6	/* USD per million tokens: a typo beyond */

/* USD per million tokens. */
struct price_rates {
	double	input;		/* prompt tokens not served from the cache */
	double	output;		/* answer (candidates) tokens */
	double	thinking;	/* thoughts tokens */
	double	cached;		/* prompt tokens served from the cache */
};

struct price {
	char			model[PRICE_MODEL_MAX];
	struct price_rates	rates;
	long long		tier_above;	/* prompt tokens; 0: no tier */
	struct price_rates	tier;		/* above tier_above */
};

struct price_table {
	size_t		n;
	struct price	v[PRICE_TABLE_MAX];
};

/* Fills t with the built-in prices (see price.c for their source). */
void	price_table_init(struct price_table *t);

/*
 * The price of model (see "Model names" above), pointing into t; NULL
 * when t has none.  model may be NULL (then NULL).
 */
const struct price	*price_find(const struct price_table *t,
			    const char *model);

/*
 * The cost in USD of one answer, from rowpool's usage object
 * ({"prompt_tokens", "output_tokens", "thoughts_tokens", "total_tokens"}
 * and, when the API reported a cache hit, "cached_tokens"; see llm.h).
 * Missing, negative or non-integer counts are 0; cached_tokens is capped
 * at prompt_tokens.  From the OpenAI-compatible back end output_tokens
 * already includes the reasoning tokens; this is told from the counts
 * (prompt + output + thoughts > total) and the thoughts are then billed
 * once, at the thinking rate.  0 when usage is NULL or not an object.
 */
double	price_cost(const struct price *p, const json_t *usage);

/*
 * The cost in USD of one request of input_tokens prompt tokens (none
 * cached) and output_tokens answer tokens, thinking included (billed at
 * the output rate), tier chosen by input_tokens.  For a whole run, sum
 * it over the rows: the tier is per request.  Negative counts are 0.
 */
double	price_estimate(const struct price *p, long long input_tokens,
	    long long output_tokens);

/*
 * Merges the JSON object prices (the price file's format, above) into t.
 * All or nothing: on error t is unchanged.  Returns 0, or -1 with the
 * first problem in err (errlen bytes; err may be NULL), the model first:
 * "'gemini-2.5-flash': output: expected a number from 0 to 1000000, got
 * string",
 * "'x': missing \"input\"", "'x': unknown key 'ouput'",
 * "expected an object of models, got array", "more than 64 models".
 */
int	price_merge(struct price_table *t, const json_t *prices, char *err,
	    size_t errlen);

/*
 * Reads the price file at path and merges it into t (price_merge).
 * Returns 0, or -1 with err saying what is wrong, the file first:
 * "'p.json': No such file or directory", "'p.json': line 3, column 9:
 * ...", "'p.json': 'gemini-2.5-flash': unknown key 'ouput'", for the
 * caller to prefix with the option: config_error("--price-file %s", err)
 * (exit 78).
 */
int	price_load_file(const char *path, struct price_table *t, char *err,
	    size_t errlen);

#endif
