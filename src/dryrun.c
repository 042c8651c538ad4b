/*
 * dryrun: what a run would send, without sending it.  Invariant: no
 * file is created or changed, no process is forked, no request is made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/batch.h"
#include "rowpool/dryrun.h"
#include "rowpool/input.h"
#include "rowpool/io.h"
#include "rowpool/price.h"
#include "rowpool/progress.h"
#include "rowpool/template.h"

struct tally {
	uint64_t		 rows, bad;
	uint64_t		 bytes;		/* of the rendered prompts */
	const struct price	*price;		/* NULL: none known */
	long long		 sys_bytes;	/* the system instruction */
	long long		 max_out;	/* --max-output-tokens, or 0 */
	double			 cost;		/* estimated, USD */
};

static const char *
setting(const struct run_opts *o, const char *k)
{
	return json_string_value(json_object_get(o->settings, k));
}

/* The text a row's request carries: the rendered prompt, or the row. */
static char *
render(const struct template *t, const struct input_row *row, size_t *len)
{
	json_t *obj;
	char *text;

	if (t == NULL) {
		*len = row->len;
		return strdup(row->json);
	}
	if ((obj = json_loadb(row->json, row->len, 0, NULL)) == NULL)
		return NULL;
	text = template_render(t, obj, len);
	json_decref(obj);
	return text;
}

static int
tally_row(const struct template *t, const struct input_row *row,
    struct tally *n, FILE *out)
{
	size_t len;
	char *text;

	if ((text = render(t, row, &len)) == NULL)
		return -1;
	n->bytes += len;
	if (n->price != NULL)	/* per request: a price may have tiers */
		n->cost += price_estimate(n->price, ((long long)len +
		    n->sys_bytes) / 4, n->max_out);
	if (n->rows - n->bad <= DRYRUN_SHOW)
		fprintf(out, "--- row %llu (%zu bytes) ---\n%s%s",
		    (unsigned long long)row->index, len, text,
		    len > 0 && text[len - 1] == '\n' ? "" : "\n");
	free(text);
	return 0;
}

static int
tally(const struct run_opts *o, const struct template *t, struct tally *n,
    FILE *out)
{
	char err[INPUT_ERROR_MAX];
	enum input_status st;
	struct input_row row;
	struct input *in;

	if ((in = input_open_as(strcmp(o->input, "-") == 0 ? "/dev/stdin" :
	    o->input, strcmp(o->input, "-") == 0 ? "(stdin)" : o->input,
	    o->format, o->max_row_bytes, &st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rowpool: %s\n", err);
		return st == INPUT_FATAL ? EX_DATAERR : EX_NOINPUT;
	}
	while ((st = input_next(in, &row, true)) == INPUT_ROW ||
	    st == INPUT_BAD) {
		n->rows++;
		n->bad += st == INPUT_BAD;
		if (st == INPUT_ROW && tally_row(t, &row, n, out) == -1)
			break;
	}
	input_close(in);
	if (st == INPUT_EOF)
		return 0;
	fprintf(stderr, "rowpool: %s\n", st == INPUT_ROW ? "out of memory" :
	    row.error);
	return st == INPUT_ROW ? EX_OSERR : io_exit_status(errno);
}

static void
report(const struct run_opts *o, const struct tally *n, FILE *out)
{
	const char *system = setting(o, "system");
	json_int_t max_out = json_integer_value(json_object_get(o->settings,
	    "max_output_tokens"));
	uint64_t good = n->rows - n->bad, sys = system ? strlen(system) : 0;
	char a[32], b[32], c[32];

	fprintf(out, "rowpool: dry run: %s rows (%llu bad), %s bytes of "
	    "prompts%s; nothing was sent\n", progress_num(n->rows, a,
	    sizeof(a)), (unsigned long long)n->bad, progress_num(n->bytes, b,
	    sizeof(b)), sys > 0 ? " plus the system instruction each" : "");
	fprintf(out, "rowpool: about %s input tokens (4 bytes a token)",
	    progress_num((n->bytes + good * sys) / 4, c, sizeof(c)));
	if (max_out > 0)
		fprintf(out, ", at most %s output tokens (--max-output-tokens "
		    "%lld a row)\n", progress_num(good * (uint64_t)max_out, a,
		    sizeof(a)), (long long)max_out);
	else
		fprintf(out, "; output tokens unknown (set "
		    "--max-output-tokens to bound them)\n");
	if (n->price != NULL)
		fprintf(out, "rowpool: estimated cost: $%.4f (%s%s%s)\n",
		    n->cost * (o->batch_mode ? BATCH_PRICE_FACTOR : 1),
		    n->price->model, max_out > 0 ? ", output at its bound" :
		    ", input only", o->batch_mode ? ", batch: half price" : "");
	else
		fprintf(out, "rowpool: no price known for this model (see "
		    "--price-file)\n");
}

int
dryrun_main(const struct run_opts *o, FILE *out)
{
	const char *prompt = setting(o, "prompt");
	struct template *t = NULL;
	struct tally n = { 0 };
	struct price_table builtin;
	const char *model = setting(o, "model");
	char err[512];
	int rc;

	price_table_init(&builtin);
	n.price = model == NULL ? NULL : price_find(o->prices ? o->prices :
	    &builtin, model);
	n.sys_bytes = setting(o, "system") ? (long long)strlen(setting(o,
	    "system")) : 0;
	n.max_out = json_integer_value(json_object_get(o->settings,
	    "max_output_tokens"));
	if (prompt != NULL && (t = template_parse(prompt, strlen(prompt), err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "rowpool: --prompt: %s\n", err);
		return EX_CONFIG;
	}
	if ((rc = tally(o, t, &n, out)) == 0)
		report(o, &n, out);
	template_free(t);
	return rc;
}
