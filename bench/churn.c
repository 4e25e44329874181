/*
 * churn.c - one thread, small blocks of 8-1024 bytes (log-uniform: as many
 * tiny as large) with mixed lifetimes: most die at once, some live for a
 * while in a window of 20000 slots, and a few (one in 64) are kept to the end.
 *
 * BENCH_SCALE: 4 million allocations at 1.
 */
#include "bench.h"

#define WINDOW 20000

struct block { void *p; size_t n; uint32_t seed; };

static void release(struct block *b)
{
    bench_check(b->p, b->n, b->seed, "churn");
    free(b->p);
    b->p = NULL;
}

int main(void)
{
    long allocations = bench_scaled(4000000, 1000);
    bench_rng rng = bench_rng_seed(1);
    static struct block window[WINDOW];
    long kept_cap = allocations / 64 + 16, kept_n = 0;
    struct block *kept = bench_malloc((size_t)kept_cap * sizeof *kept);
    for (long i = 0; i < allocations; i++) {
        struct block b = {NULL, bench_log_between(&rng, 8, 1024), (uint32_t)i};
        b.p = bench_malloc(b.n);
        bench_fill(b.p, b.n, b.seed);
        uint64_t fate = bench_next(&rng) % 64;
        if (fate == 0 && kept_n < kept_cap) {
            kept[kept_n++] = b;
        } else if (fate < 24) {
            struct block *slot = &window[bench_next(&rng) % WINDOW];
            if (slot->p) release(slot);
            *slot = b;
        } else {
            release(&b);
        }
    }
    for (long k = 0; k < WINDOW; k++)
        if (window[k].p) release(&window[k]);
    for (long k = 0; k < kept_n; k++) release(&kept[k]);
    free(kept);
    bench_done("churn");
    return 0;
}
