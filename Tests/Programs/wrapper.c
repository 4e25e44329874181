/*
 * wrapper.c - a preloaded library of the kind tracing tools and fakeroot are:
 * it wraps system calls (here access(2), getenv(3) and ftruncate(2), which
 * the pool's creation uses) and allocates inside the wrappers.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/types.h>

static char *note(const char *what)
{
    char *copy = malloc(strlen(what) + 1);
    if (copy) strcpy(copy, what);
    return copy;
}

int access(const char *path, int mode)
{
    free(note(path));
    return (int)syscall(SYS_faccessat, -100 /* AT_FDCWD */, path, mode, 0);
}

int ftruncate(int fd, off_t length)
{
    char *p = note("ftruncate");
    char *q = realloc(p, 100);
    free(q ? q : p);
    return (int)syscall(SYS_ftruncate, fd, length);
}
