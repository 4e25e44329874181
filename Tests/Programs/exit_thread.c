/* exit_thread.c - a thread calls exit() while two others keep allocating. */
#include "poolcheck.h"
#include <pthread.h>

static void *allocator(void *arg)
{
    (void)arg;
    for (unsigned i = 0;; i++) {
        void *p = malloc(i % 5000 + 1);
        if (!p) FAIL("malloc failed in an allocating thread");
        memset(p, 1, i % 5000 + 1);
        free(p);
    }
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    usleep(100000);
    exit(0);
}

static void at_exit(void)
{
    char *p = malloc(100);
    if (!p) FAIL("malloc in the atexit handler failed");
    strcpy(p, "atexit handler ran");
    puts(p);
    free(p);
}

int main(void)
{
    atexit(at_exit);
    pthread_t a, b, e;
    pthread_create(&a, NULL, allocator, NULL);
    pthread_create(&b, NULL, allocator, NULL);
    pthread_create(&e, NULL, exiter, NULL);
    pthread_join(e, NULL);
    for (;;) pause();
}
