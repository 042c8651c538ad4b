/*
 * Tests for apikey: where each processor's key comes from (a file, the
 * environment in order, nothing), and what is refused.  Criterion runs
 * each test in its own process, so the tests may change the environment.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "rowpool/apikey.h"
#include "scratch.h"

TestSuite(apikey, .init = scratch_setup, .fini = scratch_teardown);

static void
clear_env(void)
{
	unsetenv("GEMINI_API_KEY");
	unsetenv("GOOGLE_API_KEY");
	unsetenv("OPENAI_API_KEY");
}

/* Loads name's key; returns it (NULL: none) or "ERR: message". */
static char *
load(const char *name, const char *file)
{
	char err[1024] = "", *key, *out;

	if (apikey_load(processor_find(name), file, &key, err,
	    sizeof(err)) == 0)
		return key;
	cr_assert_null(key);
	cr_assert_gt(strlen(err), 0);
	cr_assert_eq(asprintf(&out, "ERR: %s", err) > 0, 1);
	return out;
}

static void
assert_key(const char *name, const char *file, const char *want)
{
	char *got = load(name, file);

	if (want == NULL)
		cr_assert_null(got, "%s: %s", name, got);
	else {
		cr_assert_not_null(got, "%s", name);
		cr_assert_str_eq(got, want, "%s", name);
	}
	free(got);
}

Test(apikey, environment)
{
	clear_env();
	assert_key("gemini", NULL, "ERR: no API key: set GEMINI_API_KEY (or "
	    "GOOGLE_API_KEY), or use --api-key-file FILE");
	assert_key("openai", NULL, "");
	assert_key("echo", NULL, NULL);
	setenv("GOOGLE_API_KEY", "google-key", 1);
	assert_key("gemini", NULL, "google-key");
	setenv("GEMINI_API_KEY", "", 1);
	assert_key("gemini", NULL, "google-key");
	setenv("GEMINI_API_KEY", "gemini-key", 1);
	assert_key("gemini", NULL, "gemini-key");
	assert_key("openai", NULL, "");
	setenv("OPENAI_API_KEY", "sk-openai", 1);
	assert_key("openai", NULL, "sk-openai");
	assert_key("echo", NULL, NULL);
	setenv("GEMINI_API_KEY", "k\r\nX-Injected: 1", 1);
	assert_key("gemini", NULL, "ERR: the API key from the environment "
	    "holds a control character");
}

Test(apikey, file)
{
	const char *path = scratch_path("key");
	char want[1024];

	clear_env();
	setenv("GEMINI_API_KEY", "from-env", 1);
	scratch_write(path, "from-file \r\n", 12);
	assert_key("gemini", path, "from-file");
	assert_key("openai", path, "from-file");
	cr_assert_eq(chmod(path, 0640), 0);
	snprintf(want, sizeof(want), "ERR: --api-key-file '%s': readable by "
	    "others (mode 0640); chmod 600 it", path);
	assert_key("gemini", path, want);
	cr_assert_eq(chmod(path, 0600), 0);
	scratch_write(path, "a\tb\n", 4);
	assert_key("gemini", path, "ERR: the API key from --api-key-file "
	    "holds a control character");
	snprintf(want, sizeof(want), "ERR: --api-key-file '%s/nope': No such "
	    "file or directory", scratch_dir);
	assert_key("gemini", scratch_path("nope"), want);
}

Test(apikey, describe)
{
	char buf[256];

	apikey_describe(processor_find("gemini"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "GEMINI_API_KEY or GOOGLE_API_KEY");
	apikey_describe(processor_find("openai"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "OPENAI_API_KEY, or none");
}

/* Where the key comes from, as rowpool check says it. */
Test(apikey, sources)
{
	const struct processor *g = processor_find("gemini");
	const char *args[PROC_OPTIONS_MAX] = { NULL };
	const struct proc_option *o;
	size_t i;

	clear_env();
	cr_assert_null(apikey_env(g));
	cr_assert_null(apikey_env(processor_find("echo")));
	setenv("GEMINI_API_KEY", "", 1);
	setenv("GOOGLE_API_KEY", "g", 1);
	cr_assert_str_eq(apikey_env(g), "GOOGLE_API_KEY");
	setenv("GEMINI_API_KEY", "k", 1);
	cr_assert_str_eq(apikey_env(g), "GEMINI_API_KEY");
	cr_assert_null(apikey_file(g, args));
	for (i = 0; (o = processor_option(g, i)) != NULL; i++)
		args[i] = o->type == PROC_OPT_KEY_FILE ? "key.txt" : "other";
	cr_assert_str_eq(apikey_file(g, args), "key.txt");
	cr_assert_null(apikey_file(processor_find("echo"), args));
}
