/*
 * utf8: the strict decoder, and in-place cleaning of messages.  The lead
 * byte says the length and, for the four lead bytes that need it, a
 * narrower range for the second byte: that range is what refuses overlong
 * forms (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
 */
#include <string.h>

#include "rowpool/utf8.h"

/* The length of a character led by c, 0 for none; its second byte range. */
static size_t
utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c == 0xe0)
		*lo = 0xa0;
	else if (c == 0xed)
		*hi = 0x9f;
	else if (c == 0xf0)
		*lo = 0x90;
	else if (c == 0xf4)
		*hi = 0x8f;
	return c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

size_t
utf8_decode(const void *s, size_t n, uint32_t *cp)
{
	static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	const unsigned char *p = s;
	unsigned char lo, hi;
	uint32_t c;
	size_t k, i;

	if (n == 0 || (k = utf8_lead(p[0], &lo, &hi)) == 0 || n < k)
		return 0;
	if (k > 1 && (p[1] < lo || p[1] > hi))
		return 0;
	c = p[0] & lead_bits[k];
	for (i = 1; i < k; i++) {
		if (!utf8_is_cont(p[i]))
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (cp != NULL)
		*cp = c;
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
		else if ((k = utf8_decode(p, strnlen((char *)p, 4), NULL)) > 0)
			p += k;
		else
			*p++ = '?';
	}
}
