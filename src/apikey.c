/*
 * apikey: finds, reads and checks the API key.  Invariant: a key this
 * module returns holds no control character, so that it cannot inject a
 * header into a request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rowpool/apikey.h"
#include "rowpool/textfile.h"

const struct proc_option apikey_options[] = {
	{ .key = "api_key_file", .name = "api-key-file", .arg = "FILE",
	  .type = PROC_OPT_KEY_FILE,
	  .help = "the API key, in a file only its owner can read" },
	{ .key = NULL },
};

/* Fails with "the API key from FROM: ..." unless key is fit for a header. */
static int
key_checked(char *key, const char *from, char *err, size_t errlen)
{
	const unsigned char *p;

	if (key == NULL) {
		snprintf(err, errlen, "the API key from %s: out of memory",
		    from);
		return -1;
	}
	for (p = (const unsigned char *)key; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "the API key from %s holds a "
			    "control character", from);
			return -1;
		}
	return 0;
}

static char *
key_from_file(const char *file, char *err, size_t errlen)
{
	struct stat st;
	char *key;
	size_t n;

	if ((key = textfile_read(file, &st)) == NULL) {
		snprintf(err, errlen, "--api-key-file '%s': %s", file,
		    textfile_strerror(errno));
		return NULL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "--api-key-file '%s': readable by "
		    "others (mode %04o); chmod 600 it", file,
		    (unsigned)(st.st_mode & 07777));
		explicit_bzero(key, strlen(key));
		free(key);
		return NULL;
	}
	n = strlen(key);
	while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r' ||
	    key[n - 1] == ' '))
		key[--n] = '\0';
	return key;
}

const char *
apikey_env(const struct processor *p)
{
	const char *const *v;
	const char *env;

	for (v = p->key_env; v != NULL && *v != NULL; v++)
		if ((env = getenv(*v)) != NULL && *env != '\0')
			return *v;
	return NULL;
}

const char *
apikey_file(const struct processor *p, const char *const *args)
{
	const struct proc_option *opt;
	size_t i;

	for (i = 0; (opt = processor_option(p, i)) != NULL; i++)
		if (opt->type == PROC_OPT_KEY_FILE)
			return args[i];
	return NULL;
}

static void
no_key(const struct processor *p, char *err, size_t errlen)
{
	const char *const *v = p->key_env;

	if (v[0] != NULL && v[1] != NULL)
		snprintf(err, errlen, "no API key: set %s (or %s), or use "
		    "--api-key-file FILE", v[0], v[1]);
	else
		snprintf(err, errlen, "no API key: set %s, or use "
		    "--api-key-file FILE", v[0] ? v[0] : "it");
}

int
apikey_load(const struct processor *p, const char *file, char **key,
    char *err, size_t errlen)
{
	const char *env, *from = "--api-key-file";

	*key = NULL;
	if (p->key_env == NULL)
		return 0;
	if (file != NULL) {
		if ((*key = key_from_file(file, err, errlen)) == NULL)
			return -1;
	} else if ((env = apikey_env(p)) != NULL) {
		*key = strdup(getenv(env));
		from = "the environment";
	} else if (p->key_required) {
		no_key(p, err, errlen);
		return -1;
	} else {
		*key = strdup("");
		from = "the default (none)";
	}
	if (key_checked(*key, from, err, errlen) == -1) {
		if (*key != NULL)
			explicit_bzero(*key, strlen(*key));
		free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

void
apikey_describe(const struct processor *p, char *buf, size_t len)
{
	const char *const *v;

	buf[0] = '\0';
	for (v = p->key_env; v != NULL && *v != NULL; v++) {
		if (v != p->key_env)
			strlcat(buf, v[1] == NULL ? " or " : ", ", len);
		strlcat(buf, *v, len);
	}
	if (!p->key_required)
		strlcat(buf, ", or none", len);
}
