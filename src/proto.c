/*
 * proto: the RESULT payload.  Invariant: whatever decodes without error
 * is a result the supervisor can act on without checking it again: a
 * known kind, a message that is valid UTF-8, numbers in range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rowpool/kind.h"
#include "rowpool/proto.h"
#include "rowpool/utf8.h"

/* What a server asked for, cut to what the decoder takes. */
static json_t *
encode_failure(const struct proc_result *res)
{
	json_int_t after = res->retry_after_ms < PROTO_RETRY_AFTER_MAX ?
	    res->retry_after_ms : PROTO_RETRY_AFTER_MAX;
	json_int_t quota = res->quota_rpm < PROTO_QUOTA_RPM_MAX ?
	    res->quota_rpm : PROTO_QUOTA_RPM_MAX;
	json_t *o;

	o = json_pack("{s:b, s:s, s:s, s:I}", "ok", 0, "kind",
	    kind_name(res->kind), "message", res->message, "retry_after_ms",
	    after);
	if (o != NULL && quota > 0)
		json_object_set_new(o, "quota_rpm", json_integer(quota));
	if (o != NULL && res->unreachable)
		json_object_set_new(o, "unreachable", json_true());
	if (o != NULL && res->retry >= 0)
		json_object_set_new(o, "retry", json_string(
		    retry_name((enum retry_policy)res->retry)));
	if (o != NULL && res->restart)
		json_object_set_new(o, "restart", json_true());
	return o;
}

/* The counts of usage a server gave, cut to what the decoder takes. */
static json_t *
encode_usage(const json_t *usage)
{
	json_t *o = json_object(), *v;
	json_int_t n;
	const char *k;

	json_object_foreach((json_t *)(uintptr_t)usage, k, v) {
		if (!json_is_integer(v))
			continue;
		n = json_integer_value(v);
		n = n < 0 ? 0 : n > PROTO_TOKENS_MAX ? PROTO_TOKENS_MAX : n;
		if (json_object_set_new(o, k, json_integer(n)) == -1)
			break;
	}
	return o;
}

json_t *
proto_result_json(const struct proc_result *res)
{
	const json_t *usage = json_object_get(res->extra, "usage");
	json_t *o;

	if (!res->ok)
		return encode_failure(res);
	o = json_pack("{s:b, s:O}", "ok", 1, "data",
	    res->data ? res->data : json_null());
	if (o != NULL && res->extra != NULL)
		json_object_update(o, res->extra);
	if (o != NULL && usage != NULL && (json_is_object(usage) ?
	    json_object_set_new(o, "usage", encode_usage(usage)) :
	    json_object_del(o, "usage")) == -1) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

char *
proto_result_encode(const struct proc_result *res, size_t *len)
{
	json_t *o;
	char *s;

	o = proto_result_json(res);
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*len = strlen(s);
	return s;
}

/* ---- decoding ---- */

/* Optional integer field k of o, in [min, max]; def when absent. */
static int
opt_int(const json_t *o, const char *k, long long min, long long max,
    long long def, long long *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, k);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, errlen, "'%s' is not a number from %lld to %lld",
		    k, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
decode_kind(const json_t *o, struct proc_result *res, char *err,
    size_t errlen)
{
	const char *name = json_string_value(json_object_get(o, "kind"));
	int k;

	if (name == NULL) {
		snprintf(err, errlen, "failed result without a 'kind'");
		return -1;
	}
	if ((k = kind_parse(name)) == -1) {
		snprintf(err, errlen, "'kind' '%.40s' is not an error kind",
		    name);
		return -1;
	}
	res->kind = (enum kind)k;
	return 0;
}

static int
decode_failure(const json_t *o, struct proc_result *res, char *err,
    size_t errlen)
{
	const json_t *msg = json_object_get(o, "message");
	const json_t *retry = json_object_get(o, "retry");
	const json_t *unreach = json_object_get(o, "unreachable");
	const json_t *restart = json_object_get(o, "restart");
	long long after, quota;

	if (decode_kind(o, res, err, errlen) == -1 ||
	    opt_int(o, "retry_after_ms", -1, PROTO_RETRY_AFTER_MAX, -1, &after,
	    err, errlen) == -1 || opt_int(o, "quota_rpm", 0,
	    PROTO_QUOTA_RPM_MAX, 0, &quota, err, errlen) == -1)
		return -1;
	if ((msg != NULL && !json_is_string(msg)) || (unreach != NULL &&
	    !json_is_boolean(unreach)) || (restart != NULL &&
	    !json_is_boolean(restart)) || (retry != NULL &&
	    retry_parse(json_string_value(retry)) == -1)) {
		snprintf(err, errlen, "failed result with a bad '%s'",
		    msg != NULL && !json_is_string(msg) ? "message" :
		    unreach != NULL && !json_is_boolean(unreach) ?
		    "unreachable" : restart != NULL &&
		    !json_is_boolean(restart) ? "restart" : "retry");
		return -1;
	}
	snprintf(res->message, sizeof(res->message), "%s",
	    msg != NULL ? json_string_value(msg) : "");
	utf8_clean(res->message);	/* a cut may split a character */
	res->retry_after_ms = (long)after;
	res->quota_rpm = (long)quota;
	res->retry = retry != NULL ? retry_parse(json_string_value(retry)) :
	    -1;
	res->unreachable = json_is_true(unreach);
	res->restart = json_is_true(restart);
	return 0;
}

/* "usage": token counts the supervisor adds up, each in range. */
static int
decode_usage(const json_t *usage, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	if (usage == NULL)
		return 0;
	if (!json_is_object(usage)) {
		snprintf(err, errlen, "ok result with a 'usage' that is not an "
		    "object");
		return -1;
	}
	json_object_foreach((json_t *)(uintptr_t)usage, k, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > PROTO_TOKENS_MAX) {
			snprintf(err, errlen, "'usage' '%.40s' is not a number "
			    "from 0 to %lld", k, PROTO_TOKENS_MAX);
			return -1;
		}
	return 0;
}

static int
decode_ok(json_t *o, struct proc_result *res, char *err, size_t errlen)
{
	json_t *data = json_object_get(o, "data");

	if (data == NULL) {
		snprintf(err, errlen, "ok result without 'data'");
		return -1;
	}
	if (decode_usage(json_object_get(o, "usage"), err, errlen) == -1)
		return -1;
	res->ok = 1;
	res->data = json_incref(data);
	json_object_del(o, "ok");
	json_object_del(o, "data");
	res->extra = json_object_size(o) > 0 ? json_incref(o) : NULL;
	return 0;
}

int
proto_result_decode(const char *payload, size_t len,
    struct proc_result *res, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		proc_result_init(res);
		snprintf(err, errlen, "result is not a JSON object: %s",
		    o == NULL ? jerr.text : "wrong type");
		json_decref(o);
		if (errlen > 0)	/* it may quote the payload's bytes */
			utf8_clean(err);
		return -1;
	}
	rc = proto_result_from_json(o, res, err, errlen);
	json_decref(o);
	return rc;
}

int
proto_result_from_json(json_t *o, struct proc_result *res, char *err,
    size_t errlen)
{
	json_t *ok;
	int rc;

	proc_result_init(res);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "result is not a JSON object");
		return -1;
	}
	ok = json_object_get(o, "ok");
	if (!json_is_boolean(ok)) {
		snprintf(err, errlen, "result without a boolean 'ok'");
		rc = -1;
	} else if (json_is_true(ok))
		rc = decode_ok(o, res, err, errlen);
	else
		rc = decode_failure(o, res, err, errlen);
	if (rc == -1) {
		proc_result_release(res);
		if (errlen > 0)	/* it may quote the payload's bytes */
			utf8_clean(err);
	}
	return rc;
}

long long
proto_usage(const struct proc_result *res, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(res->extra,
	    "usage"), k));
}

/* ---- log lines ---- */

char *
proto_log_encode(uint64_t row, const char *line, size_t *len)
{
	json_t *o, *l;
	char *s;

	if ((l = json_string(line)) == NULL) {
		errno = EILSEQ;		/* or ENOMEM: jansson does not say */
		return NULL;
	}
	o = json_pack("{s:o}", "line", l);
	if (o != NULL && row != PROC_NO_ROW &&
	    json_object_set_new(o, "row", json_integer((json_int_t)row)) == -1)
		json_decref(o), o = NULL;
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*len = strlen(s);
	return s;
}

int
proto_log_decode(const char *payload, size_t len, uint64_t *row,
    char *line, size_t linelen)
{
	json_t *o, *r;
	const char *l;
	int rc = -1;

	*row = PROC_NO_ROW;
	o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	r = json_object_get(o, "row");
	if ((l = json_string_value(json_object_get(o, "line"))) != NULL &&
	    (r == NULL || (json_is_integer(r) && json_integer_value(r) >= 0))) {
		if (r != NULL)
			*row = (uint64_t)json_integer_value(r);
		snprintf(line, linelen, "%s", l);
		utf8_clean(line);
		rc = 0;
	}
	json_decref(o);
	return rc;
}
