/*
 * interior.c - every size class of small blocks: a free of any pointer into
 * a block other than its start (every 8 bytes) is refused with one line on
 * stderr, the blocks keep their contents, and real frees still work. The
 * classes are found with malloc_usable_size, so the program knows nothing of
 * the heap's own tables.
 *
 * Then, on a fresh thread, the block starts a page holds beyond the first
 * block of each class: free never handed them out (some are free in the
 * page, the rest not even carved yet), so every free of one is refused too,
 * and the blocks malloc hands out next are all different. This part relies
 * on one fact of the layout: a thread's first block of a class starts a page
 * of at least 16 KiB and at least eight blocks (two above 8 KiB).
 *
 * Prints "refused=<n>", the lines to expect.
 */
#include "poolcheck.h"
#include <malloc.h>
#include <pthread.h>

static size_t sizes[96];
static int classes;
static long refused;

static int compare_pointers(const void *a, const void *b)
{
    char *x = *(char *const *)a, *y = *(char *const *)b;
    return x < y ? -1 : x > y;
}

/* Frees every block start after the first of its page, then allocates many blocks: no two may be the same. */
static void *never_handed_out(void *unused)
{
    (void)unused;
    static char *got[1024 + 1];
    for (int c = 0; c < classes; c++) {
        size_t size = sizes[c];
        char *first = malloc(size);
        CHECK(first != NULL);
        /* A page holds at least eight blocks up to 8 KiB, at least two above. */
        size_t starts = size <= 2048 ? 16384 / size : size <= 8192 ? 8 : 2;
        for (size_t j = 1; j < starts; j++) {
            free(first + j * size);
            refused++;
        }
        got[0] = first;
        for (size_t j = 1; j <= starts; j++) {
            got[j] = malloc(size);
            CHECK(got[j] != NULL);
            fill_pattern(got[j], size, (unsigned)j);
        }
        qsort(got, starts + 1, sizeof got[0], compare_pointers);
        for (size_t j = 1; j <= starts; j++)
            CHECKF(got[j] != got[j - 1], "%zu bytes: block %p handed out twice", size, (void *)got[j]);
        for (size_t j = 0; j <= starts; j++) free(got[j]);
    }
    return NULL;
}

int main(void)
{
    size_t last = 0;
    for (size_t request = 1; request <= 65536; request++) {
        char *probe = malloc(request);
        CHECK(probe != NULL);
        size_t size = malloc_usable_size(probe);
        free(probe);
        if (size == last) continue;
        last = size;
        CHECK(classes < 96);
        sizes[classes++] = size;
        char *b[3];
        for (int i = 0; i < 3; i++) {
            b[i] = malloc(size);
            CHECK(b[i] != NULL);
            fill_pattern(b[i], size, (unsigned)(size * 3 + (size_t)i));
        }
        for (size_t offset = 8; offset < size; offset += 8) {
            free(b[1] + offset);
            refused++;
        }
        for (int i = 0; i < 3; i++)
            CHECKF(check_pattern(b[i], size, (unsigned)(size * 3 + (size_t)i)), "a %zu-byte block changed", size);
        for (int i = 0; i < 3; i++) free(b[i]);
        /* The real frees took: the last block freed is the next one of its size handed out. */
        char *again = malloc(size);
        CHECKF(again == b[2], "%zu bytes: freed %p, got %p", size, (void *)b[2], (void *)again);
        free(again);
    }
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, never_handed_out, NULL) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    printf("classes=%d\nrefused=%ld\nOK interior\n", classes, refused);
    return 0;
}
