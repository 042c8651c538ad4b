/*
 * apikey: the API key a processor sends, from --api-key-file (a file only
 * its owner may read) or from the environment variables the processor
 * names (struct processor's key_env).  The key goes to the workers in
 * memory only: never into the settings, the configuration, argv or a
 * message.
 *
 * Domain tier: returns -1 with a message; the caller decides (main exits
 * 78, a configuration error).
 */
#ifndef ROWPOOL_APIKEY_H
#define ROWPOOL_APIKEY_H

#include <stddef.h>

#include "rowpool/processor.h"

/* The --api-key-file option, for the tables of processors that take a key. */
extern const struct proc_option apikey_options[];

/*
 * Loads p's key: from file when it is not NULL (refused when another user
 * may read it, or it is not the caller's; trailing CR, LF and spaces are
 * dropped), else from the first of p's key_env that is set and not empty.
 * A key holding a control character is refused: it would ride into the
 * request headers.  Sets *key to the key (malloc'd: the caller wipes it
 * with explicit_bzero and frees it); to NULL when p takes no key; to ""
 * when there is none and p->key_required is false.  Returns 0, or -1 with
 * the reason in err: "--api-key-file 'k': readable by others (mode
 * 0644); chmod 600 it", "no API key: set GEMINI_API_KEY (or
 * GOOGLE_API_KEY), or use --api-key-file FILE".
 */
int	apikey_load(const struct processor *p, const char *file, char **key,
	    char *err, size_t errlen);

/*
 * The argument of p's --api-key-file among args (one per option of p, in
 * processor_option() order), or NULL when p has no such option or it
 * was not given.
 */
const char	*apikey_file(const struct processor *p,
		    const char *const *args);

/*
 * The name of the first of p's key_env variables that is set and not
 * empty ("GEMINI_API_KEY"): where apikey_load takes the key from when no
 * file is given; NULL when none is (or p takes no key).
 */
const char	*apikey_env(const struct processor *p);

/*
 * Describes where p's key may come from, after the file, for --help:
 * "GEMINI_API_KEY or GOOGLE_API_KEY", "OPENAI_API_KEY, or none".
 */
void	apikey_describe(const struct processor *p, char *buf, size_t len);

#endif
