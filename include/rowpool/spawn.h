/*
 * spawn: another program run as a child, with pipes on its standard
 * input, output and error (git's run-command, reduced to what a worker
 * needs).  The child:
 *  - stays in the caller's process group, so that a signal to the group
 *    (the pool's TERM, then KILL, on a timeout) reaches it too;
 *  - dies with the caller: PR_SET_PDEATHSIG SIGKILL, set before exec,
 *    then the parent checked, in case the caller died before it was set;
 *  - starts with every signal at its default disposition (SIGPIPE too,
 *    which the caller ignores), none blocked, and no descriptor of the
 *    caller's but its three pipes;
 *  - has the caller's environment, and dir as its working directory.
 *
 * Mechanism tier: -1 with errno, never prints or exits (the child ends
 * with _exit when the exec fails).  Blocks only where it says so.
 *
 * Calling sequence:
 *  1. spawn_start(&sp, argv, dir): forks, execs argv[0] as execvp(3)
 *     does (searched in PATH unless it holds a '/', relative to dir) and
 *     returns once the exec succeeded;
 *  2. write to sp.in, read sp.out and sp.err (all non-blocking; -1 once
 *     closed); spawn_close_in(&sp) makes end of file on the child's
 *     standard input;
 *  3. spawn_wait(&sp, ms) to reap it if it ends within ms, spawn_kill to
 *     end it now;
 *  4. spawn_release(&sp): closes the pipes, kills and reaps the child if
 *     it still runs.
 */
#ifndef ROWPOOL_SPAWN_H
#define ROWPOOL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawn {
	pid_t	 pid;		/* -1 once reaped */
	int	 in;		/* the child's stdin, to write */
	int	 out;		/* its stdout, to read */
	int	 err;		/* its stderr, to read */
	int	 status;	/* wait status, once reaped */
};

/* An empty spawn: no child, no pipes (spawn_release does nothing). */
void	spawn_init(struct spawn *sp);

/*
 * Starts argv[0] with arguments argv (NULL-terminated) in directory dir
 * (NULL: the caller's).  Returns 0 once the exec succeeded, or -1 with
 * errno: the exec's or the chdir's (ENOENT, EACCES, ENOEXEC, ...), the
 * fork's or the pipes'; then there is no child and no pipe.  Blocks
 * until the child has exec'd or failed to.
 */
int	spawn_start(struct spawn *sp, char *const argv[], const char *dir);

/* Closes the child's stdin (end of file for it). */
void	spawn_close_in(struct spawn *sp);

/*
 * Waits up to ms milliseconds (-1: for ever) for the child to end.
 * Returns 1 once it is reaped (sp->status holds how it ended; also when
 * it was before), 0 when it still runs, -1 with errno.
 */
int	spawn_wait(struct spawn *sp, int ms);

/* SIGKILL to the child, and reaps it (blocks briefly). */
void	spawn_kill(struct spawn *sp);

/* Closes the pipes; a child still running is killed and reaped. */
void	spawn_release(struct spawn *sp);

/*
 * "exited with status 3", "killed by signal 11 (SIGSEGV)": how a wait
 * status ended, into buf.
 */
void	spawn_describe(int status, char *buf, size_t len);

/*
 * Where execvp would find file, run in directory dir (NULL: here): file
 * itself when it holds a '/' (under dir when relative), otherwise the
 * first executable regular file of that name in PATH ("/bin:/usr/bin"
 * when unset).  Returns 0 with the path in buf, or -1 with errno:
 * ENOENT (nowhere), EACCES (found, not executable), EISDIR,
 * ENAMETOOLONG.
 */
int	spawn_resolve(const char *file, const char *dir, char *buf,
	    size_t len);

/*
 * The interpreter a script names on its first line ("#!/usr/bin/python3
 * -u": "/usr/bin/python3") into buf.  Returns 1 with it, 0 when path is
 * no script (or names none), -1 with errno when it cannot be read.
 */
int	spawn_interpreter(const char *path, char *buf, size_t len);

#endif
