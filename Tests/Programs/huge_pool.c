/*
 * huge_pool.c - in the largest pool, 64 TiB (sparse), a request larger than the
 * pool can serve fails with ENOMEM and the heap goes on.
 */
#include "poolcheck.h"

int main(void)
{
    errno = 0;
    void *p = malloc((size_t)65 << 40);
    CHECKF(p == NULL && errno == ENOMEM, "malloc(65 TiB) gave %p, errno %d", p, errno);
    void *q = malloc(100);
    CHECK(q != NULL);
    check_in_pool(q, "a small block after the failed huge one");
    void *r = malloc((size_t)1 << 30);
    CHECK(r != NULL);
    check_in_pool(r, "a 1 GiB block");
    free(r);
    free(q);
    puts("OK huge_pool");
    return 0;
}
