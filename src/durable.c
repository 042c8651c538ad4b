/*
 * durable: replace a file atomically and durably (git's lockfile, Redis'
 * rdbSave).  Invariant: PATH is always either the complete old version or
 * the complete new one; the temp file exists only while a writer is at
 * work, and a failed writer removes it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rowpool/buf.h"
#include "rowpool/durable.h"
#include "rowpool/io.h"

#define DURABLE_BUFSZ	(64 * 1024)

static void
set_step(const char **step, const char *what)
{
	if (step != NULL)
		*step = what;
}

static int
durable_names(struct durable *d, const char *path)
{
	int n;

	if (strlcpy(d->path, path, sizeof(d->path)) >= sizeof(d->path))
		goto toolong;
	n = snprintf(d->tmp, sizeof(d->tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(d->tmp))
		goto toolong;
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

/*
 * A temp name no one else uses: PATH.rowpool-XXXXXX, created O_EXCL by
 * mkostemp and given mode as open(2) would (mkostemp makes it 0600).
 */
int
durable_open_unique(struct durable *d, const char *path, mode_t mode,
    const char **step)
{
	mode_t mask;
	int n;

	*d = (struct durable){ .fd = -1 };
	set_step(step, "open");
	if (strlcpy(d->path, path, sizeof(d->path)) >= sizeof(d->path) ||
	    (n = snprintf(d->tmp, sizeof(d->tmp), "%s.rowpool-XXXXXX",
	    path)) < 0 || (size_t)n >= sizeof(d->tmp)) {
		errno = ENAMETOOLONG;
		d->tmp[0] = '\0';
		return -1;
	}
	if ((d->fd = mkostemp(d->tmp, O_CLOEXEC)) == -1) {
		d->tmp[0] = '\0';	/* not ours to remove */
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(d->fd, mode & ~mask) == -1 ||
	    buf_reserve(&d->b, DURABLE_BUFSZ) == -1) {
		durable_abort(d);
		return -1;
	}
	return 0;
}

/* NAME is BASE.rowpool-XXXXXX, as mkostemp makes it? */
static int
is_temp_of(const char *name, const char *base)
{
	size_t n = strlen(base);
	const char *x = name + n + sizeof(".rowpool-") - 1;

	return strncmp(name, base, n) == 0 &&
	    strncmp(name + n, ".rowpool-", sizeof(".rowpool-") - 1) == 0 &&
	    strlen(x) == 6 && strspn(x, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	    "klmnopqrstuvwxyz0123456789") == 6;
}

int
durable_remove_stale(const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base = strrchr(path, '/');
	struct dirent *e;
	DIR *dp;
	int n = 0, saved;

	if (path_dirname(dir, sizeof(dir), path) == -1 ||
	    (dp = opendir(dir)) == NULL)
		return -1;
	base = base != NULL ? base + 1 : path;
	while ((e = readdir(dp)) != NULL) {
		if (!is_temp_of(e->d_name, base) || snprintf(tmp, sizeof(tmp),
		    "%s/%s", dir, e->d_name) >= (int)sizeof(tmp))
			continue;
		if (io_unlink(tmp) == 0)
			n++;
		else if (errno != ENOENT)
			break;
	}
	saved = errno;
	closedir(dp);
	errno = saved;
	return e != NULL ? -1 : n;
}

int
durable_open(struct durable *d, const char *path, mode_t mode,
    const char **step)
{
	*d = (struct durable){ .fd = -1 };
	if (durable_names(d, path) == -1) {
		set_step(step, "open");
		goto fail;
	}
	/* A stale temp file is what a crashed writer leaves behind. */
	if (io_unlink(d->tmp) == -1 && errno != ENOENT) {
		set_step(step, "unlink");
		goto fail;
	}
	set_step(step, "open");
	d->fd = open(d->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (d->fd == -1)
		goto fail;
	if (buf_reserve(&d->b, DURABLE_BUFSZ) == -1)
		goto fail;
	return 0;
fail:
	if (d->fd == -1)
		d->tmp[0] = '\0';	/* not ours to remove */
	durable_abort(d);
	return -1;
}

static int
durable_flush(struct durable *d)
{
	if (d->b.len > 0 && io_write(d->fd, d->b.p, d->b.len) == -1)
		return -1;
	buf_reset(&d->b);
	return 0;
}

int
durable_write(struct durable *d, const void *p, size_t n, const char **step)
{
	if (d->failed != 0) {
		errno = d->failed;
		goto fail;
	}
	if (n > buf_room(&d->b) && durable_flush(d) == -1)
		goto failed;
	if (n >= DURABLE_BUFSZ) {
		if (io_write(d->fd, p, n) == -1)
			goto failed;
		return 0;
	}
	/* There is room: it does not allocate, it cannot fail. */
	buf_add(&d->b, p, n);
	return 0;
failed:
	d->failed = errno;
fail:
	set_step(step, "write");
	return -1;
}

static int
durable_sync_dir(const struct durable *d)
{
	char dir[PATH_MAX];

	if (path_dirname(dir, sizeof(dir), d->path) == -1)
		return -1;
	return fsync_dir(dir);
}

int
durable_commit(struct durable *d, const char **step)
{
	const char *what = "write";
	int fd;

	if (d->failed != 0) {
		errno = d->failed;
		goto fail;
	}
	if (durable_flush(d) == -1)
		goto fail;
	what = "fsync";
	if (io_fsync(d->fd) == -1)
		goto fail;
	what = "close";
	fd = d->fd;
	d->fd = -1;
	if (close(fd) == -1)
		goto fail;
	what = "rename";
	if (io_rename(d->tmp, d->path) == -1)
		goto fail;
	d->tmp[0] = '\0';
	what = "fsync-dir";
	if (durable_sync_dir(d) == -1)
		goto fail;
	durable_abort(d);
	return 0;
fail:
	set_step(step, what);
	durable_abort(d);
	return -1;
}

void
durable_abort(struct durable *d)
{
	int saved = errno;

	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
	if (d->tmp[0] != '\0')
		io_unlink(d->tmp);
	d->tmp[0] = '\0';
	buf_release(&d->b);
	errno = saved;
}

int
durable_replace(const char *path, mode_t mode, const void *p, size_t n,
    const char **step)
{
	struct durable d;

	if (durable_open(&d, path, mode, step) == -1)
		return -1;
	if (durable_write(&d, p, n, step) == -1) {
		durable_abort(&d);
		return -1;
	}
	return durable_commit(&d, step);
}
