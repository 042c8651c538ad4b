/* utf8: strict validation and in-place cleaning of messages. */
#include <string.h>

#include "rowpool/utf8.h"

size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t k, i;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

void
utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t k;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			*p++ = '?';
		else if (*p < 0x80)
			p++;
		else if ((k = utf8_seq(p, strnlen((char *)p, 4))) > 0)
			p += k;
		else
			*p++ = '?';
	}
}
