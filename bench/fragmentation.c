/*
 * fragmentation.c - a pattern that leaves holes: each round fills 192 MiB
 * with small blocks (16-512 bytes), frees nine in ten of them at random,
 * then allocates 96 MiB of medium blocks (1-32 KiB) that do not fit the
 * small holes, and frees the medium ones. The surviving small blocks of every
 * round stay to the end. Live data never exceeds about 250 MiB; what the
 * allocator needs beyond that is fragmentation, seen in the peak footprint
 * (peak RSS and pool space, measured by the runner). Prints
 * "metric: live_peak_mib <n> MiB", the largest amount of data alive at once.
 *
 * BENCH_SCALE: 2 rounds of 192 MiB at 1 (the sizes shrink below 1).
 */
#include "bench.h"

struct block { void *p; size_t n; uint32_t seed; };

static struct block *grow(struct block *list, long *cap, long need)
{
    if (need <= *cap) return list;
    *cap = need * 2;
    list = realloc(list, (size_t)*cap * sizeof *list);
    if (!list) BENCH_FAIL("cannot grow the block list");
    return list;
}

static void release(struct block *b)
{
    bench_check(b->p, b->n, b->seed, "fragmentation");
    free(b->p);
    b->p = NULL;
}

int main(void)
{
    double scale = bench_scale();
    long rounds = scale >= 1 ? (long)(2 * scale) : 1;
    size_t small_bytes = (size_t)((192 << 20) * (scale < 1 ? scale : 1));
    size_t medium_bytes = small_bytes / 2;
    bench_rng rng = bench_rng_seed(17);
    long kept_cap = 0, kept_n = 0, round_cap = 0;
    struct block *kept = NULL, *round_blocks = NULL;
    size_t live = 0, live_peak = 0;
    uint32_t serial = 0;
    for (long round = 0; round < rounds; round++) {
        long n = 0;
        for (size_t filled = 0; filled < small_bytes; n++) {
            round_blocks = grow(round_blocks, &round_cap, n + 1);
            struct block *b = &round_blocks[n];
            b->n = bench_log_between(&rng, 16, 512);
            b->seed = serial++;
            b->p = bench_malloc(b->n);
            bench_fill(b->p, b->n, b->seed);
            filled += b->n;
            live += b->n;
        }
        if (live > live_peak) live_peak = live;
        for (long k = 0; k < n; k++) {
            if (bench_next(&rng) % 10) {
                live -= round_blocks[k].n;
                release(&round_blocks[k]);
            } else {
                kept = grow(kept, &kept_cap, kept_n + 1);
                kept[kept_n++] = round_blocks[k];
            }
        }
        long m = 0;
        for (size_t filled = 0; filled < medium_bytes; m++) {
            round_blocks = grow(round_blocks, &round_cap, m + 1);
            struct block *b = &round_blocks[m];
            b->n = bench_log_between(&rng, 1024, 32768);
            b->seed = serial++;
            b->p = bench_malloc(b->n);
            bench_fill(b->p, b->n, b->seed);
            filled += b->n;
            live += b->n;
        }
        if (live > live_peak) live_peak = live;
        for (long k = 0; k < m; k++) {
            live -= round_blocks[k].n;
            release(&round_blocks[k]);
        }
    }
    for (long k = 0; k < kept_n; k++) release(&kept[k]);
    free(kept);
    free(round_blocks);
    printf("metric: live_peak_mib %.1f MiB\n", (double)live_peak / (1 << 20));
    bench_done("fragmentation");
    return 0;
}
