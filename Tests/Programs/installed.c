/*
 * installed.c - built against the installed library with nothing but
 * `cc installed.c -lvmmalloc` (or the flags pkg-config gives): the system's
 * <libvmmalloc.h> is found, and the program's allocations come from the pool.
 */
#include "poolcheck.h"
#include <libvmmalloc.h>

int main(void)
{
    char *p = malloc(1000);
    if (!p) FAIL("malloc returned NULL");
    check_in_pool(p, "malloc");
    void *q = memalign(64, 100);
    check_in_pool(q, "memalign");
    cfree(q);
    free(p);
    printf("OK installed %d.%d min_pool=%zu\n", VMMALLOC_MAJOR_VERSION, VMMALLOC_MINOR_VERSION,
           (size_t)VMMALLOC_MIN_POOL);
    return 0;
}
