/*
 * reserve.c - how much of the pool file holds space on the file system.
 *
 * Prints, after start, after allocating and touching ARGV[1] MiB, and after
 * freeing it again:
 *   file_size=<bytes of the pool file>
 *   page=<the alignment of the mapping's start and length, in KiB, as seen>
 *   start_kib=<allocated KiB>  used_kib=<allocated KiB>
 * The file is sparse: space is reserved region by region as the heap reaches it.
 */
#include "poolcheck.h"

/* KiB of file system space the pool file holds. */
static long long allocated_kib(const void *p)
{
    return (long long)pool_file_stat(p).st_blocks * 512 / 1024;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 64;
    void *first = malloc(64);
    CHECK(first != NULL);
    struct pc_mapping m = pool_mapping_of(first, "first block");
    printf("file_size=%lld\n", pool_file_size(first));
    printf("map_length=%llu\n", (unsigned long long)(m.end - m.start));
    printf("map_start_mod_2m=%llu\n", (unsigned long long)(m.start % (2u << 20)));
    printf("start_kib=%lld\n", allocated_kib(first));

    char *big = malloc(mib << 20);
    CHECKF(big != NULL, "malloc(%zu MiB) failed", mib);
    for (size_t i = 0; i < (mib << 20); i += 4096) big[i] = 1;
    printf("used_kib=%lld\n", allocated_kib(first));
    free(big);
    free(first);
    return 0;
}
