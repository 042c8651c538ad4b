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

/*
 * Atomically replaces DIR/manifest with m (compact JSON plus a newline).
 * Returns 0, or -1 with errno and *step set as in durable.h.
 */
int	manifest_commit(const char *dir, const json_t *m, const char **step);

/*
 * Loads DIR/manifest.  Returns a new reference to its object, or NULL
 * with errno ENOENT (there is none) or EBADMSG (not a JSON object; err
 * says why and where), or another errno from reading it.
 */
json_t	*manifest_load(const char *dir, char *err, size_t errlen);

#endif
