/*
 * The error kinds' table, and README "Error kinds" checked against it:
 * every kind has a row, and the README's retried / charged / stops
 * columns say what the table does.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rowpool/kind.h"

Test(kind, names_round_trip)
{
	int k;

	for (k = 0; k < KIND_COUNT; k++) {
		cr_assert_not_null(kind_name((enum kind)k), "kind %d", k);
		cr_assert_eq(kind_parse(kind_name((enum kind)k)), k);
	}
	cr_assert_eq(kind_parse("something new"), -1);
	for (k = RETRY_NO; k <= RETRY_YES; k++)
		cr_assert_eq(retry_parse(retry_name((enum retry_policy)k)), k);
	cr_assert_eq(retry_parse("maybe"), -1);
	cr_assert_eq(retry_parse(NULL), -1);
}

Test(kind, policies)
{
	static const struct {
		enum kind		 k;
		enum retry_policy	 retry;
		int			 stop;
	} cases[] = {
		{ KIND_CRASH, RETRY_YES, 0 }, { KIND_TIMEOUT, RETRY_YES, 0 },
		{ KIND_PROTOCOL, RETRY_YES, 0 }, { KIND_NETWORK, RETRY_YES, 0 },
		{ KIND_HTTP, RETRY_YES, 0 }, { KIND_RATE_LIMITED, RETRY_YES, 0 },
		{ KIND_INVALID_OUTPUT, RETRY_YES, 0 },
		{ KIND_TRUNCATED, RETRY_ONCE, 0 }, { KIND_INPUT, RETRY_NO, 0 },
		{ KIND_BLOCKED, RETRY_NO, 0 }, { KIND_AUTH, RETRY_NO, EX_NOPERM },
		{ KIND_QUOTA_EXHAUSTED, RETRY_NO, EX_TEMPFAIL },
		{ KIND_INTERNAL, RETRY_YES, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(kind_info(cases[i].k)->retry, cases[i].retry,
		    "%s", kind_name(cases[i].k));
		cr_assert_eq(kind_info(cases[i].k)->stop, cases[i].stop,
		    "%s", kind_name(cases[i].k));
	}
	cr_assert_eq(kind_info(KIND_INTERNAL)->charge, CHARGE_NO,
	    "out of memory is never the row's fault");
}

/* The cells of a README table row "| a | b | c |", trimmed. */
static int
cells(char *line, char *cell[], int max)
{
	char *p = line, *bar;
	int n = 0;

	if (*p++ != '|')
		return 0;
	while (n < max && (bar = strchr(p, '|')) != NULL) {
		*bar = '\0';
		while (*p == ' ')
			p++;
		cell[n++] = p;
		p = bar + 1;
	}
	return n;
}

static bool
starts(const char *s, const char *word)
{
	return strncmp(s, word, strlen(word)) == 0;
}

static void
check_row(char *cell[], int n, bool seen[])
{
	const struct kind_info *ki;
	char name[64];
	int k;

	cr_assert_eq(n, 5, "README kind row with %d cells", n);
	cr_assert(sscanf(cell[0], "`%63[a-z_]`", name) == 1, "%s", cell[0]);
	k = kind_parse(name);
	cr_assert_neq(k, -1, "README names kind '%s', rowpool has none", name);
	ki = kind_info((enum kind)k);
	seen[k] = true;
	cr_assert(starts(cell[2], retry_name(ki->retry)), "%s: retried "
	    "'%s', the table says %s", name, cell[2], retry_name(ki->retry));
	cr_assert(starts(cell[3], ki->charge == CHARGE_YES ? "yes" : "no"),
	    "%s: charged '%s'", name, cell[3]);
	if (ki->stop == 0)
		cr_assert(starts(cell[4], "no"), "%s: stops '%s'", name,
		    cell[4]);
	else {
		snprintf(name, sizeof(name), "exit %d", ki->stop);
		cr_assert(strstr(cell[4], name) != NULL, "%s: stops '%s'",
		    kind_name((enum kind)k), cell[4]);
	}
}

Test(kind, readme_table_agrees)
{
	char line[2048], *cell[8];
	bool in = false, seen[KIND_COUNT] = { false };
	FILE *f;
	int k, n;

	cr_assert_not_null(f = fopen("README.md", "r"), "run from the repo");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (starts(line, "### Error kinds"))
			in = true;
		else if (in && starts(line, "#"))
			break;
		if (!in || !starts(line, "| `"))
			continue;
		n = cells(line, cell, 8);
		check_row(cell, n, seen);
	}
	fclose(f);
	cr_assert(in, "README has no '### Error kinds'");
	for (k = 0; k < KIND_COUNT; k++)
		cr_assert(seen[k], "README has no row for kind '%s'",
		    kind_name((enum kind)k));
}
