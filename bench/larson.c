/*
 * larson.c - a server in the manner of Larson and Krishnan's benchmark: each
 * thread works on a shelf of 4000 slots and keeps replacing a random one with
 * a block of a random size (8-1000 bytes); every 50000 replacements it swaps
 * its shelf for the one waiting on the counter (one more shelf than threads),
 * so blocks are freed by threads that did not allocate them, and no thread
 * ever waits for another. Every thread does the same number of replacements,
 * so the throughput of N threads over that of one is (N * time of 1) / time
 * of N. Prints "metric: mops <n> Mop/s".
 *
 * Usage: larson [threads]   (2 by default; BENCH_SCALE: 3 million
 * replacements per thread at 1)
 */
#include "bench.h"
#include <pthread.h>
#include <stdatomic.h>

#define SLOTS 4000
#define ROUND 50000
#define MAX_THREADS 64

static long replacements;
/* The shelf on the counter, taken by the next thread that swaps. */
static _Atomic(struct bench_block *) counter;
/* The shelf each thread holds when it is done. */
static struct bench_block *held[MAX_THREADS + 1];

static void *serve(void *arg)
{
    int id = (int)(uintptr_t)arg;
    bench_rng rng = bench_rng_seed((uint64_t)id + 7);
    struct bench_block *mine = held[id];
    for (long done = 0; done < replacements; done++) {
        if (done % ROUND == ROUND - 1) mine = atomic_exchange(&counter, mine);
        struct bench_block *b = &mine[bench_next(&rng) % SLOTS];
        bench_release(b, "larson");
        b->n = bench_between(&rng, 8, 1000);
        b->seed = (uint32_t)bench_next(&rng);
        b->p = bench_malloc(b->n);
        bench_fill(b->p, b->n, b->seed);
    }
    held[id] = mine;
    return NULL;
}

static struct bench_block *new_shelf(void)
{
    struct bench_block *shelf = calloc(SLOTS, sizeof *shelf);
    if (!shelf) BENCH_FAIL("cannot allocate a shelf");
    return shelf;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > MAX_THREADS) BENCH_FAIL("threads must be 1-%d, not %s", MAX_THREADS, argv[1]);
    replacements = bench_scaled(3000000, 1000);
    for (int t = 0; t < threads; t++) held[t] = new_shelf();
    atomic_store(&counter, new_shelf());
    pthread_t ids[MAX_THREADS];
    double start = bench_seconds();
    for (int t = 0; t < threads; t++)
        if (pthread_create(&ids[t], NULL, serve, (void *)(uintptr_t)t)) BENCH_FAIL("pthread_create");
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    double seconds = bench_seconds() - start;
    held[threads] = atomic_load(&counter);
    for (int t = 0; t <= threads; t++) {
        bench_release_all(held[t], SLOTS, "larson");
        free(held[t]);
    }
    printf("metric: mops %.3f Mop/s\n", (double)replacements * threads / seconds / 1e6);
    bench_done("larson");
    return 0;
}
