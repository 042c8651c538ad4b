/*
 * procopt: a processor's option values, from the command line's arguments
 * to the settings (the options that change results, which the manifest
 * keeps) and the processor's configuration (the other options, and the
 * names of the files read).  Everything comes from the processor's
 * option tables (struct proc_option in processor.h).
 *
 * Domain tier: a status and a message in err; never prints or exits.
 * Messages name the option: "--temperature: 'hot' is not a number",
 * "--prompt FILE is required by the gemini processor",
 * "--schema 's.json': line 1, column 2: ...".
 *
 * Calling sequence (main):
 *  1. for each option the command line gave, find it in the chosen
 *     processor p (processor_option_find); one p does not have is a usage
 *     error, whoever has it;
 *  2. procopt_build(p, args, settings, conf, ...) with args[i] the
 *     argument of processor_option(p, i), or NULL.
 */
#ifndef ROWPOOL_PROCOPT_H
#define ROWPOOL_PROCOPT_H

#include <stddef.h>
#include <jansson.h>

#include "rowpool/processor.h"

enum procopt_status {
	PROCOPT_OK,
	PROCOPT_USAGE,		/* a bad argument (exit 64) */
	PROCOPT_CONFIG,		/* a missing option, a bad file (exit
				   78), or out of memory */
};

/*
 * Parses arg as a value of opt, without reading any file.  Returns
 * PROCOPT_OK with *v, the JSON value (owned by the caller; NULL for
 * options that name a file, and for "none": the caller makes that null),
 * or PROCOPT_USAGE with the reason.
 */
enum procopt_status procopt_parse(const struct proc_option *opt,
		    const char *arg, json_t **v, char *err, size_t errlen);

/*
 * Adds p's values to settings (key -> value, for the options that change
 * results: null when not given and with no default) and to conf (the
 * others, when given or with a default; and KEY_file -> the file's name
 * for each file given).  args holds one argument or NULL per option of p,
 * in processor_option() order (entries with no name get NULL).  Checks in
 * this order: every argument's syntax (PROCOPT_USAGE), the required
 * options (PROCOPT_CONFIG), then reads the files in table order
 * (PROCOPT_CONFIG).  Reads files (blocks); on failure settings and conf
 * may hold some values.
 */
enum procopt_status procopt_build(const struct processor *p,
		    const char *const *args, json_t *settings, json_t *conf,
		    char *err, size_t errlen);

/*
 * The argument's name in messages and --help: opt->arg, or for an enum
 * its values joined by '|' ("json|openapi") in buf.
 */
const char	*procopt_argname(const struct proc_option *opt, char *buf,
		    size_t len);

#endif
