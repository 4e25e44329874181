/*
 * large.c - large blocks, 64 KiB to 8 MiB (log-uniform), in 48 slots replaced
 * at random; every block is written (its edges and one byte per page) and
 * checked before it is freed, so every page of it is touched once.
 *
 * BENCH_SCALE: 12000 replacements at 1.
 */
#include "bench.h"

#define SLOTS 48

struct block { void *p; size_t n; uint32_t seed; };

int main(void)
{
    long replacements = bench_scaled(12000, 50);
    bench_rng rng = bench_rng_seed(9);
    static struct block slots[SLOTS];
    for (long i = 0; i < replacements; i++) {
        struct block *b = &slots[bench_next(&rng) % SLOTS];
        if (b->p) {
            bench_check(b->p, b->n, b->seed, "large");
            free(b->p);
        }
        b->n = bench_log_between(&rng, 64 << 10, 8 << 20);
        b->seed = (uint32_t)i;
        b->p = bench_malloc(b->n);
        bench_fill(b->p, b->n, b->seed);
    }
    for (int k = 0; k < SLOTS; k++) {
        if (!slots[k].p) continue;
        bench_check(slots[k].p, slots[k].n, slots[k].seed, "large");
        free(slots[k].p);
    }
    bench_done("large");
    return 0;
}
