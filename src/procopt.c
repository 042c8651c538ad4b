/*
 * procopt: turns the arguments of a processor's options into its settings
 * and configuration, as its option tables say.  Invariant: a value goes
 * into the settings exactly when its option changes results, so that the
 * manifest holds what a resume must match and nothing else.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/procopt.h"
#include "rowpool/schema.h"
#include "rowpool/textfile.h"

const char *
procopt_argname(const struct proc_option *opt, char *buf, size_t len)
{
	const char *const *v;

	if (opt->type == PROC_OPT_FLAG)
		return NULL;
	if (opt->arg != NULL || opt->values == NULL)
		return opt->arg != NULL ? opt->arg : "VALUE";
	buf[0] = '\0';
	for (v = opt->values; *v != NULL; v++) {
		if (v != opt->values)
			strlcat(buf, "|", len);
		strlcat(buf, *v, len);
	}
	return buf;
}

static bool
is_file(enum proc_opt_type t)
{
	return t == PROC_OPT_TEXT_FILE || t == PROC_OPT_JSON_FILE ||
	    t == PROC_OPT_SCHEMA_FILE || t == PROC_OPT_KEY_FILE;
}

static enum procopt_status
parse_count(const struct proc_option *opt, const char *s, json_t **v,
    char *err, size_t errlen)
{
	char *end;
	long long n;

	if (opt->none != NULL && strcmp(s, opt->none) == 0)
		return PROCOPT_OK;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (s[0] == '-' || end == s || *end != '\0' || errno != 0 ||
	    n < opt->min || n > opt->max) {
		snprintf(err, errlen, "--%s: '%s' is not a number from %lld "
		    "to %lld", opt->name, s, opt->min, opt->max);
		return PROCOPT_USAGE;
	}
	*v = json_integer((json_int_t)n);
	return PROCOPT_OK;
}

static enum procopt_status
parse_number(const struct proc_option *opt, const char *s, json_t **v,
    char *err, size_t errlen)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(d)) {
		snprintf(err, errlen, "--%s: '%s' is not a number", opt->name,
		    s);
		return PROCOPT_USAGE;
	}
	*v = json_real(d);
	return PROCOPT_OK;
}

static enum procopt_status
parse_enum(const struct proc_option *opt, const char *s, json_t **v,
    char *err, size_t errlen)
{
	const char *const *val;
	char list[256] = "";

	for (val = opt->values; *val != NULL; val++)
		if (strcmp(s, *val) == 0) {
			*v = json_string(s);
			return PROCOPT_OK;
		}
	for (val = opt->values; *val != NULL; val++) {
		if (val != opt->values)
			strlcat(list, val[1] == NULL ? " or " : ", ",
			    sizeof(list));
		strlcat(list, *val, sizeof(list));
	}
	snprintf(err, errlen, "--%s: '%s' is not %s", opt->name, s, list);
	return PROCOPT_USAGE;
}

static enum procopt_status
parse_string(const struct proc_option *opt, const char *s, json_t **v,
    char *err, size_t errlen)
{
	if ((*v = json_string(s)) == NULL) {
		snprintf(err, errlen, "--%s: not UTF-8", opt->name);
		return PROCOPT_USAGE;
	}
	return PROCOPT_OK;
}

enum procopt_status
procopt_parse(const struct proc_option *opt, const char *arg, json_t **v,
    char *err, size_t errlen)
{
	*v = NULL;
	switch (opt->type) {
	case PROC_OPT_STRING:
		return parse_string(opt, arg, v, err, errlen);
	case PROC_OPT_NUMBER:
		return parse_number(opt, arg, v, err, errlen);
	case PROC_OPT_COUNT:
		return parse_count(opt, arg, v, err, errlen);
	case PROC_OPT_ENUM:
		return parse_enum(opt, arg, v, err, errlen);
	case PROC_OPT_FLAG:
		*v = json_true();
		return PROCOPT_OK;
	default:
		return PROCOPT_OK;
	}
}

/* A JSON file's value; a schema file's also passes schema.h's check. */
static json_t *
load_json(const struct proc_option *opt, const char *path, const char *text,
    char *err, size_t errlen)
{
	/* A schema file holds an object (jansson's default takes an object
	 * or an array at the top, as rowpool always did). */
	size_t flags = JSON_REJECT_DUPLICATES |
	    (opt->type == PROC_OPT_SCHEMA_FILE ? 0 : JSON_DECODE_ANY);
	json_error_t jerr;
	json_t *v;
	char why[512];

	if ((v = json_loads(text, flags, &jerr)) == NULL) {
		snprintf(err, errlen, "--%s '%s': line %d, column %d: %s",
		    opt->name, path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (opt->type == PROC_OPT_SCHEMA_FILE &&
	    schema_validate_schema(v, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "--%s '%s': %s", opt->name, path, why);
		json_decref(v);
		return NULL;
	}
	return v;
}

/* The value of a file option: the file's text, or its JSON. */
static enum procopt_status
load_file(const struct proc_option *opt, const char *path, json_t **v,
    char *err, size_t errlen)
{
	struct stat st;
	char *text;

	if ((text = textfile_read(path, &st)) == NULL) {
		snprintf(err, errlen, "--%s '%s': %s", opt->name, path,
		    textfile_strerror(errno));
		return PROCOPT_CONFIG;
	}
	if (opt->type == PROC_OPT_TEXT_FILE) {
		if ((*v = json_string(text)) == NULL)
			snprintf(err, errlen, "--%s '%s': not UTF-8",
			    opt->name, path);
	} else
		*v = load_json(opt, path, text, err, errlen);
	free(text);
	return *v != NULL ? PROCOPT_OK : PROCOPT_CONFIG;
}

static enum procopt_status
nomem(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return PROCOPT_CONFIG;
}

enum procopt_status
procopt_value(const struct proc_option *opt, const char *arg, json_t **v,
    char *err, size_t errlen)
{
	const char *a = arg != NULL ? arg : opt->def;

	*v = NULL;
	if (opt->type == PROC_OPT_FLAG) {
		*v = arg != NULL ? json_true() : json_false();
		return PROCOPT_OK;
	}
	if (a == NULL || opt->type == PROC_OPT_KEY_FILE)
		return PROCOPT_OK;
	return is_file(opt->type) ? load_file(opt, a, v, err, errlen) :
	    procopt_parse(opt, a, v, err, errlen);
}

/* Puts opt's value (arg, else its default) where it belongs. */
static enum procopt_status
add_value(const struct proc_option *opt, const char *arg, json_t *settings,
    json_t *conf, char *err, size_t errlen)
{
	enum procopt_status st;
	json_t *v;

	if (opt->type == PROC_OPT_KEY_FILE)
		return PROCOPT_OK;
	if ((st = procopt_value(opt, arg, &v, err, errlen)) != PROCOPT_OK)
		return st;
	if (opt->results && json_object_set_new(settings, opt->key,
	    v != NULL ? v : json_null()) == -1)
		return nomem(err, errlen);
	if (!opt->results && v != NULL &&
	    json_object_set_new(conf, opt->key, v) == -1)
		return nomem(err, errlen);
	return PROCOPT_OK;
}

/* KEY_file -> the file's name, for messages (a name not UTF-8: none). */
static enum procopt_status
add_file_name(const struct proc_option *opt, const char *path, json_t *conf,
    char *err, size_t errlen)
{
	char key[128];
	json_t *name;

	if (snprintf(key, sizeof(key), "%s_file", opt->key) >=
	    (int)sizeof(key) || (name = json_string(path)) == NULL)
		return PROCOPT_OK;
	if (json_object_set_new(conf, key, name) == -1)
		return nomem(err, errlen);
	return PROCOPT_OK;
}

enum procopt_status
procopt_check(const struct processor *p, const char *const *args, char *err,
    size_t errlen)
{
	const struct proc_option *opt;
	enum procopt_status st;
	char buf[256];
	json_t *v;
	size_t i;

	for (i = 0; (opt = processor_option(p, i)) != NULL; i++) {
		if (args[i] == NULL)
			continue;
		st = procopt_parse(opt, args[i], &v, err, errlen);
		json_decref(v);
		if (st != PROCOPT_OK)
			return st;
	}
	for (i = 0; (opt = processor_option(p, i)) != NULL; i++)
		if (opt->required && args[i] == NULL) {
			snprintf(err, errlen, "--%s %s is required by the %s "
			    "processor", opt->name, procopt_argname(opt, buf,
			    sizeof(buf)), p->name);
			return PROCOPT_CONFIG;
		}
	return PROCOPT_OK;
}

enum procopt_status
procopt_build(const struct processor *p, const char *const *args,
    json_t *settings, json_t *conf, char *err, size_t errlen)
{
	const struct proc_option *opt;
	enum procopt_status st;
	size_t i;

	if ((st = procopt_check(p, args, err, errlen)) != PROCOPT_OK)
		return st;
	for (i = 0; (opt = processor_option(p, i)) != NULL; i++) {
		st = add_value(opt, args[i], settings, conf, err, errlen);
		if (st == PROCOPT_OK && args[i] != NULL && is_file(opt->type) &&
		    opt->type != PROC_OPT_KEY_FILE)
			st = add_file_name(opt, args[i], conf, err, errlen);
		if (st != PROCOPT_OK)
			return st;
	}
	return PROCOPT_OK;
}

enum procopt_status
procopt_config(const struct processor *p, const char *const *args,
    json_t *settings, int64_t timeout_ms, json_t **pconf, char *err,
    size_t errlen)
{
	enum procopt_status st;
	json_t *conf;

	*pconf = NULL;
	if ((conf = json_object()) == NULL)
		return nomem(err, errlen);
	st = procopt_build(p, args, settings, conf, err, errlen);
	if (st == PROCOPT_OK && ((*pconf = json_deep_copy(settings)) == NULL ||
	    json_object_update(*pconf, conf) == -1 ||
	    json_object_set_new(*pconf, "timeout_ms",
	    json_integer(timeout_ms)) == -1)) {
		json_decref(*pconf);
		*pconf = NULL;
		st = nomem(err, errlen);
	}
	json_decref(conf);
	return st;
}

enum procopt_status
procopt_command(const struct processor *p, char *const *argv, size_t argc,
    json_t *settings, char *err, size_t errlen)
{
	json_t *cmd, *a;
	size_t i;

	if (p->command == NULL && argc == 0)
		return PROCOPT_OK;
	if (p->command == NULL || argc == 0) {
		snprintf(err, errlen, p->command == NULL ? "the %s processor "
		    "runs no command: nothing may follow INPUT" : "the %s "
		    "processor runs a command: INPUT -- CMD [ARGS...]",
		    p->name);
		return PROCOPT_USAGE;
	}
	if ((cmd = json_array()) == NULL)
		return nomem(err, errlen);
	for (i = 0; i < argc; i++) {
		if ((a = json_string(argv[i])) == NULL) {
			json_decref(cmd);
			snprintf(err, errlen, "the command's %s is not UTF-8",
			    i == 0 ? "name" : "arguments");
			return PROCOPT_USAGE;
		}
		if (json_array_append_new(cmd, a) == -1) {
			json_decref(cmd);
			return nomem(err, errlen);
		}
	}
	if (json_object_set_new(settings, "command", cmd) == -1)
		return nomem(err, errlen);
	return PROCOPT_OK;
}
