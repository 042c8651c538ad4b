/*
 * fuzz_jsonl: libFuzzer harness for the JSONL reader (jsonl.c) and the
 * JSONL side of input.c.  `make fuzz` builds it as build/fuzz/fuzz_jsonl;
 * from the repo root:
 *
 *	mkdir -p build/fuzz-jsonl-corpus
 *	build/fuzz/fuzz_jsonl -max_len=8192 -artifact_prefix=build/ \
 *	    build/fuzz-jsonl-corpus tests/fuzz/corpus/jsonl
 *
 * (new inputs go to the first directory; the seeds stay as they are).
 * The first two bytes of an input pick the line maximum and the read
 * size; the rest is the file.  Checked: the reader keeps its contract
 * (line numbers increase, sizes, trimming, the same lines whatever the
 * read size, sticky EOF); every row input.c accepts holds no NUL and
 * loads with jansson as the worker loads it, as an object, and again
 * inside the echo result as the supervisor loads that, so the reader
 * refuses whatever a worker would fail on; want=false gives the same
 * outcomes; every message is one line of valid UTF-8 naming FILE:LINE.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/jsonl.h"
#include "rowpool/processor.h"
#include "rowpool/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
mem_fd(const uint8_t *p, size_t len)
{
	int fd = memfd_create("fuzz-jsonl", MFD_CLOEXEC);

	CHECK(fd != -1);
	CHECK(write_full(fd, p, len) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void
check_line(enum jsonl_status st, const struct jsonl_line *l, size_t max,
    unsigned long *line)
{
	if (st == JSONL_EOF)
		return;
	CHECK(l->line > *line);
	*line = l->line;
	if (st == JSONL_TOOBIG) {
		CHECK(l->bytes > max);
		return;
	}
	CHECK(st == JSONL_LINE);
	CHECK(l->len >= 1 && l->len <= l->bytes && l->bytes <= max);
	CHECK(l->ptr[l->len] == '\0' && memchr(l->ptr, '\n', l->len) == NULL);
	CHECK(!is_blank(l->ptr[0]) && !is_blank(l->ptr[l->len - 1]));
}

static bool
same_line(enum jsonl_status st, const struct jsonl_line *a,
    const struct jsonl_line *b)
{
	if (a->line != b->line || a->bytes != b->bytes)
		return false;
	return st != JSONL_LINE || (a->len == b->len &&
	    memcmp(a->ptr, b->ptr, a->len) == 0);
}

/* Two readers in lockstep: reads of readsz bytes and of 64 KiB. */
static void
fuzz_reader(const uint8_t *p, size_t len, size_t max, size_t readsz)
{
	int fa = mem_fd(p, len), fb = mem_fd(p, len);
	struct jsonl_reader *a = jsonl_new(fa, max), *b = jsonl_new(fb, max);
	struct jsonl_line la, lb;
	enum jsonl_status sa, sb;
	unsigned long line = 0;

	CHECK(a != NULL && b != NULL);
	jsonl_set_read_size(a, readsz);
	do {
		sa = jsonl_next(a, &la);
		sb = jsonl_next(b, &lb);
		CHECK(sa == sb && sa != JSONL_ERROR);
		CHECK(sa == JSONL_EOF || same_line(sa, &la, &lb));
		check_line(sa, &la, max, &line);
	} while (sa != JSONL_EOF);
	CHECK(jsonl_next(a, &la) == JSONL_EOF);
	jsonl_free(a);
	jsonl_free(b);
	close(fa);
	close(fb);
}

static void
check_message(const char *msg, const char *path, unsigned long line)
{
	json_t *s = json_string(msg);	/* NULL unless valid UTF-8 */
	char head[128];
	int n;

	CHECK(s != NULL && strchr(msg, '\n') == NULL);
	json_decref(s);
	n = snprintf(head, sizeof(head), "%s:%lu: ", path, line);
	CHECK(n > 0 && (size_t)n < sizeof(head));
	CHECK(strncmp(msg, head, (size_t)n) == 0);
}

/* worker.c answer(), proc_echo, then pool.c on_result(). */
static void
check_row(const struct input_row *row)
{
	struct proc_result res;
	json_t *v;
	char *out;
	size_t len = 0;

	CHECK(row->json != NULL && row->json[row->len] == '\0');
	CHECK(memchr(row->json, '\0', row->len) == NULL);
	v = json_loadb(row->json, row->len, 0, NULL);
	CHECK(v != NULL && json_is_object(v));
	proc_result_init(&res);
	proc_result_ok(&res, v);
	out = proto_result_encode(&res, &len);
	proc_result_release(&res);
	CHECK(out != NULL);
	v = json_loadb(out, len, 0, NULL);
	CHECK(v != NULL && json_is_object(v));
	json_decref(v);
	free(out);
}

static struct input *
open_jsonl(const char *path, size_t max)
{
	char err[INPUT_ERROR_MAX];
	enum input_status st;
	struct input *in;

	in = input_open(path, INPUT_JSONL, max, &st, err, sizeof(err));
	CHECK(in != NULL && st == INPUT_ROW);
	return in;
}

/* input.c twice, want true and want false, in lockstep. */
static void
fuzz_input(const uint8_t *p, size_t len, size_t max)
{
	char path[64];
	struct input_row ra, rb;
	enum input_status sa, sb;
	struct input *a, *b;
	unsigned long line = 0;
	uint64_t n = 0;
	int fd = mem_fd(p, len);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	a = open_jsonl(path, max);
	b = open_jsonl(path, max);
	while ((sa = input_next(a, &ra, true)) != INPUT_EOF) {
		sb = input_next(b, &rb, false);
		CHECK(sa == sb && (sa == INPUT_ROW || sa == INPUT_BAD));
		CHECK(ra.index == n++ && rb.index == ra.index);
		CHECK(ra.line > line && rb.line == ra.line);
		line = ra.line;
		if (sa == INPUT_ROW) {
			check_row(&ra);
			continue;
		}
		CHECK(ra.json == NULL && strcmp(ra.error, rb.error) == 0);
		check_message(ra.error, path, ra.line);
	}
	CHECK(input_next(b, &rb, false) == INPUT_EOF);
	input_close(a);
	input_close(b);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, readsz;

	if (size < 2)
		return 0;
	max = data[0] < 0x40 ? (size_t)data[0] + 1 : 1024 * 1024;
	readsz = (size_t)(data[1] % 16) + 1;
	fuzz_reader(data + 2, size - 2, max, readsz);
	fuzz_input(data + 2, size - 2, max);
	return 0;
}
