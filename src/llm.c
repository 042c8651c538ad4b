/*
 * llm: the outcome of one model call, and what both response parsers
 * share: loading a body, reading and classifying an error envelope,
 * durations, and messages.
 *
 * The invariant: every byte a message takes from the server passes
 * through llm_clean (or is our own ASCII), so a message is always one
 * line of valid UTF-8 and never quotes anything shaped like a credential.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "rowpool/llm.h"
#include "rowpool/msgbuf.h"
#include "rowpool/utf8.h"
#include "llm_local.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define EXCERPT_MAX	80
/* Keeps whole * 1000 + 1000 within a long while scanning. */
#define WHOLE_MAX	((LONG_MAX / 1000 - 1) / 10)

/* A decimal number as durations are written: digits[.digits]. */
struct decimal {
	long	whole;
	long	milli;		/* the first three fraction digits */
	int	more;		/* a non-zero fraction digit after them */
};

/* A message being built by llm_clean. */
struct line {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 space;		/* a space is due before the next character */
	int	 cut;		/* something did not fit */
};

/* What a credential looks like in a server's text. */
static const struct secret {
	const char	*prefix;
	size_t		 min;	/* key characters needed after the prefix */
	int		 keep;	/* keep the prefix, redact what follows */
	int		 icase;
	int		 word;	/* must not follow a key character */
	int		 token;	/* RFC 6750 b64token: also . ~ + / = */
} secrets[] = {
	{ "AIza", 20, 0, 0, 1, 0 },	/* Google API key */
	{ "sk-", 20, 0, 0, 1, 0 },	/* OpenAI-style key */
	{ "key=", 1, 1, 1, 0, 0 },	/* ?key=... in an echoed URL */
	{ "Bearer ", 8, 1, 1, 0, 1 },
};

static const char *const delay_markers[] = {
	"retry in ",		/* Gemini: "Please retry in 58.217843437s." */
	"try again in ",	/* OpenAI: "Please try again in 600ms." */
};

void
llm_outcome_init(struct llm_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->retry = RETRY_NO;
	o->retry_after_ms = -1;
}

void
llm_outcome_release(struct llm_outcome *o)
{
	free(o->text);
	json_decref(o->usage);
	llm_outcome_init(o);
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_keychar(int c)
{
	return is_digit(c) || is_alpha(c) || c == '-' || c == '_';
}

static int
is_tokenchar(int c)
{
	return is_keychar(c) || (c != '\0' && strchr(".~+/=", c) != NULL);
}

/* Scans digits[.digits] at s into d; returns the end, or NULL. */
static const char *
scan_decimal(const char *s, struct decimal *d)
{
	int n, k;

	memset(d, 0, sizeof(*d));
	for (n = 0; is_digit(*s); s++, n++) {
		if (d->whole >= WHOLE_MAX)
			return NULL;
		d->whole = d->whole * 10 + (*s - '0');
	}
	if (n == 0)
		return NULL;
	if (*s != '.')
		return s;
	for (n = 0, s++; is_digit(*s); s++, n++) {
		if (n < 3)
			d->milli = d->milli * 10 + (*s - '0');
		else if (*s != '0')
			d->more = 1;
	}
	if (n == 0)
		return NULL;
	for (k = n; k < 3; k++)
		d->milli *= 10;
	return s;
}

/* Both round up: a server that asks for 0.0001s gets 1 ms. */
static long
seconds_ms(const struct decimal *d)
{
	return d->whole * 1000 + d->milli + (d->more ? 1 : 0);
}

static long
millis_ms(const struct decimal *d)
{
	return d->whole + (d->milli > 0 || d->more ? 1 : 0);
}

long
llm_parse_duration_ms(const char *s)
{
	struct decimal d;
	const char *end;

	if (s == NULL || (end = scan_decimal(s, &d)) == NULL)
		return -1;
	if (strcmp(end, "s") != 0)
		return -1;
	return seconds_ms(&d);
}

long
llm_message_delay_ms(const char *msg)
{
	struct decimal d;
	const char *p, *end;
	size_t i;

	if (msg == NULL)
		return -1;
	for (i = 0; i < NELEM(delay_markers); i++) {
		if ((p = strcasestr(msg, delay_markers[i])) == NULL)
			continue;
		p += strlen(delay_markers[i]);
		if ((end = scan_decimal(p, &d)) == NULL)
			continue;
		if (end[0] == 'm' && end[1] == 's' && !is_alpha(end[2]))
			return millis_ms(&d);
		if (end[0] == 's' && !is_alpha(end[1]))
			return seconds_ms(&d);
	}
	return -1;
}

void
llm_fail(struct llm_outcome *o, enum kind kind, enum retry_policy retry,
    const char *fmt, ...)
{
	va_list ap;

	o->ok = 0;
	o->retry = retry;
	o->kind = kind;
	va_start(ap, fmt);
	msgbuf_vformat(o->message, sizeof(o->message), fmt, ap);
	va_end(ap);
}

int
llm_nomem(struct llm_outcome *o)
{
	long status = o->http_status;

	llm_outcome_release(o);
	o->http_status = status;
	llm_fail(o, KIND_HTTP, RETRY_YES, "out of memory reading the response");
	errno = ENOMEM;
	return -1;
}

/* Appends n bytes, one character or our own ASCII, if they fit. */
static void
line_put(struct line *l, const char *p, size_t n)
{
	size_t need = n + (l->space ? 1 : 0);

	if (l->cut)
		return;
	if (l->len + need >= l->size) {
		l->cut = 1;
		return;
	}
	if (l->space)
		l->buf[l->len++] = ' ';
	l->space = 0;
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

/* The length of a credential at p, put redacted; 0 when there is none. */
static size_t
secret_at(struct line *l, const char *p, size_t n, int prev)
{
	const struct secret *s;
	size_t i, k, plen;
	int differ, c;

	for (i = 0; i < NELEM(secrets); i++) {
		s = &secrets[i];
		plen = strlen(s->prefix);
		if (n < plen || (s->word && is_keychar(prev)))
			continue;
		differ = s->icase ? strncasecmp(p, s->prefix, plen) :
		    strncmp(p, s->prefix, plen);
		if (differ)
			continue;
		for (k = plen; k < n; k++) {
			c = (unsigned char)p[k];
			if (!(s->token ? is_tokenchar(c) : is_keychar(c)))
				break;
		}
		if (k - plen < s->min)
			continue;
		if (s->keep)
			line_put(l, p, plen);
		line_put(l, "[redacted]", 10);
		return k;
	}
	return 0;
}

/*
 * What breaks a line: a C0 or C1 control character, a space, U+2028 or
 * U+2029.
 */
static int
is_break(uint32_t c)
{
	return c <= 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029;
}

/* Puts what is at p; returns how many bytes of it were used. */
static size_t
clean_one(struct line *l, const unsigned char *p, size_t n, int prev,
    int ascii)
{
	uint32_t c;
	size_t k;

	if ((k = secret_at(l, (const char *)p, n, prev)) > 0)
		return k;
	if ((k = utf8_decode(p, n, &c)) > 0 && is_break(c)) {
		l->space = l->len > 0;
		return k;
	}
	if (k == 0 || (ascii && k > 1)) {
		line_put(l, "?", 1);
		return k > 0 ? k : 1;
	}
	line_put(l, (const char *)p, k);
	return k;
}

void
llm_clean(char *dst, size_t size, const char *src, size_t len, int ascii)
{
	struct line l = { .buf = dst, .size = size };
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0;

	if (size == 0)
		return;
	dst[0] = '\0';
	while (i < len && !l.cut)
		i += clean_one(&l, p + i, len - i, i > 0 ? p[i - 1] : ' ',
		    ascii);
	if (l.cut)
		msgbuf_cut(dst, size, l.len);
}

void
llm_clean_str(char *dst, size_t size, const char *s)
{
	if (s != NULL)
		llm_clean(dst, size, s, strlen(s), 0);
	else if (size > 0)
		dst[0] = '\0';
}

const char *
llm_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

json_int_t
llm_count(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	return json_integer_value(v);
}

int
llm_status_2xx(long status)
{
	return status >= 200 && status <= 299;
}

static const char *
part_text(const json_t *part)
{
	if (json_is_true(json_object_get(part, "thought")))
		return NULL;
	return llm_str(part, "text");
}

int
llm_join_text(const json_t *parts, char **text)
{
	const char *s;
	json_t *part;
	size_t i, n = 0, k;
	char *buf;

	*text = NULL;
	json_array_foreach(parts, i, part)
		if ((s = part_text(part)) != NULL)
			n += strlen(s);
	if (n == 0)
		return 0;
	if ((buf = malloc(n + 1)) == NULL)
		return -1;
	n = 0;
	json_array_foreach(parts, i, part) {
		if ((s = part_text(part)) == NULL)
			continue;
		k = strlen(s);
		memcpy(buf + n, s, k);
		n += k;
	}
	buf[n] = '\0';
	*text = buf;
	return 0;
}

int
llm_set_usage(struct llm_outcome *o, json_int_t p, json_int_t out,
    json_int_t th, json_int_t tot)
{
	json_decref(o->usage);
	o->usage = json_pack("{s:I,s:I,s:I,s:I}", "prompt_tokens", p,
	    "output_tokens", out, "thoughts_tokens", th, "total_tokens", tot);
	return o->usage != NULL ? 0 : -1;
}

/* needle (ASCII) in n bytes at hay, ignoring case; NULL when absent. */
static const char *
find_ci(const char *hay, size_t n, const char *needle)
{
	size_t i, k = strlen(needle);

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/*
 * What is worth quoting from a body that is not JSON: an HTML page's
 * title, or else its start.
 */
static void
body_excerpt(char *dst, size_t size, const char *body, size_t len)
{
	const char *t, *e;

	if ((t = find_ci(body, len, "<title>")) != NULL) {
		t += strlen("<title>");
		e = find_ci(t, len - (size_t)(t - body), "</title>");
		if (e != NULL) {
			llm_clean(dst, size, t, (size_t)(e - t), 1);
			if (dst[0] != '\0')
				return;
		}
	}
	llm_clean(dst, size, body, len, 1);
}

/* The first byte that is not JSON white space, or -1. */
static int
body_first(const char *body, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			return (unsigned char)body[i];
	return -1;
}

static void
not_json(struct llm_outcome *o, const char *body, size_t len,
    const json_error_t *err)
{
	char ex[EXCERPT_MAX + 1];
	int c = body_first(body, len);

	if (c == '{' || c == '[') {
		llm_clean_str(ex, sizeof(ex), err->text);
		llm_fail(o, KIND_HTTP, RETRY_YES, "HTTP %ld: response is not "
		    "valid JSON at byte %d: %s", o->http_status, err->position,
		    ex);
		return;
	}
	body_excerpt(ex, sizeof(ex), body, len);
	llm_fail(o, KIND_HTTP, RETRY_YES, "HTTP %ld: response is not JSON "
	    "(%s?)%s%s", o->http_status, c == '<' ? "text/html" :
	    "text/plain", ex[0] != '\0' ? ": " : "", ex);
}

/* [{"error":...}], as the OpenAI-compatible endpoint sends errors. */
static json_t *
unwrap(json_t *root)
{
	json_t *first = json_array_get(root, 0);

	if (!json_is_object(first) || json_object_get(first, "error") == NULL)
		return root;
	json_incref(first);
	json_decref(root);
	return first;
}

/* Decodes body into *root; fills o when it is not JSON.  0, 1 or -1. */
static int
decode(struct llm_outcome *o, const char *body, size_t len, json_t **root)
{
	json_error_t err;

	/* json_error_code() reads a byte jansson leaves unset on success. */
	memset(&err, 0, sizeof(err));
	if ((*root = json_loadb(body, len, JSON_DECODE_ANY, &err)) != NULL)
		return 1;
	/*
	 * jansson 2.14 sets no error at all for some failed allocations
	 * (and a syntax error for others, which we cannot tell from a bad
	 * body; both are retried anyway).
	 */
	if (json_error_code(&err) == json_error_out_of_memory ||
	    err.text[0] == '\0')
		return llm_nomem(o);
	not_json(o, body, len, &err);
	return 0;
}

int
llm_load(long status, const char *body, size_t len,
    struct llm_outcome *o, json_t **root)
{
	int r;

	o->http_status = status;
	*root = NULL;
	if (body == NULL || len == 0) {
		llm_fail(o, KIND_HTTP, RETRY_YES, "HTTP %ld: empty response body",
		    status);
		return 0;
	}
	if ((r = decode(o, body, len, root)) != 1)
		return r;
	if (json_is_object(*root = unwrap(*root)))
		return 1;
	json_decref(*root);
	*root = NULL;
	llm_fail(o, KIND_HTTP, RETRY_YES, "HTTP %ld: response is not a JSON "
	    "object", status);
	return 0;
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* A QuotaFailure quotaValue: "5" (as Gemini sends it) or 5; 0 if neither. */
static long
quota_value(const json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	long n;

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (long)json_integer_value(v) :
		    0;
	if (s == NULL)
		return 0;
	n = strtol(s, &end, 10);
	return end != s && *end == '\0' && n > 0 ? n : 0;
}

/* One google.rpc detail; read by its fields, whatever its "@type". */
static void
error_detail(struct llm_error *e, const json_t *d)
{
	const char *reason = llm_str(d, "reason");
	const json_t *meta = json_object_get(d, "metadata");
	json_t *v;
	size_t i;
	long ms;

	if ((ms = llm_parse_duration_ms(llm_str(d, "retryDelay"))) >= 0)
		e->retry_after_ms = ms;
	json_array_foreach(json_object_get(d, "violations"), i, v) {
		if (contains(llm_str(v, "quotaId"), "PerDay"))
			e->per_day = 1;
		if (contains(llm_str(v, "quotaId"), "RequestsPerMinute"))
			e->quota_rpm = quota_value(json_object_get(v,
			    "quotaValue"));
	}
	if (contains(llm_str(meta, "quota_limit"), "PerDay"))
		e->per_day = 1;
	if (reason != NULL && strncmp(reason, "API_KEY_", 8) == 0)
		e->bad_key = 1;
}

void
llm_error_init(struct llm_error *e, long status, const json_t *err)
{
	const json_t *code = json_object_get(err, "code"), *d;
	json_int_t c = json_integer_value(code);
	size_t i;

	memset(e, 0, sizeof(*e));
	e->status = status;
	if (llm_status_2xx(status) && json_is_integer(code) &&
	    c >= 400 && c <= 599)
		e->status = (long)c;
	e->retry_after_ms = -1;
	e->label = llm_str(err, "status");
	e->message = json_is_string(err) ? json_string_value(err) :
	    llm_str(err, "message");
	json_array_foreach(json_object_get(err, "details"), i, d)
		error_detail(e, d);
}

static void
error_kind(const struct llm_error *e, enum kind *kind,
    enum retry_policy *retry)
{
	long s = e->status;
	int is_4xx = s >= 400 && s <= 499;

	*kind = KIND_HTTP;
	*retry = RETRY_NO;
	if (s == 401 || s == 403 || (is_4xx && e->bad_key))
		*kind = KIND_AUTH;
	else if (s == 429 && (e->per_day || e->no_quota))
		*kind = KIND_QUOTA_EXHAUSTED;
	else if (s == 429) {
		*kind = KIND_RATE_LIMITED;
		*retry = RETRY_YES;
	} else if (is_4xx && e->filtered)
		*kind = KIND_BLOCKED;
	else if (s == 408 || s >= 500 || s < 300)
		*retry = RETRY_YES;
}

void
llm_error_fail(struct llm_outcome *o, struct llm_error *e)
{
	char label[LLM_LABEL_MAX], msg[LLM_MESSAGE_MAX];
	enum retry_policy retry;
	enum kind kind;

	error_kind(e, &kind, &retry);
	if (e->retry_after_ms < 0)
		e->retry_after_ms = llm_message_delay_ms(e->message);
	llm_clean_str(label, sizeof(label), e->label);
	llm_clean_str(msg, sizeof(msg), e->message);
	llm_fail(o, kind, retry, "HTTP %ld%s%s: %s", e->status,
	    label[0] != '\0' ? " " : "", label,
	    msg[0] != '\0' ? msg : "no error message in the response");
	o->retry_after_ms = e->retry_after_ms;
	o->quota_rpm = e->quota_rpm;
}

int
llm_parse(long http_status, const char *body, size_t len,
    struct llm_outcome *o,
    void (*on_error)(struct llm_outcome *, const json_t *),
    int (*on_body)(struct llm_outcome *, const json_t *))
{
	const json_t *err;
	json_t *root;
	int r;

	llm_outcome_init(o);
	if ((r = llm_load(http_status, body, len, o, &root)) != 1)
		return r;
	r = 0;
	err = json_object_get(root, "error");
	if (!llm_status_2xx(http_status) || json_is_object(err) ||
	    json_is_string(err))
		on_error(o, root);
	else
		r = on_body(o, root);
	json_decref(root);
	return r;
}
