/*
 * calloc_heavy.c - calloc of arrays of 16 bytes to 64 KiB (log-uniform, so
 * most are small), in 2000 slots replaced at random. Every byte of a new
 * block is checked to be zero, then the block is dirtied with a pattern, so
 * memory that comes back from free must be cleared again.
 *
 * BENCH_SCALE: 500000 callocs at 1.
 */
#include "bench.h"

#define SLOTS 2000

static void check_zero(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w) break;
    }
    for (; i < n; i++)
        if (p[i]) BENCH_FAIL("calloc block %p of %zu bytes has 0x%02x at offset %zu", (void *)p, n, p[i], i);
}

int main(void)
{
    long callocs = bench_scaled(500000, 1000);
    bench_rng rng = bench_rng_seed(11);
    static struct bench_block slots[SLOTS];
    for (long i = 0; i < callocs; i++) {
        struct bench_block *b = &slots[bench_next(&rng) % SLOTS];
        bench_release(b, "calloc_heavy");
        size_t n = bench_log_between(&rng, 16, 65536), size = 1 << (bench_next(&rng) % 4);
        b->n = n - n % size;
        b->seed = (uint32_t)i;
        b->p = calloc(b->n / size, size);
        if (!b->p) BENCH_FAIL("calloc(%zu, %zu) failed", b->n / size, size);
        check_zero(b->p, b->n);
        memset(b->p, 0xA5, b->n);
        bench_fill(b->p, b->n, b->seed);
    }
    bench_release_all(slots, SLOTS, "calloc_heavy");
    bench_done("calloc_heavy");
    return 0;
}
