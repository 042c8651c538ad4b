/*
 * The API key never leaves a worker: found whole in any encoding, a
 * piece of it found at a cut, redacted in every string of an answer, and
 * a worker holding it dumps no core.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rowpool/frame.h"
#include "rowpool/processor.h"
#include "rowpool/secret.h"
#include "rowpool/worker.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define KEY		"Qv7KEYLEAK/+=:&x9 Zq"

Test(secret, redact_table)
{
	static const struct {
		const char *key, *in, *want;
	} cases[] = {
		{ KEY, "no key here", "no key here" },
		{ KEY, "key " KEY " bad", "key [redacted] bad" },
		{ KEY, KEY KEY, "[redacted][redacted]" },
		{ KEY, "?key=Qv7KEYLEAK%2F%2B%3D%3A%26x9%20Zq&alt=json",
		    "?key=[redacted]&alt=json" },
		{ KEY, "key=Qv7KEYLEAK%2f%2b%3d%3a%26x9+Zq", "key=[redacted]" },
		{ KEY, "mixed Qv7KEYLEAK/%2B=%3a&x9%20Zq.",
		    "mixed [redacted]." },
		{ KEY, "twice Qv7KEYLEAK%252F%252B%253D%253A%2526x9%2520Zq",
		    "twice [redacted]" },
		{ KEY, "\"Qv7KEYLEAK\\/+\\u003d:\\u0026x9 Zq\"",
		    "\"[redacted]\"" },
		{ KEY, "<p>Qv7KEYLEAK&#47;&#x2b;&#61;&#X3A;&amp;x9 Zq</p>",
		    "<p>[redacted]</p>" },
		{ KEY, "%51%76%37KEYLEAK/+=:&x9 Zq", "[redacted]" },
		/* A piece of it is not the key (see secret_redact_msg). */
		{ KEY, "Qv7KEYLEAK/+=:&x9 Z", "Qv7KEYLEAK/+=:&x9 Z" },
		/* The case of the key's own bytes matters. */
		{ KEY, "qv7keyleak/+=:&x9 zq", "qv7keyleak/+=:&x9 zq" },
		/* Too short to hide: innocent words stay. */
		{ "none", "none of them", "none of them" },
		{ "1234567", "1234567", "1234567" },
		{ "12345678", "a 12345678 b", "a [redacted] b" },
		{ NULL, "anything", "anything" },
	};
	struct secret s;
	size_t i, len;
	char *out;

	for (i = 0; i < NELEM(cases); i++) {
		secret_init(&s, cases[i].key);
		out = secret_redact(&s, cases[i].in, strlen(cases[i].in), &len);
		cr_assert_not_null(out);
		cr_assert_str_eq(out, cases[i].want, "case %zu", i);
		cr_assert_eq(len, strlen(out), "case %zu", i);
		cr_assert_eq(secret_in(&s, cases[i].in, strlen(cases[i].in)),
		    strcmp(cases[i].in, cases[i].want) != 0, "case %zu", i);
		free(out);
	}
}

/* A message cut short loses the piece of the key before the cut too. */
Test(secret, message_cuts)
{
	static const struct {
		const char *key;
		size_t size;
		const char *in, *want;
	} cases[] = {
		{ KEY, 64, "HTTP 400: key Qv7KEYLEAK/+=...",
		    "HTTP 400: key [redacted]..." },
		{ KEY, 64, "HTTP 400: key Qv7K...",
		    "HTTP 400: key [redacted]..." },
		/* Three bytes tell nothing, and innocent words end so. */
		{ KEY, 64, "HTTP 400: key Qv7...", "HTTP 400: key Qv7..." },
		/* Cut inside an encoded byte. */
		{ KEY, 64, "url ?key=Qv7KEYLEAK%2...: (text/html?)",
		    "url ?key=[redacted]...: (text/html?)" },
		{ KEY, 64, "page &#x...", "page &#x..." },
		{ KEY, 64, "a Qv7KEYL... and b Qv7KEYLEAK%2F%2B%3D...",
		    "a [redacted]... and b [redacted]..." },
		/* A full buffer may have been cut without "...". */
		{ KEY, 21, "message: Qv7KEYLEAK/", "message: [redacted]" },
		{ KEY, 22, "message: Qv7KEYLEAK/", "message: Qv7KEYLEAK/" },
		{ KEY, 12, "xxxxx " KEY, "xxxxx [r..." },
		/* The mark is longer than a short key: cut again to fit. */
		{ "12345678", 16, "ab 12345678 cd", "ab [redacted..." },
		{ "12345678", 12, "abc 12345678", "abc [red..." },
	};
	struct secret s;
	char buf[64];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		secret_init(&s, cases[i].key);
		cr_assert_lt(strlen(cases[i].in), sizeof(buf));
		strlcpy(buf, cases[i].in, cases[i].size);
		secret_redact_msg(&s, buf, cases[i].size);
		cr_assert_str_eq(buf, cases[i].want, "case %zu", i);
	}
}

/* Every cut of a message that ends in the key hides all but 3 bytes. */
Test(secret, every_cut)
{
	char msg[64], buf[64];
	struct secret s;
	size_t size, n;

	secret_init(&s, KEY);
	n = (size_t)snprintf(msg, sizeof(msg), "HTTP 400 INVALID_ARGUMENT: "
	    "%s", KEY);
	for (size = 4; size <= n + 1; size++) {
		strlcpy(buf, msg, size);
		if (size > 4)
			memcpy(buf + size - 4, "...", 4);
		secret_redact_msg(&s, buf, size);
		cr_assert_null(strstr(buf, "Qv7K"), "size %zu: %s", size, buf);
		cr_assert_null(strstr(buf, "x9 Zq"), "size %zu: %s", size, buf);
	}
}

Test(secret, json_everywhere)
{
	json_t *v = json_pack("{s:s, s:[s, i, {s:s}], s:s}", "text",
	    "echo: " KEY, "list", "Qv7KEYLEAK%2F%2B%3D%3A%26x9%20Zq", 7,
	    KEY, "as a name", "n", "innocent");
	struct secret s;
	char *out;

	secret_init(&s, KEY);
	cr_assert_eq(secret_redact_json(&s, v), 0);
	out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(out, "{\"list\":[\"[redacted]\",7,{\"[redacted]\":"
	    "\"as a name\"}],\"n\":\"innocent\",\"text\":"
	    "\"echo: [redacted]\"}");
	free(out);
	json_decref(v);
	cr_assert_eq(secret_redact_json(&s, NULL), 0);
}

/* ---- the worker ---- */

/* What the probe processor saw in init. */
static int probe_dumpable = -1;
static struct rlimit probe_core = { 1, 1 };

static int
probe_init(void **state, const struct proc_config *cfg, char *err,
    size_t errlen)
{
	*state = NULL;
	probe_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	getrlimit(RLIMIT_CORE, &probe_core);
	if (json_is_true(json_object_get(cfg->settings, "fail"))) {
		snprintf(err, errlen, "cannot start: %s", cfg->api_key);
		return -1;
	}
	return 0;
}

/* Answers with the key in every place a result has. */
static void
probe_process(void *state, json_t *row, uint64_t index,
    struct proc_result *res)
{
	const char *key = json_string_value(json_object_get(row, "key"));

	if (json_is_true(json_object_get(row, "fail"))) {
		proc_result_error(res, KIND_HTTP, "HTTP 400: API key %s is bad",
		    key);
		return;
	}
	proc_result_ok(res, json_pack("{s:s, s:i}", "text", key, "dumpable",
	    probe_dumpable));
	res->extra = json_pack("{s:s}", "model_version", key);
}

static void
probe_fini(void *state)
{
}

static const struct processor probe = {
	.name = "probe",
	.init = probe_init,
	.process = probe_process,
	.fini = probe_fini,
};

/*
 * Runs worker_serve in this process (Criterion gives each test its own)
 * on one row; returns what it sent after READY, or a FATAL reason.
 */
static char *
serve_one(json_t *settings, const char *row, enum frame_type *type)
{
	struct proc_config cfg = { .settings = settings, .api_key = KEY };
	struct frame_reader rd;
	struct frame f;
	char *got = NULL;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	cr_assert_eq(frame_send(sv[0], FRAME_TASK, 7, row, strlen(row)), 0);
	shutdown(sv[0], SHUT_WR);
	worker_serve(sv[1], &probe, &cfg);
	close(sv[1]);
	frame_reader_init(&rd, 1 << 20);
	while (frame_recv(&rd, sv[0], &f) == 1) {
		if (f.type == FRAME_READY)
			continue;
		*type = f.type;
		free(got);
		got = strndup(f.payload, f.len);
	}
	frame_reader_release(&rd);
	close(sv[0]);
	cr_assert_not_null(got);
	return got;
}

/* Undumpable, with core dumps off, before the processor has the key. */
Test(secret, worker_dumps_no_core, .timeout = 10)
{
	enum frame_type type;
	char *got;

	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	got = serve_one(NULL, "{\"key\":\"x\"}", &type);
	cr_assert_eq(type, FRAME_RESULT);
	cr_assert_eq(probe_dumpable, 0);
	cr_assert_eq(probe_core.rlim_cur, 0);
	cr_assert_eq(probe_core.rlim_max, 0);
	free(got);
}

Test(secret, worker_results_hide_the_key, .timeout = 10)
{
	enum frame_type type;
	char *got;

	got = serve_one(NULL, "{\"key\":\"" KEY "\"}", &type);
	cr_assert_eq(type, FRAME_RESULT);
	cr_assert_str_eq(got, "{\"ok\":true,\"data\":{\"text\":\"[redacted]\","
	    "\"dumpable\":0},\"model_version\":\"[redacted]\"}");
	free(got);
	got = serve_one(NULL, "{\"fail\":true,\"key\":\"Qv7KEYLEAK%2F%2B%3D"
	    "%3A%26x9%20Zq\"}", &type);
	cr_assert_eq(type, FRAME_RESULT);
	cr_assert_not_null(strstr(got, "\"HTTP 400: API key [redacted] is "
	    "bad\""), "%s", got);
	free(got);
}

Test(secret, worker_fatal_hides_the_key, .timeout = 10)
{
	json_t *settings = json_pack("{s:b}", "fail", 1);
	enum frame_type type;
	char *got;

	got = serve_one(settings, "{}", &type);
	cr_assert_eq(type, FRAME_FATAL);
	cr_assert_str_eq(got, "cannot start: [redacted]");
	free(got);
	json_decref(settings);
}
