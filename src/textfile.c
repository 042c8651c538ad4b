/*
 * textfile: reads a small file whole.  What it returns holds no NUL byte
 * before its end, so that it can be used as a C string.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "rowpool/textfile.h"

/* Reads the size bytes fd holds into a new string; NULL with errno. */
static char *
read_all(int fd, size_t size)
{
	char *buf;
	ssize_t n;
	int saved;

	if ((buf = malloc(size + 1)) == NULL)
		return NULL;
	if ((n = read_full(fd, buf, size)) == -1) {
		saved = errno;
		free(buf);
		errno = saved;
		return NULL;
	}
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n) {
		free(buf);
		errno = EILSEQ;
		return NULL;
	}
	return buf;
}

char *
textfile_read(const char *path, struct stat *st)
{
	char *buf = NULL;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, st) == -1)
		goto out;
	if (st->st_size > TEXTFILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	buf = read_all(fd, (size_t)st->st_size);
out:
	saved = errno;
	close(fd);
	errno = saved;
	return buf;
}

const char *
textfile_strerror(int errnum)
{
	switch (errnum) {
	case EFBIG:
		return "larger than 1 MiB";
	case EILSEQ:
		return "holds a NUL byte";
	case ENOMEM:
		return "out of memory";
	default:
		return strerror(errnum);
	}
}
