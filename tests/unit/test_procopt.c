/*
 * Tests for the processors' option tables and procopt: the tables'
 * invariants (checked for every processor of the registry), a table of
 * (option, argument, result) for procopt_parse, and procopt_build's
 * settings, which must equal what rowpool wrote into manifests before the
 * tables existed (recorded from commit 8ba5837; tests/data/state-v1 holds
 * whole state directories of that version for the end-to-end resume).
 * JSON is written with ' for ".
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/processor.h"
#include "rowpool/procopt.h"
#include "scratch.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

TestSuite(procopt, .init = scratch_setup, .fini = scratch_teardown);

/* s with every ' turned into ", parsed. */
static json_t *
json_q(const char *s)
{
	char buf[2048];
	json_error_t jerr;
	json_t *v;
	size_t i;

	cr_assert_lt(strlen(s), sizeof(buf));
	for (i = 0; s[i] != '\0'; i++)
		buf[i] = s[i] == '\'' ? '"' : s[i];
	buf[i] = '\0';
	v = json_loads(buf, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(v, "%s: %s", buf, jerr.text);
	return v;
}

static void
assert_json(const json_t *got, const char *want)
{
	json_t *w = json_q(want);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);

	cr_assert(json_equal(got, w), "got %s, want %s", g, want);
	free(g);
	json_decref(w);
}

static const struct processor *
proc(const char *name)
{
	const struct processor *p = processor_find(name);

	cr_assert_not_null(p, "no processor %s", name);
	return p;
}

static const struct proc_option *
option(const char *pname, const char *name)
{
	const struct proc_option *o = processor_option_find(proc(pname), name);

	cr_assert_not_null(o, "%s has no --%s", pname, name);
	return o;
}

/* ---- the tables ---- */

static size_t
noptions(const struct processor *p)
{
	size_t n = 0;

	while (processor_option(p, n) != NULL)
		n++;
	return n;
}

static void
check_entry(const struct processor *p, const struct proc_option *o)
{
	json_t *v;
	char err[256];

	cr_assert_not_null(o->key, "%s", p->name);
	if (o->name != NULL)
		cr_assert(o->help != NULL && o->help[0] != '\0',
		    "%s --%s: no help", p->name, o->name);
	if (o->type == PROC_OPT_ENUM)
		cr_assert(o->values != NULL && o->values[0] != NULL,
		    "%s --%s: no values", p->name, o->name);
	if (o->type == PROC_OPT_COUNT)
		cr_assert_leq(o->min, o->max, "%s %s", p->name, o->key);
	cr_assert(!(o->required && o->def != NULL), "%s %s", p->name, o->key);
	cr_assert(o->name != NULL || !o->required, "%s %s", p->name, o->key);
	if (o->def == NULL)
		return;
	cr_assert_eq(procopt_parse(o, o->def, &v, err, sizeof(err)),
	    PROCOPT_OK, "%s %s: default '%s': %s", p->name, o->key, o->def,
	    err);
	json_decref(v);
}

/* Names and keys are unique in a processor; a key file means a key. */
static void
check_processor(const struct processor *p)
{
	const struct proc_option *a, *b;
	size_t i, j, keyfiles = 0;

	cr_assert(p->summary != NULL && p->summary[0] != '\0', "%s", p->name);
	cr_assert_leq(noptions(p), PROC_OPTIONS_MAX, "%s", p->name);
	for (i = 0; (a = processor_option(p, i)) != NULL; i++) {
		check_entry(p, a);
		keyfiles += a->type == PROC_OPT_KEY_FILE;
		for (j = 0; j < i; j++) {
			b = processor_option(p, j);
			cr_assert_str_neq(a->key, b->key, "%s", p->name);
			cr_assert(a->name == NULL || b->name == NULL ||
			    strcmp(a->name, b->name) != 0, "%s --%s twice",
			    p->name, a->name);
		}
	}
	cr_assert_eq(keyfiles, p->key_env != NULL ? 1u : 0u, "%s", p->name);
}

/* An option two processors share means the same thing to both. */
static void
check_shared(const struct processor *p, const struct processor *q)
{
	const struct proc_option *a, *b;
	size_t i;

	for (i = 0; (a = processor_option(p, i)) != NULL; i++) {
		if (a->name == NULL ||
		    (b = processor_option_find(q, a->name)) == NULL)
			continue;
		cr_assert_str_eq(a->key, b->key, "--%s", a->name);
		cr_assert_eq(a->type, b->type, "--%s", a->name);
		cr_assert_eq(a->results, b->results, "--%s", a->name);
	}
}

Test(procopt, tables)
{
	const struct processor *p, *q;
	const struct proc_option *o;
	size_t i, j, names = 0;

	for (i = 0; (p = processor_at(i)) != NULL; i++) {
		check_processor(p);
		cr_assert_eq(processor_find(p->name), p);
		for (j = 0; (q = processor_at(j)) != NULL; j++)
			check_shared(p, q);
		/* Names first seen here: an upper bound on the distinct. */
		for (j = 0; (o = processor_option(p, j)) != NULL; j++)
			names += o->name != NULL;
	}
	cr_assert_leq(names, PROC_NAMES_MAX);
	cr_assert_str_eq(processor_names(), "gemini openai echo exec");
	cr_assert_null(processor_option(proc("echo"), 0));
	cr_assert_null(processor_option_find(proc("openai"),
	    "thinking-budget"));
	cr_assert_null(processor_option_find(proc("gemini"), "nope"));
}

/* ---- procopt_parse ---- */

struct parse_case {
	const char	*proc;
	const char	*name;
	const char	*arg;
	enum procopt_status want;
	const char	*value;		/* OK: the JSON, NULL for none */
	const char	*err;		/* USAGE: the message */
};

static const struct parse_case parse_cases[] = {
	{ "gemini", "thinking-budget", "0", PROCOPT_OK, "0", NULL },
	{ "gemini", "thinking-budget", "1000000", PROCOPT_OK, "1000000",
	    NULL },
	{ "gemini", "thinking-budget", "-1", PROCOPT_OK, NULL, NULL },
	{ "gemini", "thinking-budget", "-2", PROCOPT_USAGE, NULL,
	    "--thinking-budget: '-2' is not a number from 0 to 1000000" },
	{ "gemini", "thinking-budget", "1000001", PROCOPT_USAGE, NULL,
	    "--thinking-budget: '1000001' is not a number from 0 to "
	    "1000000" },
	{ "gemini", "thinking-budget", "", PROCOPT_USAGE, NULL,
	    "--thinking-budget: '' is not a number from 0 to 1000000" },
	{ "gemini", "thinking-budget", "12x", PROCOPT_USAGE, NULL,
	    "--thinking-budget: '12x' is not a number from 0 to 1000000" },
	{ "gemini", "thinking-budget", "99999999999999999999", PROCOPT_USAGE,
	    NULL, "--thinking-budget: '99999999999999999999' is not a "
	    "number from 0 to 1000000" },
	{ "openai", "max-output-tokens", "1", PROCOPT_OK, "1", NULL },
	{ "openai", "max-output-tokens", "0", PROCOPT_USAGE, NULL,
	    "--max-output-tokens: '0' is not a number from 1 to 10000000" },
	{ "gemini", "temperature", "0.5", PROCOPT_OK, "0.5", NULL },
	{ "gemini", "temperature", "1", PROCOPT_OK, "1.0", NULL },
	{ "gemini", "temperature", "hot", PROCOPT_USAGE, NULL,
	    "--temperature: 'hot' is not a number" },
	{ "gemini", "temperature", "nan", PROCOPT_USAGE, NULL,
	    "--temperature: 'nan' is not a number" },
	{ "gemini", "temperature", "1e999", PROCOPT_USAGE, NULL,
	    "--temperature: '1e999' is not a number" },
	{ "gemini", "schema-dialect", "openapi", PROCOPT_OK, "'openapi'",
	    NULL },
	{ "gemini", "schema-dialect", "yaml", PROCOPT_USAGE, NULL,
	    "--schema-dialect: 'yaml' is not json or openapi" },
	{ "gemini", "model", "gemini-2.5-pro", PROCOPT_OK,
	    "'gemini-2.5-pro'", NULL },
	{ "gemini", "model", "\xff", PROCOPT_USAGE, NULL,
	    "--model: not UTF-8" },
	/* Files are only read by procopt_build. */
	{ "gemini", "prompt", "/nonexistent", PROCOPT_OK, NULL, NULL },
	{ "openai", "api-key-file", "/nonexistent", PROCOPT_OK, NULL, NULL },
};

Test(procopt, parse)
{
	const struct parse_case *c;
	char err[256];
	json_t *v;
	size_t i;

	for (i = 0; i < NELEM(parse_cases); i++) {
		c = &parse_cases[i];
		err[0] = '\0';
		cr_assert_eq(procopt_parse(option(c->proc, c->name), c->arg, &v,
		    err, sizeof(err)), c->want, "--%s %s: %s", c->name, c->arg,
		    err);
		if (c->want != PROCOPT_OK) {
			cr_assert_null(v);
			cr_assert_str_eq(err, c->err);
		} else if (c->value == NULL)
			cr_assert_null(v, "--%s %s", c->name, c->arg);
		else
			assert_json(v, c->value);
		json_decref(v);
	}
}

Test(procopt, argname)
{
	char buf[64];

	cr_assert_str_eq(procopt_argname(option("gemini", "schema-dialect"),
	    buf, sizeof(buf)), "json|openapi");
	cr_assert_str_eq(procopt_argname(option("gemini", "prompt"), buf,
	    sizeof(buf)), "FILE");
}

/* ---- procopt_build ---- */

#define PROMPT	"Name: {{name}}\nNote: {{note}}\n"
#define SCHEMA	"{\"type\":\"object\",\"properties\":{\"name\":" \
		"{\"type\":\"string\"}},\"required\":[\"name\"]}\n"

struct build {
	const struct processor	*p;
	const char		*args[PROC_OPTIONS_MAX];
	json_t			*settings;
	json_t			*conf;
	char			 err[1024];
};

static void
build_init(struct build *b, const char *pname)
{
	memset(b, 0, sizeof(*b));
	b->p = proc(pname);
	b->settings = json_object();
	b->conf = json_object();
}

static void
build_release(struct build *b)
{
	json_decref(b->settings);
	json_decref(b->conf);
}

static void
arg(struct build *b, const char *name, const char *value)
{
	const struct proc_option *o;
	size_t i;

	for (i = 0; (o = processor_option(b->p, i)) != NULL; i++)
		if (o->name != NULL && strcmp(o->name, name) == 0) {
			b->args[i] = value;
			return;
		}
	cr_assert_fail("%s has no --%s", b->p->name, name);
}

/* A scratch file holding text; returns its path. */
static const char *
file(const char *name, const char *text)
{
	const char *path = scratch_path(name);

	scratch_write(path, text, strlen(text));
	return path;
}

static enum procopt_status
build(struct build *b)
{
	return procopt_build(b->p, b->args, b->settings, b->conf, b->err,
	    sizeof(b->err));
}

Test(procopt, gemini_defaults)
{
	struct build b;
	char want[1024];

	build_init(&b, "gemini");
	arg(&b, "prompt", file("prompt.txt", PROMPT));
	cr_assert_eq(build(&b), PROCOPT_OK, "%s", b.err);
	/* As gemini-default's manifest of commit 8ba5837 has them. */
	assert_json(b.settings, "{'model': 'gemini-2.5-flash', 'prompt': "
	    "'Name: {{name}}\\nNote: {{note}}\\n', 'system': null, "
	    "'schema': null, 'schema_dialect': 'json', 'temperature': null, "
	    "'max_output_tokens': null, 'thinking_budget': 0}");
	snprintf(want, sizeof(want), "{'endpoint': "
	    "'https://generativelanguage.googleapis.com', 'prompt_file': "
	    "'%s'}", scratch_path("prompt.txt"));
	assert_json(b.conf, want);
	build_release(&b);
}

Test(procopt, gemini_all)
{
	struct build b;

	build_init(&b, "gemini");
	arg(&b, "prompt", file("prompt.txt", PROMPT));
	arg(&b, "system", file("system.txt", "Answer in JSON.\n"));
	arg(&b, "schema", file("schema.json", SCHEMA));
	arg(&b, "schema-dialect", "openapi");
	arg(&b, "model", "gemini-2.5-pro");
	arg(&b, "temperature", "0.5");
	arg(&b, "max-output-tokens", "1000");
	arg(&b, "thinking-budget", "-1");
	arg(&b, "endpoint", "http://127.0.0.1:1");
	arg(&b, "api-key-file", "/nonexistent");
	cr_assert_eq(build(&b), PROCOPT_OK, "%s", b.err);
	assert_json(b.settings, "{'model': 'gemini-2.5-pro', 'prompt': "
	    "'Name: {{name}}\\nNote: {{note}}\\n', 'system': "
	    "'Answer in JSON.\\n', 'schema': {'type': 'object', "
	    "'properties': {'name': {'type': 'string'}}, 'required': "
	    "['name']}, 'schema_dialect': 'openapi', 'temperature': 0.5, "
	    "'max_output_tokens': 1000, 'thinking_budget': null}");
	cr_assert_str_eq(json_string_value(json_object_get(b.conf,
	    "endpoint")), "http://127.0.0.1:1");
	cr_assert_str_eq(json_string_value(json_object_get(b.conf,
	    "schema_file")), scratch_path("schema.json"));
	cr_assert_str_eq(json_string_value(json_object_get(b.conf,
	    "system_file")), scratch_path("system.txt"));
	/* The key's file is the caller's business, and never a setting. */
	cr_assert_eq(json_object_size(b.conf), 4);
	build_release(&b);
}

Test(procopt, openai)
{
	struct build b;

	build_init(&b, "openai");
	arg(&b, "prompt", file("prompt.txt", PROMPT));
	arg(&b, "system", file("system.txt", "Answer in JSON.\n"));
	arg(&b, "schema", file("schema.json", SCHEMA));
	arg(&b, "temperature", "0");
	arg(&b, "max-output-tokens", "100");
	arg(&b, "endpoint", "http://127.0.0.1:1/v1");
	cr_assert_eq(build(&b), PROCOPT_OK, "%s", b.err);
	/* As openai-default's manifest of commit 8ba5837 has them. */
	assert_json(b.settings, "{'model': 'gpt-4o-mini', 'prompt': "
	    "'Name: {{name}}\\nNote: {{note}}\\n', 'system': "
	    "'Answer in JSON.\\n', 'schema': {'type': 'object', "
	    "'properties': {'name': {'type': 'string'}}, 'required': "
	    "['name']}, 'schema_dialect': 'json', 'temperature': 0.0, "
	    "'max_output_tokens': 100, 'thinking_budget': null}");
	cr_assert_str_eq(json_string_value(json_object_get(b.conf,
	    "endpoint")), "http://127.0.0.1:1/v1");
	build_release(&b);
}

Test(procopt, echo_has_none)
{
	struct build b;

	build_init(&b, "echo");
	cr_assert_eq(build(&b), PROCOPT_OK, "%s", b.err);
	cr_assert_eq(json_object_size(b.settings), 0);
	cr_assert_eq(json_object_size(b.conf), 0);
	build_release(&b);
}

/* A flag takes no argument: false unless given; the rest as any. */
Test(procopt, exec_flag_and_command)
{
	static char *const cmd[] = { (char *)(uintptr_t)"python3",
	    (char *)(uintptr_t)"x.py", NULL };
	static char *const bad[] = { (char *)(uintptr_t)"caf\xe9", NULL };
	struct build b;

	cr_assert_null(procopt_argname(option("exec", "exec-per-row"), b.err,
	    sizeof(b.err)));
	build_init(&b, "exec");
	cr_assert_eq(procopt_command(b.p, cmd, 2, b.settings, b.err,
	    sizeof(b.err)), PROCOPT_OK, "%s", b.err);
	cr_assert_eq(build(&b), PROCOPT_OK, "%s", b.err);
	assert_json(b.settings, "{'command': ['python3', 'x.py'], "
	    "'exec_per_row': false}");
	cr_assert_eq(json_object_size(b.conf), 0);
	build_release(&b);
	build_init(&b, "exec");
	arg(&b, "exec-per-row", "");
	arg(&b, "exec-cwd", "/tmp");
	cr_assert_eq(build(&b), PROCOPT_OK, "%s", b.err);
	assert_json(b.settings, "{'exec_per_row': true}");
	assert_json(b.conf, "{'exec_cwd': '/tmp'}");
	cr_assert_eq(procopt_command(b.p, cmd, 0, b.settings, b.err,
	    sizeof(b.err)), PROCOPT_USAGE);
	cr_assert_str_eq(b.err, "the exec processor runs a command: INPUT -- "
	    "CMD [ARGS...]");
	cr_assert_eq(procopt_command(b.p, bad, 1, b.settings, b.err,
	    sizeof(b.err)), PROCOPT_USAGE);
	cr_assert_str_eq(b.err, "the command's name is not UTF-8");
	build_release(&b);
	build_init(&b, "echo");
	cr_assert_eq(procopt_command(b.p, cmd, 0, b.settings, b.err,
	    sizeof(b.err)), PROCOPT_OK);
	cr_assert_eq(procopt_command(b.p, cmd, 2, b.settings, b.err,
	    sizeof(b.err)), PROCOPT_USAGE);
	cr_assert_str_eq(b.err, "the echo processor runs no command: nothing "
	    "may follow INPUT");
	cr_assert_eq(json_object_size(b.settings), 0);
	build_release(&b);
}

struct fail_case {
	const char	*proc;
	const char	*args[6];	/* name, value pairs */
	enum procopt_status want;
	const char	*err;		/* USAGE or CONFIG: the message */
};

static const struct fail_case fail_cases[] = {
	{ "gemini", { NULL }, PROCOPT_CONFIG,
	    "--prompt FILE is required by the gemini processor" },
	{ "openai", { "prompt", "@/p" }, PROCOPT_CONFIG,
	    "--endpoint URL is required by the openai processor" },
	/* A bad argument is found before a missing option. */
	{ "gemini", { "temperature", "x" }, PROCOPT_USAGE,
	    "--temperature: 'x' is not a number" },
	{ "gemini", { "prompt", "@/nope" }, PROCOPT_CONFIG,
	    "--prompt '@/nope': No such file or directory" },
	{ "gemini", { "prompt", "@/p", "system", "@/latin1" }, PROCOPT_CONFIG,
	    "--system '@/latin1': not UTF-8" },
	{ "gemini", { "prompt", "@/nul" }, PROCOPT_CONFIG,
	    "--prompt '@/nul': holds a NUL byte" },
	{ "gemini", { "prompt", "@/big" }, PROCOPT_CONFIG,
	    "--prompt '@/big': larger than 1 MiB" },
	{ "gemini", { "prompt", "@/p", "schema", "@/p" }, PROCOPT_CONFIG,
	    "--schema '@/p': line 1, column 3: '[' or '{' expected near "
	    "'Say'" },
	{ "gemini", { "prompt", "@/p", "schema", "@/array" }, PROCOPT_CONFIG,
	    "--schema '@/array': expected a schema (an object), got array" },
	{ "gemini", { "prompt", "@/p", "schema", "@/dup" }, PROCOPT_CONFIG,
	    "--schema '@/dup': line 1, column 16: duplicate object key near "
	    "'\"type\"'" },
};

/* The files fail_cases name; "@" in a case is the scratch directory. */
static void
bad_files(void)
{
	static char big[(1 << 20) + 2];

	file("p", "Say {{name}}\n");
	scratch_write(scratch_path("latin1"), "caf\xe9\n", 5);
	scratch_write(scratch_path("nul"), "a\0b\n", 4);
	memset(big, 'x', sizeof(big) - 1);
	file("big", big);
	file("array", "[1]");
	file("dup", "{\"type\":1,\"type\":2}");
}

/* s with '@' for the scratch directory. */
static void
expand(char *buf, size_t len, const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL)
		scratch_fmt(buf, len, "%s", s);
	else
		scratch_fmt(buf, len, "%.*s%s%s", (int)(at - s), s,
		    scratch_dir, at + 1);
}

Test(procopt, failures)
{
	const struct fail_case *c;
	char paths[3][512], want[1024];
	struct build b;
	size_t i, j;

	bad_files();
	for (i = 0; i < NELEM(fail_cases); i++) {
		c = &fail_cases[i];
		build_init(&b, c->proc);
		for (j = 0; c->args[j] != NULL; j += 2) {
			expand(paths[j / 2], sizeof(paths[0]), c->args[j + 1]);
			arg(&b, c->args[j], paths[j / 2]);
		}
		expand(want, sizeof(want), c->err);
		cr_assert_eq(build(&b), c->want, "case %zu: %s", i, b.err);
		cr_assert_str_eq(b.err, want, "case %zu: %s", i, b.err);
		build_release(&b);
	}
}

/* ---- what rowpool check uses: one file at a time, then the whole ---- */

Test(procopt, check_reads_no_file)
{
	struct build b;

	build_init(&b, "gemini");
	cr_assert_eq(procopt_check(b.p, b.args, b.err, sizeof(b.err)),
	    PROCOPT_CONFIG);
	cr_assert_str_eq(b.err, "--prompt FILE is required by the gemini "
	    "processor");
	arg(&b, "prompt", scratch_path("missing.txt"));
	cr_assert_eq(procopt_check(b.p, b.args, b.err, sizeof(b.err)),
	    PROCOPT_OK, "%s", b.err);
	arg(&b, "temperature", "hot");
	cr_assert_eq(procopt_check(b.p, b.args, b.err, sizeof(b.err)),
	    PROCOPT_USAGE);
	cr_assert_str_eq(b.err, "--temperature: 'hot' is not a number");
	build_release(&b);
}

Test(procopt, value)
{
	char err[1024], want[1024];
	json_t *v;

	cr_assert_eq(procopt_value(option("gemini", "schema"),
	    file("s.json", SCHEMA), &v, err, sizeof(err)), PROCOPT_OK, "%s",
	    err);
	assert_json(v, "{'type': 'object', 'properties': {'name': {'type': "
	    "'string'}}, 'required': ['name']}");
	json_decref(v);
	cr_assert_eq(procopt_value(option("gemini", "schema"),
	    file("bad.json", "{\"type\": \"int\"}"), &v, err, sizeof(err)),
	    PROCOPT_CONFIG);
	cr_assert_null(v);
	snprintf(want, sizeof(want), "--schema '%s': type: 'int' is not a "
	    "JSON Schema type", scratch_path("bad.json"));
	cr_assert_str_eq(err, want);
	cr_assert_eq(procopt_value(option("gemini", "model"), NULL, &v, err,
	    sizeof(err)), PROCOPT_OK);
	assert_json(v, "'gemini-2.5-flash'");
	json_decref(v);
	cr_assert_eq(procopt_value(option("gemini", "api-key-file"), "k", &v,
	    err, sizeof(err)), PROCOPT_OK);
	cr_assert_null(v);
}

Test(procopt, config)
{
	struct build b;
	json_t *pconf;
	char want[1024];

	build_init(&b, "echo");
	cr_assert_eq(procopt_config(b.p, b.args, b.settings, 1500, &pconf,
	    b.err, sizeof(b.err)), PROCOPT_OK, "%s", b.err);
	assert_json(pconf, "{'timeout_ms': 1500}");
	json_decref(pconf);
	build_release(&b);
	build_init(&b, "gemini");
	arg(&b, "prompt", file("p.txt", "{{a}}"));
	arg(&b, "thinking-budget", "-1");
	json_object_set_new(b.settings, "processor", json_string("gemini"));
	cr_assert_eq(procopt_config(b.p, b.args, b.settings, 2000, &pconf,
	    b.err, sizeof(b.err)), PROCOPT_OK, "%s", b.err);
	snprintf(want, sizeof(want), "{'processor': 'gemini', 'model': "
	    "'gemini-2.5-flash', 'prompt': '{{a}}', 'system': null, "
	    "'schema': null, 'schema_dialect': 'json', 'temperature': null, "
	    "'max_output_tokens': null, 'thinking_budget': null, 'endpoint': "
	    "'https://generativelanguage.googleapis.com', 'prompt_file': "
	    "'%s', 'timeout_ms': 2000}", scratch_path("p.txt"));
	assert_json(pconf, want);
	json_decref(pconf);
	arg(&b, "prompt", scratch_path("gone.txt"));
	cr_assert_eq(procopt_config(b.p, b.args, b.settings, 2000, &pconf,
	    b.err, sizeof(b.err)), PROCOPT_CONFIG);
	cr_assert_null(pconf);
	build_release(&b);
}
