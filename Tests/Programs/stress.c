/*
 * stress.c - many threads allocate, fill, hand over, verify, realloc and free.
 * Usage: stress <threads> <operations per thread>
 * Blocks travel between threads through a mutex-protected queue, so most are
 * freed by a thread other than the one that allocated them.  Every block
 * carries a pattern derived from its seed; any overlap or corruption is found
 * when the receiving thread verifies it.  Prints "OK ops=<n>" on success.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <pthread.h>

struct block {
    size_t size;    /* bytes of payload after the header */
    unsigned seed;
    unsigned char payload[];
};

#define QCAP 1024
static struct block *queue[QCAP];
static size_t qhead, qlen;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static long ops_per_thread;
static int nthreads;
static volatile long total_ops;

static void fill_block(struct block *b)
{
    uint64_t *w = (uint64_t *)b->payload;
    size_t words = b->size / 8;
    uint64_t v = (uint64_t)b->seed * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < words; i++) w[i] = v + i;
    for (size_t i = words * 8; i < b->size; i++) b->payload[i] = (unsigned char)(b->seed + i);
}

static void verify_block(const struct block *b, size_t upto, const char *when)
{
    const uint64_t *w = (const uint64_t *)b->payload;
    size_t n = upto < b->size ? upto : b->size;
    size_t fullwords = b->size / 8;          /* words written as words by fill_block */
    size_t words = n / 8 < fullwords ? n / 8 : fullwords;
    uint64_t v = (uint64_t)b->seed * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < words; i++)
        if (w[i] != v + i) FAIL("%s: block %p (size %zu, seed %u) corrupted at word %zu", when, (void *)b, b->size, b->seed, i);
    for (size_t i = words * 8; i < n; i++) {
        unsigned char expected;
        if (i < fullwords * 8) {
            uint64_t word = v + i / 8;
            expected = (unsigned char)(word >> (8 * (i % 8)));   /* little endian */
        } else {
            expected = (unsigned char)(b->seed + i);
        }
        if (b->payload[i] != expected) FAIL("%s: block %p corrupted at byte %zu", when, (void *)b, i);
    }
}

static size_t random_size(unsigned *x)
{
    *x = *x * 1103515245u + 12345u;
    unsigned r = *x >> 4;
    unsigned kind = r % 1000;
    r /= 1000;
    if (kind < 850) return 8 + r % 256;                 /* small */
    if (kind < 990) return 256 + r % (64 * 1024);       /* up to 64 KiB */
    return 64 * 1024 + r % (1024 * 1024);               /* some up to 1 MiB */
}

static struct block *new_block(unsigned *x, unsigned seed)
{
    size_t size = random_size(x);
    struct block *b;
    errno = 4242;  /* a successful call leaves errno alone, also under contention */
    switch (seed % 4) {
    case 0: b = calloc(1, sizeof *b + size); break;
    case 1: {
        void *p = NULL;
        if (posix_memalign(&p, 64, sizeof *b + size)) p = NULL;
        b = p;
        break;
    }
    default: b = malloc(sizeof *b + size); break;
    }
    if (!b) FAIL("allocation of %zu bytes failed: %s", sizeof *b + size, strerror(errno));
    if (errno != 4242) FAIL("a successful allocation changed errno to %d", errno);
    if (((uintptr_t)b & 15) != 0) FAIL("block %p is not 16-byte aligned", (void *)b);
    if (!in_pool_fast(b)) check_in_pool(b, "stress block");
    b->size = size;
    b->seed = seed;
    fill_block(b);
    return b;
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned x = 0x1234567u + id * 7919u;
    struct block *local[64];
    int nlocal = 0;
    long ops = 0;
    for (long i = 0; i < ops_per_thread; i++) {
        unsigned seed = id * 100000000u + (unsigned)i;
        struct block *b = new_block(&x, seed);
        ops++;
        x = x * 1103515245u + 12345u;
        unsigned action = (x >> 8) % 10;
        if (action < 5) {
            /* hand it to another thread */
            pthread_mutex_lock(&qlock);
            if (qlen < QCAP) {
                queue[(qhead + qlen) % QCAP] = b;
                qlen++;
                b = NULL;
            }
            pthread_mutex_unlock(&qlock);
        } else if (action < 8 && nlocal < 64) {
            local[nlocal++] = b;
            b = NULL;
        }
        if (b) {
            verify_block(b, b->size, "own block");
            free(b);
            ops++;
        }
        /* take one from the queue */
        struct block *got = NULL;
        pthread_mutex_lock(&qlock);
        if (qlen > 0) {
            got = queue[qhead];
            qhead = (qhead + 1) % QCAP;
            qlen--;
        }
        pthread_mutex_unlock(&qlock);
        if (got) {
            verify_block(got, got->size, "received block");
            if ((x >> 20) % 4 == 0) {
                /* realloc it, keep the prefix, refill */
                size_t old = got->size;
                size_t nsize = random_size(&x);
                struct block *r = realloc(got, sizeof *r + nsize);
                if (!r) FAIL("realloc to %zu failed", nsize);
                if (!in_pool_fast(r)) check_in_pool(r, "realloc'ed block");
                verify_block(r, old < nsize ? old : nsize, "after realloc");
                r->size = nsize;
                fill_block(r);
                got = r;
                ops++;
            }
            errno = 4242;
            free(got);
            if (errno != 4242) FAIL("free changed errno to %d", errno);
            ops++;
        }
        /* sometimes release a local block */
        if (nlocal > 0 && (x >> 12) % 3 == 0) {
            struct block *l = local[--nlocal];
            verify_block(l, l->size, "local block");
            if (malloc_usable_size(l) < sizeof *l + l->size) FAIL("malloc_usable_size too small");
            free(l);
            ops++;
        }
    }
    while (nlocal > 0) {
        struct block *l = local[--nlocal];
        verify_block(l, l->size, "local block at end");
        free(l);
        ops++;
    }
    __atomic_add_fetch(&total_ops, ops, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) FAIL("usage: stress <threads> <ops per thread>");
    nthreads = atoi(argv[1]);
    ops_per_thread = atol(argv[2]);
    void *first = malloc(1);
    check_in_pool(first, "first malloc");
    pool_ranges_load();
    pthread_t t[64];
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i)) FAIL("pthread_create");
    for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
    while (qlen > 0) {
        struct block *b = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        verify_block(b, b->size, "queued block at end");
        free(b);
    }
    free(first);
    printf("OK ops=%ld\n", total_ops);
    return 0;
}
