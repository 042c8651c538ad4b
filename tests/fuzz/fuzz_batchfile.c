/*
 * fuzz_batchfile: libFuzzer harness for the reader of a batch's
 * responses file (batchfile_response_line) and of the rows of a chunk
 * (rowset_from_json).  `make fuzz` builds it (build/fuzz/fuzz_batchfile);
 * run it with build/fuzz/fuzz_batchfile -max_total_time=60.
 *
 * Checked: every line is blank, bad (with a message, no body) or a row's
 * response or error whose body is a JSON object (for an error,
 * {"error":...}) and whose status is 200 for a response and 400-599 for
 * an error; a key read back prints as the decimal the line held; a rowset
 * read from JSON is sorted, disjoint and counts its rows.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rowpool/batchfile.h"
#include "rowpool/rowset.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static void
check_line(const char *p, size_t n)
{
	enum batchfile_line k;
	char *body, err[128], key[32];
	json_t *o;
	uint64_t row;
	long status;

	k = batchfile_response_line(p, n, &row, &status, &body, err,
	    sizeof(err));
	if (k == BATCHFILE_BLANK || k == BATCHFILE_BAD) {
		CHECK(body == NULL);
		CHECK(k == BATCHFILE_BLANK || err[0] != '\0');
		return;
	}
	CHECK(body != NULL);
	CHECK((o = json_loads(body, 0, NULL)) != NULL && json_is_object(o));
	if (k == BATCHFILE_RESPONSE)
		CHECK(status == 200);
	else
		CHECK(status >= 400 && status <= 599 &&
		    json_object_get(o, "error") != NULL);
	snprintf(key, sizeof(key), "\"%" PRIu64 "\"", row);
	CHECK(memmem(p, n, key, strlen(key)) != NULL);
	json_decref(o);
	free(body);
}

static void
check_rowset(const char *p, size_t n)
{
	json_t *j = json_loadb(p, n, JSON_DECODE_ANY, NULL);
	struct rowset s;
	uint64_t count = 0;
	size_t i;

	if (j == NULL)
		return;
	if (rowset_from_json(&s, j) == 0) {
		for (i = 0; i < s.n; i++) {
			CHECK(s.r[i].first <= s.r[i].last);
			CHECK(i == 0 || s.r[i - 1].last + 1 < s.r[i].first);
			count += s.r[i].last - s.r[i].first + 1;
		}
		CHECK(count == s.count);
		rowset_release(&s);
	} else
		CHECK(s.n == 0 && s.count == 0);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	/* A copy of exactly the input, so ASan sees any read past it. */
	CHECK((copy = malloc(size > 0 ? size : 1)) != NULL);
	memcpy(copy, data, size);
	check_line(copy, size);
	check_rowset(copy, size);
	free(copy);
	return 0;
}
