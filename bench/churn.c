/*
 * churn.c - one thread, small blocks of 8-1024 bytes (log-uniform: as many
 * tiny as large) with mixed lifetimes: most die at once, some live for a
 * while in a window of 20000 slots, and a few (one in 64) are kept to the end.
 *
 * BENCH_SCALE: 4 million allocations at 1.
 */
#include "bench.h"

#define WINDOW 20000

int main(void)
{
    long allocations = bench_scaled(4000000, 1000);
    bench_rng rng = bench_rng_seed(1);
    static struct bench_block window[WINDOW];
    long kept_cap = allocations / 64 + 16, kept_n = 0;
    struct bench_block *kept = bench_malloc((size_t)kept_cap * sizeof *kept);
    for (long i = 0; i < allocations; i++) {
        struct bench_block b = {NULL, bench_log_between(&rng, 8, 1024), (uint32_t)i};
        b.p = bench_malloc(b.n);
        bench_fill(b.p, b.n, b.seed);
        uint64_t fate = bench_next(&rng) % 64;
        if (fate == 0 && kept_n < kept_cap) {
            kept[kept_n++] = b;
        } else if (fate < 24) {
            struct bench_block *slot = &window[bench_next(&rng) % WINDOW];
            bench_release(slot, "churn");
            *slot = b;
        } else {
            bench_release(&b, "churn");
        }
    }
    bench_release_all(window, WINDOW, "churn");
    bench_release_all(kept, kept_n, "churn");
    free(kept);
    bench_done("churn");
    return 0;
}
