/*
 * malloc_free_loop.c - the cost of one malloc/free pair of a 32-byte block on
 * one thread: the hot path of every allocator. Each block gets one word
 * written and read back, so the pair cannot be optimised away and a block
 * handed out twice shows. Prints "metric: pair_ns <ns> ns", the time per pair
 * measured inside the loop (without start-up and exit).
 *
 * Usage: malloc_free_loop [size]        (BENCH_SCALE: 60 million pairs at 1)
 */
#include "bench.h"

int main(int argc, char **argv)
{
    size_t size = argc > 1 ? (size_t)atol(argv[1]) : 32;
    if (size < sizeof(long)) BENCH_FAIL("size %zu is below %zu", size, sizeof(long));
    long pairs = bench_scaled(60000000, 1000);
    double start = bench_seconds();
    for (long i = 0; i < pairs; i++) {
        long *volatile p = bench_malloc(size);
        *p = i;
        if (*p != i) BENCH_FAIL("pair %ld: block %p lost its word", i, (void *)p);
        free(p);
    }
    double ns = (bench_seconds() - start) * 1e9 / (double)pairs;
    printf("metric: pair_ns %.2f ns\n", ns);
    bench_done("malloc_free_loop");
    return 0;
}
