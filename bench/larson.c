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
 * Usage: larson [threads] [ceiling]   (2 threads by default; BENCH_SCALE:
 * 3 million replacements per thread at 1)
 *
 * With "ceiling", malloc and free are replaced by the least an allocator can
 * do here: each thread pops and pushes blocks on its own lists, one per
 * 16-byte size, and carves new ones from its own arena; no lock, no atomic,
 * no header, and a block freed by another thread is reused at once. The
 * memory work (filling and checking blocks, the shelves) is unchanged, so
 * what 2 threads reach over 1 in this mode is the most this machine gives on
 * the workload, whatever the allocator.
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

/* The ceiling mode's allocator: per thread, a list per 16-byte size and an arena. */
#define ARENA_BYTES ((size_t)256 << 20)
struct ideal { char *next, *end; void *lists[1000 / 16 + 2]; };
static int ceiling;
static __thread struct ideal *ideal;

static void *ideal_malloc(size_t n)
{
    size_t c = (n + 15) >> 4;
    void *p = ideal->lists[c];
    if (p) {
        ideal->lists[c] = *(void **)p;
        return p;
    }
    if ((size_t)(ideal->end - ideal->next) < (c << 4)) BENCH_FAIL("larson: the ceiling arena is full");
    p = ideal->next;
    ideal->next += c << 4;
    return p;
}

static void ideal_free(void *p, size_t n)
{
    size_t c = (n + 15) >> 4;
    *(void **)p = ideal->lists[c];
    ideal->lists[c] = p;
}

/* Checks the block in the slot and frees it, with the allocator of the mode. */
static void release(struct bench_block *b)
{
    if (!ceiling) {
        bench_release(b, "larson");
        return;
    }
    if (!b->p) return;
    bench_check(b->p, b->n, b->seed, "larson");
    ideal_free(b->p, b->n);
    b->p = NULL;
}

static void *serve(void *arg)
{
    int id = (int)(uintptr_t)arg;
    bench_rng rng = bench_rng_seed((uint64_t)id + 7);
    struct bench_block *mine = held[id];
    if (ceiling) {
        /* Arenas come from malloc before the clock matters; only touched pages count. */
        ideal = calloc(1, sizeof *ideal);
        char *arena = malloc(ARENA_BYTES);
        if (!ideal || !arena) BENCH_FAIL("cannot allocate the ceiling arena");
        ideal->next = arena;
        ideal->end = arena + ARENA_BYTES;
    }
    for (long done = 0; done < replacements; done++) {
        if (done % ROUND == ROUND - 1) mine = atomic_exchange(&counter, mine);
        struct bench_block *b = &mine[bench_next(&rng) % SLOTS];
        release(b);
        b->n = bench_between(&rng, 8, 1000);
        b->seed = (uint32_t)bench_next(&rng);
        b->p = ceiling ? ideal_malloc(b->n) : bench_malloc(b->n);
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
    if (argc > 2 && strcmp(argv[2], "ceiling")) BENCH_FAIL("the second argument can only be \"ceiling\", not %s", argv[2]);
    ceiling = argc > 2;
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
        if (ceiling) {
            /* The blocks are in the arenas, which the exit takes back; they are checked still. */
            for (long k = 0; k < SLOTS; k++)
                if (held[t][k].p) bench_check(held[t][k].p, held[t][k].n, held[t][k].seed, "larson");
        } else {
            bench_release_all(held[t], SLOTS, "larson");
        }
        free(held[t]);
    }
    printf("metric: mops %.3f Mop/s\n", (double)replacements * threads / seconds / 1e6);
    bench_done("larson");
    return 0;
}
