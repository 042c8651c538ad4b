/*
 * libFuzzer harness for the RESULT message as the supervisor decodes it
 * (proto_result_decode): no crash, no leak, and whatever decodes is a
 * result the supervisor can use as is (a known kind, a message of valid
 * UTF-8, numbers in range), which encodes and decodes again to the same.
 * Built by `make fuzz`; seeds in tests/fuzz/corpus/proto/.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/proto.h"
#include "rowpool/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_again(const struct proc_result *res)
{
	struct proc_result again;
	char err[256], *text;
	size_t len;

	text = proto_result_encode(res, &len);
	assert(text != NULL);
	assert(proto_result_decode(text, len, &again, err, sizeof(err)) == 0);
	assert(again.ok == res->ok);
	if (res->ok)
		assert(json_equal(again.data, res->data));
	else {
		assert(again.kind == res->kind);
		assert(strcmp(again.message, res->message) == 0);
		assert(again.retry_after_ms == res->retry_after_ms);
		assert(again.retry == res->retry);
		assert(again.quota_rpm == res->quota_rpm);
	}
	proc_result_release(&again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_result res;
	char err[256];

	if (proto_result_decode((const char *)data, size, &res, err,
	    sizeof(err)) == -1) {
		assert(err[0] != '\0');
		return 0;
	}
	if (!res.ok) {
		assert(res.kind < KIND_COUNT);
		assert(res.retry >= -1 && res.retry <= RETRY_YES);
		assert(res.retry_after_ms >= -1 && res.quota_rpm >= 0);
	} else
		assert(res.data != NULL);
	check_again(&res);
	proc_result_release(&res);
	return 0;
}
