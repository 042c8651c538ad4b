/* manifest: round trip, atomic replace, and clear refusals of garbage. */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/manifest.h"
#include "scratch.h"

TestSuite(manifest, .init = scratch_setup, .fini = scratch_teardown);

static json_t *
sample(json_int_t committed)
{
	json_t *m;

	m = json_pack("{s:i, s:I, s:s, s:{s:[i,i], s:b}, s:n}", "version", 1,
	    "committed", committed, "input", "leads.csv \xc3\xa9", "counts",
	    "done", 3, 4, "final", 1, "note");
	cr_assert_not_null(m);
	return m;
}

Test(manifest, roundtrip)
{
	const char *step = NULL;
	json_t *m, *got;
	struct stat st;
	char err[256];
	size_t len;
	char *text;

	umask(022);
	m = sample(12345678901LL);
	cr_assert_eq(manifest_commit(scratch_dir, m, &step), 0);
	got = manifest_load(scratch_dir, err, sizeof(err));
	cr_assert_not_null(got, "%s", err);
	cr_expect(json_equal(m, got));
	text = scratch_read(scratch_path(MANIFEST_NAME), &len);
	cr_expect_str_eq(text, "{\"version\":1,\"committed\":12345678901,"
	    "\"input\":\"leads.csv \xc3\xa9\",\"counts\":{\"done\":[3,4],"
	    "\"final\":true},\"note\":null}\n");
	cr_assert_eq(stat(scratch_path(MANIFEST_NAME), &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_expect_eq(scratch_size(scratch_path(MANIFEST_NAME ".tmp")), -1);
	free(text);
	json_decref(m);
	json_decref(got);
}

Test(manifest, replace)
{
	const char *step;
	json_t *a, *b, *got;

	a = sample(1);
	b = sample(2);
	cr_assert_eq(manifest_commit(scratch_dir, a, &step), 0);
	cr_assert_eq(manifest_commit(scratch_dir, b, &step), 0);
	got = manifest_load(scratch_dir, NULL, 0);
	cr_assert_not_null(got);
	cr_expect(json_equal(got, b));
	json_decref(a);
	json_decref(b);
	json_decref(got);
}

Test(manifest, missing)
{
	char err[256];

	cr_expect_null(manifest_load(scratch_dir, err, sizeof(err)));
	cr_expect_eq(errno, ENOENT);
	cr_expect_str_eq(err, strerror(ENOENT));
}

Test(manifest, commit_refuses_non_object)
{
	const char *step = NULL;
	json_t *a;

	a = json_pack("[i]", 1);
	cr_expect_eq(manifest_commit(scratch_dir, a, &step), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_str_eq(step, "encode");
	cr_expect_eq(scratch_size(scratch_path(MANIFEST_NAME)), -1);
	json_decref(a);
}

Test(manifest, commit_into_missing_dir)
{
	const char *step = NULL;
	json_t *m;

	m = sample(1);
	cr_expect_eq(manifest_commit(scratch_path("nodir"), m, &step), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect_str_eq(step, "open");
	json_decref(m);
}

static const struct {
	const char	*text;
	size_t		 len;
	const char	*want;		/* in the message */
} garbage[] = {
	{ "", 0, "empty file" },
	{ "garbage\n", 8, "line 1, column 7: invalid token" },
	{ "{\"a\":1", 6, "line 1, column 6" },
	{ "{\"a\":1}\n{}\n", 11, "line 2, column 1" },
	{ "{\"a\":1,\n\"a\":2}", 14, "line 2" },
	{ "[1,2]\n", 6, "an array, not a JSON object" },
	{ "\"str\"", 5, "a string, not a JSON object" },
	{ "42", 2, "a number, not a JSON object" },
	{ "null", 4, "null, not a JSON object" },
	{ "{\"a\":\0}", 7, "line 1" },
	{ "{\"a\":\"\xff\"}", 9, "line 1" },
};

Test(manifest, garbage_is_ebadmsg)
{
	const char *path = scratch_path(MANIFEST_NAME);
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		scratch_write(path, garbage[i].text, garbage[i].len);
		err[0] = '\0';
		errno = 0;
		cr_expect_null(manifest_load(scratch_dir, err, sizeof(err)),
		    "case %zu loaded", i);
		cr_expect_eq(errno, EBADMSG, "case %zu: %s", i,
		    strerror(errno));
		cr_expect_not_null(strstr(err, garbage[i].want),
		    "case %zu: message '%s'", i, err);
	}
}

Test(manifest, too_large)
{
	char err[256], *big;
	size_t n = MANIFEST_MAX + 1;

	big = malloc(n);
	cr_assert_not_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	scratch_write(scratch_path(MANIFEST_NAME), big, n);
	cr_expect_null(manifest_load(scratch_dir, err, sizeof(err)));
	cr_expect_eq(errno, EBADMSG);
	cr_expect_not_null(strstr(err, "larger than"), "%s", err);
	free(big);
}
