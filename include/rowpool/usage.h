/*
 * usage: the --help text's option lists, laid out in two columns that fit
 * 80 columns: the caller's own options one by one, and the processors of
 * the registry with each one's options, from their tables (processor.h),
 * so that --help never disagrees with what is parsed.
 *
 * Presentation only: writes to the stream it is given; never exits.
 */
#ifndef ROWPOOL_USAGE_H
#define ROWPOOL_USAGE_H

#include <stdio.h>

/*
 * Writes one option: "  -o, --output FILE       text", or without a
 * short option (shortopt 0) "      --state DIR         text", the text
 * wrapped; arg may be NULL.
 */
void	usage_option(FILE *fp, int shortopt, const char *name,
	    const char *arg, const char *text);

/*
 * Writes the processors, dflt marked as the default, then one section
 * per processor: its options with their argument, help, "(required)" or
 * "(default ...)", and where the API key may come from.
 */
void	usage_processors(FILE *fp, const char *dflt);

#endif
