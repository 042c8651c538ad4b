/*
 * cache: the response cache (--cache DIR), a directory that any number of
 * runs, jobs and users' shells may share at once.  Each ok answer is kept
 * under a SHA-256 of exactly what determines it: the API kind (the
 * processor), the model and the request body as it is sent (system
 * instruction, prompt, schema, generation config).  The API key is in no
 * part of a key and in no entry: it travels in a request header, and the
 * answers stored are those the workers already redacted.
 *
 * Layout of DIR:
 *   CACHEDIR.TAG  tells backup tools to skip the directory;
 *   lock          flock(2)ed by a writer while it renames an entry into
 *                 place, updates the ledger or evicts;
 *   size          the ledger: the entries' bytes, as decimal text;
 *   XX/YYYY...    an entry: XX is the key's first byte in hex, YYYY the
 *                 other 31 bytes (62 hex digits);
 *   XX/.tmp-*     an entry being written.
 * An entry is one header line, "rowpool-cache 1 KEY LENGTH CRC32C\n"
 * (KEY in 64 hex digits, CRC32C of the payload in 8), then LENGTH bytes:
 * the answer, one JSON object.
 *
 * Crashes and concurrency: an entry is written to a temp file in its
 * subdirectory, closed, then renamed over its name under the lock, so a
 * reader sees the whole old entry, the whole new one or none, whoever
 * writes at the same time.  Nothing is fsynced: the cache is not a record
 * (the journal is), a kill -9 loses nothing the kernel has, and after a
 * power cut an entry found empty or cut short fails its length or CRC
 * check and is a miss (put again by the next answer).  A writer killed
 * before its rename leaves a temp file no reader looks at; an eviction
 * removes those more than an hour old.
 *
 * Size: the ledger is read and rewritten under the lock at every put
 * (plus the new entry, minus the one it replaces), so it costs a few
 * system calls, not a scan.  When a put takes it past max_bytes, that
 * writer scans the directory (16 bytes of memory per entry, only for the
 * scan), removes the least recently used entries (a hit refreshes an
 * entry's mtime) until the rest fits in 90% of max_bytes, and writes the
 * exact total back; so a ledger that a kill -9 left short by one entry
 * is made exact again by the next eviction.  Sizes are the files' bytes,
 * not the blocks the file system gives them.
 *
 * Mechanism tier: -1 (or NULL) with errno, never prints or exits.
 *
 * Calling sequence:
 *  1. c = cache_open(dir, max_bytes): makes dir (and its parents) if
 *     needed, opens its lock; NULL with errno;
 *  2. cache_key(key, kind, model, body, len) for each request;
 *  3. cache_get(c, key, &val): 1 with the answer, 0 for a miss;
 *     cache_put(c, key, val) to store one;
 *  4. cache_close(c).
 * A struct cache belongs to one process; several processes each open
 * their own.
 */
#ifndef ROWPOOL_CACHE_H
#define ROWPOOL_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define CACHE_KEY_LEN		32	/* SHA-256 */
#define CACHE_ENTRY_MAX		(64u << 20)	/* a larger file is a miss */
#define CACHE_TMP_PREFIX	".tmp-"

struct cache;

/*
 * Opens (making it, mode 0700, when missing) the cache directory dir;
 * max_bytes 0 means no bound.  Blocks while another process evicts.
 * Returns NULL with errno: ENOTDIR, EACCES, ENAMETOOLONG, ENOMEM...
 */
struct cache	*cache_open(const char *dir, uint64_t max_bytes);
void		 cache_close(struct cache *c);

/*
 * The key of a request: SHA-256 of a version tag, kind, model and the
 * len bytes of body (kind and model are strings; model may be NULL).
 */
void	cache_key(uint8_t key[CACHE_KEY_LEN], const char *kind,
	    const char *model, const char *body, size_t len);

/*
 * Looks key up.  Returns 1 with *val (a JSON object, owned by the
 * caller) and the entry's mtime refreshed; 0 when there is no entry, or
 * only a damaged one (a bad header, a length or CRC that does not match,
 * not a JSON object, more than CACHE_ENTRY_MAX bytes); -1 with errno when
 * the entry cannot be read (EACCES, EIO...).
 */
int	cache_get(struct cache *c, const uint8_t key[CACHE_KEY_LEN],
	    json_t **val);

/*
 * Stores the JSON object val under key, replacing any entry, and evicts
 * when the ledger passes max_bytes.  Returns 0, or -1 with errno (ENOSPC,
 * EACCES, ENOMEM...); on failure the temp file is removed and the old
 * entry, if any, left as it was.  Blocks while another process holds the
 * lock.
 */
int	cache_put(struct cache *c, const uint8_t key[CACHE_KEY_LEN],
	    const json_t *val);

/*
 * Scans the directory and removes the least recently used entries until
 * the rest take at most target bytes (and temp files an hour old); writes
 * the exact total into the ledger.  cache_put calls it with 90% of
 * max_bytes.  Returns 0, or -1 with errno.
 */
int	cache_evict(struct cache *c, uint64_t target);

/* The ledger as this process last read or wrote it, in bytes. */
uint64_t	cache_size(const struct cache *c);

/* The entry's file name for key; -1 with ENAMETOOLONG.  For tests. */
int	cache_path(const struct cache *c, const uint8_t key[CACHE_KEY_LEN],
	    char *buf, size_t len);

#endif
