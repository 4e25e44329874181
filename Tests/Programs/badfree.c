/*
 * badfree.c - pointers the pool never handed out, or handed out and already
 * freed, given to free, realloc and malloc_usable_size. Each call is refused
 * with one line on stderr; the blocks around keep their contents and the
 * heap keeps working.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>

/* A block freed on another thread, which keeps it to hand out again: freed
   again here, it is refused too, and it is handed out only once. */
static char *kept;
static sem_t freed, checked;

static void *free_and_reuse(void *unused)
{
    (void)unused;
    free(kept);
    sem_post(&freed);
    sem_wait(&checked);
    return malloc(72);
}

int main(void)
{
    char *a = malloc(100), *b = malloc(200), *c = malloc(300);
    char *big = malloc(1 << 20);
    CHECK(a && b && c && big);
    memset(a, 1, 100);
    memset(c, 3, 300);
    memset(big, 0x41, 1 << 20);

    free(b);
    free(b);                       /* double free */
    free(a + 16);                  /* interior pointer, 16-aligned */
    free(c + 8);                   /* interior pointer, misaligned */
    errno = 0;
    void *r = realloc(a + 32, 50); /* realloc of an interior pointer */
    printf("realloc_result=%s errno_einval=%d\n", r ? "non-null" : "null", errno == EINVAL);
    printf("usable_bad=%zu\n", malloc_usable_size(c + 48));
    /* A fake header written inside user data, as a stray pointer would find it. */
    size_t *fake = (size_t *)(big + 4096);
    fake[0] = 0;
    fake[1] = 64 | 1 | 2;
    free(big + 4096 + 16);

    /* Blocks of 5000 bytes share pages of several slices: a double free and an
       interior pointer in a later slice of such a page are refused too. */
    char *m[8];
    for (int i = 0; i < 8; i++) {
        m[i] = malloc(5000);
        CHECK(m[i] != NULL);
        memset(m[i], 0x50 + i, 5000);
    }
    free(m[5]);
    free(m[5]);                    /* double free, 25 KiB into its page */
    free(m[6] + 16);               /* interior pointer there */
    for (int i = 0; i < 8; i++)
        if (i != 5)
            for (int j = 0; j < 5000; j++) CHECKF(m[i][j] == 0x50 + i, "m[%d][%d] changed", i, j);
    m[5] = malloc(5000);
    CHECK(m[5] != NULL);
    for (int i = 0; i < 8; i++) free(m[i]);

    for (int i = 0; i < 100; i++) CHECKF(a[i] == 1, "a[%d] changed", i);
    for (int i = 0; i < 300; i++) CHECKF(c[i] == 3, "c[%d] changed", i);
    for (int i = 0; i < (1 << 20); i++)
        if (i < 4096 || i >= 4096 + 16) CHECKF(big[i] == 0x41, "big[%d] changed", i);

    kept = malloc(72);
    CHECK(kept != NULL);
    CHECK(sem_init(&freed, 0, 0) == 0 && sem_init(&checked, 0, 0) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_and_reuse, NULL) == 0);
    sem_wait(&freed);
    free(kept);                    /* double free, from another thread */
    printf("usable_kept=%zu\n", malloc_usable_size(kept));
    char *mine = malloc(72);
    CHECK(mine != NULL);
    memset(mine, 0x77, 72);
    sem_post(&checked);
    void *theirs;
    CHECK(pthread_join(t, &theirs) == 0);
    CHECKF(theirs != mine, "one block handed out twice: %p", theirs);
    memset(theirs, 0x66, 72);
    for (int i = 0; i < 72; i++) CHECKF(mine[i] == 0x77, "mine[%d] changed", i);
    free(theirs);
    free(mine);

    /* The heap still works: allocate, check, free many blocks. */
    for (int round = 0; round < 3; round++) {
        void *blocks[2000];
        for (int i = 0; i < 2000; i++) {
            blocks[i] = malloc((size_t)(i % 700) + 1);
            CHECK(blocks[i] != NULL);
            fill_pattern(blocks[i], (size_t)(i % 700) + 1, (unsigned)i);
        }
        for (int i = 0; i < 2000; i++) {
            CHECKF(check_pattern(blocks[i], (size_t)(i % 700) + 1, (unsigned)i), "block %d corrupted", i);
            free(blocks[i]);
        }
    }
    free(a);
    free(c);
    free(big);
    puts("OK badfree");
    return 0;
}
