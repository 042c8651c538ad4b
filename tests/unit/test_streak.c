/* A run failing the same way every time is told from rows failing. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "rowpool/streak.h"

Test(streak, twenty_alike_in_a_row_stop)
{
	struct streak s;
	char msg[128];
	int i;

	streak_init(&s);
	for (i = 0; i < STREAK_MAX - 1; i++) {
		snprintf(msg, sizeof(msg), "HTTP 404 NOT_FOUND: models/x-%d is "
		    "not found", i);	/* digits differ: one class */
		cr_assert_eq(streak_failure(&s, KIND_HTTP, RETRY_NO, msg), i == 0 ?
		    STREAK_NEW : STREAK_SAME, "failure %d", i);
	}
	cr_assert_eq(streak_failure(&s, KIND_HTTP, RETRY_NO, "HTTP 404 NOT_FOUND: "
	    "models/x-99 is not found"), STREAK_STOP);
}

Test(streak, a_success_or_another_class_breaks_it)
{
	struct streak s;
	int i;

	streak_init(&s);
	for (i = 0; i < STREAK_MAX - 1; i++)
		streak_failure(&s, KIND_INVALID_OUTPUT, RETRY_YES, "answer is not JSON");
	streak_success(&s);
	cr_assert_eq(streak_failure(&s, KIND_INVALID_OUTPUT, RETRY_YES, "answer is not "
	    "JSON"), STREAK_NEW);
	for (i = 0; i < STREAK_MAX - 2; i++)
		streak_failure(&s, KIND_INVALID_OUTPUT, RETRY_YES, "answer is not JSON");
	cr_assert_eq(streak_failure(&s, KIND_BLOCKED, RETRY_NO, "answer is not JSON"),
	    STREAK_NEW, "another kind");
	cr_assert_eq(streak_failure(&s, KIND_BLOCKED, RETRY_NO, "prompt blocked"),
	    STREAK_NEW, "another message");
}

Test(streak, what_does_not_count)
{
	struct streak s;
	int i;

	streak_init(&s);
	streak_failure(&s, KIND_HTTP, RETRY_NO, "HTTP 400: bad schema");
	for (i = 0; i < 100; i++) {
		cr_assert_eq(streak_failure(&s, KIND_TIMEOUT, RETRY_YES, "t"),
		    STREAK_IGNORED);
		cr_assert_eq(streak_failure(&s, KIND_HTTP, RETRY_YES,
		    "HTTP 503"), STREAK_IGNORED);
		cr_assert_eq(streak_failure(&s, KIND_RATE_LIMITED, RETRY_YES,
		    "q"), STREAK_IGNORED);
		cr_assert_eq(streak_failure(&s, KIND_INPUT, RETRY_NO,
		    "x.csv:3: bad"), STREAK_IGNORED);
		cr_assert_eq(streak_failure(&s, KIND_INTERNAL, RETRY_YES,
		    "oom"), STREAK_IGNORED);
	}
	cr_assert_eq(s.n, 1, "neither counted nor broke the streak");
}
