/* fault: fsync(2)/fdatasync(2) that fail when told to, RLIMIT_FSIZE. */
#include <sys/resource.h>
#include <sys/syscall.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

int		fault_fsync_calls;
static int	fault_countdown;
static int	fault_errno;

void
fault_fsync_arm(int nth, int err)
{
	fault_countdown = nth;
	fault_errno = err;
}

static int
fault_hit(void)
{
	fault_fsync_calls++;
	if (fault_countdown > 0 && --fault_countdown == 0) {
		errno = fault_errno;
		return 1;
	}
	return 0;
}

int
fsync(int fd)
{
	return fault_hit() ? -1 : (int)syscall(SYS_fsync, fd);
}

int
fdatasync(int fd)
{
	return fault_hit() ? -1 : (int)syscall(SYS_fdatasync, fd);
}

static struct rlimit	fault_saved_fsize;
static int		fault_fsize_set;

void
fault_file_size_limit(off_t size)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	struct rlimit rl;

	cr_assert_eq(sigaction(SIGXFSZ, &sa, NULL), 0);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	if (!fault_fsize_set)
		fault_saved_fsize = rl;
	fault_fsize_set = 1;
	rl.rlim_cur = (rlim_t)size;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

void
fault_reset(void)
{
	fault_countdown = 0;
	if (fault_fsize_set)
		cr_assert_eq(setrlimit(RLIMIT_FSIZE, &fault_saved_fsize), 0);
	fault_fsize_set = 0;
}

void
fault_crash(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	raise(SIGSEGV);
	abort();
}
