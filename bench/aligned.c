/*
 * aligned.c - aligned allocations mixed with plain ones, in 4000 slots
 * replaced at random: half malloc, the rest posix_memalign, aligned_alloc
 * and memalign with alignments of 16 bytes to 64 KiB (mostly 16-4096), sizes
 * 8-8192 bytes. Every aligned block is checked to have its alignment.
 *
 * BENCH_SCALE: 3 million allocations at 1.
 */
#include "bench.h"
#include <malloc.h>

#define SLOTS 4000

static void *allocate(bench_rng *rng, size_t n)
{
    uint64_t how = bench_next(rng) % 8;
    if (how < 4) return bench_malloc(n);
    size_t align = (size_t)16 << (bench_next(rng) % 9); /* 16 .. 4096 */
    if (bench_next(rng) % 64 == 0) align = 65536;
    void *p = NULL;
    if (how < 6) {
        int e = posix_memalign(&p, align, n);
        if (e) BENCH_FAIL("posix_memalign(%zu, %zu) failed: %d", align, n, e);
    } else if (how == 6) {
        p = aligned_alloc(align, (n + align - 1) & ~(align - 1));
    } else {
        p = memalign(align, n);
    }
    if (!p) BENCH_FAIL("aligned allocation of %zu bytes at %zu failed", n, align);
    if ((uintptr_t)p % align) BENCH_FAIL("block %p is not aligned to %zu", p, align);
    return p;
}

int main(void)
{
    long allocations = bench_scaled(3000000, 1000);
    bench_rng rng = bench_rng_seed(13);
    static struct bench_block slots[SLOTS];
    for (long i = 0; i < allocations; i++) {
        struct bench_block *b = &slots[bench_next(&rng) % SLOTS];
        bench_release(b, "aligned");
        b->n = bench_log_between(&rng, 8, 8192);
        b->seed = (uint32_t)i;
        b->p = allocate(&rng, b->n);
        bench_fill(b->p, b->n, b->seed);
    }
    bench_release_all(slots, SLOTS, "aligned");
    bench_done("aligned");
    return 0;
}
