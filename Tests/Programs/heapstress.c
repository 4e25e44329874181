/*
 * heapstress.c - the paths of the per-thread heap that single-threaded
 * programs never take, checked from the outside:
 *
 *   remote    producers allocate, consumers on other threads check and free
 *   handover  20000 short threads leave blocks behind for main to free; the
 *             pool file must not grow with the number of threads
 *   forkload  fork repeatedly while two threads allocate; each child allocates
 *             on its main thread and on two new threads, which take over the
 *             heaps of the threads fork left behind
 *   giveback  after freeing everything, the pool file shrinks below 10% of its
 *             peak within a second of further allocation
 *   lifo      a block just freed is the next one of its size handed out (it
 *             is still in the cache), whichever page it is in; blocks freed
 *             into one page come back last in, first out
 *   reuse     the same across threads: a block another thread allocated is,
 *             once freed here, the next one of its size handed out here
 *   idle      a thread allocates 40 MiB of small blocks in a 64 MiB pool and
 *             then waits without allocating; once the blocks are freed (by
 *             the thread itself, then by main), main gets the space back as
 *             large blocks, twice
 *   crowded   four threads in a pool too small for them, for 4 seconds:
 *             random sizes, blocks handed to another thread, pauses (while
 *             others tend the heap), many allocations failing and the heap
 *             going on; every block's contents checked before it is freed
 *   sparse    300 threads at once, each holding 100 blocks of 16-2015 bytes
 *             (about 28 MiB in all, a few blocks of each of 40 size classes
 *             per thread) in a 64 MiB pool: every allocation must succeed
 *   strand    100 threads at once in a 64 MiB pool, each allocating and
 *             freeing 200 blocks (5 of each of 40 sizes from 16 to 1966
 *             bytes), then waiting until all
 *             have done so, then exiting: every allocation and thread start
 *             must succeed (the blocks a waiting thread freed are not its
 *             alone), and afterwards main gets 40 MiB in one block (what the
 *             threads left behind does not split the pool)
 *   midsize   200 threads at once, each holding one block of 60000 bytes
 *             (and main one of 9000): the pool file holds at most 40 MiB
 *             (the blocks are 12 MiB; a thread's page of such blocks holds
 *             two of them, not eight), and a block freed on one thread and
 *             its size allocated on another come out whole
 *
 * Usage: heapstress <case>
 */
#include "poolcheck.h"
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <malloc.h>

static unsigned long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000 + (unsigned long long)t.tv_nsec / 1000000;
}

static unsigned rnd(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

static size_t random_size(unsigned *state)
{
    unsigned r = rnd(state) % 1000;
    if (r < 900) return 1 + rnd(state) % 512;
    if (r < 990) return 512 + rnd(state) % 32768;
    return 65536 + rnd(state) % (1u << 20);
}

/* ---- remote: a queue between producers and consumers ---- */

#define QUEUE 4096
static struct { void *p; size_t n; unsigned seed; } queue[QUEUE];
static int q_head, q_tail, q_done;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_more = PTHREAD_COND_INITIALIZER, q_room = PTHREAD_COND_INITIALIZER;
static long per_producer = 400000;

static void *producer(void *arg)
{
    unsigned state = (unsigned)(uintptr_t)arg * 7919u + 1;
    for (long i = 0; i < per_producer; i++) {
        size_t n = random_size(&state);
        void *p = malloc(n);
        CHECKF(p != NULL, "malloc(%zu) failed", n);
        unsigned seed = rnd(&state);
        fill_pattern(p, n < 256 ? n : 256, seed);
        pthread_mutex_lock(&q_lock);
        while ((q_head + 1) % QUEUE == q_tail) pthread_cond_wait(&q_room, &q_lock);
        queue[q_head].p = p;
        queue[q_head].n = n < 256 ? n : 256;
        queue[q_head].seed = seed;
        q_head = (q_head + 1) % QUEUE;
        pthread_cond_signal(&q_more);
        pthread_mutex_unlock(&q_lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    long freed = 0;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_head == q_tail && !q_done) pthread_cond_wait(&q_more, &q_lock);
        if (q_head == q_tail && q_done) {
            pthread_mutex_unlock(&q_lock);
            break;
        }
        void *p = queue[q_tail].p;
        size_t n = queue[q_tail].n;
        unsigned seed = queue[q_tail].seed;
        q_tail = (q_tail + 1) % QUEUE;
        pthread_cond_signal(&q_room);
        pthread_mutex_unlock(&q_lock);
        CHECKF(check_pattern(p, n, seed), "block %p changed between threads", p);
        free(p);
        freed++;
    }
    return (void *)freed;
}

static void case_remote(void)
{
    pthread_t prod[2], cons[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&prod[i], NULL, producer, (void *)(uintptr_t)(i + 1)) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&cons[i], NULL, consumer, NULL) == 0);
    for (int i = 0; i < 2; i++) pthread_join(prod[i], NULL);
    pthread_mutex_lock(&q_lock);
    q_done = 1;
    pthread_cond_broadcast(&q_more);
    pthread_mutex_unlock(&q_lock);
    long freed = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(cons[i], &r);
        freed += (long)r;
    }
    CHECKF(freed == 2 * per_producer, "freed %ld of %ld blocks", freed, 2 * per_producer);
    printf("remote_frees=%ld\n", freed);
}

/* ---- handover: short threads, blocks freed by main after they exit ---- */

#define KEEP 64
static void *left_behind[KEEP * 4];
static unsigned left_seed[KEEP * 4];

static void *short_thread(void *arg)
{
    int slot = (int)(uintptr_t)arg;
    unsigned state = (unsigned)slot * 31u + 7u;
    void *mine[200];
    for (int i = 0; i < 200; i++) {
        mine[i] = malloc(random_size(&state) % 4000 + 1);
        CHECK(mine[i] != NULL);
    }
    for (int i = 0; i < 200; i++) {
        if (i < KEEP) {
            left_behind[slot * KEEP + i] = mine[i];
            left_seed[slot * KEEP + i] = state + (unsigned)i;
            fill_pattern(mine[i], 16, state + (unsigned)i);
        } else {
            free(mine[i]);
        }
    }
    return NULL;
}

static void case_handover(void)
{
    const int rounds = 5000;
    long long after_first = 0;
    void *probe = malloc(64);
    for (int round = 0; round < rounds; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, short_thread, (void *)(uintptr_t)i) == 0);
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        for (int i = 0; i < KEEP * 4; i++) {
            CHECKF(check_pattern(left_behind[i], 16, left_seed[i]), "a block of an exited thread changed");
            free(left_behind[i]);
        }
        if (round == 100) after_first = (long long)pool_file_stat(probe).st_blocks * 512;
    }
    long long at_end = (long long)pool_file_stat(probe).st_blocks * 512;
    printf("threads=%d pool_bytes_after_400=%lld pool_bytes_at_end=%lld\n", rounds * 4, after_first, at_end);
    /* Flat: what is freed but not yet given back (250 ms of churn) may differ, nothing more. */
    CHECKF(at_end <= after_first + (8 << 20), "the pool file grew from %lld to %lld bytes as threads came and went",
           after_first, at_end);
    free(probe);
}

/* ---- forkload: fork while other threads allocate ---- */

static volatile int stop_threads;

/* A thread of the parent: small blocks only, so that it runs on the fast
 * paths (its class caches and current pages) nearly all the time, and fork
 * catches it there; every block is written whole, links and marks included. */
static void *churner(void *arg)
{
    enum { SLOTS = 2000 };
    unsigned state = (unsigned)(uintptr_t)arg;
    static void *all_slots[2][SLOTS];
    void **slots = all_slots[(uintptr_t)arg & 1];
    while (!stop_threads) {
        unsigned i = rnd(&state) % SLOTS;
        free(slots[i]);
        size_t n = 16 + rnd(&state) % 1500;
        slots[i] = malloc(n);
        CHECK(slots[i] != NULL);
        memset(slots[i], (int)i, n);
    }
    for (int i = 0; i < SLOTS; i++) free(slots[i]);
    return NULL;
}

/* In a child: blocks of the churners' sizes, allocated, checked and freed in
 * random order, on whichever heap the thread has (a new thread takes one that
 * fork left behind). Returns 0, or the exit status that says what went wrong. */
static int child_churn(unsigned state, int rounds)
{
    enum { SLOTS = 512 };
    void *blocks[SLOTS] = {0};
    size_t sizes[SLOTS] = {0};
    for (int r = 0; r < rounds; r++) {
        unsigned i = rnd(&state) % SLOTS;
        if (blocks[i]) {
            if (malloc_usable_size(blocks[i]) < sizes[i]) return 4;
            if (!check_pattern(blocks[i], sizes[i], i + (unsigned)sizes[i])) return 5;
            free(blocks[i]);
        }
        size_t n = 16 + rnd(&state) % 1500;
        blocks[i] = malloc(n);
        if (!blocks[i]) return 3;
        sizes[i] = n < 128 ? n : 128;
        fill_pattern(blocks[i], sizes[i], i + (unsigned)sizes[i]);
    }
    for (int i = 0; i < SLOTS; i++) {
        if (blocks[i] && !check_pattern(blocks[i], sizes[i], (unsigned)i + (unsigned)sizes[i])) return 5;
        free(blocks[i]);
    }
    return 0;
}

static void *child_thread(void *arg)
{
    return (void *)(uintptr_t)child_churn((unsigned)(uintptr_t)arg, 100000);
}

static void case_forkload(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, churner, (void *)(uintptr_t)(i + 10)) == 0);
    usleep(100000);
    for (int f = 0; f < 40; f++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            pthread_t c[2];
            for (int i = 0; i < 2; i++)
                if (pthread_create(&c[i], NULL, child_thread, (void *)(uintptr_t)(f * 2 + i + 1))) _exit(6);
            int status = child_churn((unsigned)f, 100000);
            for (int i = 0; i < 2; i++) {
                void *result;
                if (pthread_join(c[i], &result)) _exit(6);
                if (!status) status = (int)(uintptr_t)result;
            }
            _exit(status);
        }
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d ended with status 0x%x", f, status);
    }
    stop_threads = 1;
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    puts("forks=40");
}

/* ---- giveback: the file shrinks after everything is freed ---- */

static void case_giveback(void)
{
    enum { LARGE = 192, SMALL = 200000 };
    static void *large[LARGE], *small[SMALL];
    for (int i = 0; i < LARGE; i++) {
        large[i] = malloc(1u << 20);
        CHECK(large[i] != NULL);
        memset(large[i], 1, 1u << 20);
    }
    for (int i = 0; i < SMALL; i++) {
        small[i] = malloc(100 + (size_t)(i % 200));
        CHECK(small[i] != NULL);
        memset(small[i], 2, 100);
    }
    long long peak = (long long)pool_file_stat(large[0]).st_blocks * 512;
    for (int i = 0; i < LARGE; i++) free(large[i]);
    for (int i = 0; i < SMALL; i++) free(small[i]);
    unsigned long long start = now_ms();
    long long now_bytes = peak;
    unsigned long long took = 0;
    void *probe = NULL;
    while (now_ms() - start < 1500) {
        /* further allocator activity: a few sizes, never much live */
        for (int i = 0; i < 1000; i++) {
            void *p = malloc(16 + (size_t)(i % 64) * 16);
            CHECK(p != NULL);
            free(p);
        }
        if (!probe) probe = malloc(32);
        now_bytes = (long long)pool_file_stat(probe).st_blocks * 512;
        if (now_bytes < peak / 10) {
            took = now_ms() - start;
            break;
        }
    }
    printf("peak_pool_bytes=%lld\nafter_free_pool_bytes=%lld\nms=%llu\n", peak, now_bytes, took);
    CHECKF(now_bytes < peak / 10, "the pool file still holds %lld of its peak %lld bytes 1.5 s after everything was freed",
           now_bytes, peak);
    CHECKF(took <= 1000, "the pool file took %llu ms to shrink below 10%% of its peak", took);
    free(probe);
}

/* ---- lifo: the block freed last comes back first ---- */
static void case_lifo(void)
{
    enum { N = 4000 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(48);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 0x5a, 48);
    }
    /* One block from an early page, one from a late page, in turn: each comes straight back. */
    for (int round = 0; round < 100; round++) {
        int i = round % 2 ? 17 + round : N - 1 - round;
        char *old = blocks[i];
        free(old);
        blocks[i] = malloc(40);
        CHECKF(blocks[i] == old, "round %d: freed %p, got %p", round, (void *)old, (void *)blocks[i]);
    }
    /* Three freed from one (full) page come back in the reverse order. */
    char *a = blocks[5], *b = blocks[6], *c = blocks[7];
    free(a);
    free(b);
    free(c);
    char *x = malloc(48), *y = malloc(48), *z = malloc(48);
    CHECKF(x == c && y == b && z == a, "freed %p %p %p, got %p %p %p", (void *)a, (void *)b, (void *)c,
           (void *)x, (void *)y, (void *)z);
    blocks[5] = z;
    blocks[6] = y;
    blocks[7] = x;
    for (int i = 0; i < N; i++) free(blocks[i]);
}

/* ---- reuse: a block from another thread comes back first to the thread that freed it ---- */
enum { REUSE_N = 3000 };
static char *reuse_blocks[REUSE_N];

static void *reuse_allocate(void *unused)
{
    (void)unused;
    for (int i = 0; i < REUSE_N; i++) {
        reuse_blocks[i] = malloc(200);
        CHECK(reuse_blocks[i] != NULL);
        fill_pattern(reuse_blocks[i], 200, (unsigned)i);
    }
    return NULL;
}

static void case_reuse(void)
{
    /* This thread has its own heap first, so the other thread's pages are not its own. */
    void *mine = malloc(16);
    CHECK(mine != NULL);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, reuse_allocate, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    /* The allocating thread has exited, its heap waits for another thread. Each of its blocks, freed
       here, is the next block of its size handed out here. */
    for (int i = 0; i < REUSE_N; i++) {
        CHECKF(check_pattern(reuse_blocks[i], 200, (unsigned)i), "block %d arrived corrupted", i);
        char *old = reuse_blocks[i];
        free(old);
        reuse_blocks[i] = malloc(196);
        CHECKF(reuse_blocks[i] == old, "block %d: freed %p, got %p", i, (void *)old, (void *)reuse_blocks[i]);
        fill_pattern(reuse_blocks[i], 196, (unsigned)i + 7);
    }
    for (int i = 0; i < REUSE_N; i++) {
        CHECKF(check_pattern(reuse_blocks[i], 196, (unsigned)i + 7), "block %d corrupted", i);
        free(reuse_blocks[i]);
    }
    free(mine);
}

/* ---- idle: the space of a thread that waits ---- */

#define IDLE_BLOCKS 655360 /* of 64 bytes: 40 MiB */
#define IDLE_BIG (4u << 20)
static void **idle_blocks;
static int idle_phase, idle_round;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_change = PTHREAD_COND_INITIALIZER;

static void idle_set(int phase)
{
    pthread_mutex_lock(&idle_lock);
    idle_phase = phase;
    pthread_cond_broadcast(&idle_change);
    pthread_mutex_unlock(&idle_lock);
}

static void idle_wait(int phase)
{
    pthread_mutex_lock(&idle_lock);
    while (idle_phase != phase) pthread_cond_wait(&idle_change, &idle_lock);
    pthread_mutex_unlock(&idle_lock);
}

/* Round 0: allocates and frees everything itself; round 1: allocates, main frees. Waits between rounds. */
static void *idle_worker(void *arg)
{
    (void)arg;
    for (idle_round = 0; idle_round < 2; idle_round++) {
        for (long i = 0; i < IDLE_BLOCKS; i++) {
            idle_blocks[i] = malloc(64);
            CHECKF(idle_blocks[i] != NULL, "round %d: block %ld of 64 bytes: errno %d", idle_round, i, errno);
            memset(idle_blocks[i], (int)i, 64);
        }
        if (idle_round == 0)
            for (long i = 0; i < IDLE_BLOCKS; i++) free(idle_blocks[i]);
        idle_set(1);
        idle_wait(0);
    }
    return NULL;
}

static void case_idle(void)
{
    idle_blocks = malloc(IDLE_BLOCKS * sizeof *idle_blocks);
    CHECK(idle_blocks != NULL);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, idle_worker, NULL) == 0);
    for (int round = 0; round < 2; round++) {
        idle_wait(1);
        if (round == 1)
            for (long i = 0; i < IDLE_BLOCKS; i++) free(idle_blocks[i]);
        /* The worker waits: 40 MiB of the pool is free, in its pages. */
        void *big[10];
        for (int k = 0; k < 10; k++) {
            big[k] = malloc(IDLE_BIG);
            CHECKF(big[k] != NULL, "round %d (%s): large block %d of 4 MiB: errno %d", round,
                   round == 0 ? "the waiting thread freed its blocks" : "main freed the waiting thread's blocks", k, errno);
            memset(big[k], k, IDLE_BIG);
        }
        for (int k = 0; k < 10; k++) free(big[k]);
        idle_set(0);
    }
    CHECK(pthread_join(thread, NULL) == 0);
    free(idle_blocks);
    printf("idle_rounds=2\n");
}

/* ---- crowded: threads that run the pool out, pause, and tend each other's heaps ---- */

#define CROWD_THREADS 4
#define CROWD_SLOTS 20000
#define CROWD_HANDED 4096
static volatile int crowd_stop;
static pthread_mutex_t crowd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { void *p; size_t n; unsigned seed; } crowd_handed[CROWD_HANDED];
static int crowd_handed_count;
static long crowd_failures[CROWD_THREADS];

/* Each thread's blocks, kept outside the pool: a thread that starts after the
   others have filled the pool must still be able to take part. */
static struct { void *p[CROWD_SLOTS]; size_t n[CROWD_SLOTS]; unsigned seed[CROWD_SLOTS]; } crowd_slots[CROWD_THREADS];

static void *crowd_worker(void *arg)
{
    int id = (int)(uintptr_t)arg;
    unsigned state = (unsigned)id * 7919u + 3;
    void **p = crowd_slots[id].p;
    size_t *n = crowd_slots[id].n;
    unsigned *seed = crowd_slots[id].seed;
    while (!crowd_stop) {
        int k = (int)(rnd(&state) % CROWD_SLOTS);
        if (p[k]) {
            CHECKF(check_pattern(p[k], n[k], seed[k]), "thread %d: a %zu-byte block changed", id, n[k]);
            if (rnd(&state) % 4 == 0) {
                pthread_mutex_lock(&crowd_lock);
                if (crowd_handed_count < CROWD_HANDED) {
                    crowd_handed[crowd_handed_count].p = p[k];
                    crowd_handed[crowd_handed_count].n = n[k];
                    crowd_handed[crowd_handed_count].seed = seed[k];
                    crowd_handed_count++;
                    p[k] = NULL;
                }
                pthread_mutex_unlock(&crowd_lock);
            }
            if (p[k]) {
                free(p[k]);
                p[k] = NULL;
            }
        } else {
            size_t size = rnd(&state) % 100 < 97 ? 1 + rnd(&state) % 2048 : 65536 + rnd(&state) % (1u << 20);
            void *block = malloc(size);
            if (!block) {
                /* The pool is full: give back every other block and go on. */
                CHECKF(errno == ENOMEM, "thread %d: malloc(%zu) failed with errno %d", id, size, errno);
                crowd_failures[id]++;
                for (int j = 0; j < CROWD_SLOTS; j += 2) {
                    if (!p[j]) continue;
                    CHECKF(check_pattern(p[j], n[j], seed[j]), "thread %d: a %zu-byte block changed", id, n[j]);
                    free(p[j]);
                    p[j] = NULL;
                }
                continue;
            }
            seed[k] = rnd(&state);
            fill_pattern(block, size, seed[k]);
            p[k] = block;
            n[k] = size;
        }
        /* Now and then a pause: the other threads' heartbeats and failed allocations tend this heap meanwhile. */
        if (rnd(&state) % 100000 == 0) usleep(20000 + rnd(&state) % 100000);
        if (id == 0 && rnd(&state) % 8 == 0) {
            pthread_mutex_lock(&crowd_lock);
            while (crowd_handed_count > 0) {
                crowd_handed_count--;
                CHECKF(check_pattern(crowd_handed[crowd_handed_count].p, crowd_handed[crowd_handed_count].n,
                                     crowd_handed[crowd_handed_count].seed), "a block handed between threads changed");
                free(crowd_handed[crowd_handed_count].p);
            }
            pthread_mutex_unlock(&crowd_lock);
        }
    }
    for (int j = 0; j < CROWD_SLOTS; j++) {
        if (!p[j]) continue;
        CHECKF(check_pattern(p[j], n[j], seed[j]), "thread %d: a %zu-byte block changed", id, n[j]);
        free(p[j]);
    }
    return NULL;
}

/* ---- sparse: many threads, few blocks of many classes each ---- */

/* Thread `id` allocates n blocks of the given sizes and fills them; a block
 * the pool has no room for stays NULL (ENOMEM). Returns how many failed. */
static int hold_blocks(int id, void **blocks, const size_t *sizes, int n)
{
    int failures = 0;
    for (int i = 0; i < n; i++) {
        blocks[i] = malloc(sizes[i]);
        if (!blocks[i]) {
            CHECKF(errno == ENOMEM, "malloc(%zu) failed with errno %d", sizes[i], errno);
            failures++;
            continue;
        }
        fill_pattern(blocks[i], sizes[i], (unsigned)id * 1000 + (unsigned)i);
    }
    return failures;
}

/* Checks and frees what hold_blocks gave thread `id`. */
static void release_blocks(int id, void **blocks, const size_t *sizes, int n)
{
    for (int i = 0; i < n; i++) {
        if (!blocks[i]) continue;
        CHECKF(check_pattern(blocks[i], sizes[i], (unsigned)id * 1000 + (unsigned)i),
               "thread %d: block %d changed", id, i);
        free(blocks[i]);
    }
}

enum { SPARSE_THREADS = 300, SPARSE_BLOCKS = 100 };
static pthread_barrier_t sparse_barrier;
static int sparse_failures;
static pthread_mutex_t sparse_lock = PTHREAD_MUTEX_INITIALIZER;

static void *sparse_thread(void *arg)
{
    int id = (int)(uintptr_t)arg;
    unsigned state = (unsigned)id * 2654435761u + 1;
    void *blocks[SPARSE_BLOCKS];
    size_t sizes[SPARSE_BLOCKS];
    for (int i = 0; i < SPARSE_BLOCKS; i++) sizes[i] = 16 + rnd(&state) % 2000;
    int failures = hold_blocks(id, blocks, sizes, SPARSE_BLOCKS);
    /* All threads hold their blocks at once. */
    pthread_barrier_wait(&sparse_barrier);
    release_blocks(id, blocks, sizes, SPARSE_BLOCKS);
    pthread_mutex_lock(&sparse_lock);
    sparse_failures += failures;
    pthread_mutex_unlock(&sparse_lock);
    return NULL;
}

static void case_sparse(void)
{
    static pthread_t threads[SPARSE_THREADS];
    CHECK(pthread_barrier_init(&sparse_barrier, NULL, SPARSE_THREADS) == 0);
    for (int t = 0; t < SPARSE_THREADS; t++)
        CHECKF(pthread_create(&threads[t], NULL, sparse_thread, (void *)(uintptr_t)t) == 0, "pthread_create %d", t);
    for (int t = 0; t < SPARSE_THREADS; t++) pthread_join(threads[t], NULL);
    printf("sparse_failures=%d\n", sparse_failures);
}

/* ---- strand: threads that free everything, wait, and exit ---- */

enum { STRAND_THREADS = 100, STRAND_BLOCKS = 200 };
static pthread_barrier_t strand_barrier;
static int strand_failures;

static void *strand_thread(void *arg)
{
    int id = (int)(uintptr_t)arg;
    void *blocks[STRAND_BLOCKS];
    size_t sizes[STRAND_BLOCKS];
    for (int i = 0; i < STRAND_BLOCKS; i++) sizes[i] = 16 + (size_t)(i % 40) * 50;
    int failures = hold_blocks(id, blocks, sizes, STRAND_BLOCKS);
    release_blocks(id, blocks, sizes, STRAND_BLOCKS);
    pthread_mutex_lock(&sparse_lock);
    strand_failures += failures;
    pthread_mutex_unlock(&sparse_lock);
    /* Everything freed; all threads wait here at once, running no allocator code. */
    pthread_barrier_wait(&strand_barrier);
    return NULL;
}

/* The largest block malloc gives now, to 64 KiB. */
static size_t largest_block(void)
{
    size_t low = 0, high = (size_t)1 << 40;
    while (high - low > 65536) {
        size_t middle = low + (high - low) / 2;
        void *p = malloc(middle);
        if (p) {
            free(p);
            low = middle;
        } else {
            high = middle;
        }
    }
    return low;
}

static void case_strand(void)
{
    static pthread_t threads[STRAND_THREADS];
    int started = 0, create_failures = 0;
    CHECK(pthread_barrier_init(&strand_barrier, NULL, STRAND_THREADS) == 0);
    for (int t = 0; t < STRAND_THREADS; t++) {
        int error = pthread_create(&threads[t], NULL, strand_thread, (void *)(uintptr_t)t);
        if (error) {
            create_failures++;
            /* The barrier counts every thread: the missing ones must not leave the others waiting. */
            break;
        }
        started++;
    }
    if (create_failures) {
        printf("strand_create_failures=%d (thread %d of %d)\n", create_failures, started, STRAND_THREADS);
        fflush(stdout);
        _exit(3);
    }
    for (int t = 0; t < started; t++) pthread_join(threads[t], NULL);
    void *big = malloc(40 << 20);
    printf("strand_failures=%d\n", strand_failures);
    printf("strand_big=%s\n", big ? "ok" : "failed");
    printf("strand_largest_mib=%zu\n", largest_block() >> 20);
    if (big) {
        fill_pattern(big, 40 << 20, 40);
        CHECK(check_pattern(big, 40 << 20, 40));
        free(big);
    }
}

static void case_crowded(void)
{
    pthread_t threads[CROWD_THREADS];
    for (int i = 0; i < CROWD_THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, crowd_worker, (void *)(uintptr_t)i) == 0);
    sleep(4);
    crowd_stop = 1;
    for (int i = 0; i < CROWD_THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    while (crowd_handed_count > 0) {
        crowd_handed_count--;
        free(crowd_handed[crowd_handed_count].p);
    }
    long failures = 0;
    for (int i = 0; i < CROWD_THREADS; i++) failures += crowd_failures[i];
    printf("crowded_failures=%ld\n", failures);
}

#define MIDSIZE_THREADS 200
static pthread_barrier_t midsize_held, midsize_done;
static char *midsize_blocks[MIDSIZE_THREADS];

static void *midsize_thread(void *arg)
{
    long i = (long)arg;
    char *p = malloc(60000);
    CHECKF(p != NULL, "thread %ld: malloc(60000) returned NULL", i);
    CHECKF(malloc_usable_size(p) >= 60000 && malloc_usable_size(p) <= 60000 + 60000 / 8,
           "thread %ld: a 60000-byte request got %zu bytes", i, malloc_usable_size(p));
    fill_pattern(p, 60000, (unsigned)i);
    midsize_blocks[i] = p;
    pthread_barrier_wait(&midsize_held);
    pthread_barrier_wait(&midsize_done);
    /* Each thread frees its neighbour's block: a free on another thread than the malloc. */
    long other = (i + 1) % MIDSIZE_THREADS;
    CHECKF(check_pattern(midsize_blocks[other], 60000, (unsigned)other), "thread %ld's block changed", other);
    return NULL;
}

static void case_midsize(void)
{
    char *probe = malloc(9000);
    CHECK(probe != NULL);
    check_in_pool(probe, "a 9000-byte block");
    CHECK(pthread_barrier_init(&midsize_held, NULL, MIDSIZE_THREADS + 1) == 0);
    CHECK(pthread_barrier_init(&midsize_done, NULL, MIDSIZE_THREADS + 1) == 0);
    pthread_t threads[MIDSIZE_THREADS];
    for (long i = 0; i < MIDSIZE_THREADS; i++)
        CHECKF(pthread_create(&threads[i], NULL, midsize_thread, (void *)i) == 0, "pthread_create %ld", i);
    pthread_barrier_wait(&midsize_held);
    long long held = (long long)pool_file_stat(probe).st_blocks * 512;
    pthread_barrier_wait(&midsize_done);
    for (long i = 0; i < MIDSIZE_THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    for (long i = 0; i < MIDSIZE_THREADS; i++) free(midsize_blocks[i]);
    free(probe);
    printf("pool_bytes_held=%lld\n", held);
    CHECKF(held <= 40LL << 20, "%d threads holding one 60000-byte block each: the pool file holds %lld bytes",
           MIDSIZE_THREADS, held);
}

int main(int argc, char **argv)
{
    if (argc < 2) FAIL("usage: heapstress <case>");
    if (!strcmp(argv[1], "remote")) case_remote();
    else if (!strcmp(argv[1], "handover")) case_handover();
    else if (!strcmp(argv[1], "forkload")) case_forkload();
    else if (!strcmp(argv[1], "giveback")) case_giveback();
    else if (!strcmp(argv[1], "lifo")) case_lifo();
    else if (!strcmp(argv[1], "reuse")) case_reuse();
    else if (!strcmp(argv[1], "idle")) case_idle();
    else if (!strcmp(argv[1], "crowded")) case_crowded();
    else if (!strcmp(argv[1], "sparse")) case_sparse();
    else if (!strcmp(argv[1], "strand")) case_strand();
    else if (!strcmp(argv[1], "midsize")) case_midsize();
    else FAIL("unknown case %s", argv[1]);
    printf("OK %s\n", argv[1]);
    return 0;
}
