/*
 * nofallocate.c - a preloaded library that makes posix_fallocate(3) and
 * fallocate(2) fail with EOPNOTSUPP, as on file systems that cannot
 * preallocate (ZFS and other copy-on-write file systems).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

int posix_fallocate(int fd, off_t offset, off_t length)
{
    (void)fd; (void)offset; (void)length;
    return EOPNOTSUPP;
}

int posix_fallocate64(int fd, off_t offset, off_t length) __attribute__((alias("posix_fallocate")));

int fallocate(int fd, int mode, off_t offset, off_t length)
{
    (void)fd; (void)mode; (void)offset; (void)length;
    errno = EOPNOTSUPP;
    return -1;
}
