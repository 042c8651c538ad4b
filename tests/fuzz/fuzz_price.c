/*
 * fuzz_price: libFuzzer harness for the price file (price_merge, after
 * jansson has parsed the bytes), and for price_find and price_cost on
 * what it leaves.  Built by `make fuzz`; run from the repo root:
 *
 *	build/fuzz/fuzz_price -max_len=4096 -max_total_time=60 \
 *	    -artifact_prefix=build/ tests/fuzz/corpus/price
 *
 * The input is a price file.  Checked: a merge that fails leaves the
 * table as it was and says why in one line that fits err; one that
 * succeeds leaves at most PRICE_TABLE_MAX prices, each with a name that
 * fits, rates >= 0 and a tier only with its threshold, the built-in
 * models still there; the cost of a usage made of the input's counts is
 * finite and >= 0 for every price; and a second merge of the same file
 * gives the same table.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/price.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static void
check_rates(const struct price_rates *r)
{
	CHECK(r->input >= 0 && r->output >= 0 && r->thinking >= 0 &&
	    r->cached >= 0);
}

static void
check_table(const struct price_table *t, const json_t *usage)
{
	const struct price *p;
	double cost;
	size_t i;

	CHECK(t->n <= PRICE_TABLE_MAX);
	for (i = 0; i < t->n; i++) {
		p = &t->v[i];
		CHECK(p->model[0] != '\0' &&
		    memchr(p->model, '\0', sizeof(p->model)) != NULL);
		CHECK(strchr(p->model, '/') == NULL);
		check_rates(&p->rates);
		CHECK(p->tier_above >= 0);
		if (p->tier_above > 0)
			check_rates(&p->tier);
		CHECK(price_find(t, p->model) == p);
		cost = price_cost(p, usage);
		CHECK(isfinite(cost) && cost >= 0);
		cost = price_estimate(p, 1000000, 1000000);
		CHECK(isfinite(cost) && cost >= 0);
	}
	CHECK(price_find(t, "gemini-2.5-flash") != NULL);
	CHECK(price_find(t, "gemini-2.5-flash-lite") != NULL);
}

/* Counts from the input, so that odd ones (cached > prompt...) come up. */
static json_t *
usage_of(const uint8_t *data, size_t size)
{
	json_int_t c[5] = { 0 };
	size_t i;

	for (i = 0; i < size && i < 5 * 3; i++)
		c[i / 3] = c[i / 3] << 8 | data[i];
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "prompt_tokens", c[0],
	    "output_tokens", c[1], "thoughts_tokens", c[2], "total_tokens",
	    c[3], "cached_tokens", c[4]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct price_table t, before, again;
	char err[256];
	json_t *prices, *usage;
	int rc;

	prices = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (prices == NULL)
		return 0;
	CHECK((usage = usage_of(data, size)) != NULL);
	price_table_init(&t);
	before = t;
	memset(err, 'x', sizeof(err));
	rc = price_merge(&t, prices, err, sizeof(err));
	if (rc == -1) {
		CHECK(memcmp(&t, &before, sizeof(t)) == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
		CHECK(strchr(err, '\n') == NULL);
	} else {
		CHECK(rc == 0);
		again = before;
		CHECK(price_merge(&again, prices, NULL, 0) == 0);
		CHECK(memcmp(&t, &again, sizeof(t)) == 0);
	}
	check_table(&t, usage);
	json_decref(usage);
	json_decref(prices);
	return 0;
}
