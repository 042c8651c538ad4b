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
 *  2. procopt_command(p, argv, argc, settings, ...) with the words after
 *     INPUT and "--" (none: argc 0): the command of a processor that
 *     runs one goes into the settings, a command to one that does not
 *     is a usage error;
 *  3. procopt_build(p, args, settings, conf, ...) with args[i] the
 *     argument of processor_option(p, i), or NULL (a flag given: any
 *     string, ""); or procopt_config, which also makes what the
 *     processor reads (run and check).
 *
 * rowpool check reports each file on a line of its own: procopt_check
 * (no file read), procopt_value for each file option, then
 * procopt_config.
 */
#ifndef ROWPOOL_PROCOPT_H
#define ROWPOOL_PROCOPT_H

#include <stddef.h>
#include <stdint.h>
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
 * What a run hands the processor (struct proc_config's settings): p's
 * values added to settings as procopt_build does, and *pconf, a new
 * object (the caller decrefs it) holding a copy of settings, the other
 * options' values, the files' names and "timeout_ms".  Returns
 * PROCOPT_OK, or another status with err as procopt_build (then *pconf
 * is NULL).  Reads files (blocks).
 */
enum procopt_status procopt_config(const struct processor *p,
		    const char *const *args, json_t *settings,
		    int64_t timeout_ms, json_t **pconf, char *err,
		    size_t errlen);

/*
 * The first checks of procopt_build, which read no file: every
 * argument's syntax (PROCOPT_USAGE), then the required options
 * (PROCOPT_CONFIG: "--prompt FILE is required by the gemini processor").
 */
enum procopt_status procopt_check(const struct processor *p,
		    const char *const *args, char *err, size_t errlen);

/*
 * The value arg, or opt's default when arg is NULL, gives opt, as
 * procopt_build would store it: a file option's file read (a schema
 * checked too).  Returns PROCOPT_OK with *v (owned by the caller; NULL
 * when there is neither, for "none", and for the key file, which
 * apikey.h reads), or PROCOPT_USAGE or PROCOPT_CONFIG with err
 * ("--schema 's.json': line 1, column 2: ...").  Reads files (blocks).
 */
enum procopt_status procopt_value(const struct proc_option *opt,
		    const char *arg, json_t **v, char *err, size_t errlen);

/*
 * The command after INPUT and "--" (argv[0..argc), argc 0 when there is
 * none), as p takes it (processor.h's command): an array of strings into
 * settings under "command".  Returns PROCOPT_OK (also for no command to
 * a processor that takes none), or PROCOPT_USAGE when p takes none but
 * one was given, or needs one and none was, or an argument is not UTF-8
 * (JSON holds UTF-8 only); PROCOPT_CONFIG when out of memory.
 */
enum procopt_status procopt_command(const struct processor *p,
		    char *const *argv, size_t argc, json_t *settings,
		    char *err, size_t errlen);

/*
 * The argument's name in messages and --help: opt->arg, or for an enum
 * its values joined by '|' ("json|openapi") in buf; NULL for a flag,
 * which takes none.
 */
const char	*procopt_argname(const struct proc_option *opt, char *buf,
		    size_t len);

#endif
