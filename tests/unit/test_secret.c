/*
 * The API key is found whole in any encoding, a piece of it at a cut,
 * and redacted in every string of an answer.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/secret.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define KEY		"Qv7KEYLEAK/+=:&x9 Zq"

Test(secret, redact_table)
{
	static const struct {
		const char *key, *in, *want;
	} cases[] = {
		{ KEY, "no key here", "no key here" },
		{ KEY, "key " KEY " bad", "key [redacted] bad" },
		{ KEY, KEY KEY, "[redacted][redacted]" },
		{ KEY, "?key=Qv7KEYLEAK%2F%2B%3D%3A%26x9%20Zq&alt=json",
		    "?key=[redacted]&alt=json" },
		{ KEY, "key=Qv7KEYLEAK%2f%2b%3d%3a%26x9+Zq", "key=[redacted]" },
		{ KEY, "mixed Qv7KEYLEAK/%2B=%3a&x9%20Zq.",
		    "mixed [redacted]." },
		{ KEY, "twice Qv7KEYLEAK%252F%252B%253D%253A%2526x9%2520Zq",
		    "twice [redacted]" },
		{ KEY, "\"Qv7KEYLEAK\\/+\\u003d:\\u0026x9 Zq\"",
		    "\"[redacted]\"" },
		{ KEY, "<p>Qv7KEYLEAK&#47;&#x2b;&#61;&#X3A;&amp;x9 Zq</p>",
		    "<p>[redacted]</p>" },
		{ KEY, "%51%76%37KEYLEAK/+=:&x9 Zq", "[redacted]" },
		/* A piece of it is not the key (see secret_redact_msg). */
		{ KEY, "Qv7KEYLEAK/+=:&x9 Z", "Qv7KEYLEAK/+=:&x9 Z" },
		/* The case of the key's own bytes matters. */
		{ KEY, "qv7keyleak/+=:&x9 zq", "qv7keyleak/+=:&x9 zq" },
		/* Too short to hide: innocent words stay. */
		{ "none", "none of them", "none of them" },
		{ "1234567", "1234567", "1234567" },
		{ "12345678", "a 12345678 b", "a [redacted] b" },
		{ NULL, "anything", "anything" },
	};
	struct secret s;
	size_t i, len;
	char *out;

	for (i = 0; i < NELEM(cases); i++) {
		secret_init(&s, cases[i].key);
		out = secret_redact(&s, cases[i].in, strlen(cases[i].in), &len);
		cr_assert_not_null(out);
		cr_assert_str_eq(out, cases[i].want, "case %zu", i);
		cr_assert_eq(len, strlen(out), "case %zu", i);
		cr_assert_eq(secret_in(&s, cases[i].in, strlen(cases[i].in)),
		    strcmp(cases[i].in, cases[i].want) != 0, "case %zu", i);
		free(out);
	}
}

/* A message cut short loses the piece of the key before the cut too. */
Test(secret, message_cuts)
{
	static const struct {
		const char *key;
		size_t size;
		const char *in, *want;
	} cases[] = {
		{ KEY, 64, "HTTP 400: key Qv7KEYLEAK/+=...",
		    "HTTP 400: key [redacted]..." },
		{ KEY, 64, "HTTP 400: key Qv7K...",
		    "HTTP 400: key [redacted]..." },
		/* Three bytes tell nothing, and innocent words end so. */
		{ KEY, 64, "HTTP 400: key Qv7...", "HTTP 400: key Qv7..." },
		/* Cut inside an encoded byte. */
		{ KEY, 64, "url ?key=Qv7KEYLEAK%2...: (text/html?)",
		    "url ?key=[redacted]...: (text/html?)" },
		{ KEY, 64, "page &#x...", "page &#x..." },
		{ KEY, 64, "a Qv7KEYL... and b Qv7KEYLEAK%2F%2B%3D...",
		    "a [redacted]... and b [redacted]..." },
		/* A full buffer may have been cut without "...". */
		{ KEY, 21, "message: Qv7KEYLEAK/", "message: [redacted]" },
		{ KEY, 22, "message: Qv7KEYLEAK/", "message: Qv7KEYLEAK/" },
		{ KEY, 12, "xxxxx " KEY, "xxxxx [r..." },
		/* The mark is longer than a short key: cut again to fit. */
		{ "12345678", 16, "ab 12345678 cd", "ab [redacted..." },
		{ "12345678", 12, "abc 12345678", "abc [red..." },
	};
	struct secret s;
	char buf[64];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		secret_init(&s, cases[i].key);
		cr_assert_lt(strlen(cases[i].in), sizeof(buf));
		strlcpy(buf, cases[i].in, cases[i].size);
		secret_redact_msg(&s, buf, cases[i].size);
		cr_assert_str_eq(buf, cases[i].want, "case %zu", i);
	}
}

/* Every cut of a message that ends in the key hides all but 3 bytes. */
Test(secret, every_cut)
{
	char msg[64], buf[64];
	struct secret s;
	size_t size, n;

	secret_init(&s, KEY);
	n = (size_t)snprintf(msg, sizeof(msg), "HTTP 400 INVALID_ARGUMENT: "
	    "%s", KEY);
	for (size = 4; size <= n + 1; size++) {
		strlcpy(buf, msg, size);
		if (size > 4)
			memcpy(buf + size - 4, "...", 4);
		secret_redact_msg(&s, buf, size);
		cr_assert_null(strstr(buf, "Qv7K"), "size %zu: %s", size, buf);
		cr_assert_null(strstr(buf, "x9 Zq"), "size %zu: %s", size, buf);
	}
}

Test(secret, json_everywhere)
{
	json_t *v = json_pack("{s:s, s:[s, i, {s:s}], s:s}", "text",
	    "echo: " KEY, "list", "Qv7KEYLEAK%2F%2B%3D%3A%26x9%20Zq", 7,
	    KEY, "as a name", "n", "innocent");
	struct secret s;
	char *out;

	secret_init(&s, KEY);
	cr_assert_eq(secret_redact_json(&s, v), 0);
	out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(out, "{\"list\":[\"[redacted]\",7,{\"[redacted]\":"
	    "\"as a name\"}],\"n\":\"innocent\",\"text\":"
	    "\"echo: [redacted]\"}");
	free(out);
	json_decref(v);
	cr_assert_eq(secret_redact_json(&s, NULL), 0);
}
