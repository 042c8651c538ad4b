/*
 * processor: the registry of processors (the one list of them: --help,
 * messages and lookups all come from it), the walk through a processor's
 * option tables, and the proc_result helpers.  The result encoding here
 * is the only producer of RESULT payloads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rowpool/msgbuf.h"
#include "rowpool/processor.h"
#include "rowpool/sched.h"

extern const struct processor proc_echo;
extern const struct processor proc_exec;
extern const struct processor proc_gemini;
extern const struct processor proc_openai;

static const struct processor *const processors[] = {
	&proc_gemini,
	&proc_openai,
	&proc_echo,
	&proc_exec,
};

#define NPROCESSORS	(sizeof(processors) / sizeof(processors[0]))

const struct processor *
processor_at(size_t i)
{
	return i < NPROCESSORS ? processors[i] : NULL;
}

const struct processor *
processor_find(const char *name)
{
	size_t i;

	for (i = 0; i < NPROCESSORS; i++)
		if (strcmp(processors[i]->name, name) == 0)
			return processors[i];
	return NULL;
}

const char *
processor_names(void)
{
	static char names[256];
	size_t i;

	if (names[0] == '\0')
		for (i = 0; i < NPROCESSORS; i++) {
			if (i > 0)
				strlcat(names, " ", sizeof(names));
			strlcat(names, processors[i]->name, sizeof(names));
		}
	return names;
}

const struct proc_option *
processor_option(const struct processor *p, size_t i)
{
	const struct proc_option *const *t;
	const struct proc_option *o;

	for (t = p->options; t != NULL && *t != NULL; t++)
		for (o = *t; o->key != NULL; o++)
			if (i-- == 0)
				return o;
	return NULL;
}

const struct proc_option *
processor_option_find(const struct processor *p, const char *name)
{
	const struct proc_option *o;
	size_t i;

	for (i = 0; (o = processor_option(p, i)) != NULL; i++)
		if (o->name != NULL && strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

void
proc_result_init(struct proc_result *res)
{
	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
	res->retry = -1;
}

void
proc_result_release(struct proc_result *res)
{
	json_decref(res->data);
	json_decref(res->extra);
	proc_result_init(res);
}

void
proc_result_ok(struct proc_result *res, json_t *data)
{
	res->ok = 1;
	json_decref(res->data);
	res->data = data;
}

void
proc_result_error(struct proc_result *res, enum kind kind,
    const char *fmt, ...)
{
	va_list ap;

	res->ok = 0;
	res->kind = kind;
	/* Cut with "..." and cleaned of broken UTF-8: JSON needs it. */
	va_start(ap, fmt);
	msgbuf_vformat(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}
