/*
 * Tests for the response parsers (llm.h): one row per recorded Gemini
 * body in tests/data/gemini-recorded (every file manifest.json lists
 * must have its row), then synthetic bodies for both APIs: proxy
 * pages, wrong types everywhere, quotas, retry hints, long and multi-line
 * messages, credentials.  Every body is also parsed cut at every length.
 * Fixtures are found from the current directory, the repo root when make
 * runs the tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "rowpool/llm.h"
#include "rowpool/sched.h"

#ifndef FIXTURES
/* Relative to the repo root, where make runs the tests. */
#define FIXTURES "tests/data"
#endif
#define GEMINI_DIR	FIXTURES "/gemini-recorded"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define USAGE(p, o, t, tot)						\
	"{'prompt_tokens':" #p ",'output_tokens':" #o			\
	",'thoughts_tokens':" #t ",'total_tokens':" #tot "}"

enum api {
	GEMINI,
	OPENAI
};

/* What a parse must give.  NULL strings are not checked. */
struct expect {
	int			 ok;
	const char		*kind;		/* "" when ok */
	enum retry_policy	 retry;
	long			 retry_after_ms;
	const char		*finish_reason;
	const char		*model_version;
	const char		*usage;		/* JSON with ' for ", or NULL:
						   no usage at all */
	const char		*has;		/* in text when ok, else in
						   message */
	const char		*text;		/* ok: the whole text */
};

struct fixture_case {
	const char	*file;
	long		 status;
	struct expect	 x;
};

struct body_case {
	const char	*name;
	enum api	 api;
	long		 status;
	const char	*body;		/* JSON with ' for ", unless raw */
	int		 raw;
	struct expect	 x;
};

#define OK(fr, mv, u, has, text)					\
	{ 1, "", RETRY_NO, -1, fr, mv, u, has, text }
#define FAIL(kind, retry, after, fr, mv, u, has)			\
	{ 0, kind, retry, after, fr, mv, u, has, NULL }
#define HTTP_FAIL(retry, after, has)					\
	FAIL("http", retry, after, "", "", NULL, has)

static const struct fixture_case fixtures[] = {
	{ "ok-json-mode-response-schema.json", 200,
	    OK("STOP", "gemini-2.0-flash", USAGE(50, 46, 0, 96),
	    "\"language\": \"Spanish\"", NULL) },
	{ "ok-json-mode-thinking.json", 200,
	    OK("STOP", "gemini-2.5-flash", USAGE(12, 24, 130, 166), NULL,
	    "{\"city\": \"London\", \"country\": \"UK\", "
	    "\"population\": 9000000}") },
	{ "ok-json-mode-json-schema.json", 200,
	    OK("STOP", "gemini-2.0-flash", USAGE(8, 20, 0, 28), NULL,
	    "{\n  \"city\": \"Mexico City\",\n  \"country\": \"Mexico\"\n}") },
	{ "ok-basic-reply.json", 200,
	    OK("STOP", "gemini-2.0-flash", USAGE(7, 22, 0, 29),
	    "**Mountain View, California**.\n", NULL) },
	{ "ok-thinking-thought-summary.json", 200,
	    OK("STOP", "gemini-2.5-flash", USAGE(14, 2, 24, 40), NULL,
	    "Mountain View") },
	{ "ok-json-mode-array-vertex.json", 200,
	    OK("STOP", "", NULL, "\"Jakarta Noon\"", NULL) },
	{ "finish-max-tokens.json", 200,
	    FAIL("truncated", RETRY_ONCE, -1, "MAX_TOKENS",
	    "gemini-2.5-flash", USAGE(15, 5, 0, 20),
	    "response cut at the output token limit: finishReason "
	    "MAX_TOKENS") },
	{ "finish-max-tokens-thinking-no-parts.json", 200,
	    FAIL("truncated", RETRY_ONCE, -1, "MAX_TOKENS", "gemini-2.5-pro",
	    USAGE(15, 0, 2, 17), "finishReason MAX_TOKENS") },
	{ "finish-safety-empty-content.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "SAFETY", "gemini-1.5-flash",
	    USAGE(14, 0, 0, 14), "response blocked: finishReason SAFETY") },
	{ "finish-safety-with-text.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "SAFETY", "gemini-2.0-flash",
	    USAGE(7, 20, 0, 27), "response blocked: finishReason SAFETY") },
	{ "finish-other-no-content.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "OTHER", "", NULL,
	    "response blocked: finishReason OTHER: Model failed to generate "
	    "content due to internal error.") },
	{ "finish-unknown-enum.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "FAKE_NEW_FINISH_REASON", "", NULL,
	    "does not know: finishReason FAKE_NEW_FINISH_REASON") },
	{ "candidate-empty-content.json", 200,
	    FAIL("truncated", RETRY_ONCE, -1, "", "", NULL,
	    "response has no text") },
	{ "candidate-malformed-content.json", 200,
	    FAIL("truncated", RETRY_ONCE, -1, "", "", NULL,
	    "response has no text") },
	{ "invalid-response-shape.json", 200,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response has no candidates") },
	{ "prompt-blocked-safety.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "", "", NULL,
	    "prompt blocked: blockReason SAFETY") },
	{ "prompt-blocked-message-only.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "", "gemini-2.0-flash", NULL,
	    "prompt blocked: Message") },
	{ "prompt-blocked-model-armor-vertex.json", 200,
	    FAIL("blocked", RETRY_NO, -1, "", "gemini-2.5-flash",
	    USAGE(0, 0, 0, 0), "prompt blocked: blockReason MODEL_ARMOR: "
	    "The prompt violated Prompt Injection and Jailbreak filters.") },
	{ "error-400-api-key-invalid.json", 400,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL,
	    "HTTP 400 INVALID_ARGUMENT: API key not valid. Please pass a "
	    "valid API key.") },
	{ "error-400-invalid-argument-vertex.json", 400,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 400 INVALID_ARGUMENT: Cannot fetch "
	    "content from the provided URL.") },
	{ "error-403-api-not-enabled.json", 403,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL,
	    "HTTP 403 PERMISSION_DENIED: Generative Language API has not "
	    "been used") },
	{ "error-404-model-not-found.json", 404,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 404 NOT_FOUND: "
	    "models/gemini-3.6-flahs is not found") },
	{ "error-404-unknown-model-v1.json", 404,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 404 NOT_FOUND: "
	    "models/gemini-5.0-flash is not found") },
	{ "error-429-quota-retryinfo.json", 429,
	    FAIL("rate_limited", RETRY_YES, 58000, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: You exceeded your current quota, "
	    "please check") },
	{ "derived-error-429-per-day.json", 429,
	    FAIL("quota_exhausted", RETRY_NO, 58000, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: You exceeded your current quota") },
	{ "error-429-rate-limit-errorinfo.json", 429,
	    FAIL("rate_limited", RETRY_YES, -1, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded for quota metric "
	    "'Generate Content API requests per minute'") },
	{ "error-429-no-details.json", 429,
	    FAIL("rate_limited", RETRY_YES, -1, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: Resource has been exhausted (e.g. "
	    "check quota).") },
	{ "error-500-internal.json", 500,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500 INTERNAL: An internal error "
	    "has occurred.") },
	{ "error-503-unavailable.json", 503,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 503 UNAVAILABLE: The model is "
	    "overloaded. Please try again later.") },
};

/* Google's own error page, as its front end sends it for a 502. */
#define GOOGLE_502							\
	"<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"	\
	"  <title>Error 502 (Server Error)!!1</title>\n"		\
	"  <p><b>502.</b> <ins>That\xe2\x80\x99s an error.</ins>\n"	\
	"  <p>The server encountered a temporary error. Please try "	\
	"again in 30 seconds.  <ins>That\xe2\x80\x99s all we know.</ins>\n"

#define G_TEXT(t, fr)							\
	"{'candidates':[{'content':{'parts':[{'text':'" t "'}]},"	\
	"'finishReason':'" fr "'}]}"
#define G_ERROR(code, status, msg, details)				\
	"{'error':{'code':" #code ",'message':'" msg "','status':'"	\
	status "'" details "}}"
#define QUOTA(id)							\
	",'details':[{'@type':'type.googleapis.com/google.rpc."	\
	"QuotaFailure','violations':[{'quotaId':'" id "'}]}]"
#define O_CHOICE(content, fr)						\
	"{'model':'m1','choices':[{'index':0,'message':{'role':"	\
	"'assistant','content':" content "},'finish_reason':" fr "}]}"
#define O_ERROR(msg, type, code)					\
	"{'error':{'message':'" msg "','type':" type ",'param':null,"	\
	"'code':" code "}}"

static const struct body_case bodies[] = {
	/* Bodies that are not a JSON object. */
	{ "html 502", GEMINI, 502, GOOGLE_502, 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 502: response is not JSON "
	    "(text/html?): Error 502 (Server Error)!!1") },
	{ "html 200", GEMINI, 200, GOOGLE_502, 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response is not JSON "
	    "(text/html?)") },
	{ "html 401", GEMINI, 401, GOOGLE_502, 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 401: response is not JSON") },
	{ "html 429", GEMINI, 429, GOOGLE_502, 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 429: response is not JSON") },
	{ "html no title", GEMINI, 502, "\n <html><body>Bad\tgateway\r\n"
	    "</body></html>", 1,
	    HTTP_FAIL(RETRY_YES, -1, "(text/html?): <html><body>Bad gateway "
	    "</body></html>") },
	{ "html empty title", GEMINI, 502, "<HTML><TITLE></TITLE>x", 1,
	    HTTP_FAIL(RETRY_YES, -1, "(text/html?): <HTML><TITLE></TITLE>x") },
	{ "html non-ascii title", GEMINI, 503,
	    "<title>Erreur \xc3\xa9\x01 \xff</title>", 1,
	    HTTP_FAIL(RETRY_YES, -1, "(text/html?): Erreur ? ?") },
	{ "plain text", GEMINI, 503, "upstream connect error or "
	    "disconnect/reset before headers. reset reason: overflow", 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 503: response is not JSON "
	    "(text/plain?): upstream connect error or disconnect/reset before "
	    "headers. reset reason: over...") },
	{ "empty body 200", GEMINI, 200, "", 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: empty response body") },
	{ "empty body 404", GEMINI, 404, "", 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 404: empty response body") },
	{ "white space", GEMINI, 200, " \r\n", 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response is not JSON") },
	{ "json null", GEMINI, 200, "null", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response is not a JSON "
	    "object") },
	{ "json array", GEMINI, 200, "[]", 0,
	    HTTP_FAIL(RETRY_YES, -1, "not a JSON object") },
	{ "json array of candidates", GEMINI, 200,
	    "[" G_TEXT("x", "STOP") "]", 0,
	    HTTP_FAIL(RETRY_YES, -1, "not a JSON object") },
	{ "json string", GEMINI, 200, "'candidates'", 0,
	    HTTP_FAIL(RETRY_YES, -1, "not a JSON object") },
	{ "json number", GEMINI, 500, "42", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500: response is not a JSON "
	    "object") },
	{ "cut json", GEMINI, 200, "{'candidates':[{'content':", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response is not valid JSON "
	    "at byte") },
	{ "invalid utf-8", GEMINI, 200, "{'modelVersion':'\xff\xfe'}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "response is not valid JSON") },
	{ "escaped nul", GEMINI, 200, G_TEXT("a\\u0000b", "STOP"), 0,
	    HTTP_FAIL(RETRY_YES, -1, "response is not valid JSON") },

	/* A 2xx object that is not an answer. */
	{ "empty object", GEMINI, 200, "{}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response has no candidates") },
	{ "empty object 503", GEMINI, 503, "{}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 503: no error message in the "
	    "response") },
	{ "empty object 404", GEMINI, 404, "{}", 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 404: no error message") },
	{ "candidates a string", GEMINI, 200, "{'candidates':'x'}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "response has no candidates") },
	{ "candidates empty", GEMINI, 200, "{'candidates':[]}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "response has no candidates") },
	{ "candidate a number", GEMINI, 200, "{'candidates':[1]}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "response has no candidates") },
	{ "candidates a string, feedback", GEMINI, 200,
	    "{'candidates':'x','promptFeedback':{}}", 0,
	    FAIL("blocked", RETRY_NO, -1, "", "", NULL, "prompt blocked") },
	{ "feedback not an object", GEMINI, 200,
	    "{'promptFeedback':'SAFETY'}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "response has no candidates") },
	{ "blockReason with a candidate", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'promptFeedback':{'blockReason':'OTHER','blockReasonMessage':7}}",
	    0, FAIL("blocked", RETRY_NO, -1, NULL, "", NULL,
	    "prompt blocked: blockReason OTHER") },
	{ "blockReason unspecified", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'promptFeedback':{'blockReason':'BLOCK_REASON_UNSPECIFIED'}}", 0,
	    OK("", "", NULL, NULL, "x") },
	{ "blockReason a number", GEMINI, 200,
	    "{'promptFeedback':{'blockReason':2}}", 0,
	    FAIL("blocked", RETRY_NO, -1, "", "", NULL, "prompt blocked") },

	/* Candidate 0, with wrong types. */
	{ "parts not an array", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':{'text':'x'}},"
	    "'finishReason':'STOP'}]}", 0,
	    FAIL("truncated", RETRY_ONCE, -1, "STOP", "", NULL,
	    "response has no text: finishReason STOP") },
	{ "content a string", GEMINI, 200,
	    "{'candidates':[{'content':'x'}]}", 0,
	    FAIL("truncated", RETRY_ONCE, -1, "", "", NULL,
	    "response has no text") },
	{ "text a number", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':5},null,7,"
	    "'text']}}]}", 0,
	    FAIL("truncated", RETRY_ONCE, -1, "", "", NULL,
	    "response has no text") },
	{ "only a thought", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'hmm',"
	    "'thought':true}]},'finishReason':'STOP'}]}", 0,
	    FAIL("truncated", RETRY_ONCE, -1, "STOP", "", NULL,
	    "response has no text") },
	{ "thought not a boolean", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'a',"
	    "'thought':'yes'},{'text':'b','thought':false}]}}]}", 0,
	    OK("", "", NULL, NULL, "ab") },
	{ "parts joined", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'{\\'a\\':'},"
	    "{'thought':true,'text':'no'},{'inlineData':{}},{'text':'1}'}]},"
	    "'finishReason':'STOP'}],'modelVersion':'m'}", 0,
	    OK("STOP", "m", NULL, NULL, "{\"a\":1}") },
	{ "empty text", GEMINI, 200, G_TEXT("", "STOP"), 0,
	    FAIL("truncated", RETRY_ONCE, -1, "STOP", "", NULL,
	    "response has no text") },
	{ "finishReason a number", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]},"
	    "'finishReason':1}]}", 0,
	    OK("", "", NULL, NULL, "x") },
	{ "finishReason unspecified", GEMINI, 200,
	    G_TEXT("x", "FINISH_REASON_UNSPECIFIED"), 0,
	    OK("FINISH_REASON_UNSPECIFIED", "", NULL, NULL, "x") },
	{ "finishReason empty", GEMINI, 200, G_TEXT("x", ""), 0,
	    OK("", "", NULL, NULL, "x") },
	{ "finishReason lower case", GEMINI, 200, G_TEXT("x", "stop"), 0,
	    FAIL("blocked", RETRY_NO, -1, "stop", "", NULL,
	    "does not know: finishReason stop") },
	{ "finishReason long", GEMINI, 200,
	    G_TEXT("x", "A_VERY_LONG_FINISH_REASON_FROM_THE_FUTURE"), 0,
	    FAIL("blocked", RETRY_NO, -1, "A_VERY_LONG_FINISH_REASON_FR...",
	    "", NULL, "finishReason A_VERY_LONG_FINISH_REASON_FROM_THE_"
	    "FUTURE") },
	{ "finishReason with a newline", GEMINI, 200,
	    G_TEXT("x", "BAD\\nREASON"), 0,
	    FAIL("blocked", RETRY_NO, -1, "BAD REASON", "", NULL,
	    "finishReason BAD REASON") },
	{ "finishMessage not a string", GEMINI, 200,
	    "{'candidates':[{'finishReason':'SAFETY','finishMessage':{}}]}",
	    0, FAIL("blocked", RETRY_NO, -1, "SAFETY", "", NULL,
	    "response blocked: finishReason SAFETY") },
	{ "usage wrong types", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'usageMetadata':{'promptTokenCount':'7','candidatesTokenCount':"
	    "-3,'thoughtsTokenCount':null,'totalTokenCount':1.5},"
	    "'modelVersion':7}", 0,
	    OK("", "", USAGE(0, 0, 0, 0), NULL, "x") },
	{ "usage a string", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'usageMetadata':'lots'}", 0,
	    OK("", "", NULL, NULL, "x") },
	{ "usage with a cache hit", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'usageMetadata':{'promptTokenCount':1200,'candidatesTokenCount':"
	    "5,'cachedContentTokenCount':1024,'totalTokenCount':1205}}", 0,
	    OK("", "", "{'prompt_tokens':1200,'output_tokens':5,"
	    "'thoughts_tokens':0,'total_tokens':1205,'cached_tokens':1024}",
	    NULL, "x") },
	{ "usage cache 0 or wrong type", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'usageMetadata':{'promptTokenCount':3,'cachedContentTokenCount':"
	    "'9','totalTokenCount':3}}", 0,
	    OK("", "", USAGE(3, 0, 0, 3), NULL, "x") },
	{ "usage big", GEMINI, 200,
	    "{'candidates':[{'content':{'parts':[{'text':'x'}]}}],"
	    "'usageMetadata':{'promptTokenCount':9007199254740993,"
	    "'totalTokenCount':9007199254740993}}", 0,
	    OK("", "", USAGE(9007199254740993, 0, 0, 9007199254740993), NULL,
	    "x") },

	/* Error envelopes. */
	{ "error in a 200", GEMINI, 200,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "slow down", ""), 0,
	    FAIL("rate_limited", RETRY_YES, -1, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: slow down") },
	{ "error in a 200, no code", GEMINI, 200,
	    "{'error':{'message':'odd'}}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: odd") },
	{ "error in a 200, code 200", GEMINI, 200,
	    "{'error':{'code':200,'message':'odd','status':'OK'}}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200 OK: odd") },
	{ "error null in a 200", GEMINI, 200,
	    "{'error':null,'candidates':[{'content':{'parts':[{'text':'x'}]}}"
	    "]}", 0, OK("", "", NULL, NULL, "x") },
	{ "error a string", GEMINI, 400, "{'error':'bad request'}", 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 400: bad request") },
	{ "error a string in a 200", GEMINI, 200, "{'error':'overloaded'}",
	    0, HTTP_FAIL(RETRY_YES, -1, "HTTP 200: overloaded") },
	{ "error wrong types", GEMINI, 500,
	    "{'error':{'code':'500','message':3,'status':['x'],"
	    "'details':'no'}}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500: no error message in the "
	    "response") },
	{ "details wrong types", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "m", ",'details':[1,'x',null,"
	    "{'retryDelay':5},{'retryDelay':'soon'},{'violations':'PerDay'},"
	    "{'violations':[{'quotaId':7},3]},{'reason':3},"
	    "{'metadata':'PerDay'}]"), 0,
	    FAIL("rate_limited", RETRY_YES, -1, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: m") },
	{ "429 per minute", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "q",
	    QUOTA("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")), 0,
	    FAIL("rate_limited", RETRY_YES, -1, "", "", NULL, ": q") },
	{ "429 per day", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "q",
	    QUOTA("GenerateRequestsPerDayPerProjectPerModel-FreeTier")), 0,
	    FAIL("quota_exhausted", RETRY_NO, -1, "", "", NULL, ": q") },
	{ "429 per day among others", GEMINI, 429,
	    "{'error':{'code':429,'details':[{'violations':[{'quotaId':"
	    "'TokensPerMinute'},{'quotaId':'RequestsPerDay'}]},"
	    "{'retryDelay':'3600s'}]}}", 0,
	    FAIL("quota_exhausted", RETRY_NO, 3600000, "", "", NULL,
	    "HTTP 429: no error message in the response") },
	{ "429 errorinfo per day", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "q", ",'details':[{'reason':"
	    "'RATE_LIMIT_EXCEEDED','metadata':{'quota_limit':"
	    "'GenerateContentRequestsPerDayPerProject'}}]"), 0,
	    FAIL("quota_exhausted", RETRY_NO, -1, "", "", NULL, ": q") },
	{ "403 quota per day", GEMINI, 403,
	    G_ERROR(403, "PERMISSION_DENIED", "q",
	    QUOTA("RequestsPerDay")), 0,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL, "HTTP 403") },
	{ "retry in message", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "busy. Please retry in "
	    "12.5s.", ""), 0,
	    FAIL("rate_limited", RETRY_YES, 12500, "", "", NULL,
	    "Please retry in 12.5s.") },
	{ "retry in ms in message", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "Please retry in "
	    "443.179829ms.", ""), 0,
	    FAIL("rate_limited", RETRY_YES, 444, "", "", NULL, "443") },
	{ "retry in minutes in message", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "Please retry in 1m30s.", ""),
	    0, FAIL("rate_limited", RETRY_YES, -1, "", "", NULL, "1m30s") },
	{ "retry in words", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "Please retry in 30 seconds.",
	    ""), 0, FAIL("rate_limited", RETRY_YES, -1, "", "", NULL,
	    "30 seconds") },
	{ "RetryInfo over message", GEMINI, 429,
	    G_ERROR(429, "RESOURCE_EXHAUSTED", "Please retry in 9s.",
	    ",'details':[{'@type':'type.googleapis.com/google.rpc.RetryInfo',"
	    "'retryDelay':'2s'}]"), 0,
	    FAIL("rate_limited", RETRY_YES, 2000, "", "", NULL, "9s") },
	{ "503 RetryInfo", GEMINI, 503,
	    G_ERROR(503, "UNAVAILABLE", "later",
	    ",'details':[{'retryDelay':'1.5s'}]"), 0,
	    HTTP_FAIL(RETRY_YES, 1500, "HTTP 503 UNAVAILABLE: later") },
	{ "401", GEMINI, 401,
	    G_ERROR(401, "UNAUTHENTICATED", "Request had invalid "
	    "authentication credentials.", ""), 0,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL,
	    "HTTP 401 UNAUTHENTICATED: Request had invalid") },
	{ "400 API key expired", GEMINI, 400,
	    G_ERROR(400, "INVALID_ARGUMENT", "API key expired.",
	    ",'details':[{'reason':'API_KEY_EXPIRED'}]"), 0,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL, "API key expired.") },
	{ "400 bad request", GEMINI, 400,
	    G_ERROR(400, "INVALID_ARGUMENT", "Invalid JSON payload received.",
	    ",'details':[{'@type':'type.googleapis.com/google.rpc.BadRequest',"
	    "'fieldViolations':[{'field':'x'}]}]"), 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 400 INVALID_ARGUMENT: Invalid JSON "
	    "payload received.") },
	{ "408", GEMINI, 408, G_ERROR(408, "DEADLINE_EXCEEDED", "slow", ""),
	    0, HTTP_FAIL(RETRY_YES, -1, "HTTP 408 DEADLINE_EXCEEDED: slow") },
	{ "418", GEMINI, 418, "{'error':{'message':'teapot'}}", 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 418: teapot") },
	{ "301", GEMINI, 301, "{}", 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 301") },
	{ "502 json", GEMINI, 502, "{'error':{'code':502}}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 502: no error message") },
	{ "504", GEMINI, 504,
	    G_ERROR(504, "DEADLINE_EXCEEDED", "Deadline expired", ""), 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 504 DEADLINE_EXCEEDED") },
	{ "599", GEMINI, 599, "{}", 0, HTTP_FAIL(RETRY_YES, -1, "HTTP 599") },
	{ "status 0", GEMINI, 0, "{}", 0, HTTP_FAIL(RETRY_YES, -1, "HTTP 0") },
	{ "answer with a 500", GEMINI, 500, G_TEXT("x", "STOP"), 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500: no error message") },
	{ "error in an array", GEMINI, 429,
	    "[" G_ERROR(429, "RESOURCE_EXHAUSTED", "q",
	    QUOTA("PerDay")) "]", 0,
	    FAIL("quota_exhausted", RETRY_NO, -1, "", "", NULL, ": q") },
	{ "message lines", GEMINI, 500,
	    G_ERROR(500, "INTERNAL", "line one\\nline two\\r\\n\\t"
	    "three\\u2028four\\u0085five \\u007f six\\n", ""), 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500 INTERNAL: line one line two "
	    "three four five six") },
	{ "status with a newline", GEMINI, 500,
	    G_ERROR(500, "INTER\\nNAL", "m", ""), 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500 INTER NAL: m") },
	{ "API key in a message", GEMINI, 400,
	    G_ERROR(400, "INVALID_ARGUMENT", "API key not valid: "
	    "AIzaSyA1234567890abcdefghijklmnopqrstu.", ""), 0,
	    HTTP_FAIL(RETRY_NO, -1, "API key not valid: [redacted].") },
	{ "key in an echoed URL", GEMINI, 404,
	    G_ERROR(404, "NOT_FOUND", "no route for /v1beta/models/x:"
	    "generateContent?alt=json&key=abc-123_XYZ&x=1", ""), 0,
	    HTTP_FAIL(RETRY_NO, -1, "generateContent?alt=json&key=[redacted]"
	    "&x=1") },
	{ "bearer token", GEMINI, 401,
	    G_ERROR(401, "UNAUTHENTICATED", "bad header Authorization: "
	    "Bearer ya29.a0AfH6SMBx", ""), 0,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL,
	    "Authorization: Bearer [redacted]") },
	{ "not a key", GEMINI, 500,
	    G_ERROR(500, "INTERNAL", "task-abcdefghijklmnopqrstuvwxyz0123 "
	    "monkey AIza short sk-short", ""), 0,
	    HTTP_FAIL(RETRY_YES, -1, "task-abcdefghijklmnopqrstuvwxyz0123 "
	    "monkey AIza short sk-short") },
	{ "API key in html", GEMINI, 502,
	    "<title>bad key AIzaSyA1234567890abcdefghijklmnopqrstu</title>", 1,
	    HTTP_FAIL(RETRY_YES, -1, "(text/html?): bad key [redacted]") },

	/* OpenAI-compatible. */
	{ "openai ok", OPENAI, 200,
	    "{'id':'c','object':'chat.completion','model':'gemini-2.5-flash',"
	    "'choices':[{'index':0,'message':{'role':'assistant','content':"
	    "'{\\'a\\':1}'},'finish_reason':'stop'}],'usage':{'prompt_tokens':"
	    "5,'completion_tokens':7,'total_tokens':12,"
	    "'completion_tokens_details':{'reasoning_tokens':3}}}", 0,
	    OK("stop", "gemini-2.5-flash", USAGE(5, 7, 3, 12), NULL,
	    "{\"a\":1}") },
	{ "openai content parts", OPENAI, 200,
	    O_CHOICE("[{'type':'text','text':'a'},{'type':'refusal'},"
	    "{'type':'text','text':'b'}]", "'stop'"), 0,
	    OK("stop", "m1", NULL, NULL, "ab") },
	{ "openai no finish_reason", OPENAI, 200,
	    O_CHOICE("'x'", "null"), 0, OK("", "m1", NULL, NULL, "x") },
	{ "openai length", OPENAI, 200, O_CHOICE("'{\\'a'", "'length'"), 0,
	    FAIL("truncated", RETRY_ONCE, -1, "length", "m1", NULL,
	    "response cut at the output token limit: finish_reason length") },
	{ "openai content_filter", OPENAI, 200,
	    O_CHOICE("null", "'content_filter'"), 0,
	    FAIL("blocked", RETRY_NO, -1, "content_filter", "m1", NULL,
	    "response blocked: finish_reason content_filter") },
	{ "openai unknown finish", OPENAI, 200,
	    O_CHOICE("'x'", "'fake_new_finish_reason'"), 0,
	    FAIL("blocked", RETRY_NO, -1, "fake_new_finish_reason", "m1", NULL,
	    "does not know: finish_reason fake_new_finish_reason") },
	{ "openai no content", OPENAI, 200, O_CHOICE("null", "'stop'"), 0,
	    FAIL("truncated", RETRY_ONCE, -1, "stop", "m1", NULL,
	    "response has no content") },
	{ "openai empty content", OPENAI, 200, O_CHOICE("''", "'stop'"), 0,
	    FAIL("truncated", RETRY_ONCE, -1, "stop", "m1", NULL,
	    "response has no content") },
	{ "openai content a number", OPENAI, 200, O_CHOICE("5", "'stop'"), 0,
	    FAIL("truncated", RETRY_ONCE, -1, "stop", "m1", NULL,
	    "response has no content") },
	{ "openai refusal", OPENAI, 200,
	    "{'choices':[{'message':{'content':null,'refusal':'I cannot "
	    "help with that.'},'finish_reason':'stop'}]}", 0,
	    FAIL("blocked", RETRY_NO, -1, "stop", "", NULL,
	    "model refused: I cannot help with that.") },
	{ "openai message a string", OPENAI, 200,
	    "{'choices':[{'message':'hi','finish_reason':'stop'}]}", 0,
	    FAIL("truncated", RETRY_ONCE, -1, "stop", "", NULL,
	    "response has no content") },
	{ "openai choices a string", OPENAI, 200, "{'choices':'x'}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: response has no choices") },
	{ "openai choices empty", OPENAI, 200,
	    "{'choices':[],'usage':{'prompt_tokens':3}}", 0,
	    FAIL("http", RETRY_YES, -1, "", "", USAGE(3, 0, 0, 0),
	    "response has no choices") },
	{ "openai cached tokens", OPENAI, 200,
	    "{'choices':[{'message':{'content':'x'}}],'usage':"
	    "{'prompt_tokens':2000,'completion_tokens':4,'total_tokens':2004,"
	    "'prompt_tokens_details':{'cached_tokens':1920}}}", 0,
	    OK("", "", "{'prompt_tokens':2000,'output_tokens':4,"
	    "'thoughts_tokens':0,'total_tokens':2004,'cached_tokens':1920}",
	    NULL, "x") },
	{ "openai usage wrong types", OPENAI, 200,
	    "{'choices':[{'message':{'content':'x'}}],'model':[],'usage':"
	    "{'prompt_tokens':'5','completion_tokens':-1,"
	    "'completion_tokens_details':7}}", 0,
	    OK("", "", USAGE(0, 0, 0, 0), NULL, "x") },
	{ "openai 401", OPENAI, 401,
	    O_ERROR("Incorrect API key provided: sk-proj-abcdefghijklmnopqrstu"
	    "vwxyz0123. You can find your API key at https://platform.openai."
	    "com/account/api-keys.", "'invalid_request_error'",
	    "'invalid_api_key'"), 0,
	    FAIL("auth", RETRY_NO, -1, "", "", NULL, "HTTP 401 "
	    "invalid_api_key: Incorrect API key provided: [redacted]. You can "
	    "find") },
	{ "openai 403", OPENAI, 403,
	    O_ERROR("Country, region, or territory not supported",
	    "'request_forbidden'", "'unsupported_country_region_territory'"),
	    0, FAIL("auth", RETRY_NO, -1, "", "", NULL,
	    "HTTP 403 unsupported_country_region_territory: Country") },
	{ "openai 429 rate limit", OPENAI, 429,
	    O_ERROR("Rate limit reached for gpt-4o in organization org-x on "
	    "requests per min (RPM): Limit 3, Used 3, Requested 1. Please try "
	    "again in 20s.", "'requests'", "'rate_limit_exceeded'"), 0,
	    FAIL("rate_limited", RETRY_YES, 20000, "", "", NULL,
	    "HTTP 429 rate_limit_exceeded: Rate limit reached") },
	{ "openai 429 rate limit ms", OPENAI, 429,
	    O_ERROR("Rate limit reached. Please try again in 600ms.",
	    "'tokens'", "'rate_limit_exceeded'"), 0,
	    FAIL("rate_limited", RETRY_YES, 600, "", "", NULL, "600ms") },
	{ "openai 429 no hint", OPENAI, 429,
	    O_ERROR("Too many requests", "'requests'", "null"), 0,
	    FAIL("rate_limited", RETRY_YES, -1, "", "", NULL,
	    "HTTP 429 requests: Too many requests") },
	{ "openai 429 insufficient_quota", OPENAI, 429,
	    O_ERROR("You exceeded your current quota, please check your plan "
	    "and billing details.", "'insufficient_quota'",
	    "'insufficient_quota'"), 0,
	    FAIL("quota_exhausted", RETRY_NO, -1, "", "", NULL,
	    "HTTP 429 insufficient_quota: You exceeded your current quota") },
	{ "openai 429 insufficient_quota type only", OPENAI, 429,
	    O_ERROR("quota", "'insufficient_quota'", "null"), 0,
	    FAIL("quota_exhausted", RETRY_NO, -1, "", "", NULL,
	    "HTTP 429 insufficient_quota: quota") },
	{ "openai 500", OPENAI, 500,
	    O_ERROR("The server had an error while processing your request. "
	    "Sorry about that!", "'server_error'", "null"), 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 500 server_error: The server had "
	    "an error") },
	{ "openai 503", OPENAI, 503,
	    O_ERROR("The model is overloaded.", "'server_error'",
	    "'overloaded'"), 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 503 overloaded: The model is "
	    "overloaded.") },
	{ "openai 404", OPENAI, 404,
	    O_ERROR("The model `x` does not exist", "'invalid_request_error'",
	    "'model_not_found'"), 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 404 model_not_found: The model `x` "
	    "does not exist") },
	{ "openai 400 content_filter", OPENAI, 400,
	    "{'error':{'message':'The response was filtered due to the prompt "
	    "triggering content management policy.','type':null,'param':"
	    "'prompt','code':'content_filter','status':400}}", 0,
	    FAIL("blocked", RETRY_NO, -1, "", "", NULL,
	    "HTTP 400 content_filter: The response was filtered") },
	{ "openai error a string", OPENAI, 400, "{'error':'bad request'}", 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 400: bad request") },
	{ "openai detail", OPENAI, 404, "{'detail':'Not Found'}", 0,
	    HTTP_FAIL(RETRY_NO, -1, "HTTP 404: Not Found") },
	{ "openai error in a 200", OPENAI, 200,
	    "{'error':{'code':502,'message':'upstream failed'}}", 0,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 502: upstream failed") },
	{ "openai gemini envelope", OPENAI, 429,
	    "[{'error':{'code':429,'message':'Resource exhausted.','status':"
	    "'RESOURCE_EXHAUSTED','details':[{'@type':'type.googleapis.com/"
	    "google.rpc.QuotaFailure','violations':[{'quotaId':"
	    "'GenerateRequestsPerDayPerProjectPerModel-FreeTier'}]},"
	    "{'@type':'type.googleapis.com/google.rpc.RetryInfo',"
	    "'retryDelay':'30s'}]}}]", 0,
	    FAIL("quota_exhausted", RETRY_NO, 30000, "", "", NULL,
	    "HTTP 429 RESOURCE_EXHAUSTED: Resource exhausted.") },
	{ "openai gemini API key", OPENAI, 400,
	    "[{'error':{'code':400,'message':'API key not valid.','status':"
	    "'INVALID_ARGUMENT','details':[{'reason':'API_KEY_INVALID'}]}}]",
	    0, FAIL("auth", RETRY_NO, -1, "", "", NULL,
	    "HTTP 400 INVALID_ARGUMENT: API key not valid.") },
	{ "openai html", OPENAI, 502, GOOGLE_502, 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 502: response is not JSON "
	    "(text/html?): Error 502 (Server Error)!!1") },
	{ "openai empty body", OPENAI, 200, "", 1,
	    HTTP_FAIL(RETRY_YES, -1, "HTTP 200: empty response body") },
	{ "openai null", OPENAI, 200, "null", 1,
	    HTTP_FAIL(RETRY_YES, -1, "not a JSON object") },
	{ "openai gemini answer", OPENAI, 200, G_TEXT("x", "STOP"), 0,
	    HTTP_FAIL(RETRY_YES, -1, "response has no choices") },
};

/* The body of the "openai ok" case. */
static const char *
bodies_openai_ok(void)
{
	size_t i;

	for (i = 0; i < NELEM(bodies); i++)
		if (strcmp(bodies[i].name, "openai ok") == 0)
			return bodies[i].body;
	cr_assert_fail("no 'openai ok' case");
	return NULL;
}

/* A malloc'd copy of s with ' turned into ". */
static char *
dq(const char *s)
{
	char *t = strdup(s), *p;

	cr_assert_not_null(t);
	for (p = t; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	cr_assert_geq(n = ftell(f), 0);
	rewind(f);
	cr_assert_not_null(buf = malloc((size_t)n + 1));
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "%s", path);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *
fixture_body(const char *file, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", GEMINI_DIR, file);
	return slurp(path, len);
}

static int
parse(enum api api, long status, const char *body, size_t len,
    struct llm_outcome *o)
{
	if (api == GEMINI)
		return gemini_parse(status, body, len, o);
	return openai_parse(status, body, len, o);
}

/* What every outcome must be, whatever the body. */
static void
check_sane(const char *name, const struct llm_outcome *o, long status)
{
	json_t *s;
	size_t i;

	cr_assert_eq(o->http_status, status, "%s", name);
	cr_assert_eq(o->ok, o->text != NULL, "%s: ok %d", name, o->ok);
	if (o->ok)
		cr_assert(o->message[0] == '\0', "%s", name);
	else
		cr_assert(o->message[0] != '\0', "%s", name);
	if (!o->ok && o->kind != KIND_HTTP)
		cr_assert_eq(o->retry, kind_info(o->kind)->retry, "%s: %s",
		    name, kind_name(o->kind));
	for (i = 0; o->message[i] != '\0'; i++)
		cr_assert((unsigned char)o->message[i] >= 0x20 &&
		    o->message[i] != 0x7f, "%s: control byte in '%s'", name,
		    o->message);
	cr_assert_neq(o->message[0], ' ', "%s", name);
	cr_assert_null(strstr(o->message, "key1234"), "%s", name);
	s = json_string(o->message);
	cr_assert_not_null(s, "%s: message not UTF-8", name);
	json_decref(s);
	s = json_string(o->finish_reason);
	cr_assert_not_null(s, "%s: finish_reason not UTF-8", name);
	json_decref(s);
}

static void
check_usage(const char *name, const json_t *usage, const char *want)
{
	json_error_t err;
	json_t *w;
	char *q;

	if (want == NULL) {
		cr_assert_null(usage, "%s: usage", name);
		return;
	}
	q = dq(want);
	w = json_loads(q, 0, &err);
	cr_assert_not_null(w, "%s: %s", name, err.text);
	cr_assert(json_equal(w, usage), "%s: usage %s", name,
	    usage ? json_dumps(usage, JSON_COMPACT) : "null");
	json_decref(w);
	free(q);
}

static void
check(const char *name, const struct expect *x, const struct llm_outcome *o,
    long status)
{
	check_sane(name, o, status);
	cr_assert_eq(o->ok, x->ok, "%s: ok %d: %s %s", name, o->ok,
	    kind_name(o->kind), o->message);
	cr_assert_str_eq(o->ok ? "" : kind_name(o->kind), x->kind, "%s: %s",
	    name, o->message);
	cr_assert_eq(o->retry, x->retry, "%s: retry %d", name, o->retry);
	cr_assert_eq(o->retry_after_ms, x->retry_after_ms, "%s: after %ld",
	    name, o->retry_after_ms);
	if (x->finish_reason != NULL)
		cr_assert_str_eq(o->finish_reason, x->finish_reason, "%s",
		    name);
	if (x->model_version != NULL)
		cr_assert_str_eq(o->model_version, x->model_version, "%s",
		    name);
	check_usage(name, o->usage, x->usage);
	if (x->has != NULL)
		cr_assert_not_null(strstr(o->ok ? o->text : o->message,
		    x->has), "%s: '%s' not in '%s'", name, x->has,
		    o->ok ? o->text : o->message);
	if (x->text != NULL)
		cr_assert_str_eq(o->text, x->text, "%s", name);
}

/* Trailing white space does not count: cutting it leaves the same JSON. */
static size_t
trimmed(const char *body, size_t len)
{
	while (len > 0 && strchr(" \t\r\n", body[len - 1]) != NULL &&
	    body[len - 1] != '\0')
		len--;
	return len;
}

/*
 * Parses every prefix of body, each in a buffer of its own size so that
 * a read past the end shows under valgrind or ASan.  A body cut short is
 * always retryable http.
 */
static void
check_prefixes(const char *name, enum api api, long status,
    const char *body, size_t len)
{
	struct llm_outcome o;
	size_t n, full = trimmed(body, len);
	char *buf;

	for (n = 0; n < len; n++) {
		cr_assert_not_null(buf = malloc(n > 0 ? n : 1));
		memcpy(buf, body, n);
		cr_assert_eq(parse(api, status, buf, n, &o), 0, "%s", name);
		check_sane(name, &o, status);
		if (n < full)
			cr_assert(o.kind == KIND_HTTP &&
			    o.retry == RETRY_YES, "%s cut at %zu: %s: %s",
			    name, n, kind_name(o.kind), o.message);
		llm_outcome_release(&o);
		free(buf);
	}
}

static const struct fixture_case *
fixture_find(const char *file)
{
	size_t i;

	for (i = 0; i < NELEM(fixtures); i++)
		if (strcmp(fixtures[i].file, file) == 0)
			return &fixtures[i];
	return NULL;
}

TestSuite(llm);

Test(llm, fixtures)
{
	const struct fixture_case *c;
	struct llm_outcome o;
	size_t i, len;
	char *body;

	for (i = 0; i < NELEM(fixtures); i++) {
		c = &fixtures[i];
		body = fixture_body(c->file, &len);
		cr_assert_eq(gemini_parse(c->status, body, len, &o), 0);
		check(c->file, &c->x, &o, c->status);
		llm_outcome_release(&o);
		free(body);
	}
}

/* Every fixture the manifest lists has its row, with the same status. */
Test(llm, manifest_covered)
{
	const struct fixture_case *c;
	json_error_t err;
	json_t *m, *e;
	const char *file;
	size_t i;

	m = json_load_file(GEMINI_DIR "/manifest.json", 0, &err);
	cr_assert_not_null(m, "manifest.json: %s", err.text);
	cr_assert(json_is_array(m) && json_array_size(m) > 0);
	json_array_foreach(m, i, e) {
		file = json_string_value(json_object_get(e, "file"));
		cr_assert_not_null(file, "manifest entry %zu has no file", i);
		c = fixture_find(file);
		cr_assert_not_null(c, "%s is not in test_llm.c's table", file);
		cr_assert_eq(c->status, json_integer_value(json_object_get(e,
		    "http_status")), "%s: status", file);
	}
	cr_assert_eq(json_array_size(m), NELEM(fixtures),
	    "the table has rows for files the manifest does not list");
	json_decref(m);
}

/* And every response body in the directory is in the manifest's table. */
Test(llm, directory_covered)
{
	struct dirent *d;
	size_t n, seen = 0;
	DIR *dir;

	cr_assert_not_null(dir = opendir(GEMINI_DIR), "%s: %s", GEMINI_DIR,
	    strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		n = strlen(d->d_name);
		if (n < 5 || strcmp(d->d_name + n - 5, ".json") != 0 ||
		    strcmp(d->d_name, "manifest.json") == 0 ||
		    (n > 13 &&
		    strcmp(d->d_name + n - 13, ".request.json") == 0))
			continue;
		cr_assert_not_null(fixture_find(d->d_name),
		    "%s is not in test_llm.c's table", d->d_name);
		seen++;
	}
	closedir(dir);
	cr_assert_eq(seen, NELEM(fixtures));
}

static char *
case_body(const struct body_case *c, size_t *len)
{
	char *b;

	if (c->raw) {
		cr_assert_not_null(b = strdup(c->body));
		*len = strlen(b);
		return b;
	}
	b = dq(c->body);
	*len = strlen(b);
	return b;
}

Test(llm, bodies)
{
	const struct body_case *c;
	struct llm_outcome o;
	size_t i, len;
	char *body;

	for (i = 0; i < NELEM(bodies); i++) {
		c = &bodies[i];
		body = case_body(c, &len);
		cr_assert_eq(parse(c->api, c->status, body, len, &o), 0, "%s",
		    c->name);
		check(c->name, &c->x, &o, c->status);
		llm_outcome_release(&o);
		free(body);
	}
}

Test(llm, null_body)
{
	struct llm_outcome o;

	cr_assert_eq(gemini_parse(502, NULL, 0, &o), 0);
	cr_assert_str_eq(o.message, "HTTP 502: empty response body");
	llm_outcome_release(&o);
	cr_assert_eq(openai_parse(200, NULL, 0, &o), 0);
	cr_assert_str_eq(kind_name(o.kind), "http");
	llm_outcome_release(&o);
}

Test(llm, fixtures_cut_short)
{
	size_t i, len;
	char *body;

	for (i = 0; i < NELEM(fixtures); i++) {
		body = fixture_body(fixtures[i].file, &len);
		check_prefixes(fixtures[i].file, GEMINI, fixtures[i].status,
		    body, len);
		check_prefixes(fixtures[i].file, OPENAI, fixtures[i].status,
		    body, len);
		free(body);
	}
}

Test(llm, bodies_cut_short)
{
	size_t i, len;
	char *body;

	for (i = 0; i < NELEM(bodies); i++) {
		body = case_body(&bodies[i], &len);
		check_prefixes(bodies[i].name, bodies[i].api, bodies[i].status,
		    body, len);
		free(body);
	}
}

/* The finishReasons that block, known or not. */
Test(llm, finish_reasons)
{
	static const char *const reasons[] = {
		"SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST",
		"SPII", "OTHER", "LANGUAGE", "IMAGE_SAFETY",
		"MALFORMED_FUNCTION_CALL", "NEW_ONE",
	};
	struct llm_outcome o;
	char body[256], want[64];
	size_t i;

	for (i = 0; i < NELEM(reasons); i++) {
		snprintf(body, sizeof(body), "{\"candidates\":[{\"content\":"
		    "{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"%s\"}]}",
		    reasons[i]);
		cr_assert_eq(gemini_parse(200, body, strlen(body), &o), 0);
		check_sane(reasons[i], &o, 200);
		cr_assert_str_eq(kind_name(o.kind), "blocked", "%s", reasons[i]);
		cr_assert_eq(o.retry, RETRY_NO);
		cr_assert_str_eq(o.finish_reason, reasons[i]);
		snprintf(want, sizeof(want), "finishReason %s", reasons[i]);
		cr_assert_not_null(strstr(o.message, want), "%s", o.message);
		cr_assert_eq(strncmp(o.message, "response blocked", 16) == 0,
		    strcmp(reasons[i], "NEW_ONE") != 0, "%s", o.message);
		llm_outcome_release(&o);
	}
}

/*
 * A long message is cut at a character boundary and ends with "...":
 * each width of UTF-8 character, at each alignment against the limit.
 */
Test(llm, long_messages)
{
	static const char *const chars[] = {
		"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};
	struct llm_outcome o;
	char msg[4096], body[4400];
	size_t i, off, n;
	int len;

	for (i = 0; i < NELEM(chars); i++) {
		for (off = 0; off < 4; off++) {
			memset(msg, 'x', off);
			for (n = off; n + 4 < 2000; n += strlen(chars[i]))
				memcpy(msg + n, chars[i], strlen(chars[i]));
			msg[n] = '\0';
			len = snprintf(body, sizeof(body), "{\"error\":"
			    "{\"code\":500,\"message\":\"%s\",\"status\":"
			    "\"INTERNAL\"}}", msg);
			cr_assert(len > 0 && (size_t)len < sizeof(body));
			cr_assert_eq(gemini_parse(500, body, (size_t)len, &o),
			    0);
			check_sane("long message", &o, 500);
			n = strlen(o.message);
			cr_assert(n < LLM_MESSAGE_MAX &&
			    n > LLM_MESSAGE_MAX - 8, "length %zu", n);
			cr_assert_str_eq(o.message + n - 3, "...");
			cr_assert_eq(strncmp(o.message, "HTTP 500 INTERNAL: ",
			    19), 0);
			llm_outcome_release(&o);
		}
	}
}

/* The excerpt of a page that is not JSON: short and printable ASCII. */
Test(llm, long_page)
{
	static const char head[] = "<html><p>";
	struct llm_outcome o;
	char body[5000];
	const char *ex;
	size_t i;

	memcpy(body, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < sizeof(body); i++)
		body[i] = "ab\xc3\xa9 \n"[i % 5];
	cr_assert_eq(gemini_parse(502, body, sizeof(body), &o), 0);
	check_sane("long page", &o, 502);
	ex = strstr(o.message, "(text/html?): ");
	cr_assert_not_null(ex, "%s", o.message);
	ex += strlen("(text/html?): ");
	cr_assert_leq(strlen(ex), 80, "%s", ex);
	cr_assert_str_eq(ex + strlen(ex) - 3, "...");
	for (; *ex != '\0'; ex++)
		cr_assert(*ex >= 0x20 && *ex < 0x7f, "%s", o.message);
	llm_outcome_release(&o);
}

Test(llm, durations)
{
	static const struct {
		const char	*in;
		long		 ms;
	} cases[] = {
		{ "58s", 58000 },
		{ "45.837906927s", 45838 },
		{ "0.5s", 500 },
		{ "0s", 0 },
		{ "0.000s", 0 },
		{ "1.000s", 1000 },
		{ "1.0001s", 1001 },
		{ "0.000000001s", 1 },
		{ "3.25s", 3250 },
		{ "3600s", 3600000 },
		{ "9223372036854s", 9223372036854000 },
		{ "", -1 },
		{ "abc", -1 },
		{ "5", -1 },
		{ "-1s", -1 },
		{ "+5s", -1 },
		{ " 5s", -1 },
		{ "5s ", -1 },
		{ "5 s", -1 },
		{ ".5s", -1 },
		{ "5.s", -1 },
		{ "5S", -1 },
		{ "5ms", -1 },
		{ "1m30s", -1 },
		{ "1e3s", -1 },
		{ "s", -1 },
		{ "99999999999999999999s", -1 },
		{ "9223372036854775807s", -1 },
	};
	size_t i;

	cr_assert_eq(llm_parse_duration_ms(NULL), -1);
	for (i = 0; i < NELEM(cases); i++)
		cr_assert_eq(llm_parse_duration_ms(cases[i].in), cases[i].ms,
		    "'%s': %ld", cases[i].in,
		    llm_parse_duration_ms(cases[i].in));
}

Test(llm, outcome_lifecycle)
{
	struct llm_outcome o;
	size_t len;
	char *body;

	llm_outcome_init(&o);
	cr_assert(!o.ok && o.text == NULL && o.usage == NULL);
	cr_assert_eq(o.retry_after_ms, -1);
	cr_assert_eq(o.retry, RETRY_NO);
	llm_outcome_release(&o);
	llm_outcome_release(&o);
	body = fixture_body("ok-thinking-thought-summary.json", &len);
	cr_assert_eq(gemini_parse(200, body, len, &o), 0);
	cr_assert(o.ok && o.usage != NULL);
	llm_outcome_release(&o);
	cr_assert(o.text == NULL && o.usage == NULL && o.model_version[0] ==
	    '\0');
	free(body);
}

/* Raw NUL bytes: after the JSON, and inside a string. */
Test(llm, nul_bytes)
{
	static const char after[] = "{}\0";
	static const char inside[] = "{\"candidates\":[{\"content\":{\"parts\":"
	    "[{\"text\":\"a\0b\"}]}}]}";
	struct llm_outcome o;

	cr_assert_eq(gemini_parse(200, after, sizeof(after) - 1, &o), 0);
	check(after, &(struct expect)HTTP_FAIL(RETRY_YES, -1,
	    "HTTP 200: response is not valid JSON at byte"), &o, 200);
	llm_outcome_release(&o);
	cr_assert_eq(gemini_parse(200, inside, sizeof(inside) - 1, &o), 0);
	check(inside, &(struct expect)HTTP_FAIL(RETRY_YES, -1,
	    "HTTP 200: response is not valid JSON at byte"), &o, 200);
	llm_outcome_release(&o);
	check_prefixes("nul inside", GEMINI, 200, inside, sizeof(inside) - 1);
	check_prefixes("nul inside", OPENAI, 200, inside, sizeof(inside) - 1);
}

/* jansson's allocations fail after a budget; malloc otherwise. */
static long	alloc_budget;

static void *
budget_malloc(size_t n)
{
	if (alloc_budget-- <= 0)
		return NULL;
	return malloc(n);
}

/*
 * With jansson short of memory at each of its allocations in turn, a
 * parse gives -1 with ENOMEM and an outcome holding nothing, or (once the
 * budget suffices) the same outcome as with all the memory it wants.
 */
static void
check_out_of_memory(enum api api, const char *body)
{
	struct llm_outcome want, o;
	size_t len = strlen(body);
	long b;
	int r;

	alloc_budget = 1L << 30;
	cr_assert_eq(parse(api, 200, body, len, &want), 0);
	for (b = 0;; b++) {
		cr_assert_lt(b, 10000);
		alloc_budget = b;
		errno = 0;
		r = parse(api, 200, body, len, &o);
		alloc_budget = 1L << 30;
		check_sane("out of memory", &o, 200);
		if (r == 0 && strcmp(o.message, want.message) == 0)
			break;
		if (r == 0)
			/* jansson may report a failed allocation so. */
			cr_assert(o.kind == KIND_HTTP &&
			    o.retry == RETRY_YES && strstr(o.message,
			    "not valid JSON") != NULL, "%s", o.message);
		else {
			cr_assert_eq(r, -1);
			cr_assert_eq(errno, ENOMEM);
			cr_assert(o.text == NULL && o.usage == NULL);
			cr_assert_str_eq(kind_name(o.kind), "http");
			cr_assert_eq(o.retry, RETRY_YES);
		}
		llm_outcome_release(&o);
	}
	cr_assert_gt(b, 0);
	cr_assert_eq(o.ok, want.ok);
	cr_assert_str_eq(o.message, want.message);
	cr_assert_str_eq(o.text, want.text);
	cr_assert(json_equal(o.usage, want.usage));
	llm_outcome_release(&o);
	llm_outcome_release(&want);
}

Test(llm, out_of_memory)
{
	size_t len;
	char *body, *oa;

	body = fixture_body("ok-thinking-thought-summary.json", &len);
	oa = dq(bodies_openai_ok());
	json_set_alloc_funcs(budget_malloc, free);
	check_out_of_memory(GEMINI, body);
	check_out_of_memory(OPENAI, oa);
	json_set_alloc_funcs(malloc, free);
	free(oa);
	free(body);
}
