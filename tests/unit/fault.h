/*
 * fault: make the disk fail on purpose.  The test binary carries its own
 * fsync(2) and fdatasync(2), which the library's calls bind to: they go
 * to the kernel unless a test armed a failure.  Criterion runs each test
 * in its own process, so an armed fault never leaks into another test;
 * within a test, fault_reset() disarms everything.
 */
#ifndef ROWPOOL_TEST_FAULT_H
#define ROWPOOL_TEST_FAULT_H

#include <sys/types.h>

/* The nth fsync or fdatasync call from now (1 = the next) fails with err. */
void	fault_fsync_arm(int nth, int err);

/* fsync plus fdatasync calls so far in this test. */
extern int	fault_fsync_calls;

/*
 * Makes every write that would extend a file past size bytes fail with
 * EFBIG (RLIMIT_FSIZE, SIGXFSZ ignored).
 */
void	fault_file_size_limit(off_t size);

/*
 * Dies of SIGSEGV, the way a worker crashes: the handler goes back to the
 * default first, so a sanitizer's (which a worker keeps) does not make a
 * report of a crash made on purpose.
 */
_Noreturn void	fault_crash(void);

/* Disarms the fsync fault and lifts the size limit again. */
void	fault_reset(void);

#endif
