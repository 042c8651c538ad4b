/*
 * proto: the worker's RESULT message, encoded by the worker and decoded
 * (and validated) by the supervisor, in one place.  The payload is one
 * JSON object:
 *
 *   {"ok":true,"data":ANY[,"usage":{...}][,"model_version":"..."]...}
 *   {"ok":false,"kind":"NAME","message":"..."[,"retry_after_ms":N]
 *    [,"retry":"no"|"once"|"yes"][,"quota_rpm":N][,"unreachable":true]
 *    [,"restart":true]}
 *
 * An ok result's fields other than "ok" and "data" are its extras, merged
 * into the result record (usage, model_version).  A failure's kind is a
 * name of kind.h; unknown keys of a failure are ignored.  retry_after_ms
 * is -1 to PROTO_RETRY_AFTER_MAX, quota_rpm 0 to PROTO_QUOTA_RPM_MAX, and
 * "usage" an object of token counts from 0 to PROTO_TOKENS_MAX: a server
 * may say more, the encoder sends these (and leaves out a usage member
 * that is not an integer), so that the supervisor's sums cannot overflow
 * on what one answer says.
 *
 * Domain tier: a status and a message; never prints or exits.
 */
#ifndef ROWPOOL_PROTO_H
#define ROWPOOL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rowpool/processor.h"

#define PROTO_RETRY_AFTER_MAX	(INT64_MAX / 2)
#define PROTO_QUOTA_RPM_MAX	1000000000
#define PROTO_TOKENS_MAX	1000000000000LL	/* a token count of one row */

/*
 * Serializes res as the RESULT payload.  Returns a malloc'd string
 * (caller frees; *len its length) or NULL with ENOMEM.
 */
char	*proto_result_encode(const struct proc_result *res, size_t *len);

/*
 * Parses and checks a RESULT payload into res (proc_result_init'ed by
 * it; release it with proc_result_release).  Returns 0, or -1 with a
 * one-line reason in err ("result is not a JSON object: ...", "'kind'
 * 'bogus' is not an error kind", "ok result without 'data'", "'usage'
 * 'total_tokens' is not a number from 0 to ..."...); then res
 * holds nothing.  An ok result may also fail with ENOMEM in err.
 */
int	proto_result_decode(const char *payload, size_t len,
	    struct proc_result *res, char *err, size_t errlen);

/*
 * The LOG payload (a line for the supervisor's log, processor.h's say):
 *
 *   {"line":"..."[,"row":N]}
 *
 * proto_log_encode returns a malloc'd payload (*len its length), or NULL
 * with EILSEQ when line is not UTF-8 (or memory ran out).
 * proto_log_decode fills *row (PROC_NO_ROW without one) and line (cut to
 * linelen, made one line of UTF-8 by utf8_clean); returns 0, or -1 when
 * the payload is not a LOG payload.
 */
char	*proto_log_encode(uint64_t row, const char *line, size_t *len);
int	 proto_log_decode(const char *payload, size_t len, uint64_t *row,
	    char *line, size_t linelen);

/*
 * The same two steps on a JSON object rather than its text (batch mode
 * carries many results in one message): proto_result_json returns a new
 * reference, or NULL with ENOMEM; proto_result_from_json checks o as
 * proto_result_decode does and may take members out of it (pass one
 * whose contents the caller no longer needs).
 */
json_t	*proto_result_json(const struct proc_result *res);
int	proto_result_from_json(json_t *o, struct proc_result *res, char *err,
	    size_t errlen);

/* The integer usage field k of an ok result ("total_tokens"), or 0. */
long long	proto_usage(const struct proc_result *res, const char *k);

#endif
