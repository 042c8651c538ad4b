/*
 * crc32c: the Castagnoli CRC (iSCSI, ext4, RFC 3720), used to checksum
 * journal records.  Mechanism tier; pure, thread-safe, never fails.
 */
#ifndef ROWPOOL_CRC32C_H
#define ROWPOOL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Extends crc with len bytes of buf.  Start with crc = 0; the result of
 * crc32c(0, "123456789", 9) is 0xe3069283.
 */
uint32_t	crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * The same, always with the portable tables, whatever the CPU offers; for
 * the tests, which compare it with crc32c() on every input they try.
 */
uint32_t	crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif
