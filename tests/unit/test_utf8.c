/*
 * Messages stay valid UTF-8 whatever is cut or comes from a server: a
 * message that JSON cannot carry would kill the worker that sends it.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rowpool/processor.h"
#include "rowpool/proto.h"
#include "rowpool/schema.h"
#include "rowpool/utf8.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define B(s)		s, sizeof(s) - 1

/* The reference encoder: code point c into out; returns its length. */
static size_t
encode(uint32_t c, unsigned char out[4])
{
	if (c < 0x80) {
		out[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (unsigned char)(0xc0 | c >> 6);
		out[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xe0 | c >> 12);
		out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | c >> 18);
	out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

static bool
is_surrogate(uint32_t c)
{
	return c >= 0xd800 && c <= 0xdfff;
}

/* A byte string, how many of its bytes may be read, what decodes. */
static const struct decode_case {
	const char	*in;
	size_t		 n;
	size_t		 want;
	uint32_t	 cp;
} decode_cases[] = {
	{ B("a"), 1, 'a' },
	{ "\0", 1, 1, 0 },
	{ B("\x7f"), 1, 0x7f },
	/* The first and last of each length. */
	{ B("\xc2\x80"), 2, 0x80 },
	{ B("\xdf\xbf"), 2, 0x7ff },
	{ B("\xe0\xa0\x80"), 3, 0x800 },
	{ B("\xef\xbf\xbf"), 3, 0xffff },
	{ B("\xf0\x90\x80\x80"), 4, 0x10000 },
	{ B("\xf4\x8f\xbf\xbf"), 4, 0x10ffff },
	/* Around the surrogates. */
	{ B("\xed\x9f\xbf"), 3, 0xd7ff },
	{ B("\xed\xa0\x80"), 0, 0 },
	{ B("\xed\xbf\xbf"), 0, 0 },
	{ B("\xee\x80\x80"), 3, 0xe000 },
	/* Overlong forms of '/', U+07FF and U+FFFF. */
	{ B("\xc0\xaf"), 0, 0 },
	{ B("\xc1\xbf"), 0, 0 },
	{ B("\xe0\x9f\xbf"), 0, 0 },
	{ B("\xf0\x8f\xbf\xbf"), 0, 0 },
	/* Past U+10FFFF, and bytes no character starts with. */
	{ B("\xf4\x90\x80\x80"), 0, 0 },
	{ B("\xf5\x80\x80\x80"), 0, 0 },
	{ B("\xff"), 0, 0 },
	{ B("\x80"), 0, 0 },
	{ B("\xbf"), 0, 0 },
	/* A continuation byte missing, in each place. */
	{ B("\xc3("), 0, 0 },
	{ B("\xe2(\xa1"), 0, 0 },
	{ B("\xe2\x82("), 0, 0 },
	{ B("\xf0\x9f\x98("), 0, 0 },
	/* Cut short by n, or nothing to read. */
	{ "\xc3\xa9", 1, 0, 0 },
	{ "\xf0\x9f\x98\x80", 3, 0, 0 },
	{ "a", 0, 0, 0 },
	/* Only the first character counts. */
	{ B("\xc3\xa9t\xc3\xa9"), 2, 0xe9 },
};

Test(utf8, decode_table)
{
	const struct decode_case *c;
	uint32_t cp;
	size_t i, k;

	for (i = 0; i < NELEM(decode_cases); i++) {
		c = &decode_cases[i];
		cp = 0xfffffff;
		k = utf8_decode(c->in, c->n, &cp);
		cr_assert_eq(k, c->want, "case %zu: length %zu", i, k);
		if (k > 0)
			cr_assert_eq(cp, c->cp, "case %zu: U+%04X", i,
			    (unsigned)cp);
		cr_assert_eq(utf8_decode(c->in, c->n, NULL), k);
	}
}

/*
 * Every scalar value decodes from its encoding, and from no prefix of
 * it: fed one byte at a time, only the last gives the character.
 */
Test(utf8, decode_every_code_point)
{
	unsigned char enc[4];
	uint32_t c, cp;
	size_t k, n;

	for (c = 0; c <= 0x10ffff; c++) {
		if (is_surrogate(c))
			continue;
		k = encode(c, enc);
		for (n = 1; n < k; n++)
			cr_assert_eq(utf8_decode(enc, n, &cp), 0, "U+%04X",
			    (unsigned)c);
		cr_assert_eq(utf8_decode(enc, k, &cp), k, "U+%04X",
		    (unsigned)c);
		cr_assert_eq(cp, c);
	}
}

/*
 * Whatever three bytes (and four from a grid of telling values) the
 * decoder accepts are the one encoding of a scalar value: no overlong
 * form, no surrogate, nothing past U+10FFFF gets through.
 */
Test(utf8, decode_accepts_only_canonical)
{
	static const unsigned char grid[] = {
		0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
		0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	const uint32_t G = NELEM(grid);
	unsigned char in[4], enc[4];
	uint32_t cp, v, accepted = 0;
	size_t k;

	for (v = 0; v < 1u << 24; v++) {
		in[0] = (unsigned char)(v >> 16);
		in[1] = (unsigned char)(v >> 8);
		in[2] = (unsigned char)v;
		if ((k = utf8_decode(in, 3, &cp)) == 0)
			continue;
		accepted++;
		cr_assert(!is_surrogate(cp) && cp <= 0x10ffff);
		cr_assert_eq(encode(cp, enc), k, "%06X", (unsigned)v);
		cr_assert_eq(memcmp(enc, in, k), 0, "%06X", (unsigned)v);
	}
	/* 1 byte: 128 * 65536; 2: 1920 * 256; 3: 61440 (no surrogates). */
	cr_assert_eq(accepted, 128u * 65536 + 1920u * 256 + 61440);
	/* Leads F0..F7, then each byte after them from the grid. */
	for (v = 0; v < 8 * G * G * G; v++) {
		in[0] = (unsigned char)(0xf0 + v / (G * G * G));
		in[1] = grid[v / (G * G) % G];
		in[2] = grid[v / G % G];
		in[3] = grid[v % G];
		if ((k = utf8_decode(in, 4, &cp)) == 0)
			continue;
		cr_assert_eq(encode(cp, enc), k, "%02x%02x%02x%02x", in[0],
		    in[1], in[2], in[3]);
		cr_assert_eq(memcmp(enc, in, k), 0);
	}
}

Test(utf8, is_cont)
{
	unsigned c;

	for (c = 0; c < 256; c++)
		cr_assert_eq(utf8_is_cont((unsigned char)c),
		    c >= 0x80 && c <= 0xbf, "%02x", c);
}

Test(utf8, clean_table)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "cut \xc3", "cut ?" },
		{ "cut \xe2\x82", "cut ??" },
		{ "tab\there\nnl", "tab?here?nl" },
		{ "overlong \xc0\xaf", "overlong ??" },
		{ "surrogate \xed\xa0\x80", "surrogate ???" },
		{ "\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80 ok" },
		{ "latin1 \xa9", "latin1 ?" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strlcpy(buf, cases[i].in, sizeof(buf));
		utf8_clean(buf);
		cr_assert_str_eq(buf, cases[i].want, "case %zu", i);
	}
}

/* A long non-ASCII value in a schema message is cut on a character. */
Test(utf8, schema_message_cut_is_valid)
{
	json_t *schema = json_pack("{s:s, s:{s:{s:[s,s]}}}", "type", "object",
	    "properties", "city", "enum", "Paris", "Lyon");
	json_t *value, *s;
	char why[512], big[200];
	size_t i;

	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	value = json_pack("{s:s}", "city", big);
	cr_assert_eq(schema_check(schema, value, why, sizeof(why)), -1);
	s = json_string(why);
	cr_assert_not_null(s, "message is not UTF-8: %s", why);
	json_decref(s);
	json_decref(value);
	json_decref(schema);
}

/* Whatever bytes a processor reports, the result can be encoded. */
Test(utf8, error_results_always_encode)
{
	struct proc_result res;
	char msg[1200];
	size_t len, i;
	char *out;

	for (i = 0; i + 2 < sizeof(msg); i += 2)
		memcpy(msg + i, "\xc3\xa9", 2);
	msg[i] = '\0';
	msg[7] = '\xff';
	proc_result_init(&res);
	proc_result_error(&res, KIND_HTTP, "server said: %s", msg);
	out = proto_result_encode(&res, &len);
	cr_assert_not_null(out, "an error result must always encode");
	free(out);
	proc_result_release(&res);
}
