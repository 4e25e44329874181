// The C library as the library and the launcher see it: the platform headers
// and the few helpers Swift cannot write itself (errno is a macro, open(2) is
// variadic). Nothing here is specific to the pool.
#ifndef VMMALLOC_SYSTEM_H
#define VMMALLOC_SYSTEM_H

#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1
#endif
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <linux/magic.h>
#include <linux/falloc.h>
#include <mntent.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/auxv.h>
#include <linux/futex.h>
#elif defined(__FreeBSD__)
#include <sys/param.h>
#include <sys/mount.h>
#include <sys/umtx.h>
#endif

static inline int vmm_errno(void) { return errno; }
static inline void vmm_set_errno(int value) { errno = value; }

// open(2) is variadic, which Swift cannot call.
static inline int vmm_open(const char *path, int flags, mode_t mode) {
    return open(path, flags, mode);
}

// fcntl(2) is variadic too: a close-on-exec copy of fd numbered least or more.
static inline int vmm_dup_at_least(int fd, int least) {
    return fcntl(fd, F_DUPFD_CLOEXEC, least);
}

#if defined(__linux__)
// getrandom(2) through syscall(2), which is variadic: glibc's own wrapper
// would raise the glibc the library needs (see Platform/Randomness.swift).
static inline long vmm_getrandom(void *buffer, size_t length) {
    return syscall(SYS_getrandom, buffer, length, 0);
}
#endif

// The flag for an unnamed temporary file, 0 where the system has none.
static inline int vmm_o_tmpfile(void) {
#ifdef O_TMPFILE
    return O_TMPFILE;
#else
    return 0;
#endif
}

#endif
