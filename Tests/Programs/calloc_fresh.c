/*
 * calloc_fresh.c - calloc of memory the pool never handed out is not
 * cleared again (it is zero already), so it does not become resident; the
 * same calloc after the memory was dirtied and freed does clear it.
 * Prints rss_growth_kib for both, and checks the contents are zero.
 */
#include "poolcheck.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    fclose(f);
    return kib;
}

int main(void)
{
    const size_t size = 256u << 20;
    long before = rss_kib();
    unsigned char *p = calloc(1, size);
    CHECK(p != NULL);
    check_in_pool(p, "fresh calloc");
    long fresh = rss_kib() - before;
    for (size_t i = 0; i < size; i += 1u << 20) CHECKF(p[i] == 0, "fresh calloc byte %zu is %d", i, p[i]);
    memset(p, 0xAB, size);
    free(p);
    unsigned char *q = calloc(1, size);
    CHECK(q != NULL);
    for (size_t i = 0; i < size; i += 4093) CHECKF(q[i] == 0, "reused calloc byte %zu is %d", i, q[i]);
    printf("fresh_rss_growth_kib=%ld\n", fresh);
    free(q);
    puts("OK calloc_fresh");
    return 0;
}
