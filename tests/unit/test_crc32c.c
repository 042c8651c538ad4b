/* crc32c: published check values, chaining, and both code paths agree. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "rowpool/crc32c.h"

enum fill { FILL_TEXT, FILL_ZERO, FILL_ONES, FILL_UP, FILL_DOWN };

/* RFC 3720 appendix B.4 and the usual check strings. */
static const struct {
	const char	*text;
	enum fill	 fill;
	size_t		 len;
	uint32_t	 want;
} vectors[] = {
	{ "", FILL_TEXT, 0, 0x00000000 },
	{ "a", FILL_TEXT, 1, 0xc1d04330 },
	{ "123456789", FILL_TEXT, 9, 0xe3069283 },
	{ "The quick brown fox jumps over the lazy dog", FILL_TEXT, 43,
	    0x22620404 },
	{ NULL, FILL_ZERO, 32, 0x8a9136aa },
	{ NULL, FILL_ONES, 32, 0x62a8ab43 },
	{ NULL, FILL_UP, 32, 0x46dd794e },
	{ NULL, FILL_DOWN, 32, 0x113fdb5c },
};

/* The definition, one bit at a time: independent of both fast paths. */
static uint32_t
crc_bitwise(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffff;
	int k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78 : c >> 1;
	}
	return ~c;
}

static void
fill(unsigned char *buf, enum fill f, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (f) {
		case FILL_TEXT:
			buf[i] = (unsigned char)text[i];
			break;
		case FILL_ZERO:
			buf[i] = 0;
			break;
		case FILL_ONES:
			buf[i] = 0xff;
			break;
		case FILL_UP:
			buf[i] = (unsigned char)i;
			break;
		case FILL_DOWN:
			buf[i] = (unsigned char)(len - 1 - i);
			break;
		}
	}
}

static void
random_bytes(unsigned char *buf, size_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

Test(crc32c, check_values)
{
	unsigned char buf[64];
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		fill(buf, vectors[i].fill, vectors[i].text, vectors[i].len);
		cr_expect_eq(crc32c(0, buf, vectors[i].len), vectors[i].want,
		    "vector %zu: crc32c %#x", i,
		    crc32c(0, buf, vectors[i].len));
		cr_expect_eq(crc32c_sw(0, buf, vectors[i].len),
		    vectors[i].want, "vector %zu: crc32c_sw", i);
	}
}

/* Any split of a buffer chains to the CRC of the whole. */
Test(crc32c, chaining)
{
	unsigned char buf[1000];
	uint32_t whole;
	size_t k;

	random_bytes(buf, sizeof(buf));
	whole = crc32c(0, buf, sizeof(buf));
	for (k = 0; k <= sizeof(buf); k++) {
		cr_assert_eq(crc32c(crc32c(0, buf, k), buf + k,
		    sizeof(buf) - k), whole, "split at %zu", k);
		cr_assert_eq(crc32c_sw(crc32c_sw(0, buf, k), buf + k,
		    sizeof(buf) - k), whole, "sw split at %zu", k);
	}
}

/* Every length to 300 at every alignment: fast paths match the definition. */
Test(crc32c, paths_agree)
{
	unsigned char buf[320];
	uint32_t want;
	size_t off, len;

	random_bytes(buf, sizeof(buf));
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++) {
			want = crc_bitwise(buf + off, len);
			cr_assert_eq(crc32c(0, buf + off, len), want,
			    "offset %zu length %zu", off, len);
			cr_assert_eq(crc32c_sw(0, buf + off, len), want,
			    "sw offset %zu length %zu", off, len);
		}
}
