/*
 * thread_handover.c - many short threads, two alive at a time: each starts,
 * allocates 400 blocks of 16-2048 bytes, frees half of them, leaves the other
 * half on a shared shelf and exits; the next thread checks and frees what the
 * one before it left. What a thread held when it ended must be reusable by
 * the threads after it, or the footprint keeps growing.
 *
 * BENCH_SCALE: 6000 threads at 1.
 */
#include "bench.h"
#include <pthread.h>

#define BLOCKS 400
#define LANES 2

/* What the previous thread of each lane left behind. */
static struct bench_block shelf[LANES][BLOCKS / 2];

struct job { int lane; uint32_t serial; };

static void *live(void *arg)
{
    struct job *job = arg;
    struct bench_block *left = shelf[job->lane];
    bench_release_all(left, BLOCKS / 2, "thread_handover (left by the previous thread)");
    bench_rng rng = bench_rng_seed(job->serial);
    struct bench_block mine[BLOCKS];
    for (int k = 0; k < BLOCKS; k++) {
        mine[k].n = bench_log_between(&rng, 16, 2048);
        mine[k].seed = job->serial * BLOCKS + (uint32_t)k;
        mine[k].p = bench_malloc(mine[k].n);
        bench_fill(mine[k].p, mine[k].n, mine[k].seed);
    }
    for (int k = 0; k < BLOCKS; k += 2) {
        bench_release(&mine[k], "thread_handover");
        left[k / 2] = mine[k + 1];
    }
    return NULL;
}

int main(void)
{
    long threads = bench_scaled(6000, 4);
    pthread_t running[LANES];
    struct job jobs[LANES];
    for (long t = 0; t < threads; t += LANES) {
        for (int lane = 0; lane < LANES; lane++) {
            jobs[lane] = (struct job){lane, (uint32_t)(t + lane)};
            if (pthread_create(&running[lane], NULL, live, &jobs[lane])) BENCH_FAIL("pthread_create");
        }
        for (int lane = 0; lane < LANES; lane++) pthread_join(running[lane], NULL);
    }
    for (int lane = 0; lane < LANES; lane++) bench_release_all(shelf[lane], BLOCKS / 2, "thread_handover");
    bench_done("thread_handover");
    return 0;
}
