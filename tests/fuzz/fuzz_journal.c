/*
 * fuzz_journal: libFuzzer harness for journal recovery (journal.c):
 * journal_open() at a committed length on arbitrary bytes, and
 * journal_scan().  Built by `make fuzz`; seeds in tests/fuzz/corpus/journal/.
 *
 * Input: byte 0 says how to read the rest (bit 0: raw file bytes, else a
 * recipe of records the harness writes with their CRCs, so that deep
 * journals come up), how to pick the committed length (bits 1-2: the file
 * size, a record boundary, any length, or past the end of the file) and
 * whether the visitor stops the walk (bit 3); bytes 1-2 are the parameter.
 * A recipe is a list of records: control byte (bit 0: JOURNAL_REPLACES,
 * bit 1: a wrong CRC, bit 2: a length that runs past the end, bit 3: a
 * 64-bit row), row byte, length byte, payload; bytes left over are a torn
 * tail.
 *
 * The journal is a memfd, opened by its /proc/self/fd name.  A reference
 * walk, written from journal.h's table with the portable CRC
 * (crc32c_sw), says what the committed prefix holds.  Checked:
 *  - every record visited is the reference's next one (row, offset,
 *    payload) and its CRC is right;
 *  - a damaged prefix fails with EBADMSG at the reference's offset, a
 *    file shorter than committed with ENODATA at its size, a visitor's
 *    stop with ECANCELED; a failure leaves the file as it was;
 *  - success truncates the file to exactly the committed length and
 *    appends there: records appended, synced and read back by a second
 *    journal_open() and by journal_scan() follow the old ones;
 *  - journal_scan() of the whole file stops where the reference does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rowpool/crc32c.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"
#include "ref_le.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define FILE_MAX	65536
#define RECS_MAX	(FILE_MAX / JOURNAL_HDR_SIZE + 8)

struct rec {
	uint64_t	 off;
	uint64_t	 row;
	uint32_t	 len;
};

/* The reference walk of [0, end) of a file. */
struct walk {
	struct rec	 r[RECS_MAX];
	size_t		 n;
	bool		 damaged;	/* it stopped before end */
	uint64_t	 stop;		/* where */
};

/* What the visitor sees, and when it stops the walk. */
struct visit {
	const uint8_t	*file;
	const struct walk *ref;
	size_t		 seen;
	size_t		 cancel_at;	/* SIZE_MAX: never */
};

static uint8_t	file[FILE_MAX + 1024];

static void
reference(const uint8_t *p, uint64_t end, struct walk *w)
{
	uint64_t off = 0;
	uint32_t n;

	w->n = 0;
	w->damaged = false;
	while (off < end) {
		if (end - off < JOURNAL_HDR_SIZE ||
		    (n = le32(p + off)) > JOURNAL_RECORD_MAX ||
		    end - off - JOURNAL_HDR_SIZE < n ||
		    crc32c_sw(0, p + off + 8, 8 + (size_t)n) !=
		    le32(p + off + 4)) {
			w->damaged = true;
			break;
		}
		w->r[w->n++] = (struct rec){ off, le64(p + off + 8), n };
		off += JOURNAL_HDR_SIZE + n;
	}
	w->stop = off;
}

/* Writes the records of a recipe into file; returns the file's size. */
static size_t
cook(const uint8_t *p, size_t len)
{
	size_t i = 0, out = 0, n;
	uint64_t row;
	uint8_t ctl;

	while (i + 3 <= len && out + JOURNAL_HDR_SIZE + 255 <= FILE_MAX) {
		ctl = p[i];
		row = p[i + 1];
		n = p[i + 2];
		i += 3;
		if (n > len - i)
			n = len - i;
		if (ctl & 8)
			row |= UINT64_C(0x123456789a) << 8;
		if (ctl & 1)
			row |= JOURNAL_REPLACES;
		put32(file + out, (uint32_t)n);
		put64(file + out + 8, row);
		memcpy(file + out + JOURNAL_HDR_SIZE, p + i, n);
		put32(file + out + 4, crc32c_sw(0, file + out + 8, 8 + n) ^
		    (ctl & 2 ? 1 : 0));
		if (ctl & 4)
			put32(file + out, (uint32_t)n + 1000);
		out += JOURNAL_HDR_SIZE + n;
		i += n;
	}
	n = len - i < FILE_MAX - out ? len - i : FILE_MAX - out;
	memcpy(file + out, p + i, n);
	return out + n;
}

static int
visit(uint64_t row, const char *payload, uint32_t len, uint64_t off,
    void *arg)
{
	struct visit *v = arg;
	const struct rec *e;
	const uint8_t *h;

	CHECK(v->seen < v->ref->n);
	e = &v->ref->r[v->seen];
	CHECK(off == e->off && row == e->row && len == e->len);
	h = v->file + off;
	CHECK(memcmp(payload, h + JOURNAL_HDR_SIZE, len) == 0);
	/* The CRC, computed here from what was handed over. */
	CHECK(le64(h + 8) == row);
	CHECK(crc32c_sw(crc32c_sw(0, h + 8, 8), payload, len) == le32(h + 4));
	return v->seen++ == v->cancel_at;
}

static int
mem_fd(const uint8_t *p, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz-journal", MFD_CLOEXEC);

	CHECK(fd != -1);
	CHECK(write_full(fd, p, len) == 0);
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* The file must still hold exactly p[0, len). */
static void
check_file(int fd, const uint8_t *p, size_t len)
{
	static uint8_t back[sizeof(file)];
	struct stat st;

	CHECK(fstat(fd, &st) == 0 && (uint64_t)st.st_size == len);
	CHECK(pread_full(fd, back, len, 0) == 0);
	CHECK(memcmp(back, p, len) == 0);
}

static uint64_t
committed_length(uint8_t how, unsigned param, size_t size,
    const struct walk *all)
{
	switch ((how >> 1) & 3) {
	case 0:
		return size;
	case 1:		/* a record boundary, or the end of the good part */
		return param < all->n ? all->r[param].off : all->stop;
	case 2:
		return param <= size ? param : size;
	default:
		return size + 1 + param % 64;
	}
}

/* Appends a few records, syncs, and reads the whole journal back. */
static void
append_and_reopen(struct journal *j, const char *path, uint64_t committed,
    unsigned param)
{
	static struct walk after;
	uint8_t payload[64];
	struct visit v = { .file = file, .ref = &after, .cancel_at = SIZE_MAX };
	uint64_t len = committed, valid;
	unsigned i, n = param % 3;

	memset(payload, 'x', sizeof(payload));
	for (i = 0; i < n; i++) {
		CHECK(journal_append(j, param + i, payload, i * 20) == 0);
		put32(file + len, i * 20);
		put64(file + len + 8, param + i);
		memcpy(file + len + JOURNAL_HDR_SIZE, payload, i * 20);
		put32(file + len + 4, crc32c_sw(0, file + len + 8, 8 + i * 20));
		len += JOURNAL_HDR_SIZE + i * 20;
	}
	CHECK(journal_length(j) == len);
	CHECK(journal_sync(j, NULL) == 0);
	journal_close(j);
	reference(file, len, &after);
	CHECK(!after.damaged);
	CHECK((j = journal_open(path, len, visit, &v, NULL)) != NULL);
	CHECK(v.seen == after.n && journal_length(j) == len);
	journal_close(j);
	CHECK(journal_scan(path, UINT64_MAX, NULL, NULL, &valid) == 0);
	CHECK(valid == len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct walk all, ref;
	struct visit v = { .file = file, .ref = &ref };
	char path[64];
	uint64_t committed, bad = UINT64_MAX, valid;
	struct journal *j;
	unsigned param;
	size_t len;
	uint8_t how;
	int fd, rc;

	if (size < 3)
		return 0;
	how = data[0];
	param = data[1] | (unsigned)data[2] << 8;
	if (how & 1) {
		len = size - 3 < FILE_MAX ? size - 3 : FILE_MAX;
		memcpy(file, data + 3, len);
	} else
		len = cook(data + 3, size - 3);
	reference(file, len, &all);
	committed = committed_length(how, param, len, &all);
	reference(file, committed <= len ? committed : len, &ref);
	v.cancel_at = how & 8 ? param % 4 : SIZE_MAX;
	fd = mem_fd(file, len, path, sizeof(path));

	rc = journal_scan(path, UINT64_MAX, NULL, NULL, &valid);
	CHECK(rc == (all.damaged ? 1 : 0) && valid == all.stop);

	j = journal_open(path, committed, visit, &v, &bad);
	if (committed > len) {
		CHECK(j == NULL && errno == ENODATA && bad == len);
		CHECK(v.seen == 0);
	} else if (v.cancel_at < ref.n) {
		CHECK(j == NULL && errno == ECANCELED);
		CHECK(v.seen == v.cancel_at + 1);
	} else if (ref.damaged) {
		CHECK(j == NULL && errno == EBADMSG && bad == ref.stop);
		CHECK(v.seen == ref.n);
	} else {
		CHECK(j != NULL && v.seen == ref.n);
		CHECK(journal_length(j) == committed);
		check_file(fd, file, committed);
		append_and_reopen(j, path, committed, param);
		close(fd);
		return 0;
	}
	check_file(fd, file, len);
	close(fd);
	return 0;
}
