// Fills the file system under the pool after the pool exists, then allocates
// and writes until malloc fails: it must fail with ENOMEM, never SIGBUS, and
// after frees the same blocks must come back.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (256 * 1024)
#define MAX_BLOCKS 4096

static void *blocks[MAX_BLOCKS];

// Writes zeros into a new file in dir until the file system is full.
static long fill(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/filler", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) { perror("open filler"); exit(10); }
    static char chunk[64 * 1024];
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n <= 0) break;
        total += n;
    }
    close(fd);
    return total;
}

static int allocate_until_full(void) {
    int count = 0;
    while (count < MAX_BLOCKS) {
        errno = 0;
        void *p = malloc(BLOCK);
        if (p == NULL) {
            if (errno != ENOMEM) { printf("malloc failed with errno %d, not ENOMEM\n", errno); exit(11); }
            break;
        }
        memset(p, 0x5a, BLOCK);  // a SIGBUS would strike here
        blocks[count++] = p;
    }
    return count;
}

int main(void) {
    const char *dir = getenv("VMMALLOC_POOL_DIR");
    void *first = malloc(16);  // the pool exists now
    if (!first) { puts("first malloc failed"); return 12; }
    long filled = fill(dir);
    int first_round = allocate_until_full();
    if (first_round >= MAX_BLOCKS) { puts("never ran out of space"); return 13; }
    for (int i = 0; i < first_round; i++) free(blocks[i]);
    int second_round = allocate_until_full();
    for (int i = 0; i < second_round; i++) free(blocks[i]);
    char path[4096];
    snprintf(path, sizeof path, "%s/filler", dir);
    unlink(path);
    printf("filled=%ld first=%d second=%d\n", filled, first_round, second_round);
    return second_round >= first_round ? 0 : 14;
}
