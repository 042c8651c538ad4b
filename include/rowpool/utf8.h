/*
 * utf8: strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), and making a message safe for a log line or a JSON
 * string.  Mechanism tier; pure.
 */
#ifndef ROWPOOL_UTF8_H
#define ROWPOOL_UTF8_H

#include <stddef.h>

/* Length of the multibyte sequence at p (n bytes left), or 0 if invalid. */
size_t	utf8_seq(const unsigned char *p, size_t n);

/*
 * Makes the NUL-terminated s one line of valid UTF-8 in place: control
 * bytes and bytes of invalid (or cut) sequences become '?'.
 */
void	utf8_clean(char *s);

#endif
