/*
 * journal: the append-only file of final results, a sequence of
 * length + CRC32C framed records.  Invariants: only the committed prefix
 * counts, so opening cuts everything past it; bytes reach the file only
 * at the end of what is already there (a failed write poisons the journal
 * rather than leave a gap of unknown bytes behind the next record); and
 * reading never holds more than one record plus a fixed buffer in memory.
 */
#include <sys/endian.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/buf.h"
#include "rowpool/crc32c.h"
#include "rowpool/io.h"
#include "rowpool/journal.h"

#define JOURNAL_BUFSZ	(256 * 1024)	/* appends buffered before a write */
#define READER_BUFSZ	(64 * 1024)	/* grows only for larger records */

static_assert(JOURNAL_RECORD_MAX <= UINT32_MAX - JOURNAL_HDR_SIZE,
    "a record's size must fit in its 32-bit length field and a size_t");

struct journal {
	int		 fd;
	uint64_t	 flen;		/* bytes written to the file */
	uint64_t	 synced;	/* bytes known durable */
	struct buf	 out;		/* appended records not yet written */
	int		 poisoned;
};

/* A sequential reader of the bytes [0, end) of fd. */
struct reader {
	int		 fd;
	struct buf	 b;		/* bytes read and not yet passed */
	size_t		 head;		/* b.p[head] is the byte at off */
	uint64_t	 off;
	uint64_t	 end;
};

struct record {
	uint64_t	 row;
	const char	*payload;
	uint32_t	 len;
};

/*
 * Reading.
 */

static int
reader_init(struct reader *r, int fd, uint64_t end)
{
	*r = (struct reader){ .fd = fd, .b = BUF_INIT, .end = end };
	return buf_reserve(&r->b, READER_BUFSZ);
}

/* Moves the unread bytes to the front, growing the buffer to hold n. */
static int
reader_make_room(struct reader *r, size_t n)
{
	buf_drop(&r->b, r->head);
	r->head = 0;
	return buf_reserve(&r->b, n - r->b.len);
}

/*
 * Makes n bytes available at b.p[head]; the caller has checked that they
 * lie below end.  Returns 0, 1 when the file ends early (it shrank), -1.
 */
static int
reader_need(struct reader *r, size_t n)
{
	size_t held = r->b.len - r->head, want;
	uint64_t left;
	ssize_t got;

	if (held >= n)
		return 0;
	if (held + buf_room(&r->b) < n && reader_make_room(r, n) == -1)
		return -1;
	left = r->end - r->off - held;
	want = buf_room(&r->b);
	if (want > left)
		want = (size_t)left;
	if ((got = read_full(r->fd, r->b.p + r->b.len, want)) == -1)
		return -1;
	buf_setlen(&r->b, r->b.len + (size_t)got);
	return r->b.len - r->head >= n ? 0 : 1;
}

/*
 * Reads the record at r->off into rec.  Returns 0, 1 when it is damaged or
 * does not end by r->end, or -1.
 */
static int
reader_record(struct reader *r, struct record *rec)
{
	const unsigned char *p;
	uint32_t n;
	int rc;

	if (r->end - r->off < JOURNAL_HDR_SIZE)
		return 1;
	if ((rc = reader_need(r, JOURNAL_HDR_SIZE)) != 0)
		return rc;
	n = le32dec(r->b.p + r->head);
	if (n > JOURNAL_RECORD_MAX ||
	    r->end - r->off - JOURNAL_HDR_SIZE < n)
		return 1;
	if ((rc = reader_need(r, JOURNAL_HDR_SIZE + n)) != 0)
		return rc;
	p = (const unsigned char *)r->b.p + r->head;
	if (crc32c(0, p + 8, 8 + (size_t)n) != le32dec(p + 4))
		return 1;
	rec->row = le64dec(p + 8);
	rec->payload = (const char *)p + JOURNAL_HDR_SIZE;
	rec->len = n;
	return 0;
}

/*
 * Visits every record below r->end.  Returns 0 when the records end
 * exactly at r->end, 1 at a short or damaged record, or -1; *valid is the
 * offset where it stopped.
 */
static int
reader_walk(struct reader *r, journal_visit_fn visit, void *arg,
    uint64_t *valid)
{
	struct record rec;
	int rc;

	for (;;) {
		*valid = r->off;
		if (r->off == r->end)
			return 0;
		if ((rc = reader_record(r, &rec)) != 0)
			return rc;
		if (visit != NULL &&
		    visit(rec.row, rec.payload, rec.len, r->off, arg) != 0) {
			errno = ECANCELED;
			return -1;
		}
		r->head += JOURNAL_HDR_SIZE + (size_t)rec.len;
		r->off += JOURNAL_HDR_SIZE + (uint64_t)rec.len;
	}
}

static int
walk_fd(int fd, uint64_t end, journal_visit_fn visit, void *arg,
    uint64_t *valid)
{
	struct reader r;
	int rc, saved;

	if (reader_init(&r, fd, end) == -1)
		return -1;
	rc = reader_walk(&r, visit, arg, valid);
	saved = errno;
	buf_release(&r.b);
	errno = saved;
	return rc;
}

static int
file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Checks and visits every record of [0, committed). */
static int
journal_check(int fd, uint64_t committed, journal_visit_fn visit,
    void *arg, uint64_t *bad_off)
{
	uint64_t size, valid;
	int rc;

	if (file_size(fd, &size) == -1)
		return -1;
	if (size < committed) {
		*bad_off = size;
		errno = ENODATA;
		return -1;
	}
	if ((rc = walk_fd(fd, committed, visit, arg, &valid)) == 1) {
		*bad_off = valid;
		errno = EBADMSG;
		return -1;
	}
	return rc;
}

int
journal_scan(const char *path, uint64_t limit, journal_visit_fn visit,
    void *arg, uint64_t *valid_len)
{
	uint64_t size, valid = 0;
	int fd, rc = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (file_size(fd, &size) == 0)
		rc = walk_fd(fd, size < limit ? size : limit, visit, arg,
		    &valid);
	saved = errno;
	close(fd);
	errno = saved;
	if (valid_len != NULL)
		*valid_len = valid;
	return rc;
}

/*
 * Writing.
 */

struct journal *
journal_open(const char *path, uint64_t committed, journal_visit_fn visit,
    void *arg, uint64_t *bad_off)
{
	struct journal *j;
	uint64_t dummy;

	if (bad_off == NULL)
		bad_off = &dummy;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd == -1)
		goto fail;
	if (buf_reserve(&j->out, JOURNAL_BUFSZ) == -1)
		goto fail;
	if (journal_check(j->fd, committed, visit, arg, bad_off) == -1)
		goto fail;
	if (io_ftruncate(j->fd, (off_t)committed) == -1 ||
	    lseek(j->fd, (off_t)committed, SEEK_SET) == -1)
		goto fail;
	j->flen = j->synced = committed;
	return j;
fail:
	journal_close(j);
	return NULL;
}

static int
journal_poison(struct journal *j)
{
	j->poisoned = 1;
	return -1;
}

static int
journal_flush(struct journal *j)
{
	if (j->out.len == 0)
		return 0;
	if (io_write(j->fd, j->out.p, j->out.len) == -1)
		return journal_poison(j);
	j->flen += j->out.len;
	buf_reset(&j->out);
	return 0;
}

static void
record_header(unsigned char *hdr, uint64_t row, const void *payload,
    uint32_t len)
{
	le32enc(hdr, len);
	le64enc(hdr + 8, row);
	le32enc(hdr + 4, crc32c(crc32c(0, hdr + 8, 8), payload, len));
}

/* A record larger than the buffer goes straight to the file. */
static int
journal_write_direct(struct journal *j, unsigned char *hdr,
    const void *payload, uint32_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = JOURNAL_HDR_SIZE },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = len },
	};

	if (io_writev(j->fd, iov, 2) == -1)
		return journal_poison(j);
	j->flen += JOURNAL_HDR_SIZE + (uint64_t)len;
	return 0;
}

int
journal_append(struct journal *j, uint64_t row, const void *payload,
    uint32_t len)
{
	unsigned char hdr[JOURNAL_HDR_SIZE];
	size_t size = JOURNAL_HDR_SIZE + (size_t)len;

	if (j->poisoned) {
		errno = EIO;
		return -1;
	}
	if (len > JOURNAL_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	record_header(hdr, row, payload, len);
	if (size > buf_room(&j->out) && journal_flush(j) == -1)
		return -1;
	if (size > buf_room(&j->out))
		return journal_write_direct(j, hdr, payload, len);
	/* There is room: neither add allocates, neither can fail. */
	buf_add(&j->out, hdr, JOURNAL_HDR_SIZE);
	buf_add(&j->out, payload, len);
	return 0;
}

int
journal_sync(struct journal *j, const char **step)
{
	const char *dummy;

	if (step == NULL)
		step = &dummy;
	if (j->poisoned) {
		*step = "poisoned";
		errno = EIO;
		return -1;
	}
	*step = "write";
	if (journal_flush(j) == -1)
		return -1;
	*step = "fsync";
	if (j->flen == j->synced)
		return 0;
	/* Never retried: the failed pages may be clean now, and lost. */
	if (io_fdatasync(j->fd) == -1)
		return journal_poison(j);
	j->synced = j->flen;
	return 0;
}

uint64_t
journal_length(const struct journal *j)
{
	return j->flen + j->out.len;
}

void
journal_close(struct journal *j)
{
	int saved = errno;

	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	buf_release(&j->out);
	free(j);
	errno = saved;
}
