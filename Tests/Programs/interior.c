/*
 * interior.c - every size class of small blocks: a free of any pointer into
 * a block other than its start (every 8 bytes) is refused with one line on
 * stderr, the blocks keep their contents, and real frees still work. The
 * classes are found with malloc_usable_size, so the program knows nothing of
 * the heap's own tables. Prints "refused=<n>", the lines to expect.
 */
#include "poolcheck.h"
#include <malloc.h>

int main(void)
{
    long refused = 0;
    int classes = 0;
    size_t last = 0;
    for (size_t request = 1; request <= 8192; request++) {
        char *probe = malloc(request);
        CHECK(probe != NULL);
        size_t size = malloc_usable_size(probe);
        free(probe);
        if (size == last) continue;
        last = size;
        classes++;
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
    printf("classes=%d\nrefused=%ld\nOK interior\n", classes, refused);
    return 0;
}
