/*
 * crc32c: the Castagnoli CRC (reflected polynomial 0x82f63b78, inverted
 * before and after), portable slicing-by-8 with tables built once, or the
 * SSE4.2 crc32 instruction when the CPU has it.  Both paths give the same
 * value for every input; the tests hold them to it.
 */
#include <sys/endian.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define CRC32C_HAVE_SSE42	1
#endif

#include "rowpool/crc32c.h"

#define CRC32C_POLY	0x82f63b78u

typedef uint32_t (*crc_fn)(uint32_t, const unsigned char *, size_t);

static uint32_t		crc_table[8][256];
static crc_fn		crc_impl;
static pthread_once_t	crc_once = PTHREAD_ONCE_INIT;

static uint32_t
crc_bytes(uint32_t c, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

/* Eight bytes per step: table j folds a byte followed by j zero bytes. */
static uint32_t
crc_slice8(uint32_t c, const unsigned char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		w = le64dec(p) ^ c;
		c = crc_table[7][w & 0xff] ^
		    crc_table[6][(w >> 8) & 0xff] ^
		    crc_table[5][(w >> 16) & 0xff] ^
		    crc_table[4][(w >> 24) & 0xff] ^
		    crc_table[3][(w >> 32) & 0xff] ^
		    crc_table[2][(w >> 40) & 0xff] ^
		    crc_table[1][(w >> 48) & 0xff] ^
		    crc_table[0][w >> 56];
	}
	return crc_bytes(c, p, n);
}

#ifdef CRC32C_HAVE_SSE42
__attribute__((target("sse4.2")))
static uint32_t
crc_sse42(uint32_t c, const unsigned char *p, size_t n)
{
	uint64_t c64 = c;

	for (; n >= 8; p += 8, n -= 8)
		c64 = _mm_crc32_u64(c64, le64dec(p));
	c = (uint32_t)c64;
	while (n-- > 0)
		c = _mm_crc32_u8(c, *p++);
	return c;
}
#endif

static void
crc_init(void)
{
	uint32_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_table[j][i] = (crc_table[j - 1][i] >> 8) ^
			    crc_table[0][crc_table[j - 1][i] & 0xff];
	crc_impl = crc_slice8;
#ifdef CRC32C_HAVE_SSE42
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_impl = crc_sse42;
#endif
}

uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return ~crc_impl(~crc, buf, len);
}

uint32_t
crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return ~crc_slice8(~crc, buf, len);
}
