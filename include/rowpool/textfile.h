/*
 * textfile: a small file the command line names (a prompt, a schema, an
 * API key), read whole into memory.
 *
 * Mechanism tier: returns NULL with errno set; never prints or exits.
 */
#ifndef ROWPOOL_TEXTFILE_H
#define ROWPOOL_TEXTFILE_H

#include <sys/stat.h>

/* The largest file textfile_read() takes. */
#define TEXTFILE_MAX	(1 << 20)

/*
 * Reads the file at path.  Returns its bytes followed by a NUL (malloc'd:
 * the caller frees) and fills *st from the open file, so that a caller
 * checking the owner or the mode checks the file it read.  Blocks.
 * Returns NULL with errno: open(2)'s, fstat(2)'s, read(2)'s, EFBIG when
 * it is larger than TEXTFILE_MAX, EILSEQ when it holds a NUL byte,
 * ENOMEM.
 */
char		*textfile_read(const char *path, struct stat *st);

/*
 * What errnum means after textfile_read(), for a message: "larger than
 * 1 MiB", "holds a NUL byte", "out of memory", otherwise strerror(3).
 */
const char	*textfile_strerror(int errnum);

#endif
