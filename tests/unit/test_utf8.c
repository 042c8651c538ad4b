/*
 * Messages stay valid UTF-8 whatever is cut or comes from a server: a
 * message that JSON cannot carry would kill the worker that sends it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rowpool/processor.h"
#include "rowpool/proto.h"
#include "rowpool/schema.h"
#include "rowpool/utf8.h"

Test(utf8, clean_table)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "cut \xc3", "cut ?" },
		{ "cut \xe2\x82", "cut ??" },
		{ "tab\there\nnl", "tab?here?nl" },
		{ "overlong \xc0\xaf", "overlong ??" },
		{ "surrogate \xed\xa0\x80", "surrogate ???" },
		{ "\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80 ok" },
		{ "latin1 \xa9", "latin1 ?" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strlcpy(buf, cases[i].in, sizeof(buf));
		utf8_clean(buf);
		cr_assert_str_eq(buf, cases[i].want, "case %zu", i);
	}
}

/* A long non-ASCII value in a schema message is cut on a character. */
Test(utf8, schema_message_cut_is_valid)
{
	json_t *schema = json_pack("{s:s, s:{s:{s:[s,s]}}}", "type", "object",
	    "properties", "city", "enum", "Paris", "Lyon");
	json_t *value, *s;
	char why[512], big[200];
	size_t i;

	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	value = json_pack("{s:s}", "city", big);
	cr_assert_eq(schema_check(schema, value, why, sizeof(why)), -1);
	s = json_string(why);
	cr_assert_not_null(s, "message is not UTF-8: %s", why);
	json_decref(s);
	json_decref(value);
	json_decref(schema);
}

/* Whatever bytes a processor reports, the result can be encoded. */
Test(utf8, error_results_always_encode)
{
	struct proc_result res;
	char msg[1200];
	size_t len, i;
	char *out;

	for (i = 0; i + 2 < sizeof(msg); i += 2)
		memcpy(msg + i, "\xc3\xa9", 2);
	msg[i] = '\0';
	msg[7] = '\xff';
	proc_result_init(&res);
	proc_result_error(&res, KIND_HTTP, "server said: %s", msg);
	out = proto_result_encode(&res, &len);
	cr_assert_not_null(out, "an error result must always encode");
	free(out);
	proc_result_release(&res);
}
