/*
 * msgbuf: messages in the caller's storage, and msgbuf_cut, the one way a
 * message is cut: never past its storage, "..." at a character boundary,
 * one line of valid UTF-8 whatever went in.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "rowpool/msgbuf.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

Test(msgbuf, cut_table)
{
	static const struct {
		const char	*in;
		size_t		 size;
		size_t		 len;
		const char	*want;
	} cases[] = {
		/* Room left: "..." right after len bytes. */
		{ "abc", 16, 3, "abc..." },
		{ "abcdefgh", 16, 4, "abcd..." },
		/* Full: size - 4 bytes kept. */
		{ "abcdefghij", 8, 7, "abcd..." },
		{ "abcdefghij", 4, 3, "..." },
		/* A character at the cut goes whole. */
		{ "ab\xc3\xa9z", 7, 6, "ab..." },
		{ "abc\xc3\xa9z", 7, 6, "abc..." },
		{ "a\xe2\x82\xac" "bcd", 7, 6, "a..." },
		{ "ab\xe2\x82\xac" "cd", 7, 6, "ab..." },
		{ "\xf0\x9f\x98\x80" "abc", 7, 6, "..." },
		{ "\xf0\x9f\x98\x80" "abc", 8, 7, "\xf0\x9f\x98\x80..." },
		/* Too small for "...": what fits of it. */
		{ "abcdef", 3, 2, ".." },
		{ "abcdef", 2, 1, "." },
		{ "abcdef", 1, 0, "" },
	};
	char buf[32], after;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		memset(buf, 'Z', sizeof(buf));
		memcpy(buf, cases[i].in, strlen(cases[i].in) + 1);
		after = buf[cases[i].size];
		msgbuf_cut(buf, cases[i].size, cases[i].len);
		cr_assert_str_eq(buf, cases[i].want, "case %zu", i);
		cr_assert_eq(buf[cases[i].size], after,
		    "case %zu: wrote past its size", i);
	}
	buf[0] = 'Z';
	msgbuf_cut(buf, 0, 0);
	cr_assert_eq(buf[0], 'Z', "size 0: nothing written");
}

/*
 * A message that does not fit is cut at a character boundary: each
 * width of character, at each alignment against the end of the buffer,
 * pieces added one at a time.
 */
Test(msgbuf, long_messages)
{
	static const char *const chars[] = {
		"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};
	struct msgbuf b;
	char buf[64 + 8];
	size_t i, off, n, k;

	for (i = 0; i < NELEM(chars); i++) {
		for (off = 0; off < 4; off++) {
			memset(buf, 'Z', sizeof(buf));
			msgbuf_init(&b, buf, 64);
			msgbuf_add(&b, "%.*s", (int)off, "xxx");
			for (k = 0; k < 80; k++)
				msgbuf_add(&b, "%s", chars[i]);
			msgbuf_finish(&b);
			n = strlen(buf);
			cr_assert(n <= 63 && n > 63 - 4, "length %zu", n);
			cr_assert_str_eq(buf + n - 3, "...");
			cr_assert_eq(buf[64], 'Z', "past the end");
			cr_assert_eq((n - 3 - off) % strlen(chars[i]), 0,
			    "char %zu, offset %zu: a character cut: %s", i,
			    off, buf);
		}
	}
}

Test(msgbuf, pieces)
{
	struct msgbuf b;
	char buf[16];

	msgbuf_init(&b, buf, sizeof(buf));
	cr_assert_eq(msgbuf_room(&b), 15);
	msgbuf_add(&b, "%s:%d: ", "f", 12);
	cr_assert_eq(msgbuf_room(&b), 9);
	msgbuf_add(&b, "bad");
	msgbuf_finish(&b);
	cr_assert_str_eq(buf, "f:12: bad");
	msgbuf_add(&b, "%s", " and more than fits");
	cr_assert_eq(msgbuf_room(&b), 0, "full once cut");
	msgbuf_add(&b, "x");
	msgbuf_finish(&b);
	cr_assert_str_eq(buf, "f:12: bad an...", "later pieces dropped");
}

/* Control bytes and broken UTF-8 become '?': one line JSON can carry. */
Test(msgbuf, cleaned)
{
	char buf[64];

	msgbuf_format(buf, sizeof(buf), "a\tb\nc %s", "\xff\xc3(\xed\xa0\x80");
	cr_assert_str_eq(buf, "a?b?c ?" "?(???");
	msgbuf_format(buf, sizeof(buf), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	cr_assert_str_eq(buf, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

/* No storage, or none to speak of: never a write out of bounds. */
Test(msgbuf, no_room)
{
	struct msgbuf b;
	char buf[4] = "ZZZ";

	msgbuf_format(NULL, 0, "x");
	msgbuf_format(buf, 0, "x");
	cr_assert_str_eq(buf, "ZZZ");
	msgbuf_init(&b, NULL, 10);
	msgbuf_add(&b, "x");
	cr_assert_eq(msgbuf_room(&b), 0);
	msgbuf_finish(&b);
	msgbuf_format(buf, 1, "x");
	cr_assert_str_eq(buf, "");
	msgbuf_format(buf, 4, "abc");
	cr_assert_str_eq(buf, "abc");
	msgbuf_format(buf, 4, "abcd");
	cr_assert_str_eq(buf, "...");
}
