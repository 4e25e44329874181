/* header.c - <libvmmalloc.h> from C, with the system headers, twice. */
#include <stdlib.h>
#include <malloc.h>
#include <stdio.h>
#include <libvmmalloc.h>
#include <libvmmalloc.h>

#if VMMALLOC_MAJOR_VERSION != 1 || VMMALLOC_MINOR_VERSION != 1
#error "libvmmalloc.h: unexpected version"
#endif

_Static_assert(VMMALLOC_MIN_POOL == 14 * 1024 * 1024, "VMMALLOC_MIN_POOL is not 14 MiB");

/* The prototypes match the C library's. */
void *(*const f_malloc)(size_t) = malloc;
void *(*const f_calloc)(size_t, size_t) = calloc;
void *(*const f_realloc)(void *, size_t) = realloc;
void (*const f_free)(void *) = free;
void (*const f_cfree)(void *) = cfree;
int (*const f_posix_memalign)(void **, size_t, size_t) = posix_memalign;
void *(*const f_aligned_alloc)(size_t, size_t) = aligned_alloc;
void *(*const f_memalign)(size_t, size_t) = memalign;
void *(*const f_valloc)(size_t) = valloc;
void *(*const f_pvalloc)(size_t) = pvalloc;
size_t (*const f_malloc_usable_size)(void *) = malloc_usable_size;

int main(void)
{
    printf("major=%d\nminor=%d\nmin_pool=%llu\n", (int)VMMALLOC_MAJOR_VERSION, (int)VMMALLOC_MINOR_VERSION,
           (unsigned long long)VMMALLOC_MIN_POOL);
    return 0;
}
