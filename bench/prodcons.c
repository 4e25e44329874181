/*
 * prodcons.c - a producer thread allocates blocks of 16-4096 bytes and fills
 * them; a consumer thread checks and frees them. Every free is of a block
 * another thread allocated. The two meet in a lock-free ring of 8192 entries;
 * a side that finds the ring full (or empty) yields the processor.
 *
 * BENCH_SCALE: 3 million blocks at 1.
 */
#include "bench.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define RING 8192

static struct bench_block ring[RING];
static _Atomic long produced, consumed;
static long blocks;

static void *produce(void *unused)
{
    (void)unused;
    bench_rng rng = bench_rng_seed(3);
    for (long i = 0; i < blocks; i++) {
        struct bench_block b = {NULL, bench_log_between(&rng, 16, 4096), (uint32_t)i};
        b.p = bench_malloc(b.n);
        bench_fill(b.p, b.n, b.seed);
        while (i - atomic_load_explicit(&consumed, memory_order_acquire) >= RING) sched_yield();
        ring[i % RING] = b;
        atomic_store_explicit(&produced, i + 1, memory_order_release);
    }
    return NULL;
}

static void *consume(void *unused)
{
    (void)unused;
    for (long i = 0; i < blocks; i++) {
        while (atomic_load_explicit(&produced, memory_order_acquire) <= i) sched_yield();
        struct bench_block b = ring[i % RING];
        atomic_store_explicit(&consumed, i + 1, memory_order_release);
        if (b.seed != (uint32_t)i) BENCH_FAIL("ring entry %ld holds block %u", i, b.seed);
        bench_release(&b, "prodcons");
    }
    return NULL;
}

int main(void)
{
    blocks = bench_scaled(3000000, 1000);
    pthread_t producer, consumer;
    if (pthread_create(&producer, NULL, produce, NULL) || pthread_create(&consumer, NULL, consume, NULL))
        BENCH_FAIL("pthread_create");
    pthread_join(producer, NULL);
    pthread_join(consumer, NULL);
    bench_done("prodcons");
    return 0;
}
