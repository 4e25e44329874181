/*
 * pair_inprocess.c - the cost of one malloc/free pair under several
 * allocators loaded into one process, for comparing builds of the fast path.
 *
 * A developer's tool, not a workload of the suite. On a shared machine the
 * time of a tight loop moves between states that last seconds, so separate
 * processes run at different times compare badly. Here every allocator is
 * loaded with dlopen (RTLD_LOCAL | RTLD_DEEPBIND, so each keeps its own
 * malloc and free), and short trials of each alternate, so every one of them
 * sees the same states. Each prints the minimum, the 10th and 25th
 * percentiles and the median of the trials, in nanoseconds per pair.
 *
 * Usage: pair_inprocess /abs/path/lib1.so [/abs/path/lib2.so ...]
 *   SIZE    block size (32)         TRIALS  trials per library (200)
 * libvmmalloc needs VMMALLOC_POOL_DIR and VMMALLOC_POOL_SIZE as usual; each
 * libvmmalloc loaded makes a pool of its own. An allocator built with
 * initial-exec thread-local storage too large for what is left of the static
 * TLS block (jemalloc) cannot be loaded this way.
 *
 * Build: cc -O2 -o pair_inprocess bench/pair_inprocess.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LIBRARIES 8
#define PAIRS_PER_TRIAL 50000

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nanoseconds per pair; the block gets one word written and read back, as in malloc_free_loop. */
__attribute__((noinline)) static double trial(malloc_fn get, free_fn put, size_t size)
{
    double start = seconds();
    for (long i = 0; i < PAIRS_PER_TRIAL; i++) {
        long *volatile p = get(size);
        if (!p) {
            fprintf(stderr, "pair_inprocess: malloc(%zu) returned NULL\n", size);
            exit(1);
        }
        *p = i;
        if (*p != i) abort();
        put(p);
    }
    return (seconds() - start) * 1e9 / PAIRS_PER_TRIAL;
}

static long setting(const char *name, long fallback)
{
    const char *value = getenv(name);
    return value && *value ? atol(value) : fallback;
}

int main(int argc, char **argv)
{
    int libraries = argc - 1;
    if (libraries < 1 || libraries > MAX_LIBRARIES) {
        fprintf(stderr, "usage: pair_inprocess /abs/path/lib.so ... (1 to %d libraries)\n", MAX_LIBRARIES);
        return 2;
    }
    size_t size = (size_t)setting("SIZE", 32);
    long trials = setting("TRIALS", 200);
    if (size < sizeof(long) || trials < 1) {
        fprintf(stderr, "pair_inprocess: SIZE must be at least %zu and TRIALS at least 1\n", sizeof(long));
        return 2;
    }
    malloc_fn get[MAX_LIBRARIES];
    free_fn put[MAX_LIBRARIES];
    double *times[MAX_LIBRARIES];
    for (int l = 0; l < libraries; l++) {
        void *handle = dlopen(argv[l + 1], RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!handle) {
            fprintf(stderr, "pair_inprocess: %s\n", dlerror());
            return 1;
        }
        get[l] = (malloc_fn)dlsym(handle, "malloc");
        put[l] = (free_fn)dlsym(handle, "free");
        times[l] = calloc((size_t)trials, sizeof(double));
        if (!get[l] || !put[l] || !times[l]) {
            fprintf(stderr, "pair_inprocess: %s: no malloc or free\n", argv[l + 1]);
            return 1;
        }
        trial(get[l], put[l], size); /* warm up: the pool, the thread's heap, the caches */
    }
    for (long t = 0; t < trials; t++)
        for (int l = 0; l < libraries; l++) times[l][t] = trial(get[l], put[l], size);
    for (int l = 0; l < libraries; l++) {
        qsort(times[l], (size_t)trials, sizeof(double), by_value);
        const char *name = strrchr(argv[l + 1], '/');
        printf("%-28s min %6.2f  p10 %6.2f  p25 %6.2f  median %6.2f ns\n", name ? name + 1 : argv[l + 1],
               times[l][0], times[l][trials / 10], times[l][trials / 4], times[l][trials / 2]);
    }
    return 0;
}
