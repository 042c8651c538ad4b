/*
 * usage: lays out --help's option lists.  The processors' part is made
 * from the registry and the option tables alone; nothing about a
 * particular processor is written here.
 */
#include <stdio.h>
#include <string.h>

#include "rowpool/apikey.h"
#include "rowpool/processor.h"
#include "rowpool/procopt.h"
#include "rowpool/usage.h"

#define TEXT_COL	26	/* where an option's text starts */
#define NAME_COL	12	/* where a processor's summary starts */
#define WIDTH		79

/* Writes text word by word from column col, wrapping back to col. */
static void
wrap(FILE *fp, size_t col, const char *text)
{
	size_t at = col, n;

	while (*text != '\0') {
		text += strspn(text, " ");
		if ((n = strcspn(text, " ")) == 0)
			break;
		if (at > col && at + 1 + n > WIDTH) {
			fprintf(fp, "\n%*s", (int)col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', fp);
			at++;
		}
		fwrite(text, 1, n, fp);
		at += n;
		text += n;
	}
	fputc('\n', fp);
}

/* left, then text from column col (on the next line if left is long). */
static void
item(FILE *fp, const char *left, size_t col, const char *text)
{
	size_t n = strlen(left);

	fputs(left, fp);
	if (n + 1 > col)
		fprintf(fp, "\n%*s", (int)col, "");
	else
		fprintf(fp, "%*s", (int)(col - n), "");
	wrap(fp, col, text);
}

void
usage_option(FILE *fp, int shortopt, const char *name, const char *arg,
    const char *text)
{
	char left[128];
	/* "[=X]": an optional argument, written against the name */
	const char *sep = arg == NULL || arg[0] == '[' ? "" : " ";

	if (shortopt != 0)
		snprintf(left, sizeof(left), "  -%c, --%s%s%s", shortopt, name,
		    sep, arg ? arg : "");
	else
		snprintf(left, sizeof(left), "      --%s%s%s", name, sep,
		    arg ? arg : "");
	item(fp, left, TEXT_COL, text);
}

/* The option's help with what --help adds: required, default, the key. */
static void
option_text(const struct processor *p, const struct proc_option *opt,
    char *buf, size_t len)
{
	char keys[256];

	strlcpy(buf, opt->help, len);
	if (opt->type == PROC_OPT_KEY_FILE) {
		apikey_describe(p, keys, sizeof(keys));
		strlcat(buf, "; otherwise ", len);
		strlcat(buf, keys, len);
	}
	if (opt->required)
		strlcat(buf, " (required)", len);
	else if (opt->def != NULL) {
		strlcat(buf, " (default ", len);
		strlcat(buf, opt->def, len);
		strlcat(buf, ")", len);
	}
}

static void
processor_section(FILE *fp, const struct processor *p)
{
	const struct proc_option *opt;
	char text[1024], arg[256];
	size_t i, n = 0;

	fprintf(fp, "\nOptions of the %s processor:", p->name);
	if (p->command != NULL) {
		fputc('\n', fp);
		item(fp, "  INPUT -- CMD [ARGS...]", TEXT_COL, p->command);
		n++;
	}
	for (i = 0; (opt = processor_option(p, i)) != NULL; i++) {
		if (opt->name == NULL)
			continue;
		if (n++ == 0)
			fputc('\n', fp);
		option_text(p, opt, text, sizeof(text));
		usage_option(fp, 0, opt->name, procopt_argname(opt, arg,
		    sizeof(arg)), text);
	}
	if (n == 0)
		fputs(" none\n", fp);
}

void
usage_processors(FILE *fp, const char *dflt)
{
	const struct processor *p;
	char left[64], text[256];
	size_t i;

	fputs("Processors (--processor NAME):\n", fp);
	for (i = 0; (p = processor_at(i)) != NULL; i++) {
		snprintf(left, sizeof(left), "  %s", p->name);
		snprintf(text, sizeof(text), "%s%s", p->summary,
		    strcmp(p->name, dflt) == 0 ? " (the default)" : "");
		item(fp, left, NAME_COL, text);
	}
	for (i = 0; (p = processor_at(i)) != NULL; i++)
		processor_section(fp, p);
}
