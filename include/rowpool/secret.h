/*
 * secret: keeping the API key out of what a process says and leaves
 * behind.  A server or a proxy may quote the key (a 400 that names it, an
 * HTML page that echoes the request's headers, a URL with ?key=...),
 * whole or encoded; these functions find it and put "[redacted]" in its
 * place.  A process that holds the key also leaves no core dump.
 *
 * The key is looked for byte by byte, each byte in any of these forms,
 * so that mixed encodings are found too ("a/b" as "a%2Fb", "a%2fb",
 * "a%252Fb", "a\/b", "a\u002fb", "a&#47;b", "a&#x2F;b"):
 *  - the byte itself (case matters);
 *  - percent-encoded, once or twice ("%2F", "%252F"), hex in any case;
 *  - for ASCII: a JSON escape ("\u002f", "\/", "\"", "\\"), an HTML
 *    character reference ("&#47;", "&#x2F;", "&amp;", "&lt;", "&gt;",
 *    "&quot;", "&apos;"), and '+' for a space (form encoding).
 *
 * Two rules:
 *  - a key shorter than SECRET_MIN bytes is not looked for: it would hide
 *    innocent words ("none", "x": the placeholders local OpenAI-compatible
 *    servers take), and a key that short guards nothing anyway;
 *  - text cut short may end in a piece of the key.  At a cut (a "..." or
 *    the end of a full buffer), secret_redact_msg() also redacts the run
 *    just before it that is the key's start, whole bytes of it
 *    SECRET_PARTIAL or more, in any of the forms above (the last one may
 *    be cut too: "%2").  Fewer bytes of a key tell nothing: every Google
 *    key starts "AIza".
 *
 * Redact before cutting wherever possible: the rule above is the safety
 * net for the cuts that came first.
 *
 * Mechanism tier: pure but for secret_nodump(); returns -1 or NULL with
 * errno, never prints or exits.
 */
#ifndef ROWPOOL_SECRET_H
#define ROWPOOL_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define SECRET_MIN	8
#define SECRET_PARTIAL	4
#define SECRET_MARK	"[redacted]"

struct secret {
	const char	*key;	/* borrowed; NULL: nothing to hide */
	size_t		 len;
};

/*
 * Sets s to hide key, a NUL-terminated string that must outlive s; a key
 * that is NULL or shorter than SECRET_MIN hides nothing.
 */
void	secret_init(struct secret *s, const char *key);

/* true when the len bytes at text hold the whole key in some form. */
bool	secret_in(const struct secret *s, const char *text, size_t len);

/*
 * Returns a malloc'd copy of the len bytes at text, NUL-terminated, with
 * every whole key in it replaced by SECRET_MARK, and its length in
 * *outlen; the caller frees it.  NULL with ENOMEM.
 */
char	*secret_redact(const struct secret *s, const char *text, size_t len,
	    size_t *outlen);

/*
 * Redacts the NUL-terminated message in buf (size bytes) in place: the
 * whole key, then a piece of it at a cut (see above).  A message that no
 * longer fits is cut at a character with "...".  Never fails: without
 * memory the message becomes SECRET_MARK.
 */
void	secret_redact_msg(const struct secret *s, char *buf, size_t size);

/*
 * Redacts every string in v (NULL allowed), object keys included, at any
 * depth.  Returns 0, or -1 with ENOMEM: v may then still hold the key.
 */
int	secret_redact_json(const struct secret *s, json_t *v);

/*
 * For a process that holds the key: no core dump (RLIMIT_CORE 0), and
 * not dumpable (PR_SET_DUMPABLE 0), which also closes its /proc/PID/mem
 * and environ and ptrace to other processes of the same user.  Both are
 * inherited by fork.  Returns 0, or -1 with errno.
 */
int	secret_nodump(void);

#endif
