/*
 * manifest: the small file that says what is committed.  It is a JSON
 * object, replaced atomically through durable.h; its size does not depend
 * on the number of rows, so a checkpoint costs the same at row 1,000 and
 * at row 1,000,000.
 *
 * Mechanism tier: -1/NULL with errno.  The meaning of the fields belongs
 * to the caller (run.c); this module only stores and loads them.
 */
#ifndef ROWPOOL_MANIFEST_H
#define ROWPOOL_MANIFEST_H

#include <stddef.h>
#include <jansson.h>

#define MANIFEST_NAME	"manifest"
#define MANIFEST_MAX	(1024 * 1024)	/* bytes; a sanity bound */

/*
 * Atomically replaces DIR/manifest with m (compact JSON plus a newline,
 * keys in insertion order, mode 0600).  Returns 0, or -1 with errno and
 * *step set as in durable.h, or *step = "encode" when m is not an object
 * (EINVAL), does not encode (ENOMEM) or encodes to MANIFEST_MAX bytes or
 * more (EMSGSIZE).
 */
int	manifest_commit(const char *dir, const json_t *m, const char **step);

/*
 * Loads DIR/manifest.  Returns a new reference to its object, or NULL
 * with errno ENOENT (there is none) or EBADMSG (empty, larger than
 * MANIFEST_MAX, not JSON, a key twice, or not an object), or another
 * errno from reading it.  On failure err (errlen bytes, may be NULL) says
 * why, and for a syntax error where: "line 1, column 7: ...".  It does
 * not name the file; the caller does.
 */
json_t	*manifest_load(const char *dir, char *err, size_t errlen);

#endif
