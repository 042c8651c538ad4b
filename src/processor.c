/*
 * processor: the registry of processors and the proc_result helpers.  The
 * result encoding here is the only producer of RESULT payloads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rowpool/processor.h"
#include "rowpool/sched.h"
#include "rowpool/utf8.h"

extern const struct processor proc_echo;
extern const struct processor proc_gemini;
extern const struct processor proc_openai;

static const struct processor *const processors[] = {
	&proc_gemini,
	&proc_openai,
	&proc_echo,
};

const struct processor *
processor_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(processors) / sizeof(processors[0]); i++)
		if (strcmp(processors[i]->name, name) == 0)
			return processors[i];
	return NULL;
}

const char *
processor_names(void)
{
	return "gemini openai echo";
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
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	/* Truncation or a server's bytes may break UTF-8: JSON needs it. */
	utf8_clean(res->message);
}
