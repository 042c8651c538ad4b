/*
 * Tests for the log's sinks: what reaches syslog, at which priority,
 * through the test seam log_syslog_sink(); the log file beside it; and
 * the key kept out of every sink.  Each test is its own process, so the
 * log's state starts afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "rowpool/log.h"
#include "scratch.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define KEY	"AIzaSyA1234567890abcdefghijklmnopqrstu"

struct record {
	int	priority;
	char	msg[2048];
};

static struct record	records[16];
static size_t		nrecords;

static void
capture(int priority, const char *msg)
{
	cr_assert_lt(nrecords, NELEM(records), "too many lines");
	records[nrecords].priority = priority;
	strlcpy(records[nrecords].msg, msg, sizeof(records[0].msg));
	nrecords++;
}

static void
setup(void)
{
	scratch_setup();
	cr_redirect_stderr();
	log_syslog_sink(capture);
}

TestSuite(log, .init = setup, .fini = scratch_teardown);

static void
assert_record(size_t i, int priority, const char *msg)
{
	cr_assert_lt(i, nrecords, "line %zu not sent (%zu sent)", i,
	    nrecords);
	cr_assert_eq(records[i].priority, priority, "line %zu: priority %#x, "
	    "want %#x", i, records[i].priority, priority);
	cr_assert_str_eq(records[i].msg, msg, "line %zu", i);
}

Test(log, syslog_levels_and_facility)
{
	log_syslog(1);
	log_warnx("w %d", 1);
	log_info("i");
	log_debug("not at verbose 0");
	log_set_verbose(2);
	log_debug("d");
	cr_assert_eq(nrecords, 3);
	assert_record(0, LOG_USER | LOG_WARNING, "w 1");
	assert_record(1, LOG_USER | LOG_INFO, "i");
	assert_record(2, LOG_USER | LOG_DEBUG, "d");
}

Test(log, syslog_off_by_default_and_after_close)
{
	log_warnx("before");
	log_syslog(1);
	log_syslog(0);
	log_warnx("turned off");
	log_syslog(1);
	log_info("on");
	log_close();	/* what a worker does after fork */
	log_warnx("after close");
	cr_assert_eq(nrecords, 1);
	assert_record(0, LOG_USER | LOG_INFO, "on");
}

Test(log, file_and_syslog_together)
{
	const char *path = scratch_path("log");
	char want[128], *text;
	size_t len;

	cr_assert_eq(log_open(path), 0);
	log_syslog(1);
	log_info("both");
	cr_assert_eq(log_reopen(), 0);
	log_info("after reopen");
	log_close();
	cr_assert_eq(nrecords, 2);
	assert_record(0, LOG_USER | LOG_INFO, "both");
	assert_record(1, LOG_USER | LOG_INFO, "after reopen");
	text = scratch_read(path, &len);
	scratch_fmt(want, sizeof(want), "Z rowpool[%ld]: both\n",
	    (long)getpid());
	cr_assert(strstr(text, want) != NULL, "file: %s", text);
	cr_assert(strstr(text, "]: after reopen\n") != NULL, "file: %s", text);
	free(text);
}

/* NULL puts syslog(3) back: with no daemon, dropped without a word. */
Test(log, sink_restored)
{
	log_syslog_sink(NULL);
	log_syslog(1);
	log_warnx("to syslog(3)");
	log_close();
	cr_assert_eq(nrecords, 0);
}

Test(log, syslog_without_a_file)
{
	log_syslog(1);
	log_info("syslog only");
	cr_assert_eq(nrecords, 1);
	assert_record(0, LOG_USER | LOG_INFO, "syslog only");
}

/* All that went to the redirected stderr. */
static char *
stderr_text(void)
{
	static char buf[8192];
	FILE *f;
	size_t n;

	fflush(stderr);
	cr_assert_not_null(f = cr_get_redirected_stderr());
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	return buf;
}

Test(log, key_hidden_from_every_sink)
{
	const char *path = scratch_path("log");
	char *text, cut[2000];
	size_t len;

	log_hide(KEY);
	cr_assert_eq(log_open(path), 0);
	log_syslog(1);
	log_warnx("header x-goog-api-key: %s", KEY);
	/* A line cut in the middle of the key. */
	memset(cut, 'a', sizeof(cut));
	memcpy(cut + 1790, KEY, sizeof(KEY) - 1);
	cut[1790 + sizeof(KEY) - 1] = '\0';
	log_warnx("%s", cut);
	log_close();
	cr_assert_eq(nrecords, 2);
	assert_record(0, LOG_USER | LOG_WARNING,
	    "header x-goog-api-key: [redacted]");
	cr_assert(strstr(records[1].msg, "aaa") != NULL &&
	    strstr(records[1].msg, "AIza") == NULL, "%s", records[1].msg);
	text = scratch_read(path, &len);
	cr_assert(strstr(text, "AIza") == NULL, "file: %s", text);
	cr_assert(strstr(text, "x-goog-api-key: [redacted]\n") != NULL);
	free(text);
	text = stderr_text();
	cr_assert(strstr(text, "x-goog-api-key: [redacted]\n") != NULL &&
	    strstr(text, "AIza") == NULL, "stderr: %s", text);
}
