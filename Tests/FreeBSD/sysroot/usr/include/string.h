/* FreeBSD <string.h>. */
#ifndef _STRING_H_
#define _STRING_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <stddef.h>
#include <strings.h>
void *memcpy(void *__restrict, const void *__restrict, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
size_t strlen(const char *);
char *strcpy(char *__restrict, const char *__restrict);
char *strncpy(char *__restrict, const char *__restrict, size_t);
int strcmp(const char *, const char *);
int strncmp(const char *, const char *, size_t);
char *strerror(int);
char *strchr(const char *, int);
char *strrchr(const char *, int);
char *strstr(const char *, const char *);
char *strcat(char *__restrict, const char *__restrict);
size_t strspn(const char *, const char *);
size_t strcspn(const char *, const char *);
char *strdup(const char *);
int strerror_r(int, char *, size_t);
__END_DECLS
#endif
