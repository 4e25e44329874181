/*
 * threads_churn.c - THREADS threads at once, each replacing blocks of 16-216
 * bytes in 64 slots of its own: small blocks allocated by several threads at
 * the same time. Every block carries a pattern, checked before it is freed.
 *
 * Usage: threads_churn [threads]   (2 by default; BENCH_SCALE: 6 million
 * replacements per thread at 1)
 */
#include "bench.h"
#include <pthread.h>

static long operations;

static void *churn(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    void *slots[64] = {0};
    size_t sizes[64] = {0};
    for (long i = 0; i < operations; i++) {
        int k = (int)(i & 63);
        uint32_t seed = id * 64u + (uint32_t)k;
        if (slots[k]) {
            bench_check(slots[k], sizes[k], seed, "threads_churn");
            free(slots[k]);
        }
        sizes[k] = 16 + (size_t)(i % 200);
        slots[k] = bench_malloc(sizes[k]);
        bench_fill(slots[k], sizes[k], seed);
    }
    for (int k = 0; k < 64; k++) {
        if (slots[k]) bench_check(slots[k], sizes[k], id * 64u + (uint32_t)k, "threads_churn");
        free(slots[k]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) BENCH_FAIL("threads must be 1-64, not %s", argv[1]);
    operations = bench_scaled(6000000, 1000);
    pthread_t ids[64];
    for (int i = 0; i < threads; i++)
        if (pthread_create(&ids[i], NULL, churn, (void *)(uintptr_t)i)) BENCH_FAIL("pthread_create");
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    bench_done("threads_churn");
    return 0;
}
