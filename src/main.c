/* main: the command line.  (Skeleton; filled in by the core issue.) */
#include <stdio.h>

int
main(void)
{
	puts("rowpool " ROWPOOL_VERSION);
	return 0;
}
