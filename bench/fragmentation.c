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

static struct bench_block *grow(struct bench_block *list, long *cap, long need)
{
    if (need <= *cap) return list;
    *cap = need * 2;
    list = realloc(list, (size_t)*cap * sizeof *list);
    if (!list) BENCH_FAIL("cannot grow the block list");
    return list;
}

static bench_rng rng;
static uint32_t serial;
static size_t live, live_peak;

/* Allocates blocks of lo-hi bytes into *list until they hold `bytes`; returns how many. */
static long allocate(struct bench_block **list, long *cap, size_t bytes, size_t lo, size_t hi)
{
    long n = 0;
    for (size_t filled = 0; filled < bytes; n++) {
        *list = grow(*list, cap, n + 1);
        struct bench_block *b = &(*list)[n];
        b->n = bench_log_between(&rng, lo, hi);
        b->seed = serial++;
        b->p = bench_malloc(b->n);
        bench_fill(b->p, b->n, b->seed);
        filled += b->n;
        live += b->n;
    }
    if (live > live_peak) live_peak = live;
    return n;
}

int main(void)
{
    double scale = bench_scale();
    long rounds = scale >= 1 ? (long)(2 * scale) : 1;
    size_t small_bytes = (size_t)((192 << 20) * (scale < 1 ? scale : 1));
    size_t medium_bytes = small_bytes / 2;
    rng = bench_rng_seed(17);
    long kept_cap = 0, kept_n = 0, round_cap = 0;
    struct bench_block *kept = NULL, *round_blocks = NULL;
    for (long round = 0; round < rounds; round++) {
        long n = allocate(&round_blocks, &round_cap, small_bytes, 16, 512);
        for (long k = 0; k < n; k++) {
            if (bench_next(&rng) % 10) {
                live -= round_blocks[k].n;
                bench_release(&round_blocks[k], "fragmentation");
            } else {
                kept = grow(kept, &kept_cap, kept_n + 1);
                kept[kept_n++] = round_blocks[k];
            }
        }
        long m = allocate(&round_blocks, &round_cap, medium_bytes, 1024, 32768);
        for (long k = 0; k < m; k++) live -= round_blocks[k].n;
        bench_release_all(round_blocks, m, "fragmentation");
    }
    bench_release_all(kept, kept_n, "fragmentation");
    free(kept);
    free(round_blocks);
    printf("metric: live_peak_mib %.1f MiB\n", (double)live_peak / (1 << 20));
    bench_done("fragmentation");
    return 0;
}
