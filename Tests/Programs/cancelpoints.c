/*
 * cancelpoints.c - drives libvmmalloc through every path that makes a
 * system call the C library treats as a thread cancellation point, on a
 * thread that can be cancelled (the default), for cancelcheck.c to watch:
 * creating the pool, reserving file space, giving aged free space back to
 * the file system (on a second thread too), refusing a bad free (a line on
 * stderr), and forking (run it with VMMALLOC_FORK=2: the copy of the pool).
 * Prints "OK cancelpoints".
 */
#include "poolcheck.h"
#include <pthread.h>
#include <sys/wait.h>

static void churn_large(void)
{
    enum { N = 16 };
    void *blocks[N];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            blocks[i] = malloc((size_t)(i + 1) << 20);
            CHECK(blocks[i] != NULL);
            memset(blocks[i], i, 4096);
        }
        for (int i = 0; i < N; i++) free(blocks[i]);
        /* The freed space ages past the purge delay; the next calls give it back. */
        usleep(400000);
        for (int i = 0; i < N; i++) free(malloc(1 << 20));
    }
}

static void *thread(void *arg)
{
    (void)arg;
    churn_large();
    return NULL;
}

int main(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    churn_large();
    char *p = malloc(64);
    CHECK(p != NULL);
    char *volatile inside = p + 16;
    free(inside); /* refused with a line on stderr */
    free(p);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *q = malloc(1 << 20);
        _exit(q ? 0 : 3);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    puts("OK cancelpoints");
    return 0;
}
