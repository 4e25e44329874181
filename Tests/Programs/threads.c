/*
 * threads.c - the library creates no threads, and threads that come and go
 * do not use up the pool.  Usage: threads count | threads churn
 */
#include "poolcheck.h"
#include <pthread.h>

static int thread_count(void)
{
    /* read /proc/self/status with plain syscalls */
    static char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) FAIL("open /proc/self/status: %s", strerror(errno));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) FAIL("read /proc/self/status");
    buf[n] = 0;
    char *t = strstr(buf, "\nThreads:");
    if (!t) FAIL("no Threads: line in /proc/self/status");
    return atoi(t + 9);
}

static void case_count(void)
{
    int at_start = thread_count();
    printf("threads_at_start=%d\n", at_start);
    void *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = malloc((size_t)(i * 97) % 20000 + 1);
        CHECK(ptrs[i] != NULL);
    }
    check_in_pool(ptrs[0], "malloc");
    for (int i = 0; i < 1000; i += 2) free(ptrs[i]);
    for (int i = 1; i < 1000; i += 2) ptrs[i] = realloc(ptrs[i], 30000);
    for (int i = 1; i < 1000; i += 2) free(ptrs[i]);
    usleep(200000); /* a helper thread would have started by now */
    int after = thread_count();
    printf("threads_after_malloc=%d\n", after);
}

#define CHURN_THREADS 3000
#define PER_THREAD 64
static void *handed[CHURN_THREADS];

static void *short_lived(void *arg)
{
    long id = (long)arg;
    void *mine[PER_THREAD];
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = (size_t)((id * 131 + i * 17) % 4000) + 1;
        mine[i] = malloc(n);
        if (!mine[i]) FAIL("thread %ld: malloc(%zu) failed after %ld threads: memory of ended threads is lost", id, n, id);
        memset(mine[i], (int)id, n);
    }
    for (int i = 1; i < PER_THREAD; i++) free(mine[i]);
    handed[id] = mine[0]; /* freed by the main thread */
    return NULL;
}

static void case_churn(void)
{
    for (long i = 0; i < CHURN_THREADS; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, (void *)i)) FAIL("pthread_create %ld", i);
        pthread_join(t, NULL);
        check_in_pool(handed[i], "block from a short-lived thread");
        free(handed[i]);
        if (i % 500 == 0) {
            /* a big block must still fit: the ended threads left nothing behind */
            void *big = malloc(8u << 20);
            if (!big) FAIL("malloc(8 MiB) in a 16 MiB pool failed after %ld threads ended", i + 1);
            free(big);
        }
    }
    printf("threads_run=%d\n", CHURN_THREADS);
}

int main(int argc, char **argv)
{
    if (argc != 2) FAIL("usage: threads count|churn");
    if (!strcmp(argv[1], "count")) case_count();
    else if (!strcmp(argv[1], "churn")) case_churn();
    else FAIL("unknown case %s", argv[1]);
    printf("OK %s\n", argv[1]);
    return 0;
}
