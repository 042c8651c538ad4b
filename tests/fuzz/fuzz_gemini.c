/*
 * fuzz_gemini: libFuzzer harness for the response parsers (gemini_parse,
 * openai_parse and the shared code in llm.c).  Not built by `make`.  From
 * the repo root:
 *
 *	clang -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 \
 *	    -fsanitize=fuzzer,address,undefined \
 *	    $(pkg-config --cflags jansson libbsd-overlay) \
 *	    tests/fuzz/fuzz_gemini.c src/gemini_parse.c src/openai_parse.c \
 *	    src/llm.c src/sched.c \
 *	    $(pkg-config --libs jansson libbsd-overlay) -o build/fuzz_gemini
 *	mkdir -p build/fuzz-gemini-corpus
 *	for f in tests/data/gemini-recorded/[a-z]*.json; do
 *		n=$(basename "$f")
 *		{ printf '\000'; cat "$f"; } > build/fuzz-gemini-corpus/g-$n
 *		{ printf '\001'; cat "$f"; } > build/fuzz-gemini-corpus/o-$n
 *	done
 *	./build/fuzz_gemini -max_len=8192 -artifact_prefix=build/ \
 *	    build/fuzz-gemini-corpus
 *
 * The first byte of an input picks the parser (its low bit) and the HTTP
 * status (the rest, from statuses[]); the remaining bytes are the body.
 * Checked: the outcome is coherent (ok exactly when there is text; kind
 * and message exactly when not ok; the retry policy is sched's for every
 * kind but http); the message is one line of valid UTF-8 that holds no
 * whole Google API key; text is valid UTF-8; usage is NULL or four
 * non-negative counts (and cached_tokens > 0 on a cache hit); and a
 * second parse gives the same outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/llm.h"
#include "rowpool/sched.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const long statuses[] = {
	200, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504, 301, 418, 0,
	201, 599,
};

static const enum kind kinds[] = {
	KIND_HTTP, KIND_AUTH, KIND_RATE_LIMITED, KIND_QUOTA_EXHAUSTED,
	KIND_BLOCKED, KIND_TRUNCATED,
};

static int
valid_utf8(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static int
is_keychar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

/* "AIza" and 20 key characters, not inside a longer word. */
static int
has_google_key(const char *s)
{
	const char *p;
	int n;

	for (p = s; (p = strstr(p, "AIza")) != NULL; p++) {
		if (p > s && is_keychar((unsigned char)p[-1]))
			continue;
		for (n = 0; n < 20 && is_keychar((unsigned char)p[4 + n]); n++)
			;
		if (n == 20)
			return 1;
	}
	return 0;
}

static void
check_message(const struct llm_outcome *o)
{
	const unsigned char *p;

	CHECK(strlen(o->message) < sizeof(o->message));
	for (p = (const unsigned char *)o->message; *p != '\0'; p++)
		CHECK(*p >= 0x20 && *p != 0x7f);
	CHECK(o->message[0] != ' ');
	CHECK(valid_utf8(o->message));
	CHECK(!has_google_key(o->message));
	CHECK(valid_utf8(o->finish_reason));
	CHECK(valid_utf8(o->model_version));
}

static void
check_usage(const json_t *u)
{
	static const char *const keys[] = {
		"prompt_tokens", "output_tokens", "thoughts_tokens",
		"total_tokens",
	};
	const json_t *v, *cached;
	size_t i;

	if (u == NULL)
		return;
	/* "cached_tokens" only on a cache hit: then > 0. */
	cached = json_object_get(u, "cached_tokens");
	CHECK(cached == NULL || (json_is_integer(cached) &&
	    json_integer_value(cached) > 0));
	CHECK(json_is_object(u) && json_object_size(u) == NELEM(keys) +
	    (cached != NULL));
	for (i = 0; i < NELEM(keys); i++) {
		v = json_object_get(u, keys[i]);
		CHECK(json_is_integer(v) && json_integer_value(v) >= 0);
	}
}

static void
check_outcome(const struct llm_outcome *o, long status)
{
	size_t i;

	CHECK(o->http_status == status);
	CHECK(o->ok == (o->text != NULL));
	CHECK(o->retry_after_ms >= -1);
	check_message(o);
	check_usage(o->usage);
	if (o->ok) {
		CHECK(o->message[0] == '\0');
		CHECK(o->text[0] != '\0' && valid_utf8(o->text));
		return;
	}
	CHECK(o->message[0] != '\0');
	for (i = 0; i < NELEM(kinds); i++)
		if (o->kind == kinds[i])
			break;
	CHECK(i < NELEM(kinds));
	if (o->kind != KIND_HTTP)
		CHECK(o->retry == kind_info(o->kind)->retry);
}

static void
check_same(const struct llm_outcome *a, const struct llm_outcome *b)
{
	CHECK(a->ok == b->ok && a->retry == b->retry &&
	    a->retry_after_ms == b->retry_after_ms);
	CHECK(a->ok || a->kind == b->kind);
	CHECK(strcmp(a->message, b->message) == 0);
	CHECK(strcmp(a->finish_reason, b->finish_reason) == 0);
	CHECK(strcmp(a->model_version, b->model_version) == 0);
	CHECK(!a->ok || strcmp(a->text, b->text) == 0);
	CHECK(json_equal(a->usage, b->usage) || (!a->usage && !b->usage));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*parse)(long, const char *, size_t, struct llm_outcome *);
	struct llm_outcome a, b;
	const char *body;
	long status;
	char *copy;

	if (size == 0)
		return 0;
	parse = data[0] & 1 ? openai_parse : gemini_parse;
	status = statuses[(data[0] >> 1) % NELEM(statuses)];
	size--;
	/* A copy of exactly the body, so ASan sees any read past it. */
	CHECK((copy = malloc(size > 0 ? size : 1)) != NULL);
	memcpy(copy, data + 1, size);
	body = size > 0 ? copy : NULL;
	CHECK(parse(status, body, size, &a) == 0);
	check_outcome(&a, status);
	CHECK(parse(status, body, size, &b) == 0);
	check_same(&a, &b);
	llm_outcome_release(&a);
	llm_outcome_release(&b);
	free(copy);
	return 0;
}
