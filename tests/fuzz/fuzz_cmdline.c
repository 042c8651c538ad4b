/*
 * fuzz_cmdline: libFuzzer harness for the command line: main.c's
 * parse_args, check_opts and check_processor (getopt, the core options,
 * the processors' options as main hands them over), and procopt.c's
 * procopt_check, procopt_parse, procopt_value, procopt_config and
 * procopt_argname on the arguments each processor would get.  Seeds in
 * tests/fuzz/corpus/cmdline/.
 *
 * main.c is compiled into this harness (#include, its main renamed):
 * its exit() becomes a longjmp back here, its stdout and stderr memory
 * streams, so a usage error is a return with a status and a message,
 * and nothing in src/ had to change.  An argument that holds a '/' is
 * replaced by one of the harness's scratch files (from the '=' on, for
 * "--opt=/x"), so no input names /dev/stdin or a FIFO.
 *
 * Input: byte 0 is the number of arguments n; then n arguments, each
 * ended by a NUL, then up to four file contents, each ended by a NUL
 * (the scratch files f0-f3, mode 0600; f4 does not exist).  An argument
 * "\x01K" is "--" and the K-th option name, "\x02K..." that "=..." with
 * the rest, so that the fuzzer finds the names.
 *
 * Checked:
 *  - main exits only with 0 (help, version: on stdout, nothing on
 *    stderr), 64 ("rowpool: MESSAGE" then "Try 'rowpool --help'.") or
 *    78 ("rowpool: MESSAGE"), each message one line;
 *  - when it goes on to run: nothing printed, an output and an input
 *    named, a format, a timeout, the processor known, the settings exactly
 *    the core ones, every results option of the processor and, for one
 *    that runs a command (exec), the words after "--" as "command", the
 *    configuration holding them with the timeout, and procopt_check
 *    agreeing;
 *  - for every processor, on the arguments main would hand it:
 *    procopt_check is USAGE exactly when procopt_parse refuses one of
 *    them, with that message; each value parsed has its option's type
 *    and range; procopt_config says what procopt_check said, or a file's
 *    failure, and on success puts each option's value (procopt_value's)
 *    in the settings or the configuration as its table says;
 *    procopt_argname fits any buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "rowpool/apikey.h"
#include "rowpool/check.h"
#include "rowpool/cmd.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/log.h"
#include "rowpool/price.h"
#include "rowpool/processor.h"
#include "rowpool/procopt.h"
#include "rowpool/run.h"
#include "rowpool/secret.h"
#include "rowpool/usage.h"

_Noreturn void	fuzz_exit(int);
int		fuzz_puts(const char *);
int		rowpool_main(int, char *[], char *[]);
int		LLVMFuzzerInitialize(int *, char ***);
int		LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*fuzz_out, *fuzz_err;

/* main.c, with its exits and its output caught. */
#undef stdout
#undef stderr
#define stdout		fuzz_out
#define stderr		fuzz_err
#define exit(code)	fuzz_exit(code)
#define puts(s)		fuzz_puts(s)
#define main		rowpool_main
/* Its vdie() passes on a format it got (gcc does not warn, clang does). */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#include "../../src/main.c"
#pragma clang diagnostic pop
#undef main
#undef puts
#undef exit
#undef stderr
#undef stdout

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define ARGS_MAX	40
#define FILES		5

static jmp_buf	 exited;
static int	 exit_code;
static char	 base[64], files[FILES][96];
static const char *names[NCORE + PROC_NAMES_MAX];
static size_t	 nnames;
static bool	 argv_lines;	/* an argument holds a line break */

void
fuzz_exit(int code)
{
	exit_code = code;
	longjmp(exited, 1);
}

int
fuzz_puts(const char *s)
{
	return fprintf(fuzz_out, "%s\n", s);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
cleanup(void)
{
	nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	struct cmdline c;
	size_t i;

	snprintf(base, sizeof(base), "%s/rowpool-fuzz-cmdline.XXXXXX", tmp);
	CHECK(mkdtemp(base) != NULL);
	atexit(cleanup);
	for (i = 0; i < FILES; i++)
		snprintf(files[i], sizeof(files[i]), "%s/f%zu", base, i);
	/* No key from the environment: only --api-key-file gives one. */
	unsetenv("GEMINI_API_KEY");
	unsetenv("GOOGLE_API_KEY");
	unsetenv("OPENAI_API_KEY");
	cmdline_init(&c);
	for (i = 0; c.longopts[i].name != NULL; i++)
		names[nnames++] = c.longopts[i].name;
	return 0;
}

/* The arguments, as the input gives them; returns their number. */
static int
make_argv(const uint8_t *data, size_t size, char **argv, size_t *used)
{
	const uint8_t *p = data + 1, *end = data + size, *nul;
	char buf[4096];
	int n = 1, want = data[0] % ARGS_MAX, argc;
	size_t len;
	char *slash, *eq;

	argv[0] = strdup("rowpool");
	while (n <= want && p < end &&
	    (nul = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		len = (size_t)(nul - p);
		if (len >= 2 && p[0] == 1)
			snprintf(buf, sizeof(buf), "--%s", names[p[1] % nnames]);
		else if (len >= 2 && p[0] == 2)
			snprintf(buf, sizeof(buf), "--%s=%.*s",
			    names[p[1] % nnames], (int)(len - 2), p + 2);
		else
			snprintf(buf, sizeof(buf), "%.*s", (int)len, p);
		if ((slash = strchr(buf, '/')) != NULL) {
			eq = strchr(buf, '=');
			snprintf(eq != NULL && eq < slash ? eq + 1 : buf,
			    sizeof(buf) - (size_t)(eq != NULL && eq < slash ?
			    eq + 1 - buf : 0), "%s", files[(unsigned char)
			    slash[1] % FILES]);
		}
		CHECK((argv[n++] = strdup(buf)) != NULL);
		p = nul + 1;
	}
	argv[n] = NULL;
	*used = (size_t)(p - data);
	for (argc = n, argv_lines = false; --n > 0; )
		argv_lines |= strpbrk(argv[n], "\n\r") != NULL;
	return argc;
}

/* The scratch files' contents: what follows the arguments. */
static void
make_files(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *nul;
	size_t i;
	int fd;

	for (i = 0; i < FILES; i++)
		unlink(files[i]);
	for (i = 0; i < FILES - 1 && p < end; i++) {
		nul = memchr(p, '\0', (size_t)(end - p));
		fd = open(files[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		CHECK(fd != -1);
		CHECK(write_full(fd, p, nul != NULL ? (size_t)(nul - p) :
		    (size_t)(end - p)) == 0);
		close(fd);
		p = nul != NULL ? nul + 1 : end;
	}
}

/*
 * A message: "rowpool: " and one line, then tail; a line break the user
 * typed in an argument may be quoted as it is (git does the same).
 */
static void
check_message(const char *text, const char *tail)
{
	size_t n = strlen(text), t = strlen(tail);

	CHECK(strncmp(text, "rowpool: ", 9) == 0);
	CHECK(n >= 9 + t && strcmp(text + n - t, tail) == 0);
	CHECK(argv_lines || memchr(text, '\n', n - t) == NULL);
}

/* What main did, judged by how it ended. */
static void
check_exit(const char *out, const char *err, bool ran)
{
	if (ran || exit_code == -1) {
		CHECK(out[0] == '\0' && err[0] == '\0');
		return;
	}
	switch (exit_code) {
	case 0:
		CHECK(out[0] != '\0' && err[0] == '\0');
		break;
	case EX_USAGE:
		CHECK(out[0] == '\0');
		/* An unknown option: getopt's message (off here), then Try. */
		if (strcmp(err, "Try 'rowpool --help'.\n") != 0)
			check_message(err, "\nTry 'rowpool --help'.\n");
		break;
	case EX_CONFIG:
		CHECK(out[0] == '\0');
		check_message(err, "\n");
		break;
	default:
		CHECK(!"exit status");
	}
}

/* The arguments main hands processor p (proc_args, without its exit). */
static void
args_for(const struct cmdline *c, const struct processor *p,
    const char **args)
{
	const struct proc_option *opt;
	size_t i;

	for (i = 0; (opt = processor_option(p, i)) != NULL; i++)
		args[i] = opt->name != NULL ? given(c, opt->name) : NULL;
}

static void
check_value(const struct proc_option *opt, const char *arg, const json_t *v)
{
	const char *const *e;

	switch (opt->type) {
	case PROC_OPT_COUNT:
		if (v == NULL) {
			CHECK(opt->none != NULL && strcmp(arg, opt->none) == 0);
			break;
		}
		CHECK(json_is_integer(v) && json_integer_value(v) >= opt->min &&
		    json_integer_value(v) <= opt->max);
		break;
	case PROC_OPT_NUMBER:
		CHECK(json_is_real(v) && isfinite(json_real_value(v)));
		CHECK(json_real_value(v) == strtod(arg, NULL));
		break;
	case PROC_OPT_ENUM:
		CHECK(json_is_string(v));
		for (e = opt->values; *e != NULL; e++)
			if (strcmp(*e, json_string_value(v)) == 0)
				break;
		CHECK(*e != NULL && strcmp(*e, arg) == 0);
		break;
	case PROC_OPT_STRING:
		CHECK(json_is_string(v) && strcmp(json_string_value(v), arg) ==
		    0);
		break;
	case PROC_OPT_FLAG:
		CHECK(json_is_true(v));	/* given: whatever main passed */
		break;
	default:
		CHECK(v == NULL);	/* files are read later */
	}
}

/* The value procopt_config must have stored for opt. */
static void
check_stored(const struct proc_option *opt, const char *arg,
    const json_t *settings, const json_t *conf)
{
	char err[PATH_MAX + 1024], key[160];
	const char *name;
	json_t *v;

	if (opt->type == PROC_OPT_KEY_FILE) {
		CHECK(json_object_get(settings, opt->key) == NULL);
		return;
	}
	CHECK(procopt_value(opt, arg, &v, err, sizeof(err)) == PROCOPT_OK);
	if (opt->results) {
		CHECK(json_equal(json_object_get(settings, opt->key), v != NULL ?
		    v : json_null()));
		CHECK(json_equal(json_object_get(conf, opt->key),
		    json_object_get(settings, opt->key)));
	} else
		CHECK(v == NULL ? json_object_get(conf, opt->key) == NULL :
		    json_equal(json_object_get(conf, opt->key), v));
	snprintf(key, sizeof(key), "%s_file", opt->key);
	name = json_string_value(json_object_get(conf, key));
	if (arg != NULL && (opt->type == PROC_OPT_TEXT_FILE ||
	    opt->type == PROC_OPT_JSON_FILE ||
	    opt->type == PROC_OPT_SCHEMA_FILE))
		CHECK(name != NULL ? strcmp(name, arg) == 0 :
		    (v = json_string(arg)) == NULL);	/* not UTF-8: none */
	else
		CHECK(name == NULL);
	json_decref(v);
}

/* procopt on the arguments processor p would get. */
static void
check_procopt(const struct processor *p, const struct cmdline *c)
{
	const char *args[PROC_OPTIONS_MAX] = { NULL };
	const struct proc_option *opt;
	char err[PATH_MAX + 1024], err2[sizeof(err)], first[sizeof(err)];
	char small[8];
	const char *name;
	enum procopt_status st, want = PROCOPT_OK;
	json_t *v, *settings, *conf;
	size_t i;

	args_for(c, p, args);
	first[0] = '\0';
	for (i = 0; (opt = processor_option(p, i)) != NULL; i++) {
		name = procopt_argname(opt, small, sizeof(small));
		CHECK(opt->type == PROC_OPT_FLAG ? name == NULL :
		    strlen(name) < (opt->arg != NULL || opt->values == NULL ?
		    64 : sizeof(small)));
		if (args[i] == NULL)
			continue;
		st = procopt_parse(opt, args[i], &v, err, sizeof(err));
		if (st == PROCOPT_OK)
			check_value(opt, args[i], v);
		else {
			CHECK(st == PROCOPT_USAGE && v == NULL);
			CHECK(strncmp(err, "--", 2) == 0 &&
			    strncmp(err + 2, opt->name, strlen(opt->name)) == 0);
			if (want == PROCOPT_OK) {
				want = PROCOPT_USAGE;
				strlcpy(first, err, sizeof(first));
			}
		}
		json_decref(v);
	}
	st = procopt_check(p, args, err, sizeof(err));
	CHECK(want == PROCOPT_OK ? st != PROCOPT_USAGE :
	    st == PROCOPT_USAGE && strcmp(err, first) == 0);
	if (st == PROCOPT_CONFIG)
		CHECK(strstr(err, "is required by the") != NULL);
	settings = json_object();
	if (procopt_config(p, args, settings, 1234, &conf, err2,
	    sizeof(err2)) != PROCOPT_OK) {
		CHECK(conf == NULL && err2[0] != '\0');
		CHECK(st == PROCOPT_OK || strcmp(err, err2) == 0);
	} else {
		CHECK(st == PROCOPT_OK);
		CHECK(json_integer_value(json_object_get(conf, "timeout_ms")) ==
		    1234);
		for (i = 0; (opt = processor_option(p, i)) != NULL; i++)
			check_stored(opt, args[i], settings, conf);
	}
	json_decref(conf);
	json_decref(settings);
}

/* A run's options, as run_main gets them. */
static void
check_ran(const struct run_opts *o, const struct cmdline *c)
{
	const struct processor *p = processor_find(o->processor);
	const char *args[PROC_OPTIONS_MAX] = { NULL };
	const struct proc_option *opt;
	char err[PATH_MAX + 1024];
	size_t i, n = 3;

	CHECK(p != NULL && o->input != NULL && o->input[0] != '\0');
	CHECK(o->output != NULL && o->output[0] != '\0');
	CHECK(o->format == INPUT_CSV || o->format == INPUT_JSONL);
	CHECK(o->timeout_ms >= 1 && o->workers >= 1 && o->workers <= 1024);
	CHECK(o->max_row_bytes >= 64 && o->batch >= 1);
	CHECK(json_is_string(json_object_get(o->settings, "processor")));
	CHECK(json_is_string(json_object_get(o->settings, "format")));
	CHECK(json_is_integer(json_object_get(o->settings, "max_row_bytes")));
	for (i = 0; (opt = processor_option(p, i)) != NULL; i++)
		if (opt->results) {
			CHECK(json_object_get(o->settings, opt->key) != NULL);
			n++;
		}
	/* A processor that runs a command has it, the words after "--". */
	if (p->command != NULL) {
		CHECK(json_array_size(json_object_get(o->settings,
		    "command")) == c->ncmd && c->ncmd > 0);
		n++;
	} else
		CHECK(c->ncmd == 0);
	CHECK(json_object_size(o->settings) == n);
	CHECK(json_integer_value(json_object_get(o->pconf, "timeout_ms")) ==
	    o->timeout_ms);
	args_for(c, p, args);
	CHECK(procopt_check(p, args, err, sizeof(err)) == PROCOPT_OK);
	CHECK(o->dry_run || !p->key_required || o->api_key != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run_opts o;
	static struct cmdline c;
	char *argv[ARGS_MAX + 2], *out = NULL, *err = NULL;
	size_t outlen, errlen, used, i;
	bool ran = false, check = false;
	int argc, shift = 0;

	if (size < 1)
		return 0;
	argc = make_argv(data, size, argv, &used);
	make_files(data + used, data + size);
	CHECK((fuzz_out = open_memstream(&out, &outlen)) != NULL);
	CHECK((fuzz_err = open_memstream(&err, &errlen)) != NULL);
	run_opts_init(&o);
	cmdline_init(&c);
	exit_code = -1;
	optind = 0;	/* glibc: start over */
	opterr = 0;
	if (setjmp(exited) == 0) {
		/* main(): a command first, or an option. */
		if (argc > 1 && (strcmp(argv[1], "run") == 0 ||
		    (check = strcmp(argv[1], "check") == 0)))
			shift = 1;
		else if (argc > 1 && argv[1][0] != '-')
			usage_error("unknown command '%s'", argv[1]);
		parse_args(argc - shift, argv + shift, &o, &c);
		check_opts(&o, argv[shift + optind]);
		if (!check) {	/* rowpool check goes on to try things */
			check_processor(&o, &c);
			ran = true;
		}
	}
	fclose(fuzz_out);
	fclose(fuzz_err);
	check_exit(out, err, ran);
	if (ran)
		check_ran(&o, &c);
	for (i = 0; processor_at(i) != NULL; i++)
		check_procopt(processor_at(i), &c);
	if (o.api_key != NULL)
		free((char *)(uintptr_t)o.api_key);
	log_hide(NULL);
	json_decref(o.settings);
	json_decref(o.pconf);
	free(out);
	free(err);
	for (i = 0; i < (size_t)argc; i++)
		free(argv[i]);
	return 0;
}
