/* scratch: per-test temporary directories and small file helpers. */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rowpool/io.h"
#include "scratch.h"

#define SCRATCH_NAMES	32

char	scratch_dir[PATH_MAX];

void
scratch_setup(void)
{
	strlcpy(scratch_dir, "/tmp/rowpool-test-XXXXXX", sizeof(scratch_dir));
	cr_assert_not_null(mkdtemp(scratch_dir), "mkdtemp: %s",
	    strerror(errno));
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	/* A test may have left a directory without write permission. */
	if (flag == FTW_DP)
		chmod(path, 0700);
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

int
scratch_rmtree(const char *path)
{
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		return errno == ENOENT ? 0 : -1;
	return 0;
}

void
scratch_teardown(void)
{
	if (scratch_dir[0] != '\0')
		scratch_rmtree(scratch_dir);
}

const char *
scratch_path(const char *name)
{
	static char paths[SCRATCH_NAMES][PATH_MAX];
	char want[PATH_MAX];
	int i;

	cr_assert_eq(path_join(want, sizeof(want), scratch_dir, name), 0);
	for (i = 0; i < SCRATCH_NAMES && paths[i][0] != '\0'; i++)
		if (strcmp(paths[i], want) == 0)
			return paths[i];
	cr_assert_lt(i, SCRATCH_NAMES, "too many scratch names");
	strlcpy(paths[i], want, sizeof(paths[i]));
	return paths[i];
}

void
scratch_write(const char *path, const void *p, size_t n)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_neq(fd, -1, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write_full(fd, p, n), 0);
	cr_assert_eq(close(fd), 0);
}

char *
scratch_read(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_neq(fd, -1, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read_full(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

void
scratch_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < len, "path too long: %s", buf);
}

off_t
scratch_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == -1 ? -1 : st.st_size;
}
