/*
 * execproto: the lines the exec processor and its command exchange, one
 * JSON object a line each way (README, "The exec processor"):
 *
 *   to CMD:    {"row":N,"COLUMN":"VALUE",...}    the row, as the echo
 *                                                processor sees it
 *   from CMD:  {"ok":true,"data":ANY[,"usage":{"prompt_tokens":N,...}]}
 *              {"ok":false,"kind":"KIND"[,"message":"..."]
 *               [,"retry":true|false]}
 *
 * An answer may also carry "row", which must then be the row's; other
 * keys are ignored.  KIND is one of rowpool's error kinds (kind.h); an
 * unknown one breaks the protocol, as does anything else these lines do
 * not allow.  "retry" overrides the kind's own policy (true: up to
 * --retries; false: final at once).  A usage's counts are integers from
 * 0; a missing total_tokens is made the sum of prompt_tokens,
 * output_tokens and thoughts_tokens, as the Gemini processor counts.
 *
 * Domain tier and pure: a status and a message; never prints or exits.
 */
#ifndef ROWPOOL_EXECPROTO_H
#define ROWPOOL_EXECPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/processor.h"

/*
 * The line for row (a JSON object) with index: "row" first, then the
 * row's fields, then '\n'.  Returns it malloc'd (*len its length), or
 * NULL with errno: EEXIST when the row has a field called "row" itself,
 * ENOMEM.
 */
char	*execproto_request(const json_t *row, uint64_t index, size_t *len);

/*
 * Reads the command's answer line (len bytes, without its '\n') to row
 * index into res (proc_result_init'ed here; release it with
 * proc_result_release): ok with the data and usage, or the failure the
 * command reported.  Returns 0, or -1 with why the line breaks the
 * protocol in err ("not JSON: ...", "'kind' 'oops' is not one of
 * rowpool's error kinds"), one line of UTF-8 whatever the line held; res
 * then holds nothing.
 */
int	execproto_answer(const char *line, size_t len, uint64_t index,
	    struct proc_result *res, char *err, size_t errlen);

#endif
