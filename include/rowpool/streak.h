/*
 * streak: a run that fails the same way every time.  When STREAK_MAX
 * failed attempts in a row (the run's first ones, or any later run of
 * them with no success between) have the same kind and the same message
 * class (the message without its digits: "HTTP 404 NOT_FOUND: models/x
 * is not found"), the cause is the setup (a model name, a schema, a
 * prompt), not the rows: the run should stop (exit 78) rather than fail
 * every row overnight.  Transient kinds (the breaker's business), 429s,
 * the kinds that stop the run anyway, bad input rows and a worker out of
 * memory neither count nor break a streak (an HTTP error counts when it
 * is not retried: a 400 or a 404, not a 503).
 *
 * Domain tier and pure.
 */
#ifndef ROWPOOL_STREAK_H
#define ROWPOOL_STREAK_H

#include <stdbool.h>

#include "rowpool/kind.h"

#define STREAK_MAX	20
#define STREAK_CLASS	64

enum streak_event {
	STREAK_IGNORED,	/* a kind that does not count */
	STREAK_SAME,	/* one more of the same */
	STREAK_NEW,	/* another class: the streak before is broken */
	STREAK_STOP	/* STREAK_MAX in a row: stop */
};

struct streak {
	unsigned	 n;
	enum kind	 kind;
	char		 cls[STREAK_CLASS];
};

void			 streak_init(struct streak *s);
/* Does a failure of kind k, retried per policy, count? */
bool			 streak_counts(enum kind k, enum retry_policy policy);
enum streak_event	 streak_failure(struct streak *s, enum kind k,
			    enum retry_policy policy, const char *message);
/* A success: no streak any more. */
void			 streak_success(struct streak *s);

#endif
