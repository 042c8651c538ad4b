/*
 * manifest: the committed state of a run, a small JSON object in
 * DIR/manifest, always replaced whole through durable.h.  It never holds
 * anything per row, so it stays small (MANIFEST_MAX is a sanity bound, not
 * a limit anyone should meet) and a commit costs the same at any row.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/durable.h"
#include "rowpool/io.h"
#include "rowpool/manifest.h"
#include "rowpool/msgbuf.h"

static char *
manifest_encode(const json_t *m, size_t *len)
{
	char *text, *nl;
	size_t n;

	if (!json_is_object(m)) {
		errno = EINVAL;
		return NULL;
	}
	if ((text = json_dumps(m, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n = strlen(text);
	if (n >= MANIFEST_MAX) {
		free(text);
		errno = EMSGSIZE;
		return NULL;
	}
	if ((nl = realloc(text, n + 2)) == NULL) {
		free(text);
		return NULL;
	}
	nl[n] = '\n';
	nl[n + 1] = '\0';
	*len = n + 1;
	return nl;
}

int
manifest_commit(const char *dir, const json_t *m, const char **step)
{
	char path[PATH_MAX], *text;
	const char *dummy;
	size_t len;
	int rc, saved;

	if (step == NULL)
		step = &dummy;
	if (path_join(path, sizeof(path), dir, MANIFEST_NAME) == -1) {
		*step = "open";
		return -1;
	}
	if ((text = manifest_encode(m, &len)) == NULL) {
		*step = "encode";
		return -1;
	}
	rc = durable_replace(path, 0600, text, len, step);
	saved = errno;
	free(text);
	errno = saved;
	return rc;
}

/* Reads the whole file, refusing one larger than MANIFEST_MAX. */
static char *
manifest_read(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	ssize_t got;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size > MANIFEST_MAX) {
		errno = EBADMSG;
		goto fail;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	if ((got = read_full(fd, text, (size_t)st.st_size)) == -1)
		goto fail;
	close(fd);
	*len = (size_t)got;
	return text;
fail:
	saved = errno;
	if (saved == EBADMSG)
		msgbuf_format(err, errlen, "larger than %d bytes",
		    MANIFEST_MAX);
	else
		msgbuf_format(err, errlen, "%s", strerror(saved));
	free(text);
	if (fd != -1)
		close(fd);
	errno = saved;
	return NULL;
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "an object";
	}
}

static json_t *
manifest_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *m;

	if (len == 0) {
		msgbuf_format(err, errlen, "empty file");
		goto bad;
	}
	m = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (m == NULL) {
		msgbuf_format(err, errlen, "line %d, column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		goto bad;
	}
	if (!json_is_object(m)) {
		msgbuf_format(err, errlen, "%s, not a JSON object",
		    json_type_name(m));
		json_decref(m);
		goto bad;
	}
	return m;
bad:
	errno = EBADMSG;
	return NULL;
}

json_t *
manifest_load(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *text;
	size_t len;
	json_t *m;
	int saved;

	msgbuf_format(err, errlen, "%s", "");
	if (path_join(path, sizeof(path), dir, MANIFEST_NAME) == -1) {
		msgbuf_format(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if ((text = manifest_read(path, &len, err, errlen)) == NULL)
		return NULL;
	m = manifest_parse(text, len, err, errlen);
	saved = errno;
	free(text);
	errno = saved;
	return m;
}
