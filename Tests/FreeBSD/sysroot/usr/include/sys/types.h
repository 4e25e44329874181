/* FreeBSD <sys/types.h> (amd64, arm64): the types the library's headers use. */
#ifndef _SYS_TYPES_H_
#define _SYS_TYPES_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef int64_t off_t;
typedef uint16_t mode_t;
typedef uint64_t dev_t;
typedef uint64_t ino_t;
typedef uint64_t nlink_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef int32_t pid_t;
typedef int64_t blkcnt_t;
typedef int32_t blksize_t;
typedef uint32_t fflags_t;
typedef int64_t time_t;
typedef uint64_t fsblkcnt_t;
typedef uint64_t fsfilcnt_t;
typedef int64_t rlim_t;
typedef unsigned long u_long;
typedef unsigned int u_int;
typedef struct fsid { int32_t val[2]; } fsid_t;
typedef struct pthread *pthread_t;

struct timespec {
	time_t tv_sec;
	long tv_nsec;
};
__END_DECLS
#endif
