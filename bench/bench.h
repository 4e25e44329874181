/*
 * bench.h - what every workload of the benchmark suite shares: the scale,
 * a fast random generator, patterns that a block carries from malloc to free,
 * and the closing line.
 *
 * BENCH_SCALE (a positive number, 1 by default) multiplies the amount of
 * work, so that `BENCH_SCALE=0.01` is a smoke run of a fraction of a second.
 * A workload checks its data as it goes: a block is filled with a pattern
 * derived from a seed when it is allocated and the pattern is checked before
 * it is freed. A mismatch, an allocation that fails or a wrong alignment
 * prints "FAIL: ..." on stderr and exits with status 1. At the end a workload
 * prints "check: ok <name>" on stdout; with BENCH_WHERE=1 set it first prints
 * "heap: <mapping>", the /proc/self/maps path of the mapping that holds a
 * fresh 64-byte block, so a test can see which allocator served it.
 *
 * Time and memory are measured from outside (the runner's wall clock and
 * wait4), so the workloads print no timings except the few figures that wall
 * time cannot give, as "metric: <name> <value> <unit>".
 */
#ifndef BENCH_H
#define BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FN static __attribute__((unused))

#define BENCH_FAIL(...)                                                    \
    do {                                                                   \
        fprintf(stderr, "FAIL: %s:%d: ", __FILE__, __LINE__);              \
        fprintf(stderr, __VA_ARGS__);                                      \
        fputc('\n', stderr);                                               \
        fflush(stderr);                                                    \
        _exit(1);                                                          \
    } while (0)

/* The BENCH_SCALE factor; a bad value stops the workload. */
BENCH_FN double bench_scale(void)
{
    const char *s = getenv("BENCH_SCALE");
    if (!s || !*s) return 1.0;
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0) || v > 1000) BENCH_FAIL("BENCH_SCALE=%s is not a number in (0, 1000]", s);
    return v;
}

/* n times the scale, at least `floor`. */
BENCH_FN long bench_scaled(long n, long floor)
{
    double v = (double)n * bench_scale();
    return v < (double)floor ? floor : (long)v;
}

/* xorshift64*: a generator per thread, seeded explicitly, so runs repeat. */
typedef struct { uint64_t s; } bench_rng;

BENCH_FN bench_rng bench_rng_seed(uint64_t seed)
{
    bench_rng r = {seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull};
    if (!r.s) r.s = 1;
    return r;
}

BENCH_FN uint64_t bench_next(bench_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [lo, hi]. */
BENCH_FN size_t bench_between(bench_rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)(bench_next(r) % (uint64_t)(hi - lo + 1));
}

/* Log-uniform in [lo, hi]: as many blocks of 8-16 bytes as of 512-1024. */
BENCH_FN size_t bench_log_between(bench_rng *r, size_t lo, size_t hi)
{
    int lo_bits = 63 - __builtin_clzll(lo), hi_bits = 63 - __builtin_clzll(hi);
    int bits = lo_bits + (int)(bench_next(r) % (uint64_t)(hi_bits - lo_bits + 1));
    size_t base = (size_t)1 << bits;
    size_t n = base + (size_t)(bench_next(r) % base);
    return n < lo ? lo : n > hi ? hi : n;
}

/*
 * The pattern: byte i of a block with seed s. A block is covered in full up
 * to 64 bytes; above that its first and last 32 bytes and one byte in every
 * 4 KiB page are: enough to see blocks that overlap or were handed out twice,
 * while the work stays with the allocator, not with a memory sweep.
 */
static inline unsigned char bench_byte(uint32_t seed, size_t i)
{
    return (unsigned char)(seed ^ (i * 0x9Du) ^ (i >> 8));
}

#define BENCH_EDGE 32
#define BENCH_PAGE 4096

BENCH_FN void bench_fill(void *p, size_t n, uint32_t seed)
{
    unsigned char *b = (unsigned char *)p;
    if (n <= 2 * BENCH_EDGE) {
        for (size_t i = 0; i < n; i++) b[i] = bench_byte(seed, i);
        return;
    }
    for (size_t i = 0; i < BENCH_EDGE; i++) b[i] = bench_byte(seed, i);
    for (size_t i = BENCH_EDGE; i < n - BENCH_EDGE; i += BENCH_PAGE) b[i] = bench_byte(seed, i);
    for (size_t i = n - BENCH_EDGE; i < n; i++) b[i] = bench_byte(seed, i);
}

/* Returns the first offset whose byte differs from the pattern, or n. */
BENCH_FN size_t bench_mismatch(const void *p, size_t n, uint32_t seed)
{
    const unsigned char *b = (const unsigned char *)p;
    if (n <= 2 * BENCH_EDGE) {
        for (size_t i = 0; i < n; i++)
            if (b[i] != bench_byte(seed, i)) return i;
        return n;
    }
    for (size_t i = 0; i < BENCH_EDGE; i++)
        if (b[i] != bench_byte(seed, i)) return i;
    for (size_t i = BENCH_EDGE; i < n - BENCH_EDGE; i += BENCH_PAGE)
        if (b[i] != bench_byte(seed, i)) return i;
    for (size_t i = n - BENCH_EDGE; i < n; i++)
        if (b[i] != bench_byte(seed, i)) return i;
    return n;
}

/* Stops the workload unless the block still holds its pattern. */
BENCH_FN void bench_check(const void *p, size_t n, uint32_t seed, const char *what)
{
    size_t at = bench_mismatch(p, n, seed);
    if (at != n)
        BENCH_FAIL("%s: block %p of %zu bytes is corrupt at offset %zu (0x%02x, expected 0x%02x)", what, p, n, at,
                   ((const unsigned char *)p)[at], bench_byte(seed, at));
}

/* A block a workload holds: where, how large, and the seed of its pattern. */
struct bench_block { void *p; size_t n; uint32_t seed; };

/* Checks and frees the block, if there is one, and empties the slot. */
BENCH_FN void bench_release(struct bench_block *b, const char *what)
{
    if (!b->p) return;
    bench_check(b->p, b->n, b->seed, what);
    free(b->p);
    b->p = NULL;
}

/* bench_release on each of n blocks. */
BENCH_FN void bench_release_all(struct bench_block *blocks, long n, const char *what)
{
    for (long k = 0; k < n; k++) bench_release(&blocks[k], what);
}

/* malloc that stops the workload when it fails. */
BENCH_FN void *bench_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p) BENCH_FAIL("malloc(%zu) failed", n);
    return p;
}

BENCH_FN double bench_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Prints "heap: <path>" for the mapping that holds a fresh 64-byte block. */
BENCH_FN void bench_print_heap(void)
{
    static char maps[1 << 20];
    uintptr_t a = (uintptr_t)bench_malloc(64);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) BENCH_FAIL("cannot open /proc/self/maps");
    size_t len = 0;
    ssize_t got;
    while (len + 1 < sizeof maps && (got = read(fd, maps + len, sizeof maps - 1 - len)) > 0) len += (size_t)got;
    close(fd);
    maps[len] = 0;
    for (char *line = maps; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && a >= start && a < end) {
            /* Only the path holds a '/' or a '[' ("[heap]"). */
            const char *path = strpbrk(line, "/[");
            printf("heap: %s\n", path ? path : "(anonymous)");
            free((void *)a);
            return;
        }
        if (!nl) break;
        line = nl + 1;
    }
    BENCH_FAIL("a fresh block at %#lx lies in no mapping", (unsigned long)a);
}

/* The closing line; BENCH_WHERE=1 adds where the heap is. */
BENCH_FN void bench_done(const char *name)
{
    const char *where = getenv("BENCH_WHERE");
    if (where && *where == '1') bench_print_heap();
    printf("check: ok %s\n", name);
    fflush(stdout);
}

#endif /* BENCH_H */
