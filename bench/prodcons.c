/*
 * prodcons.c - a producer thread allocates blocks of 16-4096 bytes and fills
 * them; a consumer thread checks and frees them. Every free is of a block
 * another thread allocated. The two meet in a lock-free ring of 8192 entries;
 * a side that finds the ring full (or empty) yields the processor.
 *
 * On a machine with two processors or more the two threads are pinned to two
 * different ones, so that they never take turns on one through sched_yield.
 * Each side reads the other's counter only when the entries it last saw are
 * used up, and the counters have a cache line each, so the ring itself costs
 * little. (On the shared 2-core development VM the time still changes by two
 * or three times from run to run, for every allocator: every block crosses
 * from one core's cache to the other's, at whatever cost the host's placement
 * of the two virtual processors gives.)
 *
 * BENCH_SCALE: 3 million blocks at 1.
 */
#include "bench.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define RING 8192

static struct bench_block ring[RING];
static _Alignas(64) _Atomic long produced;
static _Alignas(64) _Atomic long consumed;
static long blocks;

/* Pins the calling thread to the n-th processor it may run on, if there is one. */
static void pin_to(int n)
{
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) || CPU_COUNT(&allowed) < 2) return;
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed) || seen++ != n) continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);
        return;
    }
}

static void *produce(void *unused)
{
    (void)unused;
    pin_to(0);
    bench_rng rng = bench_rng_seed(3);
    long seen_consumed = 0;
    for (long i = 0; i < blocks; i++) {
        struct bench_block b = {NULL, bench_log_between(&rng, 16, 4096), (uint32_t)i};
        b.p = bench_malloc(b.n);
        bench_fill(b.p, b.n, b.seed);
        while (i - seen_consumed >= RING) {
            seen_consumed = atomic_load_explicit(&consumed, memory_order_acquire);
            if (i - seen_consumed >= RING) sched_yield();
        }
        ring[i % RING] = b;
        atomic_store_explicit(&produced, i + 1, memory_order_release);
    }
    return NULL;
}

static void *consume(void *unused)
{
    (void)unused;
    pin_to(1);
    long seen_produced = 0;
    for (long i = 0; i < blocks; i++) {
        while (seen_produced <= i) {
            seen_produced = atomic_load_explicit(&produced, memory_order_acquire);
            if (seen_produced <= i) sched_yield();
        }
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
