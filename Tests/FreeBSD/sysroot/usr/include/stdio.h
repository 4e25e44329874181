/* FreeBSD <stdio.h>: the stream type and what the library calls (malloc_info). */
#ifndef _STDIO_H_
#define _STDIO_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <stddef.h>

typedef struct __sFILE FILE;

int fputs(const char * __restrict, FILE * __restrict);

__END_DECLS
#endif
