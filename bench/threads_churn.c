/*
 * threads_churn.c - THREADS threads at once, each replacing blocks of 16-216
 * bytes in 64 slots of its own: how the allocator copes with threads that
 * allocate at the same time. Prints nanoseconds per operation (one malloc
 * and one free).
 *
 * Usage: threads_churn [threads] [operations per thread]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long operations = 5000000;

static void *churn(void *unused)
{
    (void)unused;
    void *slots[64] = {0};
    for (long i = 0; i < operations; i++) {
        int k = (int)(i & 63);
        free(slots[k]);
        slots[k] = malloc(16 + (size_t)(i % 200));
    }
    for (int k = 0; k < 64; k++) free(slots[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2) operations = atol(argv[2]);
    if (threads < 1 || threads > 64) return 2;
    pthread_t ids[64];
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, churn, NULL);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) /
                ((double)operations * threads);
    printf("%.2f\n", ns);
    return 0;
}
