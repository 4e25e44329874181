/*
 * exhaust.c - running out of pool.  Usage: exhaust <case> <pool bytes>
 * Prints "OK <case>" (and some numbers) when every check holds.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>

#define MiB ((size_t)1 << 20)

static size_t pool_bytes;
/* The least share of the pool that blocks of one size must fill (0.5 unless the case says). */
static double least_fill = 0.5;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pointer array outside the pool (an anonymous mapping), so it cannot interfere. */
static void **ptr_array(size_t n)
{
    void *a = mmap(NULL, n * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) FAIL("mmap: %s", strerror(errno));
    return (void **)a;
}

/* malloc(size) until NULL; returns the count; checks errno and that the total fits the pool. */
static size_t fill(void **ptrs, size_t max, size_t size, const char *round)
{
    size_t n = 0;
    for (;;) {
        errno = 0;
        void *p = malloc(size);
        if (!p) {
            CHECKF(errno == ENOMEM, "%s: malloc(%zu) returned NULL with errno %d (%s), expected ENOMEM", round, size,
                   errno, strerror(errno));
            break;
        }
        CHECKF(n < max, "%s: %zu blocks of %zu bytes allocated from a pool of %zu bytes", round, n, size, pool_bytes);
        if (n == 0) check_in_pool(p, "first block");
        memset(p, (int)(n & 0xff), size < 64 ? size : 64);
        ptrs[n++] = p;
    }
    CHECKF((double)n * (double)size <= (double)pool_bytes,
           "%s: %zu blocks of %zu bytes = %zu bytes, more than the pool of %zu bytes", round, n, size, n * size,
           pool_bytes);
    CHECKF((double)n * (double)size >= least_fill * (double)pool_bytes,
           "%s: only %zu blocks of %zu bytes (%zu bytes) fit in a pool of %zu bytes, less than %.0f%% of it", round, n,
           size, n * size, pool_bytes, least_fill * 100);
    return n;
}

/* Fill the pool, keep working, free all, fill again: about the same count. */
static void case_loop(size_t size)
{
    size_t max = pool_bytes / size + 1;
    void **ptrs = ptr_array(max);
    size_t first = fill(ptrs, max, size, "round 1");
    /* The program goes on: the data is intact, small frees and mallocs work. */
    for (size_t i = 0; i < first; i++)
        CHECKF(*(unsigned char *)ptrs[i] == (unsigned char)(i & 0xff), "block %zu was overwritten", i);
    free(ptrs[first - 1]);
    free(ptrs[first - 2]);
    void *again = malloc(size);
    CHECKF(again != NULL, "malloc(%zu) after freeing two blocks of that size returned NULL", size);
    ptrs[first - 2] = again;
    first -= 1;
    for (size_t i = 0; i < first; i++) free(ptrs[i]);
    size_t second = fill(ptrs, max, size, "round 2");
    for (size_t i = 0; i < second; i++) free(ptrs[i]);
    size_t third = fill(ptrs, max, size, "round 3");
    for (size_t i = 0; i < third; i++) free(ptrs[i]);
    printf("size=%zu first=%zu second=%zu third=%zu\n", size, first + 1, second, third);
    CHECKF(second * 10 >= (first + 1) * 9 && third * 10 >= (first + 1) * 9,
           "after freeing everything only %zu and %zu blocks fit again, first time %zu", second, third, first + 1);
}

/* Mixed sizes until NULL, free every other block, and fill again. */
static void case_mixed(void)
{
    size_t max = pool_bytes / 16 + 1;
    void **ptrs = ptr_array(max);
    size_t *sizes = (size_t *)ptr_array(max);
    size_t n = 0, total = 0;
    unsigned x = 12345;
    for (;;) {
        x = x * 1103515245u + 12345u;
        size_t size = 16 + (x >> 8) % ((x & 1) ? 200 : 100000);
        void *p = malloc(size);
        if (!p) {
            CHECKF(errno == ENOMEM, "malloc(%zu) returned NULL with errno %d, expected ENOMEM", size, errno);
            /* a few more small requests may still fit; stop after a streak of failures */
            static int failures;
            if (++failures > 50) break;
            continue;
        }
        CHECKF(n < max, "more blocks than could fit");
        fill_pattern(p, size, (unsigned)n);
        ptrs[n] = p;
        sizes[n] = size;
        total += size;
        n++;
    }
    CHECKF(total <= pool_bytes, "%zu bytes allocated from a %zu-byte pool", total, pool_bytes);
    for (size_t i = 0; i < n; i += 2) free(ptrs[i]);
    for (size_t i = 1; i < n; i += 2)
        CHECKF(check_pattern(ptrs[i], sizes[i], (unsigned)i), "block %zu was overwritten", i);
    size_t refill = 0;
    for (size_t i = 0; i < n; i += 2) {
        ptrs[i] = malloc(sizes[i]);
        if (ptrs[i]) refill++;
    }
    CHECKF(refill * 10 >= (n / 2) * 9, "only %zu of %zu freed blocks could be allocated again", refill, n / 2);
    for (size_t i = 0; i < n; i++) free(ptrs[i]);
    printf("mixed blocks=%zu bytes=%zu refill=%zu\n", n, total, refill);
}

/* Each failed expectation is reported; the case fails at its end, so one run shows them all. */
static int soft_failures;
#define SOFT_CHECK(cond, ...)                                                                                    \
    do {                                                                                                         \
        if (!(cond)) {                                                                                           \
            fprintf(stderr, "FAIL: %s:%d: ", __FILE__, __LINE__);                                                \
            fprintf(stderr, __VA_ARGS__);                                                                        \
            fputc('\n', stderr);                                                                                 \
            soft_failures++;                                                                                     \
        }                                                                                                        \
    } while (0)

#define EXPECT_NOMEM(expr)                                                                                       \
    do {                                                                                                         \
        errno = 0;                                                                                               \
        double t0 = now();                                                                                       \
        void *r_ = (expr);                                                                                       \
        int e_ = errno;                                                                                          \
        double dt_ = now() - t0;                                                                                 \
        SOFT_CHECK(r_ == NULL, "`%s` returned %p (in pool: %d), expected NULL", #expr, r_, r_ ? in_pool(r_) : 0); \
        SOFT_CHECK(r_ != NULL || e_ == ENOMEM, "`%s` set errno %d (%s), expected ENOMEM", #expr, e_,            \
                   strerror(e_));                                                                                \
        SOFT_CHECK(dt_ < 2.0, "`%s` took %.2f s to fail", #expr, dt_);                                           \
    } while (0)

/* Sizes go through a volatile, so the compiler cannot reason about them. */
static size_t V(size_t x)
{
    volatile size_t v = x;
    return v;
}

/* Requests that can never fit fail at once with ENOMEM. */
static void case_huge(void)
{
    EXPECT_NOMEM(malloc(V(SIZE_MAX)));
    EXPECT_NOMEM(malloc(V(SIZE_MAX - 15)));
    EXPECT_NOMEM(malloc(V(SIZE_MAX - 4096)));
    EXPECT_NOMEM(malloc(V(SIZE_MAX / 2)));
    EXPECT_NOMEM(malloc(V(pool_bytes + 1)));
    EXPECT_NOMEM(malloc(V(pool_bytes)));
    EXPECT_NOMEM(calloc(V(SIZE_MAX / 2), V(4)));                    /* overflows */
    EXPECT_NOMEM(calloc(V((size_t)1 << 33), V((size_t)1 << 33)));   /* overflows */
    EXPECT_NOMEM(calloc(V(1), V(SIZE_MAX)));
    EXPECT_NOMEM(calloc(V(1), V(pool_bytes + 1)));
    EXPECT_NOMEM(aligned_alloc(V(64), V(SIZE_MAX / 2)));
    EXPECT_NOMEM(aligned_alloc(V(64), V(SIZE_MAX - 10)));
    EXPECT_NOMEM(memalign(V(4096), V(pool_bytes + 1)));
    EXPECT_NOMEM(memalign(V(4096), V(SIZE_MAX - 10)));
    EXPECT_NOMEM(valloc(V(SIZE_MAX / 2)));
    EXPECT_NOMEM(valloc(V(SIZE_MAX - 10)));
    EXPECT_NOMEM(pvalloc(V(SIZE_MAX - 100)));     /* rounding up to a page overflows */
    EXPECT_NOMEM(pvalloc(V(pool_bytes + 1)));
    EXPECT_NOMEM(realloc(NULL, V(SIZE_MAX / 2)));
    EXPECT_NOMEM(realloc(NULL, V(SIZE_MAX)));
    void *p = (void *)1;
    int rc = posix_memalign(&p, 64, V(pool_bytes + 1));
    SOFT_CHECK(rc == ENOMEM, "posix_memalign(64, pool+1) returned %d, expected ENOMEM", rc);
    rc = posix_memalign(&p, 64, V(SIZE_MAX / 2));
    SOFT_CHECK(rc == ENOMEM, "posix_memalign(64, SIZE_MAX/2) returned %d, expected ENOMEM", rc);
    rc = posix_memalign(&p, 64, V(SIZE_MAX - 10));
    SOFT_CHECK(rc == ENOMEM, "posix_memalign(64, SIZE_MAX-10) returned %d, expected ENOMEM", rc);
    /* and the pool still works */
    void *q = malloc(1000);
    CHECKF(q != NULL, "malloc(1000) after the failures returned NULL");
    check_in_pool(q, "malloc after failures");
    free(q);
    if (soft_failures) FAIL("%d of the checks above failed", soft_failures);
}

/* realloc that cannot grow returns NULL and leaves the old block intact. */
static void case_realloc_fail(void)
{
    char *p = malloc(1000);
    CHECK(p != NULL);
    fill_pattern(p, 1000, 7);
    errno = 0;
    char *q = realloc(p, pool_bytes * 2);
    CHECKF(q == NULL, "realloc to twice the pool size returned %p", (void *)q);
    CHECKF(errno == ENOMEM, "failed realloc set errno %d, expected ENOMEM", errno);
    CHECKF(check_pattern(p, 1000, 7), "failed realloc changed the old block");
    q = realloc(p, V(SIZE_MAX / 2));
    CHECKF(q == NULL, "realloc(p, SIZE_MAX/2) returned %p", (void *)q);
    q = realloc(p, V(SIZE_MAX));
    CHECKF(q == NULL, "realloc(p, SIZE_MAX) returned %p", (void *)q);
    CHECKF(check_pattern(p, 1000, 7), "failed realloc changed the old block");

    /* Fill the pool with 64 KiB blocks, then grow p beyond what is left. */
    size_t max = pool_bytes / 65536 + 1;
    void **ptrs = ptr_array(max);
    size_t n = 0;
    while ((ptrs[n] = malloc(65536)) != NULL) n++;
    errno = 0;
    q = realloc(p, 4 * MiB);
    CHECKF(q == NULL, "realloc(p, 4 MiB) in a full pool returned %p", (void *)q);
    CHECKF(errno == ENOMEM, "failed realloc set errno %d, expected ENOMEM", errno);
    CHECKF(check_pattern(p, 1000, 7), "failed realloc in a full pool changed the old block");
    /* shrinking still works and keeps the contents */
    q = realloc(p, 100);
    CHECKF(q != NULL, "shrinking realloc in a full pool returned NULL");
    CHECKF(check_pattern(q, 100, 7), "shrinking realloc lost the contents");
    free(q);
    for (size_t i = 0; i < n; i++) free(ptrs[i]);
    q = malloc(4 * MiB);
    CHECKF(q != NULL, "malloc(4 MiB) after freeing everything returned NULL");
    free(q);
}

int main(int argc, char **argv)
{
    if (argc != 3) FAIL("usage: exhaust <case> <pool bytes>");
    pool_bytes = strtoull(argv[2], NULL, 10);
    if (!strcmp(argv[1], "loop1k")) case_loop(1024);
    /* Sizes just above a power of two, between 8 and 64 KiB: blocks are rounded up by less than an eighth. */
    else if (!strcmp(argv[1], "loop9k")) least_fill = 0.8, case_loop(9000);
    else if (!strcmp(argv[1], "loop17k")) least_fill = 0.8, case_loop(17000);
    else if (!strcmp(argv[1], "loop64")) case_loop(64);
    else if (!strcmp(argv[1], "loop1m")) case_loop(MiB);
    else if (!strcmp(argv[1], "mixed")) case_mixed();
    else if (!strcmp(argv[1], "huge")) case_huge();
    else if (!strcmp(argv[1], "realloc_fail")) case_realloc_fail();
    else FAIL("unknown case %s", argv[1]);
    printf("OK %s\n", argv[1]);
    return 0;
}
