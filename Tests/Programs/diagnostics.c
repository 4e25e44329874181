/*
 * diagnostics.c - what the debug variant's checks, log and statistics see.
 *
 *   diagnostics double      free one block twice
 *   diagnostics interior    free a pointer 16 bytes into a block
 *   diagnostics calls       malloc(1234), free it, a malloc the pool cannot
 *                           hold, an aligned_alloc with a bad alignment, and
 *                           a fork whose child allocates too
 *   diagnostics threads N M N threads, each M malloc/free pairs of 1..300 bytes
 *   diagnostics stats       leaves known blocks in use at exit (see below)
 *
 * Pointers and process ids are printed as "name=value" lines, flushed at
 * once, so that the test can find them in the log.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>

static void say(const char *name, const void *pointer)
{
    printf("%s=%p\n", name, pointer);
    fflush(stdout);
}

static void fork_and_wait(int child_allocates)
{
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (child_allocates) {
            void *p = malloc(4321);
            CHECK(p != NULL);
            printf("child_pid=%d\nchild_block=%p\n", (int)getpid(), p);
            fflush(stdout);
            free(p);
        }
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static long pairs_per_thread;

static void *churn(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg;
    for (long i = 0; i < pairs_per_thread; i++) {
        seed = seed * 1103515245u + 12345u;
        void *p = malloc(1 + (seed >> 16) % 300);
        CHECK(p != NULL);
        free(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    const char *what = argv[1];
    if (strcmp(what, "double") == 0 || strcmp(what, "interior") == 0) {
        /* stdout's buffer first, and a neighbour, so that nothing reuses the freed block. */
        puts("start");
        fflush(stdout);
        char *p = malloc(100), *neighbour = malloc(100);
        CHECK(p != NULL && neighbour != NULL);
        char *bad = strcmp(what, "double") == 0 ? p : p + 16;
        if (bad == p) free(p);
        say("bad", bad);
        free(bad);
        puts("survived");
        return 0;
    }
    if (strcmp(what, "calls") == 0) {
        printf("pid=%d\n", (int)getpid());
        void *p = malloc(1234);
        CHECK(p != NULL);
        say("block", p);
        free(p);
        errno = 0;
        void *huge = malloc((size_t)1 << 40);
        printf("huge=%s enomem=%d\n", huge ? "non-null" : "null", errno == ENOMEM);
        errno = 0;
        void *misaligned = aligned_alloc(3, 16);
        printf("misaligned=%s einval=%d\n", misaligned ? "non-null" : "null", errno == EINVAL);
        /* Failures the size alone decides: each gets its line at level 1 too. */
        void *beyond = malloc(SIZE_MAX);
        void *wrapped = calloc(SIZE_MAX / 2, 3);
        void *unaligned = NULL;
        int rc = posix_memalign(&unaligned, 3, 16);
        printf("beyond=%s wrapped=%s unaligned=%d\n", beyond ? "non-null" : "null", wrapped ? "non-null" : "null", rc);
        fork_and_wait(1);
        puts("OK calls");
        return 0;
    }
    if (strcmp(what, "threads") == 0) {
        CHECK(argc == 4);
        int count = atoi(argv[2]);
        pairs_per_thread = atol(argv[3]);
        pthread_t threads[64];
        CHECK(count > 0 && count <= 64);
        for (int i = 0; i < count; i++) CHECK(pthread_create(&threads[i], NULL, churn, (void *)(size_t)(i + 1)) == 0);
        for (int i = 0; i < count; i++) CHECK(pthread_join(threads[i], NULL) == 0);
        puts("OK threads");
        return 0;
    }
    if (strcmp(what, "stats") == 0) {
        /* At exit: 1000 blocks of 100 bytes, 3 of 10000, one of 3 MiB in use;
         * before that, 4 MiB more were in use at once (the peak); two forks. */
        void *passing = malloc((size_t)4 << 20);
        CHECK(passing != NULL);
        memset(passing, 1, (size_t)4 << 20);
        static void *kept[1004];
        for (int i = 0; i < 1000; i++) CHECK((kept[i] = malloc(100)) != NULL);
        for (int i = 0; i < 3; i++) CHECK((kept[1000 + i] = malloc(10000)) != NULL);
        CHECK((kept[1003] = malloc((size_t)3 << 20)) != NULL);
        free(passing);
        fork_and_wait(0);
        fork_and_wait(0);
        printf("usable100=%zu\n", malloc_usable_size(kept[0]));
        puts("OK stats");
        return 0;
    }
    FAIL("unknown scenario %s", what);
}
