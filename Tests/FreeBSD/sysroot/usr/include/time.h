/* FreeBSD <time.h>: the clocks. */
#ifndef _TIME_H_
#define _TIME_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
typedef int clockid_t;
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 4
#define CLOCK_MONOTONIC_PRECISE 11
#define CLOCK_MONOTONIC_FAST 12
int clock_gettime(clockid_t, struct timespec *);
__END_DECLS
#endif
