/*
 * memcheck.c - one memory error of a kind, made on a block of the pool, for
 * valgrind's memcheck to report (ValgrindTests). Before the error the
 * program prints the block's address and the pool mapping that holds it:
 *   block=0x...
 *   pool=0xSTART-0xEND
 * Modes: leak, overrun, use-after-free, double-free, uninitialised, calloc,
 * realloc, clean, fork, exhaust; "where" prints in-pool=1 or 0 for a block, and no more.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>

static void show(const void *block)
{
    struct pc_mapping m = pool_mapping_of(block, "block");
    printf("block=%p\npool=0x%lx-0x%lx\n", block, (unsigned long)m.start, (unsigned long)m.end);
    fflush(stdout);
}

/* The only pointer to the block is gone when this returns. */
__attribute__((noinline)) static void leak(void)
{
    char *p = malloc(40);
    memset(p, 7, 40);
    show(p);
}

static void *worker(void *arg)
{
    char *blocks[64];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 64; i++) {
            blocks[i] = malloc((size_t)(i * 37 + round) % 3000 + 1);
            blocks[i][0] = (char)i;
        }
        for (int i = 0; i < 64; i += 2) blocks[i] = realloc(blocks[i], (size_t)i * 100 + 20000);
        for (int i = 0; i < 64; i++) {
            if (blocks[i][0] != (char)i) FAIL("block %d lost its first byte", i);
            free(blocks[i]);
        }
    }
    return arg;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "clean";
    volatile char sink;
    if (strcmp(mode, "leak") == 0) {
        leak();
    } else if (strcmp(mode, "overrun") == 0) {
        char *p = malloc(24);
        show(p);
        p[24] = 1;
        sink = p[25];
        free(p);
    } else if (strcmp(mode, "use-after-free") == 0) {
        char *p = malloc(32);
        memset(p, 1, 32);
        show(p);
        free(p);
        char *again[100];
        int reused = 0;
        for (int i = 0; i < 100; i++) reused += (again[i] = malloc(32)) == p;
        printf("reused=%d\n", reused);
        sink = p[8];
        for (int i = 0; i < 100; i++) free(again[i]);
    } else if (strcmp(mode, "double-free") == 0) {
        char *p = malloc(32);
        show(p);
        free(p);
        free(p);
    } else if (strcmp(mode, "uninitialised") == 0) {
        char *p = malloc(16);
        show(p);
        if (p[3] == 42) puts("forty-two");
        free(p);
    } else if (strcmp(mode, "calloc") == 0) {
        char *p = calloc(16, 1);
        show(p);
        if (p[3] == 42) puts("forty-two");
        free(p);
    } else if (strcmp(mode, "realloc") == 0) {
        char *p = malloc(100);
        memset(p, 1, 100);
        char *q = realloc(p, 60);
        show(q);
        printf("in-place=%d\n", q == p);
        sink = q[70];
        char *r = realloc(q, 5000);
        show(r);
        printf("moved=%d\n", r != q);
        for (int i = 0; i < 60; i++)
            if (r[i] != 1) FAIL("byte %d not kept by realloc", i);
        free(r);
    } else if (strcmp(mode, "exhaust") == 0) {
        /* The pool filled twice: the blocks freed in between must all be usable again. */
        static char *blocks[4096];
        int first = 0, second = 0;
        while (first < 4096 && (blocks[first] = malloc(60000)) != NULL) first++;
        if (errno != ENOMEM || first == 4096) FAIL("the pool did not run out (%d blocks)", first);
        for (int i = 0; i < first; i++) free(blocks[i]);
        while (second < first && (blocks[second] = malloc(60000)) != NULL) second++;
        printf("first=%d\nsecond=%d\n", first, second);
        for (int i = 0; i < second; i++) free(blocks[i]);
    } else if (strcmp(mode, "where") == 0) {
        char *p = malloc(16);
        printf("in-pool=%d\n", in_pool(p));
        free(p);
    } else if (strcmp(mode, "clean") == 0) {
        char *s = strdup("pool");
        show(s);
        free(malloc(0));
        if (realloc(malloc(8), 0) != NULL) FAIL("realloc to 0 gave a block");
        void *aligned = NULL;
        if (posix_memalign(&aligned, 4096, 100) != 0) FAIL("posix_memalign");
        memset(aligned, 0, 100);
        char *big = calloc(1, 200000);
        if (big[199999] != 0) FAIL("calloc gave a non-zero byte");
        if (malloc_usable_size(s) < 5) FAIL("usable size below the size asked for");
        pthread_t threads[2];
        for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, worker, NULL);
        worker(NULL);
        for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
        free(big);
        free(aligned);
        free(s);
    } else if (strcmp(mode, "fork") == 0) {
        char *p = malloc(100);
        memset(p, 1, 100);
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) FAIL("fork: %s", strerror(errno));
        if (child == 0) {
            char *q = malloc(50);
            memcpy(q, p, 50);
            if (q[49] != 1) FAIL("the child does not see the parent's block");
            free(q);
            free(p);
            puts("child ok");
            exit(0);
        }
        int status = 0;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            FAIL("the child failed");
        char *r = realloc(p, 3000);
        if (r[99] != 1) FAIL("realloc after fork lost a byte");
        free(r);
    } else {
        FAIL("unknown mode %s", mode);
    }
    (void)sink;
    puts("done");
    return 0;
}
