/*
 * large.c - large blocks, 64 KiB to 8 MiB (log-uniform), in 48 slots replaced
 * at random; every block is written (its edges and one byte per page) and
 * checked before it is freed, so every page of it is touched once.
 *
 * BENCH_SCALE: 12000 replacements at 1.
 */
#include "bench.h"

#define SLOTS 48

int main(void)
{
    long replacements = bench_scaled(12000, 50);
    bench_rng rng = bench_rng_seed(9);
    static struct bench_block slots[SLOTS];
    for (long i = 0; i < replacements; i++) {
        struct bench_block *b = &slots[bench_next(&rng) % SLOTS];
        bench_release(b, "large");
        b->n = bench_log_between(&rng, 64 << 10, 8 << 20);
        b->seed = (uint32_t)i;
        b->p = bench_malloc(b->n);
        bench_fill(b->p, b->n, b->seed);
    }
    bench_release_all(slots, SLOTS, "large");
    bench_done("large");
    return 0;
}
