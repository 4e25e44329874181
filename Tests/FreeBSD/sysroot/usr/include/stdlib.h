/* FreeBSD <stdlib.h>: the allocation functions and what the library calls. */
#ifndef _STDLIB_H_
#define _STDLIB_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <stddef.h>

void *malloc(size_t);
void *calloc(size_t, size_t);
void *realloc(void *, size_t);
void free(void *);
void *reallocf(void *, size_t);
int posix_memalign(void **, size_t, size_t);
void *aligned_alloc(size_t, size_t);
void abort(void) __attribute__((__noreturn__));
void exit(int) __attribute__((__noreturn__));
int atexit(void (*)(void));
char *getenv(const char *);
int setenv(const char *, const char *, int);
int unsetenv(const char *);
char *realpath(const char *__restrict, char *__restrict);
int mkstemp(char *);
int mkostemp(char *, int);
void arc4random_buf(void *, size_t);
__END_DECLS
#endif
