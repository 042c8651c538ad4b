/*
 * Tests for usage: the layout of --help's option lists, and that the
 * processors' part says what the tables say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "rowpool/processor.h"
#include "rowpool/usage.h"

static char *
processors_text(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	cr_assert_not_null(fp);
	usage_processors(fp, "gemini");
	cr_assert_eq(fclose(fp), 0);
	return text;
}

static size_t
count(const char *text, const char *what)
{
	size_t n = 0;

	while ((text = strstr(text, what)) != NULL) {
		n++;
		text++;
	}
	return n;
}

Test(usage, option_layout)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	usage_option(fp, 'o', "output", "FILE", "results");
	usage_option(fp, 0, "max-outage", "SECONDS", "stop");
	usage_option(fp, 0, "strict", NULL, "one two three four five six "
	    "seven eight nine ten eleven twelve thirteen fourteen");
	cr_assert_eq(fclose(fp), 0);
	cr_assert_str_eq(text,
	    "  -o, --output FILE       results\n"
	    "      --max-outage SECONDS\n"
	    "                          stop\n"
	    "      --strict            one two three four five six seven "
	    "eight nine ten\n"
	    "                          eleven twelve thirteen fourteen\n");
	free(text);
}

Test(usage, processors)
{
	const struct proc_option *o;
	const struct processor *p;
	char *text = processors_text(), *line, *save, want[128];
	size_t i, j;

	cr_assert(strstr(text, "  gemini    Gemini's generateContent API "
	    "(the default)\n") != NULL, "%s", text);
	cr_assert(strstr(text, "Options of the echo processor: none\n") !=
	    NULL, "%s", text);
	for (i = 0; (p = processor_at(i)) != NULL; i++)
		for (j = 0; (o = processor_option(p, j)) != NULL; j++) {
			if (o->name == NULL)
				continue;
			snprintf(want, sizeof(want), "      --%s ", o->name);
			cr_assert_geq(count(text, want), 1, "--%s", o->name);
		}
	cr_assert_eq(count(text, "--thinking-budget N"), 1);
	cr_assert_eq(count(text, "--prompt FILE"), 2);
	cr_assert(strstr(text, "(default gpt-4o-mini)") != NULL);
	cr_assert(strstr(text, "otherwise OPENAI_API_KEY, or none") != NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		cr_assert_leq(strlen(line), 79, "too wide: %s", line);
	free(text);
}
