/*
 * batchstate: STATE/batches, read and written whole.  Invariant: the
 * file on disk is always a whole version (durable_replace), so a reader
 * (rowpool status) never sees half of one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/batchstate.h"
#include "rowpool/durable.h"

static int
state_path(char *buf, size_t len, const char *dir)
{
	int n = snprintf(buf, len, "%s/%s", dir, BATCHSTATE_FILE);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
batchstate_load(const char *dir, json_t **root)
{
	char path[PATH_MAX];
	json_error_t jerr;
	FILE *fp;

	*root = NULL;
	if (state_path(path, sizeof(path), dir) == -1)
		return -1;
	if ((fp = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	*root = json_loadf(fp, 0, &jerr);
	fclose(fp);
	if (!json_is_object(*root) || json_integer_value(json_object_get(*root,
	    "version")) != BATCHSTATE_VERSION ||
	    !json_is_array(json_object_get(*root, "chunks"))) {
		json_decref(*root);
		*root = NULL;
		errno = EBADMSG;
		return -1;
	}
	return 1;
}

int
batchstate_save(const char *dir, const json_t *root, const char **step)
{
	char path[PATH_MAX], *text;
	int rc;

	if (state_path(path, sizeof(path), dir) == -1) {
		if (step != NULL)
			*step = "open";
		return -1;
	}
	if ((text = json_dumps(root, JSON_COMPACT)) == NULL) {
		if (step != NULL)
			*step = "write";
		errno = ENOMEM;
		return -1;
	}
	rc = durable_replace(path, 0644, text, strlen(text), step);
	free(text);
	return rc;
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long
num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

int
batchstate_live(const json_t *chunk)
{
	const char *step = str(chunk, "step");

	return step != NULL && strcmp(step, "collected") != 0;
}

static void
print_chunk(FILE *fp, const json_t *c)
{
	const char *state = str(c, "state");

	fprintf(fp, "batch %lld:%*s%s %s, %lld rows", num(c, "id"),
	    num(c, "id") < 10 ? 4 : num(c, "id") < 100 ? 3 : 1, "",
	    str(c, "name") ? str(c, "name") : "(not submitted)",
	    state ? state : str(c, "step"), num(c, "rows"));
	if (str(c, "submitted") != NULL)
		fprintf(fp, ", submitted %s", str(c, "submitted"));
	if (num(c, "answered") + num(c, "errors") > 0)
		fprintf(fp, " (%lld answered, %lld errors)",
		    num(c, "answered"), num(c, "errors"));
	fputc('\n', fp);
}

void
batchstate_print(FILE *fp, const json_t *batches)
{
	const json_t *c;
	long long n = 0, rows = 0, ok = 0, failed = 0;
	size_t i;

	json_array_foreach(batches, i, c) {
		if (batchstate_live(c)) {
			print_chunk(fp, c);
			continue;
		}
		n++;
		rows += num(c, "rows");
		ok += num(c, "ok");
		failed += num(c, "failed");
	}
	if (n > 0)
		fprintf(fp, "batches:    %lld collected, %lld rows: %lld ok, "
		    "%lld not (retried or failed)\n", n, rows, ok, failed);
}

json_t *
batchstate_json(const json_t *root)
{
	json_t *a = json_array(), *c;
	size_t i;

	json_array_foreach(json_object_get(root, "chunks"), i, c)
		json_array_append_new(a, json_pack(
		    "{s:I, s:s?, s:s?, s:s?, s:I, s:s?, s:I, s:I, s:I, s:I}",
		    "id", (json_int_t)num(c, "id"), "step", str(c, "step"),
		    "name", str(c, "name"), "state", str(c, "state"),
		    "rows", (json_int_t)num(c, "nrows"),
		    "submitted", str(c, "submitted"),
		    "answered", (json_int_t)num(c, "succeeded"),
		    "errors", (json_int_t)num(c, "errors"),
		    "ok", (json_int_t)num(c, "ok"),
		    "failed", (json_int_t)num(c, "failed")));
	return a;
}
