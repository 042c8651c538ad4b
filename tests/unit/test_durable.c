/*
 * durable: the new version or the old one, never a mix, and a failure
 * names its step and leaves no temp file behind.
 */
#include <sys/stat.h>
#include <dirent.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rowpool/durable.h"
#include "fault.h"
#include "scratch.h"

TestSuite(durable, .init = scratch_setup, .fini = scratch_teardown);

static void
expect_content(const char *path, const char *want)
{
	size_t len;
	char *got;

	got = scratch_read(path, &len);
	cr_expect_eq(len, strlen(want), "%s: %zu bytes", path, len);
	cr_expect_str_eq(got, want);
	free(got);
}

static void
make_dir_with_file(const char *dir)
{
	char path[PATH_MAX];

	cr_assert_eq(mkdir(dir, 0700), 0);
	scratch_fmt(path, sizeof(path), "%s/x", dir);
	scratch_write(path, "x", 1);
}

Test(durable, replace_creates_with_mode)
{
	const char *path = scratch_path("f");
	const char *step = NULL;
	struct stat st;

	umask(022);
	cr_assert_eq(durable_replace(path, 0600, "hello\n", 6, &step), 0);
	expect_content(path, "hello\n");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_expect_eq(scratch_size(scratch_path("f.tmp")), -1);
}

Test(durable, replace_overwrites)
{
	const char *path = scratch_path("f");
	const char *step;

	scratch_write(path, "old contents\n", 13);
	cr_assert_eq(durable_replace(path, 0644, "new\n", 4, &step), 0);
	expect_content(path, "new\n");
}

/* Writes below, at and above the buffer size, in one file. */
Test(durable, buffered_writes)
{
	static const size_t sizes[] = { 1, 0, 100, 65535, 1, 65536, 200000,
	    3, 70000, 12 };
	const char *path = scratch_path("big");
	struct durable d;
	const char *step;
	char *want, *got;
	size_t i, total = 0, len;

	want = malloc(1 << 20);
	cr_assert_not_null(want);
	for (i = 0; i < (1 << 20); i++)
		want[i] = (char)('a' + i % 23);
	cr_assert_eq(durable_open(&d, path, 0600, &step), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cr_assert_eq(durable_write(&d, want + total, sizes[i], &step),
		    0);
		total += sizes[i];
	}
	cr_assert_eq(durable_commit(&d, &step), 0);
	got = scratch_read(path, &len);
	cr_assert_eq(len, total);
	cr_assert_eq(memcmp(got, want, total), 0);
	free(got);
	free(want);
}

Test(durable, abort_keeps_old)
{
	const char *path = scratch_path("f");
	struct durable d;
	const char *step;

	scratch_write(path, "old\n", 4);
	cr_assert_eq(durable_open(&d, path, 0600, &step), 0);
	cr_assert_eq(durable_write(&d, "partial", 7, &step), 0);
	cr_expect_neq(scratch_size(scratch_path("f.tmp")), -1);
	durable_abort(&d);
	durable_abort(&d);
	expect_content(path, "old\n");
	cr_expect_eq(scratch_size(scratch_path("f.tmp")), -1);
}

/* What a writer killed before its rename leaves: replaced, not kept. */
Test(durable, stale_tmp_replaced)
{
	const char *path = scratch_path("f");
	const char *step;

	scratch_write(path, "old\n", 4);
	scratch_write(scratch_path("f.tmp"), "stale stale stale\n", 18);
	cr_assert_eq(durable_replace(path, 0600, "new\n", 4, &step), 0);
	expect_content(path, "new\n");
	cr_expect_eq(scratch_size(scratch_path("f.tmp")), -1);
}

enum after { OLD_KEPT, NEW_IN_PLACE, NONE };

static void
setup_tmp_dir(const char *dir)
{
	char path[PATH_MAX];

	scratch_fmt(path, sizeof(path), "%s/f.tmp", dir);
	make_dir_with_file(path);
}

static void
setup_target_dir(const char *dir)
{
	char path[PATH_MAX];

	scratch_fmt(path, sizeof(path), "%s/d", dir);
	make_dir_with_file(path);
}

static void
setup_fsync_fails(const char *dir)
{
	fault_fsync_arm(1, EIO);
}

static void
setup_fsync_dir_fails(const char *dir)
{
	fault_fsync_arm(2, EIO);
}

static void
setup_disk_full(const char *dir)
{
	fault_file_size_limit(4096);
}

static const struct fail_case {
	const char	*name;
	const char	*file;		/* in the case's directory */
	void		(*setup)(const char *);
	const char	*want_step;
	int		 want_errno;
	enum after	 after;
} fail_cases[] = {
	{ "stale tmp is a directory", "f", setup_tmp_dir, "unlink", EISDIR,
	    OLD_KEPT },
	{ "no such directory", "nodir/f", NULL, "open", ENOENT, NONE },
	{ "write past the size limit", "f", setup_disk_full, "write", EFBIG,
	    OLD_KEPT },
	{ "fsync fails", "f", setup_fsync_fails, "fsync", EIO, OLD_KEPT },
	{ "rename onto a directory", "d", setup_target_dir, "rename",
	    EISDIR, NONE },
	{ "fsync of the directory fails", "f", setup_fsync_dir_fails,
	    "fsync-dir", EIO, NEW_IN_PLACE },
};

static void
run_fail_case(const struct fail_case *c, const char *dir, const char *data,
    size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *step = NULL;

	scratch_fmt(path, sizeof(path), "%s/%s", dir, c->file);
	scratch_fmt(tmp, sizeof(tmp), "%s.tmp", path);
	if (strcmp(c->file, "f") == 0)
		scratch_write(path, "old\n", 4);
	if (c->setup != NULL)
		c->setup(dir);
	errno = 0;
	cr_assert_eq(durable_replace(path, 0600, data, n, &step), -1,
	    "%s: succeeded", c->name);
	fault_reset();
	cr_expect_eq(errno, c->want_errno, "%s: errno %s", c->name,
	    strerror(errno));
	cr_assert_not_null(step, "%s: no step", c->name);
	cr_expect_str_eq(step, c->want_step, "%s: step %s", c->name, step);
	if (c->after == OLD_KEPT)
		expect_content(path, "old\n");
	else if (c->after == NEW_IN_PLACE)
		cr_expect_eq(scratch_size(path), (off_t)n, "%s", c->name);
	/* Our temp file is gone; a directory in its way is not ours. */
	if (c->setup != setup_tmp_dir)
		cr_expect_eq(scratch_size(tmp), -1, "%s: tmp left", c->name);
}

Test(durable, failing_steps)
{
	char dir[PATH_MAX], *data;
	size_t i, n = 100000;

	data = malloc(n);
	cr_assert_not_null(data);
	memset(data, 'n', n);
	for (i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++) {
		scratch_fmt(dir, sizeof(dir), "%s/case%zu", scratch_dir, i);
		cr_assert_eq(mkdir(dir, 0700), 0);
		run_fail_case(&fail_cases[i], dir, data, n);
	}
	free(data);
}

/* A failed write sticks: later writes and the commit report it. */
Test(durable, write_failure_sticks)
{
	const char *path = scratch_path("f");
	struct durable d;
	const char *step = NULL;
	static char block[70000];

	scratch_write(path, "old\n", 4);
	fault_file_size_limit(1000);
	cr_assert_eq(durable_open(&d, path, 0600, &step), 0);
	cr_assert_eq(durable_write(&d, block, sizeof(block), &step), -1);
	cr_expect_eq(errno, EFBIG);
	step = NULL;
	cr_expect_eq(durable_write(&d, "x", 1, &step), -1);
	cr_expect_eq(errno, EFBIG);
	cr_expect_str_eq(step, "write");
	step = NULL;
	cr_expect_eq(durable_commit(&d, &step), -1);
	cr_expect_eq(errno, EFBIG);
	cr_expect_str_eq(step, "write");
	expect_content(path, "old\n");
	cr_expect_eq(scratch_size(scratch_path("f.tmp")), -1);
}

Test(durable, path_too_long)
{
	char path[PATH_MAX + 10];
	const char *step = NULL;

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	cr_expect_eq(durable_replace(path, 0600, "x", 1, &step), -1);
	cr_expect_eq(errno, ENAMETOOLONG);
	cr_expect_str_eq(step, "open");
}

/* How many entries of scratch_dir start with prefix. */
static int
count_prefix(const char *prefix)
{
	struct dirent *e;
	DIR *dp;
	int n = 0;

	cr_assert_not_null(dp = opendir(scratch_dir));
	while ((e = readdir(dp)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(dp);
	return n;
}

/*
 * The unique variant never touches someone's PATH.tmp, two writers of
 * one PATH do not share a temp file, the mode is as for open(2), and
 * nothing is left behind.
 */
Test(durable, unique_temp_files)
{
	const char *path = scratch_path("out");
	struct durable a, b;
	struct stat st;
	const char *step;
	mode_t mask;

	scratch_write(scratch_path("out.tmp"), "user's\n", 7);
	cr_assert_eq(durable_open_unique(&a, path, 0666, &step), 0);
	cr_assert_eq(durable_open_unique(&b, path, 0666, &step), 0);
	cr_assert_str_neq(a.tmp, b.tmp);
	cr_assert_eq(count_prefix("out.rowpool-"), 2);
	cr_assert_eq(durable_write(&a, "a\n", 2, &step), 0);
	cr_assert_eq(durable_write(&b, "b\n", 2, &step), 0);
	cr_assert_eq(durable_commit(&a, &step), 0);
	expect_content(path, "a\n");
	cr_assert_eq(durable_commit(&b, &step), 0);
	expect_content(path, "b\n");
	expect_content(scratch_path("out.tmp"), "user's\n");
	cr_assert_eq(count_prefix("out.rowpool-"), 0);
	mask = umask(0);
	umask(mask);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0666 & ~mask);
}
