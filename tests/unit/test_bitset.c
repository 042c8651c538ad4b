/* The done set: set, test, clear, and walking the set bits. */
#include <criterion/criterion.h>

#include "rowpool/bitset.h"

Test(bitset, set_test_clear_next)
{
	static const uint64_t rows[] = { 0, 1, 63, 64, 65, 4095, 100000,
	    1000003 };
	struct bitset b;
	uint64_t at, i;
	size_t k;

	bitset_init(&b);
	cr_assert(!bitset_next(&b, 0, &at), "empty");
	for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
		cr_assert_eq(bitset_set(&b, rows[k]), 0);
	for (k = 0, i = 0; bitset_next(&b, i, &at); k++, i = at + 1)
		cr_assert_eq(at, rows[k], "bit %zu", k);
	cr_assert_eq(k, sizeof(rows) / sizeof(rows[0]));
	bitset_clear(&b, 64);
	bitset_clear(&b, 5000000);	/* past the end: nothing */
	cr_assert(!bitset_test(&b, 64));
	cr_assert(bitset_test(&b, 63) && bitset_test(&b, 65));
	cr_assert(bitset_next(&b, 64, &at) && at == 65);
	cr_assert(!bitset_next(&b, 1000004, &at));
	bitset_release(&b);
}
