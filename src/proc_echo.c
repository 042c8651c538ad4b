/*
 * proc_echo: the processor that answers each row with the row itself.  It
 * exercises the whole pool, journal and resume path without a network.
 */
#include <errno.h>
#include <string.h>

#include "rowpool/processor.h"

static int
echo_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	*state = NULL;
	return 0;
}

static void
echo_process(void *state, json_t *row, uint64_t index,
    struct proc_result *res)
{
	proc_result_ok(res, json_incref(row));
}

static void
echo_fini(void *state)
{
}

/* The answer is the row: the row's JSON is its request. */
static int
echo_render_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	*state = NULL;
	return 0;
}

static char *
echo_render(void *state, json_t *row, size_t *len)
{
	char *s = json_dumps(row, JSON_COMPACT);

	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*len = strlen(s);
	return s;
}

const struct processor proc_echo = {
	.name = "echo",
	.summary = "answers each row with the row itself: tests, benchmarks",
	.options = NULL,	/* nothing to configure */
	.init = echo_init,
	.process = echo_process,
	.fini = echo_fini,
	.render_init = echo_render_init,
	.render = echo_render,
	.render_fini = echo_fini,
};
