/*
 * hello.c - the smallest program using the pool.
 * Allocates, checks the block lies in the pool, and prints:
 *   pool_file_size=<bytes of the file behind the pool mapping>
 *   pool_dir_entries=<names visible in VMMALLOC_POOL_DIR while running>
 *   mapping=<perms> <path>
 *   hello from the pool
 */
#include "poolcheck.h"

int main(void)
{
    char *p = malloc(100);
    if (!p) FAIL("malloc(100) returned NULL: %s", strerror(errno));
    check_in_pool(p, "malloc(100)");
    strcpy(p, "hello from the pool");
    struct pc_mapping m = pool_mapping_of(p, "malloc(100)");
    printf("pool_file_size=%lld\n", pool_file_size(p));
    printf("pool_dir_entries=%d\n", pool_dir_entries());
    printf("mapping=%s %s\n", m.perms, m.path);
    puts(p);
    free(p);
    return 0;
}
