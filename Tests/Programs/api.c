/*
 * api.c - the malloc API of glibc, as seen by a program under libvmmalloc.
 * Usage: api <case>; prints "OK <case>" and exits 0 when every check holds,
 * otherwise prints "FAIL: ..." on stderr and exits 1.
 */
#include "poolcheck.h"
#include <dlfcn.h>
#include <malloc.h>

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static void check_aligned(const void *p, size_t alignment, const char *what)
{
    CHECKF(((uintptr_t)p & (alignment - 1)) == 0, "%s: %p is not %zu-byte aligned", what, p, alignment);
}

/* malloc(0): unique, non-NULL, freeable; and freeing them really frees. */
static void case_malloc0(void)
{
    enum { N = 1000 };
    static void *ptrs[N];
    for (int i = 0; i < N; i++) {
        ptrs[i] = malloc(0);
        CHECKF(ptrs[i] != NULL, "malloc(0) #%d returned NULL", i);
        for (int j = 0; j < i; j++) CHECKF(ptrs[i] != ptrs[j], "malloc(0) returned %p twice", ptrs[i]);
    }
    check_in_pool(ptrs[0], "malloc(0)");
    for (int i = 0; i < N; i++) free(ptrs[i]);
    /* 2 million malloc(0)+free must not use up a 16 MiB pool. */
    for (int i = 0; i < 2000000; i++) {
        void *p = malloc(0);
        CHECKF(p != NULL, "malloc(0) returned NULL after %d malloc(0)/free pairs", i);
        free(p);
    }
}

/* calloc zeroes, also memory that was dirtied and freed before. */
static void case_calloc(void)
{
    static const size_t sizes[] = {1, 8, 24, 64, 100, 1000, 4096, 10000, 65536, 200000, 1 * MiB, 3 * MiB};
    enum { NS = sizeof sizes / sizeof sizes[0], ROUNDS = 4, PER = 8 };
    for (int round = 0; round < ROUNDS; round++) {
        for (int s = 0; s < NS; s++) {
            unsigned char *blocks[PER];
            for (int k = 0; k < PER; k++) {
                blocks[k] = calloc(1, sizes[s]);
                CHECKF(blocks[k] != NULL, "calloc(1, %zu) returned NULL", sizes[s]);
                check_in_pool(blocks[k], "calloc");
                for (size_t i = 0; i < sizes[s]; i++)
                    CHECKF(blocks[k][i] == 0, "round %d: calloc(1, %zu) byte %zu is 0x%02x, not zero", round,
                           sizes[s], i, blocks[k][i]);
            }
            /* Dirty them all, then free: the next round reuses this memory. */
            for (int k = 0; k < PER; k++) {
                memset(blocks[k], 0xAA, malloc_usable_size(blocks[k]));
                free(blocks[k]);
            }
        }
    }
    /* calloc(n, size) with n > 1 */
    unsigned *a = calloc(12345, sizeof(unsigned));
    CHECK(a != NULL);
    for (size_t i = 0; i < 12345; i++) CHECKF(a[i] == 0, "calloc(12345, 4) element %zu is %u", i, a[i]);
    free(a);
    /* calloc(0, x) and calloc(x, 0) are like malloc(0). */
    void *z1 = calloc(0, 16), *z2 = calloc(16, 0);
    CHECK(z1 != NULL && z2 != NULL && z1 != z2);
    free(z1);
    free(z2);
}

/* realloc: NULL is malloc, 0 frees, contents kept growing and shrinking. */
static void case_realloc(void)
{
    char *p = realloc(NULL, 100);
    CHECKF(p != NULL, "realloc(NULL, 100) returned NULL");
    check_in_pool(p, "realloc(NULL, 100)");
    fill_pattern(p, 100, 1);
    static const size_t chain[] = {100, 1000, 50, 70000, 3 * MiB, 5, 200000, 40, 4 * MiB, 1, 33};
    size_t prev = 100;
    for (size_t i = 1; i < sizeof chain / sizeof chain[0]; i++) {
        size_t n = chain[i];
        size_t kept = prev < n ? prev : n;
        char *q = realloc(p, n);
        CHECKF(q != NULL, "realloc(%p, %zu) returned NULL", (void *)p, n);
        check_in_pool(q, "realloc result");
        CHECKF(check_pattern(q, kept, (unsigned)i), "realloc from %zu to %zu bytes lost the first %zu bytes", prev, n,
               kept);
        fill_pattern(q, n, (unsigned)i + 1);
        p = q;
        prev = n;
    }
    /* realloc(p, 0) frees and returns NULL, as glibc does. */
    void *r = realloc(p, 0);
    CHECKF(r == NULL, "realloc(p, 0) returned %p, expected NULL (glibc frees and returns NULL)", r);
    /* ... and it really frees: 100000 x 4 KiB would never fit in 16 MiB. */
    for (int i = 0; i < 100000; i++) {
        void *b = malloc(4096);
        CHECKF(b != NULL, "malloc(4096) failed after %d malloc/realloc(p,0) pairs: realloc(p, 0) leaks", i);
        memset(b, i, 4096);
        CHECKF(realloc(b, 0) == NULL, "realloc(p, 0) did not return NULL");
    }
    /* Shrinking in place and growing many small blocks keeps neighbours intact. */
    enum { N = 500 };
    static char *blocks[N];
    static size_t sizes[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = 16 + (size_t)(i * 37) % 300;
        blocks[i] = malloc(sizes[i]);
        CHECK(blocks[i] != NULL);
        fill_pattern(blocks[i], sizes[i], 1000u + (unsigned)i);
    }
    for (int i = 0; i < N; i += 2) {
        size_t n = (i % 4 == 0) ? sizes[i] * 3 + 100 : sizes[i] / 2 + 1;
        char *q = realloc(blocks[i], n);
        CHECK(q != NULL);
        size_t kept = n < sizes[i] ? n : sizes[i];
        CHECKF(check_pattern(q, kept, 1000u + (unsigned)i), "realloc of block %d lost its contents", i);
        fill_pattern(q, n, 1000u + (unsigned)i);
        blocks[i] = q;
        sizes[i] = n;
    }
    for (int i = 0; i < N; i++) {
        CHECKF(check_pattern(blocks[i], sizes[i], 1000u + (unsigned)i), "block %d was overwritten by a realloc", i);
        free(blocks[i]);
    }
}

/* posix_memalign: bad alignments give EINVAL and leave *memptr alone. */
/* realloc grows a large block in place: into the free space behind it, and
 * into a freed neighbour; shrinking a large block never moves it. A small
 * block that grows moves to the size of its new class, contents and all. */
static void case_realloc_in_place(void)
{
    char *a = malloc(1u << 20);
    CHECK(a != NULL);
    memset(a, 7, 1u << 20);
    char *grown = realloc(a, 8u << 20);
    CHECKF(grown == a, "the last block did not grow in place (%p -> %p)", (void *)a, (void *)grown);
    for (size_t i = 0; i < (1u << 20); i += 4099) CHECKF(grown[i] == 7, "byte %zu lost", i);

    char *c = malloc(256u << 10), *d = malloc(1u << 20), *e = malloc(256u << 10);
    CHECK(c && d && e);
    memset(c, 9, 256u << 10);
    free(d);
    char *c2 = realloc(c, 1u << 20);
    CHECKF(c2 == c, "the block did not grow into its freed neighbour (%p -> %p)", (void *)c, (void *)c2);
    for (size_t i = 0; i < (256u << 10); i += 4099) CHECKF(c2[i] == 9, "byte %zu lost", i);
    char *c3 = realloc(c2, 200u << 10);
    CHECKF(c3 == c2, "shrinking moved the block");
    for (size_t i = 0; i < (200u << 10); i += 4099) CHECKF(c3[i] == 9, "byte %zu lost after shrinking", i);

    char *s = malloc(100);
    CHECK(s != NULL);
    memset(s, 5, 100);
    char *s2 = realloc(s, 5000);
    CHECK(s2 != NULL);
    for (int i = 0; i < 100; i++) CHECKF(s2[i] == 5, "small block byte %d lost", i);
    CHECKF(malloc_usable_size(s2) >= 5000, "grown small block is only %zu bytes", malloc_usable_size(s2));
    free(s2);
    free(c3);
    free(e);
    free(grown);
}

static void case_posix_memalign_einval(void)
{
    static const size_t bad[] = {0, 1, 2, 3, 4, sizeof(void *) + 4, 24, 48, 100, 4097, (size_t)-1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *sentinel = (void *)(uintptr_t)0x5a5a5a5a;
        void *p = sentinel;
        int rc = posix_memalign(&p, bad[i], 64);
        CHECKF(rc == EINVAL, "posix_memalign(alignment %zu) returned %d, expected EINVAL (%d)", bad[i], rc, EINVAL);
        CHECKF(p == sentinel, "posix_memalign(alignment %zu) changed *memptr to %p on failure", bad[i], p);
    }
}

typedef void *(*alloc_fn)(size_t alignment, size_t size, const char *name);
static void *via_posix_memalign(size_t a, size_t n, const char *name)
{
    void *p = (void *)1;
    int rc = posix_memalign(&p, a, n);
    CHECKF(rc == 0, "%s(%zu, %zu) returned %d", name, a, n, rc);
    return p;
}
static void *via_memalign(size_t a, size_t n, const char *name)
{
    void *p = memalign(a, n);
    CHECKF(p != NULL, "%s(%zu, %zu) returned NULL: %s", name, a, n, strerror(errno));
    return p;
}
static void *via_aligned_alloc(size_t a, size_t n, const char *name)
{
    void *p = aligned_alloc(a, n);
    CHECKF(p != NULL, "%s(%zu, %zu) returned NULL: %s", name, a, n, strerror(errno));
    return p;
}

/* Every power of two from 8 to 64 MiB, with each function (256 MiB pool). */
static void case_alignments(void)
{
    struct { alloc_fn fn; const char *name; } fns[] = {
        {via_posix_memalign, "posix_memalign"}, {via_memalign, "memalign"}, {via_aligned_alloc, "aligned_alloc"}};
    for (int f = 0; f < 3; f++) {
        for (size_t a = 8; a <= 64 * MiB; a *= 2) {
            /* A small block first, so the big one cannot simply start the pool. */
            void *filler = malloc(24);
            CHECK(filler != NULL);
            void *small = fns[f].fn(a, 1, fns[f].name);
            void *big = fns[f].fn(a, a + 10, fns[f].name);
            check_aligned(small, a, fns[f].name);
            check_aligned(big, a, fns[f].name);
            check_in_pool(small, fns[f].name);
            check_in_pool(big, fns[f].name);
            CHECKF(malloc_usable_size(big) >= a + 10, "%s(%zu, %zu): usable size %zu", fns[f].name, a, a + 10,
                   malloc_usable_size(big));
            memset(small, 0x11, 1);
            memset(big, 0x22, a + 10);
            CHECKF(*(unsigned char *)small == 0x11, "%s: the small block was overwritten", fns[f].name);
            free(small);
            free(big);
            free(filler);
        }
    }
}

/* memalign(1 GiB) in a 4 GiB pool. */
static void case_memalign_huge(void)
{
    char *p = memalign(GiB, 10 * MiB);
    CHECKF(p != NULL, "memalign(1 GiB, 10 MiB) returned NULL: %s", strerror(errno));
    check_aligned(p, GiB, "memalign(1 GiB)");
    check_in_pool(p, "memalign(1 GiB)");
    p[0] = 1;
    p[10 * MiB - 1] = 2;
    char *q = memalign(GiB, 1);
    CHECKF(q != NULL, "a second memalign(1 GiB, 1) returned NULL: %s", strerror(errno));
    check_aligned(q, GiB, "second memalign(1 GiB)");
    CHECK(q != p);
    free(p);
    free(q);
}

/* Alignments that are powers of two but far beyond any pool, up to 2^63 (a
 * size_t beyond PTRDIFF_MAX): valid, so ENOMEM, as in glibc, never EINVAL.
 * memalign refuses only what it cannot round up (beyond SIZE_MAX / 2 + 1). */
static void case_alignment_beyond_pool(void)
{
    static const int shifts[] = {40, 62, 63};
    for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++) {
        size_t a = (size_t)1 << shifts[i];
        void *p = (void *)1;
        int rc = posix_memalign(&p, a, 64);
        CHECKF(rc == ENOMEM, "posix_memalign(2^%d, 64) returned %d, expected ENOMEM (%d)", shifts[i], rc, ENOMEM);
        CHECKF(p == (void *)1, "posix_memalign(2^%d, 64) changed *memptr on failure", shifts[i]);
        errno = 0;
        p = aligned_alloc(a, 64);
        CHECKF(p == NULL && errno == ENOMEM, "aligned_alloc(2^%d, 64): %p, errno %d, expected NULL and ENOMEM",
               shifts[i], p, errno);
        errno = 0;
        p = memalign(a, 64);
        CHECKF(p == NULL && errno == ENOMEM, "memalign(2^%d, 64): %p, errno %d, expected NULL and ENOMEM",
               shifts[i], p, errno);
        errno = 0;
        p = memalign(a + 1, 64);
        int expected = shifts[i] == 63 ? EINVAL : ENOMEM;
        CHECKF(p == NULL && errno == expected, "memalign(2^%d + 1, 64): %p, errno %d, expected NULL and %d",
               shifts[i], p, errno, expected);
    }
    /* The heap goes on. */
    void *q = malloc(100);
    CHECK(q != NULL);
    free(q);
}

/* aligned_alloc with an alignment that is not a power of two: NULL, EINVAL. */
static void case_aligned_alloc_einval(void)
{
    static const size_t bad[] = {0, 3, 24, 48, 100, 4097};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        void *p = aligned_alloc(bad[i], 96);
        int e = errno;
        CHECKF(p == NULL, "aligned_alloc(%zu, 96) returned %p, expected NULL", bad[i], p);
        CHECKF(e == EINVAL, "aligned_alloc(%zu, 96) set errno to %d (%s), expected EINVAL", bad[i], e, strerror(e));
    }
}

static void case_valloc(void)
{
    size_t ps = page_size();
    static const size_t sizes[] = {1, 100, 4096, 4097, 100000, 3 * MiB};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *a = malloc(40); /* something in between */
        char *p = valloc(sizes[i]);
        CHECKF(p != NULL, "valloc(%zu) returned NULL", sizes[i]);
        check_aligned(p, ps, "valloc");
        check_in_pool(p, "valloc");
        memset(p, 0x33, sizes[i]);
        free(p);
        free(a);
    }
}

static void case_pvalloc(void)
{
    size_t ps = page_size();
    static const size_t sizes[] = {1, 100, 4096, 4097, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *a = malloc(40);
        char *p = pvalloc(sizes[i]);
        CHECKF(p != NULL, "pvalloc(%zu) returned NULL", sizes[i]);
        check_aligned(p, ps, "pvalloc");
        check_in_pool(p, "pvalloc");
        size_t rounded = (sizes[i] + ps - 1) / ps * ps;
        CHECKF(malloc_usable_size(p) >= rounded, "malloc_usable_size(pvalloc(%zu)) = %zu, less than %zu",
               sizes[i], malloc_usable_size(p), rounded);
        memset(p, 0x44, rounded); /* pvalloc rounds up to whole pages */
        free(p);
        free(a);
    }
}

/* malloc_usable_size: 0 for NULL, >= request, and all of it is usable. */
static void case_usable_size(void)
{
    CHECKF(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) = %zu", malloc_usable_size(NULL));
    enum { N = 3000 };
    static unsigned char *blocks[N];
    static size_t usable[N];
    for (int i = 0; i < N; i++) {
        size_t n = (i % 100 == 99) ? (size_t)i * 1000 : (size_t)(i % 700);
        blocks[i] = malloc(n);
        CHECK(blocks[i] != NULL);
        usable[i] = malloc_usable_size(blocks[i]);
        CHECKF(usable[i] >= n, "malloc_usable_size = %zu for malloc(%zu)", usable[i], n);
        memset(blocks[i], (unsigned char)i, usable[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < usable[i]; k++)
            CHECKF(blocks[i][k] == (unsigned char)i,
                   "block %d byte %zu of %zu usable was overwritten: writing the usable size of a neighbour "
                   "corrupted it", i, k, usable[i]);
    for (int i = 0; i < N; i++) free(blocks[i]);
    /* also for realloc'ed and calloc'ed blocks */
    unsigned char *c = calloc(3, 333);
    CHECK(c && malloc_usable_size(c) >= 999);
    c = realloc(c, 5000);
    CHECK(c && malloc_usable_size(c) >= 5000);
    free(c);
}

/* cfree frees (looked up at run time: glibc 2.26+ cannot link against cfree). */
static void case_cfree(void)
{
    void (*cf)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "cfree");
    CHECKF(cf != NULL, "cfree is not defined: %s", dlerror());
    Dl_info info;
    CHECKF(dladdr((void *)cf, &info) && info.dli_fname && strstr(info.dli_fname, "libvmmalloc"),
           "cfree resolves to %s, not libvmmalloc", info.dli_fname ? info.dli_fname : "?");
    for (int i = 0; i < 100000; i++) {
        void *p = malloc(2000);
        CHECKF(p != NULL, "malloc(2000) failed after %d malloc/cfree pairs: cfree does not free", i);
        if (i == 0) check_in_pool(p, "malloc before cfree");
        memset(p, 1, 2000);
        cf(p);
    }
    cf(NULL);
}

/* free(NULL) is a no-op; freeing really frees. */
static void case_free(void)
{
    errno = 4321;
    free(NULL);
    CHECKF(errno == 4321, "free(NULL) changed errno to %d", errno);
    for (int i = 0; i < 200000; i++) {
        void *p = malloc(1000 + (size_t)(i % 3000));
        CHECKF(p != NULL, "malloc failed after %d malloc/free pairs: free does not free", i);
        free(NULL);
        free(p);
    }
}

/* errno is left alone by successful calls. */
static void case_errno(void)
{
#define KEEPS_ERRNO(expr)                                                                                          \
    do {                                                                                                           \
        errno = 1234;                                                                                              \
        expr;                                                                                                      \
        CHECKF(errno == 1234, "`%s` succeeded but changed errno from 1234 to %d", #expr, errno);                   \
    } while (0)
    void *a, *b, *c, *d, *e, *f, *g, *h;
    size_t us;
    int rc;
    for (int round = 0; round < 3; round++) {
        KEEPS_ERRNO(a = malloc(10));
        KEEPS_ERRNO(b = calloc(10, 10));
        KEEPS_ERRNO(a = realloc(a, 100000));
        KEEPS_ERRNO(rc = posix_memalign(&c, 256, 100));
        CHECK(rc == 0);
        KEEPS_ERRNO(d = aligned_alloc(64, 128));
        KEEPS_ERRNO(e = memalign(4096, 10));
        KEEPS_ERRNO(f = valloc(10));
        KEEPS_ERRNO(g = pvalloc(10));
        KEEPS_ERRNO(h = malloc(5 * MiB));
        CHECK(a && b && c && d && e && f && g && h);
        KEEPS_ERRNO(us = malloc_usable_size(a));
        CHECK(us >= 100000);
        KEEPS_ERRNO(h = realloc(h, 10));
        KEEPS_ERRNO(free(a));
        KEEPS_ERRNO(free(b));
        KEEPS_ERRNO(free(c));
        KEEPS_ERRNO(free(d));
        KEEPS_ERRNO(free(e));
        KEEPS_ERRNO(free(f));
        KEEPS_ERRNO(free(g));
        KEEPS_ERRNO(free(h));
        KEEPS_ERRNO(free(NULL));
    }
}

/* Every result is 16-byte aligned (max_align_t) and in the pool. */
static void case_alignment16(void)
{
    enum { N = 4000 };
    static void *ptrs[N];
    for (int i = 0; i < N; i++) {
        size_t n = (i < 2000) ? (size_t)i + 1 : (size_t)(i * 131) % 20000 + 1;
        switch (i % 3) {
        case 0: ptrs[i] = malloc(n); break;
        case 1: ptrs[i] = calloc(1, n); break;
        default: ptrs[i] = realloc(malloc(n / 2 + 1), n); break;
        }
        CHECKF(ptrs[i] != NULL, "allocation %d of %zu bytes returned NULL", i, n);
        CHECKF(((uintptr_t)ptrs[i] & 15) == 0, "allocation %d of %zu bytes returned %p, not 16-byte aligned", i, n,
               ptrs[i]);
    }
    pool_ranges_load();
    for (int i = 0; i < N; i++)
        if (!in_pool_fast(ptrs[i])) check_in_pool(ptrs[i], "allocation");
    for (int i = 0; i < N; i++) free(ptrs[i]);
}

/* Allocations made inside libc (strdup, stdio, getline) are pool memory too. */
static void case_libc_internal(void)
{
    char *s = strdup("some text");
    CHECK(s != NULL);
    check_in_pool(s, "strdup");
    char *t = NULL;
    CHECK(asprintf(&t, "%d-%s", 42, s) > 0);
    check_in_pool(t, "asprintf");
    FILE *fp = fopen("/proc/self/status", "r");
    CHECK(fp != NULL);
    check_in_pool(fp, "fopen's FILE");
    char *line = NULL;
    size_t cap = 0;
    CHECK(getline(&line, &cap, fp) > 0);
    check_in_pool(line, "getline's buffer");
    fclose(fp);
    free(line);
    free(t);
    free(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) FAIL("usage: api <case>");
    struct { const char *name; void (*fn)(void); } cases[] = {
        {"malloc0", case_malloc0},
        {"calloc", case_calloc},
        {"realloc", case_realloc},
        {"realloc_in_place", case_realloc_in_place},
        {"posix_memalign_einval", case_posix_memalign_einval},
        {"alignments", case_alignments},
        {"memalign_huge", case_memalign_huge},
        {"alignment_beyond_pool", case_alignment_beyond_pool},
        {"aligned_alloc_einval", case_aligned_alloc_einval},
        {"valloc", case_valloc},
        {"pvalloc", case_pvalloc},
        {"usable_size", case_usable_size},
        {"cfree", case_cfree},
        {"free", case_free},
        {"errno", case_errno},
        {"alignment16", case_alignment16},
        {"libc_internal", case_libc_internal},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            printf("OK %s\n", argv[1]);
            return 0;
        }
    }
    FAIL("unknown case %s", argv[1]);
}
