/*
 * processor: what a worker does with one row.  A processor makes exactly
 * one attempt and reports what happened; whether and when to retry is the
 * supervisor's decision, never the processor's.
 *
 * Domain tier: statuses and messages, never prints or exits.
 *
 * Calling sequence:
 *  0. in the supervisor, before any worker starts: p->check(cfg, columns,
 *     ncolumns, err, errlen) may refuse the configuration (exit 78), e.g.
 *     a prompt placeholder that names no column; no network here;
 * in a worker process, after fork:
 *  1. p = processor_find(name);
 *  2. p->init(&state, cfg, err, errlen) once; on -1 the worker reports
 *     err to the supervisor and exits;
 *  3. p->process(state, row, index, &res) for each row; the processor
 *     fills res (proc_result_ok / proc_result_error); when it cannot go
 *     on (the program it runs died), it sets res->restart: the worker
 *     sends the result, then calls fini and exits, and the pool starts a
 *     fresh worker after its start-up backoff;
 *  4. p->fini(state) at the end.
 * in the supervisor, for the response cache (cache.h), when p->render is
 * not NULL: no network, no key (cfg->api_key is NULL):
 *  R1. p->render_init(&rstate, cfg, err, errlen) once;
 *  R2. p->render(rstate, row, &len) for each row: the request body the
 *      row makes, exactly as process() sends it (malloc'd, NUL-terminated,
 *      len without the NUL), or NULL with errno (ENOMEM);
 *  R3. p->render_fini(rstate).
 * With the processor's name and its "model" setting, the body is what
 * determines an answer: the cache's key.
 *
 * Each processor declares its command-line options in tables of struct
 * proc_option: --help, getopt, the parsing and checking of each value and
 * the settings a processor reads are all made from them (procopt.h, and
 * main for the command line).
 */
#ifndef ROWPOOL_PROCESSOR_H
#define ROWPOOL_PROCESSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rowpool/kind.h"

#define PROC_KIND_MAX		32
#define PROC_MESSAGE_MAX	512

struct proc_result {
	int	 ok;		/* 1: data is the answer */
	json_t	*data;		/* ok: the answer (owned by res) */
	json_t	*extra;		/* optional fields merged into the result
				   record, e.g. usage, model_version (owned) */
	enum kind kind;		/* !ok: error kind */
	char	 message[PROC_MESSAGE_MAX];	/* !ok: what went wrong */
	long	 retry_after_ms;	/* !ok: server-requested delay, -1 none */
	int	 retry;		/* !ok: enum retry_policy, or -1 to let the
				   supervisor decide from kind alone */
	long	 quota_rpm;	/* !ok: a 429's per-minute quota, 0 */
	int	 unreachable;	/* !ok: the API was never reached (DNS,
				   connection refused, TLS) */
	int	 restart;	/* !ok: the processor cannot go on; its
				   worker exits after this result */
};

/* The row of a log line that is about none. */
#define PROC_NO_ROW	UINT64_MAX
/* The longest log line a processor passes to say, the NUL excluded. */
#define PROC_LOG_MAX	1024

/*
 * What a processor reads: its settings (key -> value, for the options
 * that change results), its other options, the names of the files values
 * came from ("prompt_file") and "timeout_ms" (see procopt.h).
 */
struct proc_config {
	const json_t	*settings;	/* object: option key -> value */
	const char	*api_key;	/* never logged, never in settings */
	/*
	 * In a worker (set by worker_serve; NULL elsewhere): puts one line,
	 * UTF-8 without a newline, at most PROC_LOG_MAX bytes, in the
	 * supervisor's log, about row (or PROC_NO_ROW).  Blocks until it is
	 * sent; a broken channel is noticed by the worker, not the caller.
	 */
	void		(*say)(void *say_arg, uint64_t row, const char *line);
	void		*say_arg;
};

/* What an option's argument is, and what becomes of it. */
enum proc_opt_type {
	PROC_OPT_STRING,	/* the argument itself (UTF-8) */
	PROC_OPT_TEXT_FILE,	/* the text of the file it names (UTF-8) */
	PROC_OPT_JSON_FILE,	/* the JSON value in the file it names */
	PROC_OPT_SCHEMA_FILE,	/* a JSON Schema in the file (schema.h) */
	PROC_OPT_NUMBER,	/* a finite real number */
	PROC_OPT_COUNT,		/* an integer from min to max, or none */
	PROC_OPT_ENUM,		/* one of values */
	PROC_OPT_KEY_FILE,	/* the API key's file (apikey.h): read by
				   the caller, never a setting */
	PROC_OPT_FLAG,		/* no argument: true when given, false
				   when not (def is not used) */
};

/*
 * One option of a processor.  Its value goes under key: into the
 * settings when it changes results (the manifest keeps them; a resume
 * with another value is refused), otherwise into the processor's
 * configuration only.  A file's name also goes into the configuration,
 * as key "_file" ("prompt_file"), for messages.
 *
 * An option not given takes def, parsed as an argument would be; with no
 * def it is null in the settings and absent from the configuration.  An
 * entry with no name is a setting with no option: always def (or null),
 * kept so that the settings keep their keys.  A table ends with an entry
 * whose key is NULL.
 */
struct proc_option {
	const char		*key;	/* "max_output_tokens" */
	const char		*name;	/* long option: "max-output-tokens" */
	const char		*arg;	/* "N" in --help; NULL: the values */
	const char		*help;	/* for --help, one sentence */
	const char		*def;	/* default, as an argument, or NULL */
	enum proc_opt_type	 type;
	bool			 results;	/* changes results: a setting */
	bool			 required;	/* must be given */
	long long		 min, max;	/* PROC_OPT_COUNT */
	const char		*none;	/* PROC_OPT_COUNT: the argument that
					   means "none" (null) */
	const char *const	*values;	/* PROC_OPT_ENUM, NULL-ended */
};

/* No processor has more options than this, and all processors together
 * have no more option names than PROC_NAMES_MAX (a unit test checks). */
#define PROC_OPTIONS_MAX	32
#define PROC_NAMES_MAX		64

struct processor {
	const char	*name;
	const char	*summary;	/* one line for --help */
	/* Tables of options, NULL-terminated (tables may be shared between
	 * processors); NULL: no options. */
	const struct proc_option *const *options;
	/* The environment variables that may hold its API key, in the order
	 * they are tried; NULL: it takes no key. */
	const char *const *key_env;
	bool		 key_required;	/* no key at all is an error */
	/*
	 * The processor runs a command given after INPUT and "--" (CMD
	 * [ARGS...]): this says what it is, for --help; the command is the
	 * setting "command", an array of strings (procopt_command).  NULL:
	 * the processor takes no command.
	 */
	const char	*command;
	/* May be NULL.  Columns are NULL for JSONL input. */
	int		(*check)(const struct proc_config *cfg,
			    const char *const *columns, size_t ncolumns,
			    char *err, size_t errlen);
	int		(*init)(void **state, const struct proc_config *cfg,
			    char *err, size_t errlen);
	void		(*process)(void *state, json_t *row, uint64_t index,
			    struct proc_result *res);
	void		(*fini)(void *state);
	/* May be NULL: then answers are never cached.  See R1-R3. */
	int		(*render_init)(void **state,
			    const struct proc_config *cfg, char *err,
			    size_t errlen);
	char		*(*render)(void *state, json_t *row, size_t *len);
	void		(*render_fini)(void *state);
};

/* The processor called name, or NULL. */
const struct processor	*processor_find(const char *name);

/* The i-th processor of the registry, in --help order; NULL past the end. */
const struct processor	*processor_at(size_t i);

/* Space-separated names of every processor, for usage messages. */
const char		*processor_names(void);

/*
 * p's i-th option, counting through its tables in order (entries with no
 * name included); NULL past the last.
 */
const struct proc_option *processor_option(const struct processor *p,
			    size_t i);

/* The option of p whose long name is name, or NULL. */
const struct proc_option *processor_option_find(const struct processor *p,
			    const char *name);

void	proc_result_init(struct proc_result *res);
void	proc_result_release(struct proc_result *res);
/* Sets an ok result; takes ownership of data. */
void	proc_result_ok(struct proc_result *res, json_t *data);
/* Sets an error result of the given kind. */
void	proc_result_error(struct proc_result *res, enum kind kind,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The RESULT payload the worker sends: see proto.h. */

#endif
