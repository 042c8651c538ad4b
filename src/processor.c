/*
 * processor: the registry of processors and the proc_result helpers.  The
 * result encoding here is the only producer of RESULT payloads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rowpool/msgbuf.h"
#include "rowpool/processor.h"
#include "rowpool/sched.h"

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
proc_result_error(struct proc_result *res, const char *kind,
    const char *fmt, ...)
{
	va_list ap;

	res->ok = 0;
	strlcpy(res->kind, kind, sizeof(res->kind));
	/* Cut with "..." and cleaned of broken UTF-8: JSON needs it. */
	va_start(ap, fmt);
	msgbuf_vformat(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

char *
proc_result_encode(const struct proc_result *res, size_t *len)
{
	json_t *o;
	char *s;

	if (res->ok) {
		o = json_pack("{s:b, s:O}", "ok", 1, "data",
		    res->data ? res->data : json_null());
		if (o != NULL && res->extra != NULL)
			json_object_update(o, res->extra);
	} else {
		o = json_pack("{s:b, s:s, s:s, s:I}", "ok", 0, "kind",
		    res->kind, "message", res->message, "retry_after_ms",
		    (json_int_t)res->retry_after_ms);
		if (o != NULL && res->quota_rpm > 0)
			json_object_set_new(o, "quota_rpm",
			    json_integer(res->quota_rpm));
		if (o != NULL && res->unreachable)
			json_object_set_new(o, "unreachable", json_true());
		if (o != NULL && res->retry >= 0)
			json_object_set_new(o, "retry", json_string(
			    sched_retry_name((enum retry_policy)res->retry)));
	}
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL)
		*len = strlen(s);
	return s;
}
