/*
 * header_check.c - compiled (not run), as C and as C++, for a FreeBSD target
 * against the declarations in sysroot/: <libvmmalloc.h> agrees with FreeBSD's
 * headers, and its FreeBSD branch declares no memalign, pvalloc or cfree.
 */
#include <libvmmalloc.h>

/* These would clash with a declaration of a function of the same name. */
static int memalign, pvalloc, cfree;

/* malloc_usable_size takes a const pointer, as in <malloc_np.h>. */
static size_t (*const usable)(const void *) = malloc_usable_size;

#if VMMALLOC_MAJOR_VERSION != 1 || VMMALLOC_MINOR_VERSION != 1
#error "wrong version"
#endif

int header_check(void)
{
    void *p = malloc(VMMALLOC_MIN_POOL / 1024);
    size_t n = usable(p);
    free(p);
    return (int)n + memalign + pvalloc + cfree;
}
