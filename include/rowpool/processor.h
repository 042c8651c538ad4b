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
 *     fills res (proc_result_ok / proc_result_error);
 *  4. p->fini(state) at the end.
 */
#ifndef ROWPOOL_PROCESSOR_H
#define ROWPOOL_PROCESSOR_H

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
};

/* Settings a processor may read; the full command-line settings. */
struct proc_config {
	const json_t	*settings;	/* object: option name -> value */
	const char	*api_key;	/* never logged, never in settings */
};

struct processor {
	const char	*name;
	/* May be NULL.  Columns are NULL for JSONL input. */
	int		(*check)(const struct proc_config *cfg,
			    const char *const *columns, size_t ncolumns,
			    char *err, size_t errlen);
	int		(*init)(void **state, const struct proc_config *cfg,
			    char *err, size_t errlen);
	void		(*process)(void *state, json_t *row, uint64_t index,
			    struct proc_result *res);
	void		(*fini)(void *state);
};

/* The processor called name, or NULL. */
const struct processor	*processor_find(const char *name);

/* Space-separated names of every processor, for usage messages. */
const char		*processor_names(void);

void	proc_result_init(struct proc_result *res);
void	proc_result_release(struct proc_result *res);
/* Sets an ok result; takes ownership of data. */
void	proc_result_ok(struct proc_result *res, json_t *data);
/* Sets an error result of the given kind. */
void	proc_result_error(struct proc_result *res, enum kind kind,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The RESULT payload the worker sends: see proto.h. */

#endif
