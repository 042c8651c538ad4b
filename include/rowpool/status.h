/*
 * status: what a state directory says about its run, read from outside
 * (another process, another shell), while the run goes on or after it
 * ended.  It reads the committed manifest (replaced atomically: never a
 * torn file) and tests DIR/lock without holding it (see status_probe),
 * and says whether the run is running, stopped or finished, with its
 * counters, rates, tokens and cost.
 *
 * The status is one JSON object (README "Watching a run: rowpool
 * status" documents its keys; "version" is 1); the text form is printed
 * from that object, so the two never disagree.  Every field of the
 * manifest it reads is optional (an older rowpool writes fewer): one
 * that is missing or of the wrong type is null in the object and
 * "unknown" in the text, never an error.
 *
 * Domain tier: status_read returns a status code and a message; nothing
 * here prints to stderr or exits.  The clock is passed in.
 *
 * Calling sequence:
 *  1. status_find_dir(arg, dir, sizeof(dir)): the state directory that
 *     arg names (a state directory, or an output whose state is
 *     OUTPUT.state);
 *  2. status_read(&st, dir, now): st.obj, or a code and st.why;
 *  3. status_print_text(fp, st.obj) or status_print_json(fp, st.obj);
 *  4. status_release(&st).
 */
#ifndef ROWPOOL_STATUS_H
#define ROWPOOL_STATUS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#define STATUS_VERSION	1	/* of the object, not of the manifest */

enum status_code {
	STATUS_OK,
	STATUS_NOMANIFEST,	/* no run has committed there (yet) */
	STATUS_BADMANIFEST,	/* not JSON, not an object, another version */
	STATUS_ERROR		/* a read failed: st->err is its errno */
};

struct status {
	json_t	*obj;		/* the status object (owned), or NULL */
	int	 err;		/* errno, with STATUS_ERROR */
	char	 why[1024];	/* the message when not STATUS_OK */
};

/*
 * The state directory that arg names: arg itself when it is a directory
 * holding a manifest or a lock, otherwise arg.state when that is a
 * directory, otherwise arg when it is a directory (a run that has not
 * made its lock yet).  Returns 0 with dir set, or -1 with errno ENOENT
 * (none of these) or ENAMETOOLONG.
 */
int	status_find_dir(const char *arg, char *dir, size_t len);

/*
 * Tests DIR/lock, the running supervisor's pidfile (libbsd pidfile_open:
 * an flock(LOCK_EX) on the file, the pid written in it), without waiting
 * and without holding it: a shared flock, tried without blocking and
 * released at once.  Returns 1 when a process holds it (*pid is the pid
 * in the file, 0 when it has not been written yet), 0 when none does (no
 * lock file, or a stale one that a killed run left), -1 with errno.
 * Note: for the microseconds the shared lock is held, a run starting in
 * that same directory would find its lock taken.
 */
int	status_probe(const char *dir, pid_t *pid);

/*
 * Reads the state directory dir at time now (seconds since the epoch,
 * CLOCK_REALTIME) into st->obj.  Returns STATUS_OK, or another code with
 * st->why saying why ("no run has committed in 'DIR' yet", "manifest
 * 'DIR/manifest': line 1, column 2: ...").  A manifest missing during a
 * --restart is read again once.  Blocks for at most ~30 ms (a lock file
 * whose pid is not written yet, a manifest being replaced).  Call
 * status_release whatever it returns.
 */
enum status_code status_read(struct status *st, const char *dir, double now);

/*
 * Writes the status object obj as aligned lines ("state:      running
 * (pid 12345)...") or as one line of JSON.  Return 0, or -1 with errno
 * when writing to fp failed.
 */
int	status_print_text(FILE *fp, const json_t *obj);
int	status_print_json(FILE *fp, const json_t *obj);

void	status_release(struct status *st);

#endif
