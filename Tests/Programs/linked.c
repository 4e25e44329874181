/*
 * linked.c - linked with -lvmmalloc instead of preloaded: the program's
 * allocations, and libc's own (strdup, stdio), are pool memory; cfree is
 * callable directly through the prototype in <libvmmalloc.h>.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <libvmmalloc.h>

int main(void)
{
    char *p = malloc(1000);
    if (!p) FAIL("malloc returned NULL");
    check_in_pool(p, "malloc");
    char *s = strdup("strdup inside libc");
    check_in_pool(s, "strdup");
    void *a = NULL;
    if (posix_memalign(&a, 4096, 100) != 0) FAIL("posix_memalign failed");
    check_in_pool(a, "posix_memalign");
    void *c = calloc(100, 100);
    check_in_pool(c, "calloc");
    for (int i = 0; i < 100000; i++) {
        void *q = malloc(4000);
        if (!q) FAIL("malloc failed after %d malloc/cfree pairs: cfree does not free", i);
        cfree(q);
    }
    free(c);
    free(a);
    free(s);
    free(p);
    printf("OK linked\n");
    return 0;
}
