/*
 * twice.c - a broken allocator for testing the benchmark workloads' checks:
 * preloaded in front of glibc, it hands out the block it returned last once
 * more (while that block is still in use) on every 1000th malloc, so two
 * live blocks overlap. A workload that checks its data must notice.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static void *last;
static size_t last_size;
static long calls;

void *malloc(size_t n)
{
    if (!next_malloc) next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    if (++calls % 1000 == 0 && last && n <= last_size) return last;
    last = next_malloc(n);
    last_size = n;
    return last;
}

void free(void *p)
{
    if (!next_free) next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    if (p && p == last) last = NULL;
    next_free(p);
}
