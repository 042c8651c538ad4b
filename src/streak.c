/*
 * streak: consecutive failed attempts of one class.  Invariant: n counts
 * the failures since the last success or change of class, of the class
 * kind + cls.
 */
#include <ctype.h>
#include <string.h>

#include "rowpool/streak.h"

void
streak_init(struct streak *s)
{
	memset(s, 0, sizeof(*s));
}

bool
streak_counts(enum kind k, enum retry_policy policy)
{
	const struct kind_info *ki = kind_info(k);

	return !(ki->transient && policy == RETRY_YES) && ki->stop == 0 &&
	    k != KIND_RATE_LIMITED && k != KIND_INPUT && k != KIND_INTERNAL;
}

/* The message without digits, cut: what all rows failing alike share. */
static void
classify(const char *message, char *cls, size_t len)
{
	size_t o = 0;

	for (; *message != '\0' && o + 1 < len; message++)
		if (!isdigit((unsigned char)*message))
			cls[o++] = *message;
	cls[o] = '\0';
}

enum streak_event
streak_failure(struct streak *s, enum kind k, enum retry_policy policy,
    const char *message)
{
	char cls[STREAK_CLASS];

	if (!streak_counts(k, policy))
		return STREAK_IGNORED;
	classify(message, cls, sizeof(cls));
	if (s->n > 0 && s->kind == k && strcmp(s->cls, cls) == 0)
		return ++s->n >= STREAK_MAX ? STREAK_STOP : STREAK_SAME;
	s->n = 1;
	s->kind = k;
	memcpy(s->cls, cls, sizeof(cls));
	return STREAK_NEW;
}

void
streak_success(struct streak *s)
{
	s->n = 0;
}
