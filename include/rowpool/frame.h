/*
 * frame: the wire format between the supervisor and its workers, after
 * OpenBSD's imsg.  A frame is a fixed 16-byte header followed by a payload
 * (a JSON text for every frame type rowpool uses):
 *
 *	offset	size	field
 *	0	2	magic 0x5250 ("RP"), little-endian
 *	2	2	type (enum frame_type)
 *	4	4	payload length in bytes
 *	8	8	id: the row index the frame is about (0 when none)
 *
 * All integers are little-endian (libbsd's le16enc() and friends, as
 * everywhere in rowpool).  A reader checks the magic, the type
 * and the length against its maximum before it allocates anything, so a
 * lying peer can cost at most one frame's worth of memory.
 *
 * Mechanism tier: -1 with errno, never prints or exits.
 */
#ifndef ROWPOOL_FRAME_H
#define ROWPOOL_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowpool/buf.h"

#define FRAME_HDR_SIZE		16
#define FRAME_MAGIC		0x5250u
#define FRAME_MAX_DEFAULT	(64u * 1024 * 1024)

enum frame_type {
	FRAME_READY = 1,	/* worker -> supervisor: started, send work */
	FRAME_TASK = 2,		/* supervisor -> worker: process row id */
	FRAME_RESULT = 3,	/* worker -> supervisor: outcome for row id */
	FRAME_FATAL = 4,	/* worker -> supervisor: cannot start, why */
	FRAME_LOG = 5,		/* worker -> supervisor: a line for the log
				   (proto.h); id: the row it is about */
	FRAME_TYPE_MAX = 5
};

struct frame {
	enum frame_type	 type;
	uint64_t	 id;
	uint32_t	 len;
	const char	*payload;	/* len bytes, NUL-terminated; owned by the reader */
};

/* Encodes a header into out. */
void	frame_hdr_encode(unsigned char out[FRAME_HDR_SIZE], enum frame_type type,
	    uint64_t id, uint32_t len);

/*
 * Writes one whole frame to fd (blocking, EINTR handled).  Returns 0, or -1
 * with errno (EPIPE when the peer is gone, EMSGSIZE when len > UINT32_MAX).
 */
int	frame_send(int fd, enum frame_type type, uint64_t id,
	    const void *payload, size_t len);

/*
 * Incremental reader: collects bytes from a (non-blocking) fd or from a
 * buffer and hands out whole frames.
 *
 * Calling sequence:
 *  1. frame_reader_init(&r, max_payload);
 *  2. feed bytes with frame_reader_fill(&r, fd) or frame_reader_feed(&r, p, n);
 *  3. call frame_reader_next(&r, &f) until it returns 0; each frame it hands
 *     out stays valid until the next call to any frame_reader function;
 *  4. frame_reader_release(&r).
 */
struct frame_reader {
	struct buf	 b;	/* bytes held */
	size_t		 off;	/* start of the unconsumed bytes */
	size_t		 max;	/* largest payload accepted */
	size_t		 saved_at;	/* where the handed-out frame's NUL is */
	unsigned char	 saved;		/* the byte that NUL replaced */
	int		 has_saved;
};

void	frame_reader_init(struct frame_reader *r, size_t max_payload);
void	frame_reader_release(struct frame_reader *r);

/* Appends n bytes.  Returns 0, or -1 with ENOMEM. */
int	frame_reader_feed(struct frame_reader *r, const void *p, size_t n);

/*
 * Reads what fd has, at most once.  Returns the number of bytes read, 0 at
 * end of file, or -1 (EAGAIN when a non-blocking fd is empty).
 */
ssize_t	frame_reader_fill(struct frame_reader *r, int fd);

/*
 * Takes the next whole frame.  Returns 1 and fills *f, 0 when more bytes
 * are needed, or -1 with errno EPROTO (bad magic or type) or EMSGSIZE
 * (length above the maximum).  After -1 the stream is unusable.
 */
int	frame_reader_next(struct frame_reader *r, struct frame *f);

/* Bytes held that do not yet form a whole frame (a truncated frame at EOF). */
size_t	frame_reader_pending(const struct frame_reader *r);

/*
 * Blocking convenience for workers: reads from fd until a whole frame is
 * there.  Returns 1 with *f, 0 at a clean end of file, or -1 with errno
 * (EPROTO, EMSGSIZE, or EIO for end of file inside a frame).
 */
int	frame_recv(struct frame_reader *r, int fd, struct frame *f);

#endif
