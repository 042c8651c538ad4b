/*
 * ref_le.h: little-endian integers for the harnesses' reference
 * decoders, written apart from src/ (libbsd's codec) on purpose: a
 * reference must not share the code it checks.
 */
#ifndef ROWPOOL_FUZZ_REF_LE_H
#define ROWPOOL_FUZZ_REF_LE_H

#include <stdint.h>

static inline uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

#endif
