/*
 * dedup: claimed keys in a chained hash table (the keys are SHA-256
 * digests: their first bytes are already a good hash), each with a FIFO
 * of parked items.  Invariant: a key is in the table exactly while a row
 * holds its claim; the table doubles when it holds as many claims as
 * buckets, so a lookup stays O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowpool/dedup.h"

#define DEDUP_BUCKETS0	64

struct parked {
	void		*item;
	struct parked	*next;
};

struct claim {
	uint8_t		 key[CACHE_KEY_LEN];
	struct claim	*next;		/* in its bucket */
	struct parked	*head, **tail;
};

struct dedup {
	struct claim	**bucket;
	size_t		 nbucket;	/* a power of 2 */
	size_t		 nclaim, nparked;
};

static size_t
slot(const struct dedup *d, const uint8_t *key)
{
	size_t h;

	memcpy(&h, key, sizeof(h));
	return h & (d->nbucket - 1);
}

struct dedup *
dedup_new(void)
{
	struct dedup *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->nbucket = DEDUP_BUCKETS0;
	if ((d->bucket = calloc(d->nbucket, sizeof(*d->bucket))) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static struct claim **
find(struct dedup *d, const uint8_t *key)
{
	struct claim **cp;

	for (cp = &d->bucket[slot(d, key)]; *cp != NULL; cp = &(*cp)->next)
		if (memcmp((*cp)->key, key, CACHE_KEY_LEN) == 0)
			break;
	return cp;
}

/* Doubles the buckets; on ENOMEM keeps the old ones (still correct). */
static void
grow(struct dedup *d)
{
	struct claim **nb, *c, *next;
	size_t i, n = d->nbucket * 2, old = d->nbucket;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	d->nbucket = n;
	for (i = 0; i < old; i++)
		for (c = d->bucket[i]; c != NULL; c = next) {
			next = c->next;
			c->next = nb[slot(d, c->key)];
			nb[slot(d, c->key)] = c;
		}
	free(d->bucket);
	d->bucket = nb;
}

static int
park(struct dedup *d, struct claim *c, void *item)
{
	struct parked *p;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	p->item = item;
	p->next = NULL;
	*c->tail = p;
	c->tail = &p->next;
	d->nparked++;
	return 0;
}

int
dedup_claim(struct dedup *d, const uint8_t key[CACHE_KEY_LEN], void *item)
{
	struct claim **cp = find(d, key), *c;

	if (*cp != NULL)
		return park(d, *cp, item) == -1 ? -1 : 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	memcpy(c->key, key, CACHE_KEY_LEN);
	c->tail = &c->head;
	*cp = c;
	if (++d->nclaim > d->nbucket)
		grow(d);
	return 1;
}

/* Hands c's parked items to fn and frees c (already unlinked). */
static size_t
drain(struct dedup *d, struct claim *c, void (*fn)(void *, void *),
    void *arg)
{
	struct parked *p, *next;
	size_t n = 0;

	for (p = c->head; p != NULL; p = next) {
		next = p->next;
		d->nparked--;
		n++;
		if (fn != NULL)
			fn(arg, p->item);
		free(p);
	}
	free(c);
	return n;
}

size_t
dedup_release(struct dedup *d, const uint8_t key[CACHE_KEY_LEN],
    void (*fn)(void *arg, void *item), void *arg)
{
	struct claim **cp = find(d, key), *c = *cp;

	if (c == NULL)
		return 0;
	*cp = c->next;
	d->nclaim--;
	return drain(d, c, fn, arg);
}

void
dedup_free(struct dedup *d, void (*fn)(void *arg, void *item), void *arg)
{
	struct claim *c, *next;
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nbucket; i++)
		for (c = d->bucket[i]; c != NULL; c = next) {
			next = c->next;
			drain(d, c, fn, arg);
		}
	free(d->bucket);
	free(d);
}

size_t
dedup_claims(const struct dedup *d)
{
	return d->nclaim;
}

size_t
dedup_parked(const struct dedup *d)
{
	return d->nparked;
}
