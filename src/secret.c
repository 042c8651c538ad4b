/*
 * secret: finding the API key in text, whatever form each of its bytes
 * takes, and what a process holding it must not leave behind (see
 * secret.h).  Invariant: every function here takes the key out of text
 * before it cuts that text, never after.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "rowpool/msgbuf.h"
#include "rowpool/secret.h"

#define MARK_LEN	(sizeof(SECRET_MARK) - 1)
#define ENC_MAX		8	/* the longest form, its NUL included */
/*
 * Ways through the text kept at once.  Forms of one byte that match at
 * the same place differ only for '%' ("%", "%25", "%2525"): even a key
 * made of those needs few.
 */
#define REACH_MAX	32

/* The forms of one byte of the key; see secret.h. */
enum form {
	FORM_RAW, FORM_PCT, FORM_PCT2, FORM_JSON_U, FORM_JSON, FORM_HTML_DEC,
	FORM_HTML_HEX, FORM_HTML_NAME, FORM_PLUS, FORM_COUNT
};

/* Where a match may be in the text: after i bytes of the key, offsets. */
struct reach {
	size_t	 off[REACH_MAX];
	size_t	 n;
};

/* The first byte of each form but FORM_RAW. */
static const char leads[FORM_COUNT] = {
	[FORM_PCT] = '%', [FORM_PCT2] = '%', [FORM_JSON_U] = '\\',
	[FORM_JSON] = '\\', [FORM_HTML_DEC] = '&', [FORM_HTML_HEX] = '&',
	[FORM_HTML_NAME] = '&', [FORM_PLUS] = '+',
};
static const char starters[] = { '%', '\\', '&', '+' };

static const char *
json_short(unsigned char c)
{
	switch (c) {
	case '/': return "\\/";
	case '"': return "\\\"";
	case '\\': return "\\\\";
	default: return NULL;
	}
}

static const char *
html_name(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	default: return NULL;
	}
}

/* Writes byte c in form f into buf; returns its length, 0 for none. */
static size_t
encode(unsigned char c, enum form f, char buf[ENC_MAX])
{
	const char *s = NULL;
	int n = 0;

	if (f == FORM_RAW) {
		buf[0] = (char)c;
		return 1;
	}
	if (f == FORM_PCT)
		n = snprintf(buf, ENC_MAX, "%%%02X", c);
	else if (f == FORM_PCT2)
		n = snprintf(buf, ENC_MAX, "%%25%02X", c);
	else if (c >= 0x80)
		return 0;
	else if (f == FORM_JSON_U)
		n = snprintf(buf, ENC_MAX, "\\u%04X", c);
	else if (f == FORM_HTML_DEC)
		n = snprintf(buf, ENC_MAX, "&#%u;", c);
	else if (f == FORM_HTML_HEX)
		n = snprintf(buf, ENC_MAX, "&#x%X;", c);
	else if (f == FORM_JSON)
		s = json_short(c);
	else if (f == FORM_HTML_NAME)
		s = html_name(c);
	else if (f == FORM_PLUS && c == ' ')
		s = "+";
	if (s != NULL)
		n = (int)strlcpy(buf, s, ENC_MAX);
	return n > 0 ? (size_t)n : 0;
}

/* Whether n bytes at p spell n bytes of enc; only the byte is exact. */
static bool
same(enum form f, const char *p, const char *enc, size_t n)
{
	return f == FORM_RAW ? memcmp(p, enc, n) == 0 :
	    strncasecmp(p, enc, n) == 0;
}

static void
reach_add(struct reach *r, size_t off)
{
	size_t j;

	for (j = 0; j < r->n; j++)
		if (r->off[j] == off)
			return;
	if (r->n < REACH_MAX)
		r->off[r->n++] = off;
}

/*
 * Adds to next where each form of byte c that matches the text at off
 * ends.  With may_end, returns true when the text ends at off or inside
 * a form that matches so far.
 */
static bool
step(unsigned char c, const char *text, size_t n, size_t off, bool may_end,
    struct reach *next)
{
	char enc[ENC_MAX];
	enum form f;
	size_t k;

	if (may_end && off == n)
		return true;
	for (f = 0; f < FORM_COUNT; f++) {
		if (off < n && f != FORM_RAW && text[off] != leads[f])
			continue;
		if ((k = encode(c, f, enc)) == 0)
			continue;
		if (off + k <= n) {
			if (same(f, text + off, enc, k))
				reach_add(next, off + k);
		} else if (may_end && same(f, text + off, enc, n - off)) {
			return true;
		}
	}
	return false;
}

/*
 * Walks the key over the n bytes at text, every form at once.  Returns
 * the bytes the whole key takes from text's start (the longest way), or
 * 0.  With partial, returns n when all of text is the key's start,
 * SECRET_PARTIAL whole bytes of it or more, cut anywhere (inside a form
 * too); else 0.
 */
static size_t
walk(const struct secret *s, const char *text, size_t n, bool partial)
{
	struct reach cur = { .off = { 0 }, .n = 1 }, next;
	size_t i, j, best = 0;
	bool may_end;

	for (i = 0; i < s->len && cur.n > 0; i++, cur = next) {
		next.n = 0;
		may_end = partial && i >= SECRET_PARTIAL;
		for (j = 0; j < cur.n; j++)
			if (step((unsigned char)s->key[i], text, n, cur.off[j],
			    may_end, &next))
				return n;
	}
	if (partial)
		return 0;
	for (j = 0; j < cur.n; j++)
		if (cur.off[j] > best)
			best = cur.off[j];
	return best;
}

/* Whether a form of the key's first byte can start at c. */
static bool
may_start(const struct secret *s, char c)
{
	return c == s->key[0] || memchr(starters, c, sizeof(starters)) != NULL;
}

/* The length of the whole key at text (n bytes), or 0. */
static size_t
key_at(const struct secret *s, const char *text, size_t n)
{
	return may_start(s, text[0]) ? walk(s, text, n, false) : 0;
}

void
secret_init(struct secret *s, const char *key)
{
	s->len = key != NULL ? strlen(key) : 0;
	s->key = s->len >= SECRET_MIN ? key : NULL;
	if (s->key == NULL)
		s->len = 0;
}

bool
secret_in(const struct secret *s, const char *text, size_t len)
{
	size_t i;

	if (s->key == NULL)
		return false;
	for (i = 0; i < len; i++)
		if (key_at(s, text + i, len - i) > 0)
			return true;
	return false;
}

char *
secret_redact(const struct secret *s, const char *text, size_t len,
    size_t *outlen)
{
	char *out;
	size_t i = 0, o = 0, k;

	/* Each key takes SECRET_MIN bytes or more and becomes MARK_LEN. */
	if (len > SIZE_MAX / 4 ||
	    (out = malloc(len + len / SECRET_MIN * MARK_LEN + 1)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	while (i < len) {
		if (s->key != NULL && (k = key_at(s, text + i, len - i)) > 0) {
			memcpy(out + o, SECRET_MARK, MARK_LEN);
			o += MARK_LEN;
			i += k;
		} else {
			out[o++] = text[i++];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Where the piece of the key that ends at end starts, from from on. */
static size_t
piece_at(const struct secret *s, const char *text, size_t from,
    size_t end)
{
	size_t i, window = s->len * (ENC_MAX - 1);

	if (end - from > window)
		from = end - window;
	for (i = from; i + SECRET_PARTIAL <= end; i++)
		if (may_start(s, text[i]) &&
		    walk(s, text + i, end - i, true) == end - i)
			return i;
	return end;
}

/*
 * Copies len bytes at text into out (room enough), a piece of the key
 * before each "..." and, with full, at the end, redacted.  Returns the
 * new length.
 */
static size_t
redact_pieces(const struct secret *s, const char *text, size_t len,
    bool full, char *out)
{
	const char *dots;
	size_t from = 0, o = 0, end, at;

	for (;;) {
		dots = memmem(text + from, len - from, "...", 3);
		end = dots != NULL ? (size_t)(dots - text) : len;
		if (dots == NULL && !full)
			break;
		at = piece_at(s, text, from, end);
		memcpy(out + o, text + from, at - from);
		o += at - from;
		if (at < end) {
			memcpy(out + o, SECRET_MARK, MARK_LEN);
			o += MARK_LEN;
		}
		from = end;
		if (dots == NULL)
			break;
		memcpy(out + o, "...", 3);
		o += 3;
		from += 3;
	}
	memcpy(out + o, text + from, len - from);
	o += len - from;
	out[o] = '\0';
	return o;
}

void
secret_redact_msg(const struct secret *s, char *buf, size_t size)
{
	char *whole, *out = NULL;
	size_t len, n;
	bool full;

	if (s->key == NULL || size == 0)
		return;
	n = strlen(buf);
	full = n + 1 == size;
	/* Each piece takes SECRET_PARTIAL bytes or more and "..." 3. */
	if ((whole = secret_redact(s, buf, n, &len)) == NULL ||
	    (out = malloc(len + (len / 3 + 1) * MARK_LEN + 1)) == NULL) {
		free(whole);
		strlcpy(buf, SECRET_MARK, size);
		return;
	}
	redact_pieces(s, whole, len, full, out);
	/*
	 * Cut to fit again, as the mark may be longer than what it hides;
	 * a key that is not UTF-8 may have been cut inside a character.
	 */
	msgbuf_format(buf, size, "%s", out);
	free(whole);
	free(out);
}

static int
redact_string(const struct secret *s, json_t *v)
{
	const char *str = json_string_value(v);
	size_t n = json_string_length(v), len;
	char *red;
	int rc;

	if (!secret_in(s, str, n))
		return 0;
	if ((red = secret_redact(s, str, n, &len)) == NULL)
		return -1;
	/* Not UTF-8 once a key that is not was cut out: all of it goes. */
	if ((rc = json_string_setn(v, red, len)) == -1)
		rc = json_string_set(v, SECRET_MARK);
	free(red);
	return rc;
}

/* An object whose keys hold the key is rebuilt with redacted keys. */
static int
redact_keys(const struct secret *s, json_t *obj)
{
	json_t *copy, *v;
	const char *k;
	char *red;
	size_t len;
	int rc = 0;

	if ((copy = json_object()) == NULL)
		return -1;
	json_object_foreach(obj, k, v) {
		if ((red = secret_redact(s, k, strlen(k), &len)) == NULL ||
		    json_object_set(copy, red, v) == -1)
			rc = -1;
		free(red);
		if (rc == -1)
			break;
	}
	if (rc == 0 && (json_object_clear(obj) == -1 ||
	    json_object_update(obj, copy) == -1))
		rc = -1;
	json_decref(copy);
	return rc;
}

static int
redact_object(const struct secret *s, json_t *obj)
{
	const char *k;
	json_t *v;
	bool keys = false;

	json_object_foreach(obj, k, v) {
		if (secret_redact_json(s, v) == -1)
			return -1;
		if (secret_in(s, k, strlen(k)))
			keys = true;
	}
	return keys ? redact_keys(s, obj) : 0;
}

int
secret_redact_json(const struct secret *s, json_t *v)
{
	json_t *e;
	size_t i;

	if (s->key == NULL || v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return redact_string(s, v);
	case JSON_OBJECT:
		return redact_object(s, v);
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
			if (secret_redact_json(s, e) == -1)
				return -1;
		return 0;
	default:
		return 0;
	}
}

int
secret_nodump(void)
{
	const struct rlimit none = { .rlim_cur = 0, .rlim_max = 0 };

	if (setrlimit(RLIMIT_CORE, &none) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
	return 0;
}
