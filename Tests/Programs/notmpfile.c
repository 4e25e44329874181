/*
 * notmpfile.c - a preloaded library that makes open(2) refuse O_TMPFILE with
 * EOPNOTSUPP, as file systems without unnamed temporary files do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_without_tmpfile(const char *path, int flags, va_list args)
{
    mode_t mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
    if ((flags & O_TMPFILE) == O_TMPFILE) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    int fd = open_without_tmpfile(path, flags, args);
    va_end(args);
    return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));
