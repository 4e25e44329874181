/*
 * malloc_free_loop.c - the cost of one malloc/free pair of a small block on
 * one thread: the hot path of every allocator. Prints nanoseconds per pair.
 *
 * Usage: malloc_free_loop [pairs] [size]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 20000000;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 32;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < pairs; i++) {
        void *volatile p = malloc(size);
        free(p);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / (double)pairs;
    printf("%.2f\n", ns);
    return 0;
}
