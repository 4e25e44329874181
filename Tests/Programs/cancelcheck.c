/*
 * cancelcheck.c - a library preloaded beside libvmmalloc that wraps the
 * C library's calls that are thread cancellation points (open, close,
 * write, fallocate) and writes one line "cancelcheck: <call> with
 * cancellation enabled" for each that libvmmalloc makes while the calling
 * thread could be cancelled there. A thread cancelled inside malloc or free
 * may hold a lock the other threads then wait for forever.
 * The wrappers make the system calls themselves (no dlsym, which may
 * allocate while the library holds a lock).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void check(const char *call, const void *caller)
{
    Dl_info info;
    if (!dladdr(caller, &info) || !info.dli_fname || !strstr(info.dli_fname, "libvmmalloc")) return;
    int state, ignored;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
    pthread_setcancelstate(state, &ignored);
    if (state != PTHREAD_CANCEL_ENABLE) return;
    char line[96] = "cancelcheck: ";
    strcat(line, call);
    strcat(line, " with cancellation enabled\n");
    syscall(SYS_write, 2, line, strlen(line));
}

int fallocate(int fd, int mode, off_t offset, off_t length)
{
    check("fallocate", __builtin_return_address(0));
    return (int)syscall(SYS_fallocate, fd, mode, offset, length);
}

int fallocate64(int fd, int mode, off_t offset, off_t length) __attribute__((alias("fallocate")));

int close(int fd)
{
    check("close", __builtin_return_address(0));
    return (int)syscall(SYS_close, fd);
}

ssize_t write(int fd, const void *bytes, size_t count)
{
    check("write", __builtin_return_address(0));
    return syscall(SYS_write, fd, bytes, count);
}

static int open_mode(int flags, va_list args)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    int mode = open_mode(flags, args);
    va_end(args);
    check("open", __builtin_return_address(0));
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));
