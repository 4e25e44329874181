/*
 * larson.c - a server in the manner of Larson and Krishnan's benchmark: each
 * thread owns 4000 slots and keeps replacing a random one with a block of a
 * random size (8-1000 bytes); every 100000 replacements a thread hands its
 * slots to the next thread (round robin) and takes over the previous one's,
 * so blocks are freed by a thread that did not allocate them. Every thread
 * does the same number of replacements, so the throughput of N threads over
 * that of one is (N * time of 1) / time of N. Prints "metric: mops <n> Mop/s".
 *
 * Usage: larson [threads]   (2 by default; BENCH_SCALE: 3 million
 * replacements per thread at 1)
 */
#include "bench.h"
#include <pthread.h>

#define SLOTS 4000
#define ROUND 100000
#define MAX_THREADS 64

static int threads;
static long replacements;
static struct bench_block *shelves[MAX_THREADS];
static pthread_barrier_t round_barrier;

static void *serve(void *arg)
{
    int id = (int)(uintptr_t)arg;
    bench_rng rng = bench_rng_seed((uint64_t)id + 7);
    for (long done = 0; done < replacements;) {
        struct bench_block *mine = shelves[id];
        long stop = done + ROUND < replacements ? done + ROUND : replacements;
        for (; done < stop; done++) {
            struct bench_block *b = &mine[bench_next(&rng) % SLOTS];
            bench_release(b, "larson");
            b->n = bench_between(&rng, 8, 1000);
            b->seed = (uint32_t)bench_next(&rng);
            b->p = bench_malloc(b->n);
            bench_fill(b->p, b->n, b->seed);
        }
        /* Hand the slots on: after the barrier thread i works on the
         * shelf thread i-1 filled. */
        pthread_barrier_wait(&round_barrier);
        if (id == 0) {
            struct bench_block *last = shelves[threads - 1];
            for (int t = threads - 1; t > 0; t--) shelves[t] = shelves[t - 1];
            shelves[0] = last;
        }
        pthread_barrier_wait(&round_barrier);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > MAX_THREADS) BENCH_FAIL("threads must be 1-%d, not %s", MAX_THREADS, argv[1]);
    replacements = bench_scaled(3000000, 1000);
    for (int t = 0; t < threads; t++) shelves[t] = calloc(SLOTS, sizeof(struct bench_block));
    pthread_barrier_init(&round_barrier, NULL, (unsigned)threads);
    pthread_t ids[MAX_THREADS];
    double start = bench_seconds();
    for (int t = 0; t < threads; t++)
        if (pthread_create(&ids[t], NULL, serve, (void *)(uintptr_t)t)) BENCH_FAIL("pthread_create");
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    double seconds = bench_seconds() - start;
    for (int t = 0; t < threads; t++) {
        bench_release_all(shelves[t], SLOTS, "larson");
        free(shelves[t]);
    }
    printf("metric: mops %.3f Mop/s\n", (double)replacements * threads / seconds / 1e6);
    bench_done("larson");
    return 0;
}
