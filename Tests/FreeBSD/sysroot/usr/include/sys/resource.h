/* FreeBSD <sys/resource.h>. rlim_t is signed; RLIM_INFINITY is its maximum. */
#ifndef _SYS_RESOURCE_H_
#define _SYS_RESOURCE_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_NOFILE 8
#define RLIMIT_AS 10
#define RLIM_INFINITY ((rlim_t)(((uint64_t)1 << 63) - 1))
struct rlimit {
	rlim_t rlim_cur;
	rlim_t rlim_max;
};
int getrlimit(int, struct rlimit *);
int setrlimit(int, const struct rlimit *);
__END_DECLS
#endif
