/*
 * main: the command line.  It parses options into a struct run_opts,
 * validates them (exit 64 on a usage error), and maps nothing else: the
 * exit status comes from run_main.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rowpool/cmd.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/log.h"
#include "rowpool/processor.h"
#include "rowpool/run.h"
#include "rowpool/schema.h"
#include "rowpool/secret.h"

static const char usage_text[] =
"usage: rowpool run [OPTIONS] --output FILE INPUT|-\n"
"       rowpool --help | --version\n"
"\n"
"Runs a processor over every row of INPUT (CSV with a header row, or JSONL)\n"
"in parallel worker processes, with a crash-safe checkpoint after every\n"
"batch.  The same command run again resumes where the last one stopped.\n"
"\n"
"Options:\n"
"  -o, --output FILE       results, one JSON line per input row (required)\n"
"      --state DIR         run state (journal, manifest, lock, log);\n"
"                          default FILE.state\n"
"      --format csv|jsonl  input format (default: from INPUT's extension)\n"
"      --processor NAME    gemini (default), openai, or echo\n"
"  -j, --workers N         worker processes (default 10)\n"
"      --batch-size N      rows per checkpoint (default 10)\n"
"      --timeout SECONDS   per attempt (default 120)\n"
"      --retries N         extra attempts after the first (default 3)\n"
"      --worker-max-rows N recycle a worker after N rows (default 1000;\n"
"                          0 never)\n"
"      --grace SECONDS     on SIGINT/SIGTERM, time for rows in flight\n"
"                          (default 10)\n"
"      --max-row-bytes N   larger rows are input errors (default 1048576)\n"
"      --strict            stop at the first bad input row (exit 65)\n"
"      --restart           discard the state and start over\n"
"      --log FILE          log file (default STATE/log)\n"
"      --rpm N             at most N requests a minute (all workers)\n"
"      --tpm N             at most N tokens a minute (estimated before a\n"
"                          request, corrected by the usage that comes back)\n"
"      --max-outage SECONDS\n"
"                          stop (exit 75) when the API keeps failing this\n"
"                          long (default 900)\n"
"\n"
"Gemini and OpenAI-compatible processors:\n"
"      --prompt FILE       prompt template; {{column}} is the row's value\n"
"      --system FILE       system instruction\n"
"      --schema FILE       JSON Schema of the answer (JSON mode)\n"
"      --schema-dialect json|openapi\n"
"                          send it as responseJsonSchema (default) or as\n"
"                          responseSchema (OpenAPI subset)\n"
"      --model NAME        default gemini-2.5-flash\n"
"      --endpoint URL      default https://generativelanguage.googleapis.com\n"
"                          (openai: the URL before /chat/completions)\n"
"      --temperature T     --max-output-tokens N\n"
"      --thinking-budget N default 0 (gemini); -1 leaves it to the model\n"
"      --api-key-file FILE the key, in a file only its owner can read;\n"
"                          otherwise GEMINI_API_KEY or GOOGLE_API_KEY\n"
"                          (openai: OPENAI_API_KEY, optional)\n"
"  -v, --verbose           also print the log to stderr (twice: debug)\n"
"  -q, --quiet             no failure summary on stderr\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"\n"
"Exit status:\n"
"   0  every row ok              1  complete, some rows failed\n"
"  64  usage error (also: an     65  bad input, a damaged or edited\n"
"      output, log or state         state, or state from another\n"
"      that is the input)           input/settings (see --restart)\n"
"  66  input missing            69  API unreachable (never answered)\n"
"  70  internal error           71  workers cannot start, or out of\n"
"  73  cannot create output         memory\n"
"      or state                 74  I/O error\n"
"  75  interrupted, locked, daily quota exhausted, or an outage past\n"
"      --max-outage: rerun the same command to resume\n"
"  77  API key refused          78  configuration error\n";

enum {
	OPT_STATE = 256, OPT_FORMAT, OPT_PROCESSOR, OPT_BATCH, OPT_TIMEOUT,
	OPT_RETRIES, OPT_MAXROWS, OPT_GRACE, OPT_MAXBYTES, OPT_STRICT,
	OPT_RESTART, OPT_LOG, OPT_PROMPT, OPT_SYSTEM, OPT_SCHEMA, OPT_DIALECT,
	OPT_MODEL, OPT_ENDPOINT, OPT_TEMP, OPT_MAXTOK, OPT_THINK, OPT_KEYFILE,
	OPT_RPM, OPT_TPM, OPT_OUTAGE
};

/* What the LLM processors are told, before it becomes JSON settings. */
struct llm_opts {
	const char	*prompt;
	const char	*system;
	const char	*schema;
	const char	*dialect;
	const char	*model;
	const char	*endpoint;
	const char	*keyfile;
	json_t		*temperature;
	json_t		*max_tokens;
	long		 thinking;	/* -1: not sent */
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "processor", required_argument, NULL, OPT_PROCESSOR },
	{ "workers", required_argument, NULL, 'j' },
	{ "batch-size", required_argument, NULL, OPT_BATCH },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "worker-max-rows", required_argument, NULL, OPT_MAXROWS },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "max-row-bytes", required_argument, NULL, OPT_MAXBYTES },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "restart", no_argument, NULL, OPT_RESTART },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "prompt", required_argument, NULL, OPT_PROMPT },
	{ "system", required_argument, NULL, OPT_SYSTEM },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "schema-dialect", required_argument, NULL, OPT_DIALECT },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "temperature", required_argument, NULL, OPT_TEMP },
	{ "max-output-tokens", required_argument, NULL, OPT_MAXTOK },
	{ "thinking-budget", required_argument, NULL, OPT_THINK },
	{ "api-key-file", required_argument, NULL, OPT_KEYFILE },
	{ "rpm", required_argument, NULL, OPT_RPM },
	{ "tpm", required_argument, NULL, OPT_TPM },
	{ "max-outage", required_argument, NULL, OPT_OUTAGE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Prints "rowpool: message" and tail, exits with code. */
static _Noreturn void
vdie(int code, const char *tail, const char *fmt, va_list ap)
{
	fputs("rowpool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
	exit(code);
}

static _Noreturn void __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(EX_USAGE, "\nTry 'rowpool --help'.\n", fmt, ap);
}

static unsigned long
parse_count(const char *opt, const char *s, unsigned long min,
    unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] == '-' || end == s || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		usage_error("%s: '%s' is not a number from %lu to %lu", opt, s,
		    min, max);
	return v;
}

static int64_t
parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < 0 || v > 1e7)
		usage_error("%s: '%s' is not a number of seconds", opt, s);
	return (int64_t)(v * 1000 + 0.5);
}

static enum input_format
parse_format(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return INPUT_CSV;
	if (strcmp(s, "jsonl") == 0)
		return INPUT_JSONL;
	usage_error("--format: '%s' is not csv or jsonl", s);
}

static json_t *
parse_real(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
		usage_error("%s: '%s' is not a number", opt, s);
	return json_real(v);
}

/* Options of the LLM processors; false when c is not one of them. */
static bool
parse_llm_opt(struct llm_opts *l, int c, const char *arg)
{
	switch (c) {
	case OPT_PROMPT: l->prompt = arg; break;
	case OPT_SYSTEM: l->system = arg; break;
	case OPT_SCHEMA: l->schema = arg; break;
	case OPT_DIALECT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "openapi") != 0)
			usage_error("--schema-dialect: '%s' is not json or "
			    "openapi", arg);
		l->dialect = arg;
		break;
	case OPT_MODEL: l->model = arg; break;
	case OPT_ENDPOINT: l->endpoint = arg; break;
	case OPT_KEYFILE: l->keyfile = arg; break;
	case OPT_TEMP:
		json_decref(l->temperature);
		l->temperature = parse_real("--temperature", arg);
		break;
	case OPT_MAXTOK:
		json_decref(l->max_tokens);
		l->max_tokens = json_integer((json_int_t)parse_count(
		    "--max-output-tokens", arg, 1, 10000000));
		break;
	case OPT_THINK:
		l->thinking = strcmp(arg, "-1") == 0 ? -1 :
		    (long)parse_count("--thinking-budget", arg, 0, 1000000);
		break;
	default:
		return false;
	}
	return true;
}

static void
parse_opt(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'o': o->output = arg; break;
	case OPT_STATE: o->state = arg; break;
	case OPT_FORMAT: o->format = parse_format(arg); break;
	case OPT_PROCESSOR: o->processor = arg; break;
	case 'j':
		o->workers = (unsigned)parse_count("--workers", arg, 1, 1024);
		break;
	case OPT_BATCH:
		o->batch = (unsigned)parse_count("--batch-size", arg, 1,
		    10000000);
		break;
	case OPT_TIMEOUT: o->timeout_ms = parse_seconds("--timeout", arg);
		break;
	case OPT_RETRIES:
		o->retries = (unsigned)parse_count("--retries", arg, 0, 100);
		break;
	case OPT_MAXROWS:
		o->worker_max_rows = (unsigned)parse_count("--worker-max-rows",
		    arg, 0, UINT_MAX);
		break;
	case OPT_GRACE: o->grace_ms = parse_seconds("--grace", arg); break;
	case OPT_MAXBYTES:
		o->max_row_bytes = parse_count("--max-row-bytes", arg, 64,
		    256ul << 20);
		break;
	case OPT_STRICT: o->strict = true; break;
	case OPT_RESTART: o->restart = true; break;
	case OPT_LOG: o->log_path = arg; break;
	case OPT_RPM:
		o->rpm = (double)parse_count("--rpm", arg, 1, 100000000);
		break;
	case OPT_TPM:
		o->tpm = (double)parse_count("--tpm", arg, 1, 4000000000ul);
		break;
	case OPT_OUTAGE:
		o->max_outage_ms = parse_seconds("--max-outage", arg);
		break;
	case 'v': o->verbose++; break;
	case 'q': o->quiet = true; break;
	default:
		fputs("Try 'rowpool --help'.\n", stderr);
		exit(EX_USAGE);
	}
}

static _Noreturn void __attribute__((format(printf, 1, 2)))
config_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(EX_CONFIG, "\n", fmt, ap);
}

/* Reads a whole small file; what says what it is for messages. */
static char *
read_text(const char *what, const char *path, struct stat *st)
{
	char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, st) == -1)
		config_error("%s '%s': %s", what, path, strerror(errno));
	if (st->st_size > (1 << 20))
		config_error("%s '%s': larger than 1 MiB", what, path);
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL)
		config_error("%s '%s': out of memory", what, path);
	if ((n = read_full(fd, buf, (size_t)st->st_size)) == -1)
		config_error("%s '%s': %s", what, path, strerror(errno));
	buf[n] = '\0';
	close(fd);
	if (strlen(buf) != (size_t)n)
		config_error("%s '%s': holds a NUL byte", what, path);
	return buf;
}

/* A key goes into a request header: no control byte may ride along. */
static char *
key_checked(char *key, const char *from)
{
	const unsigned char *p;

	if (key == NULL)
		config_error("the API key from %s: out of memory", from);
	for (p = (const unsigned char *)key; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			config_error("the API key from %s holds a control "
			    "character", from);
	return key;
}

/*
 * The key: --api-key-file (only its owner may read it), or the
 * environment.  It goes to the workers in memory only.
 */
static char *
api_key(const struct llm_opts *l, bool gemini)
{
	const char *env;
	struct stat st;
	char *key;
	size_t n;

	if (l->keyfile != NULL) {
		key = read_text("--api-key-file", l->keyfile, &st);
		if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
			config_error("--api-key-file '%s': readable by others "
			    "(mode %04o); chmod 600 it", l->keyfile,
			    (unsigned)(st.st_mode & 07777));
		n = strlen(key);
		while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r' ||
		    key[n - 1] == ' '))
			key[--n] = '\0';
		return key_checked(key, "--api-key-file");
	}
	env = gemini ? getenv("GEMINI_API_KEY") : getenv("OPENAI_API_KEY");
	if (gemini && (env == NULL || *env == '\0'))
		env = getenv("GOOGLE_API_KEY");
	if (env != NULL && *env != '\0')
		return key_checked(strdup(env), "the environment");
	if (gemini)
		config_error("no API key: set GEMINI_API_KEY (or "
		    "GOOGLE_API_KEY), or use --api-key-file FILE");
	return strdup("");
}

static json_t *
read_schema(const char *path)
{
	struct stat st;
	json_error_t jerr;
	json_t *schema;
	char *text, err[512];

	text = read_text("--schema", path, &st);
	schema = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (schema == NULL)
		config_error("--schema '%s': line %d, column %d: %s", path,
		    jerr.line, jerr.column, jerr.text);
	if (schema_validate_schema(schema, err, sizeof(err)) == -1)
		config_error("--schema '%s': %s", path, err);
	return schema;
}

/* A text file as a JSON string; it must be UTF-8. */
static json_t *
text_json(const char *what, const char *path)
{
	struct stat st;
	char *text = read_text(what, path, &st);
	json_t *v = json_string(text);

	free(text);
	if (v == NULL)
		config_error("%s '%s': not UTF-8", what, path);
	return v;
}

/* Adds the LLM settings (all of which change results) to settings. */
static void
llm_settings(json_t *set, struct llm_opts *l, bool gemini)
{
	if (l->prompt == NULL)
		config_error("--prompt FILE is required by the %s processor",
		    gemini ? "gemini" : "openai");
	json_object_set_new(set, "model", json_string(l->model ? l->model :
	    gemini ? "gemini-2.5-flash" : "gpt-4o-mini"));
	json_object_set_new(set, "prompt", text_json("--prompt", l->prompt));
	json_object_set_new(set, "system", l->system ?
	    text_json("--system", l->system) : json_null());
	json_object_set_new(set, "schema", l->schema ? read_schema(l->schema) :
	    json_null());
	json_object_set_new(set, "schema_dialect", json_string(l->dialect ?
	    l->dialect : "json"));
	json_object_set_new(set, "temperature", l->temperature ?
	    json_incref(l->temperature) : json_null());
	json_object_set_new(set, "max_output_tokens", l->max_tokens ?
	    json_incref(l->max_tokens) : json_null());
	json_object_set_new(set, "thinking_budget", gemini && l->thinking >= 0
	    ? json_integer(l->thinking) : json_null());
}

static const char *
format_name(enum input_format f)
{
	return f == INPUT_CSV ? "csv" : "jsonl";
}

static void
check_opts(struct run_opts *o, const char *input)
{
	o->input = input;
	if (o->output == NULL)
		usage_error("%s", "--output FILE is required");
	if (o->output[0] == '\0')
		usage_error("%s", "--output: the file name is empty");
	if (input[0] == '\0')
		usage_error("%s", "the INPUT file name is empty");
	if (o->format == 0)
		o->format = input_format_from_path(input);
	if (o->format == 0)
		usage_error("cannot tell the format of '%s' from its name; "
		    "use --format csv or --format jsonl", input);
	if (o->timeout_ms < 1)
		usage_error("%s", "--timeout must be above 0");
	if (processor_find(o->processor) == NULL)
		config_error("unknown processor '%s' (have: %s)", o->processor,
		    processor_names());
	/* The settings whose change would change results. */
	o->settings = json_pack("{s:s, s:s, s:I}", "processor", o->processor,
	    "format", format_name(o->format), "max_row_bytes",
	    (json_int_t)o->max_row_bytes);
}

/* The LLM processors' settings, processor configuration and key. */
static void
check_llm(struct run_opts *o, struct llm_opts *l)
{
	bool gemini = strcmp(o->processor, "gemini") == 0;

	if (!gemini && strcmp(o->processor, "openai") != 0)
		return;
	if (!gemini && l->endpoint == NULL)
		config_error("--endpoint URL is required by the openai "
		    "processor");
	llm_settings(o->settings, l, gemini);
	o->pconf = json_deep_copy(o->settings);
	json_object_set_new(o->pconf, "endpoint", json_string(l->endpoint ?
	    l->endpoint : "https://generativelanguage.googleapis.com"));
	json_object_set_new(o->pconf, "timeout_ms",
	    json_integer(o->timeout_ms));
	json_object_set_new(o->pconf, "prompt_file", json_string(l->prompt));
	if (l->system != NULL)
		json_object_set_new(o->pconf, "system_file",
		    json_string(l->system));
	if (l->schema != NULL)
		json_object_set_new(o->pconf, "schema_file",
		    json_string(l->schema));
	o->api_key = api_key(l, gemini);
	/* The supervisor keeps the key for the workers it will fork. */
	if (o->api_key != NULL && o->api_key[0] != '\0' &&
	    secret_nodump() == -1) {
		fprintf(stderr, "rowpool: cannot turn core dumps off: %s\n",
		    strerror(errno));
		exit(EX_OSERR);
	}
}

int
main(int argc, char *argv[], char *envp[])
{
	struct run_opts o;
	struct llm_opts l = { .thinking = 0 };
	int c, rc;

	setproctitle_init(argc, argv, envp);
	run_opts_init(&o);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0) {
		argv++;
		argc--;
	} else if (argv[1][0] != '-') {
		usage_error("unknown command '%s'", argv[1]);
	}
	while ((c = getopt_long(argc, argv, "o:j:vqhV", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (c == 'V') {
			puts("rowpool " ROWPOOL_VERSION);
			return 0;
		}
		if (!parse_llm_opt(&l, c, optarg))
			parse_opt(&o, c, optarg);
	}
	if (optind != argc - 1)
		usage_error("%s", optind < argc ? "one INPUT file, please" :
		    "no INPUT file given");
	check_opts(&o, argv[optind]);
	check_llm(&o, &l);
	log_set_verbose(o.verbose);
	rc = run_main(&o);
	if (o.api_key != NULL)
		explicit_bzero((char *)(uintptr_t)o.api_key, strlen(o.api_key));
	free((char *)(uintptr_t)o.api_key);
	json_decref(o.settings);
	json_decref(o.pconf);
	json_decref(l.temperature);
	json_decref(l.max_tokens);
	return rc;
}
