/*
 * utf8: the one UTF-8 decoder, strict as RFC 3629 is (no overlong forms,
 * no surrogates, nothing above U+10FFFF), and making a message safe for a
 * log line or a JSON string.  Every check of UTF-8 in rowpool goes
 * through utf8_decode().  Mechanism tier; pure.
 */
#ifndef ROWPOOL_UTF8_H
#define ROWPOOL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at p, of which n bytes are readable.  Returns
 * its length, 1 to 4, and sets *cp (may be NULL) to its code point; or
 * returns 0 when the bytes there are no whole character: a continuation
 * byte, a byte no character starts with, an overlong form, a surrogate,
 * a code point above U+10FFFF, or a character cut short by n (0 too).
 * An ASCII byte, NUL included, is a character of length 1.
 */
size_t	utf8_decode(const void *p, size_t n, uint32_t *cp);

/* A continuation byte (10xxxxxx): no character starts at it. */
static inline bool
utf8_is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Makes the NUL-terminated s one line of valid UTF-8 in place: control
 * bytes and bytes of invalid (or cut) sequences become '?'.
 */
void	utf8_clean(char *s);

#endif
