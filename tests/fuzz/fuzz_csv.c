/*
 * fuzz_csv: libFuzzer harness for the CSV reader (csv.c) and the CSV side
 * of input.c.  Not built by `make`.  From the repo root:
 *
 *	clang -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 \
 *	    -fsanitize=fuzzer,address,undefined \
 *	    $(pkg-config --cflags jansson libbsd-overlay) \
 *	    tests/fuzz/fuzz_csv.c src/csv.c src/jsonl.c src/input.c src/io.c \
 *	    $(pkg-config --libs jansson libbsd-overlay) -o build/fuzz_csv
 *	mkdir -p build/fuzz-csv-corpus
 *	cp tests/data/csv-spectrum/csvs/[a-z]*.csv \
 *	    tests/data/csv-extra/[a-z]*.csv build/fuzz-csv-corpus/
 *	./build/fuzz_csv -max_len=4096 -artifact_prefix=build/ \
 *	    build/fuzz-csv-corpus
 *
 * The first two bytes of an input pick the record maximum and the read
 * size; the rest is the file.  Checked: the reader never breaks its own
 * contract (sizes, line numbers, sticky EOF), gives the same records
 * whatever the read size, and every good row input.c builds is a JSON
 * object that jansson accepts, with one key per column; every message is
 * valid UTF-8.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "rowpool/csv.h"
#include "rowpool/input.h"
#include "rowpool/io.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
mem_fd(const uint8_t *p, size_t len)
{
	int fd = memfd_create("fuzz-csv", MFD_CLOEXEC);

	CHECK(fd != -1);
	CHECK(write_full(fd, p, len) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static bool
same_record(enum csv_status st, const struct csv_record *a,
    const struct csv_record *b)
{
	size_t i;

	if (a->line != b->line || a->nfields != b->nfields)
		return false;
	if (st == CSV_UNTERMINATED && a->quote_line != b->quote_line)
		return false;
	for (i = 0; i < a->nfields; i++)
		if (a->fields[i].len != b->fields[i].len ||
		    memcmp(a->fields[i].ptr, b->fields[i].ptr,
		    a->fields[i].len) != 0)
			return false;
	return true;
}

static void
check_record(enum csv_status st, const struct csv_record *r, size_t max,
    unsigned long *line)
{
	size_t i, sum = 0;

	if (st == CSV_EOF)
		return;
	CHECK(r->line >= *line);
	*line = r->line;
	if (st == CSV_TOOBIG)
		CHECK(r->bytes > max);
	if (st == CSV_UNTERMINATED)
		CHECK(r->quote_line >= r->line);
	if (st != CSV_RECORD)
		return;
	CHECK(r->nfields >= 1 && r->bytes <= max);
	for (i = 0; i < r->nfields; i++) {
		CHECK(r->fields[i].ptr != NULL);
		sum += r->fields[i].len;
	}
	CHECK(sum <= r->bytes);
}

/* Two readers in lockstep: reads of readsz bytes and of 64 KiB. */
static void
fuzz_reader(const uint8_t *p, size_t len, size_t max, size_t readsz)
{
	int fa = mem_fd(p, len), fb = mem_fd(p, len);
	struct csv_reader *a = csv_new(fa, max, CSV_SKIP_BOM);
	struct csv_reader *b = csv_new(fb, max, CSV_SKIP_BOM);
	struct csv_record ra, rb;
	enum csv_status sa, sb;
	unsigned long line = 0;

	CHECK(a != NULL && b != NULL);
	csv_set_read_size(a, readsz);
	do {
		sa = csv_next(a, &ra);
		sb = csv_next(b, &rb);
		CHECK(sa == sb && sa != CSV_ERROR);
		CHECK(same_record(sa, &ra, &rb));
		check_record(sa, &ra, max, &line);
	} while (sa != CSV_EOF);
	CHECK(csv_next(a, &ra) == CSV_EOF);
	csv_free(a);
	csv_free(b);
	close(fa);
	close(fb);
}

static void
check_message(const char *msg)
{
	json_t *s = json_string(msg);	/* NULL unless valid UTF-8 */

	CHECK(s != NULL && strchr(msg, '\n') == NULL);
	json_decref(s);
}

static void
check_row(const struct input_row *row, size_t ncols)
{
	json_t *j;

	CHECK(row->json != NULL && strlen(row->json) == row->len);
	j = json_loadb(row->json, row->len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(j != NULL && json_is_object(j) && json_object_size(j) == ncols);
	json_decref(j);
}

static void
fuzz_input(const uint8_t *p, size_t len, size_t max)
{
	char path[64], err[INPUT_ERROR_MAX];
	struct input_row row;
	enum input_status st;
	struct input *in;
	uint64_t n = 0;
	size_t ncols;
	int fd = mem_fd(p, len);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((in = input_open(path, INPUT_CSV, max, &st, err,
	    sizeof(err))) == NULL) {
		CHECK(st == INPUT_FATAL);
		check_message(err);
		close(fd);
		return;
	}
	(void)input_columns(in, &ncols);
	while ((st = input_next(in, &row, true)) != INPUT_EOF) {
		CHECK(st == INPUT_ROW || st == INPUT_BAD);
		CHECK(row.index == n++);
		if (st == INPUT_ROW)
			check_row(&row, ncols);
		else
			check_message(row.error);
	}
	input_close(in);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, readsz;

	if (size < 2)
		return 0;
	max = data[0] < 0x80 ? (size_t)data[0] + 1 : 1024 * 1024;
	readsz = (size_t)(data[1] % 16) + 1;
	fuzz_reader(data + 2, size - 2, max, readsz);
	fuzz_input(data + 2, size - 2, max);
	return 0;
}
