/*
 * hugepages.c - a pool on hugetlbfs larger than the huge pages there are.
 * Usage: hugepages <block bytes> [fork]
 *
 * Allocates blocks of the given size and writes all of each until malloc
 * returns NULL: it must say ENOMEM (a store into a huge page the pool did not
 * get would be a SIGBUS instead). Then frees them all and allocates as many
 * again: the huge pages come back. Prints the count and the huge pages the
 * system had free at the end of each round (HugePages_Free), then
 * "OK hugepages". With "fork", first forks a child that exits at once, so
 * that in fork mode 1 the rounds run in a pool made private.
 */
#include "poolcheck.h"
#include <sys/wait.h>

#define MAX_BLOCKS (1 << 20)

static void *blocks[MAX_BLOCKS];

/* HugePages_Free from /proc/meminfo (read without malloc), -1 if absent. */
static long free_huge_pages(void)
{
    static char text[8192];
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    const char *line = strstr(text, "HugePages_Free:");
    return line ? strtol(line + strlen("HugePages_Free:"), NULL, 10) : -1;
}

static size_t allocate_until_full(size_t size, const char *round)
{
    size_t n = 0;
    for (;;) {
        errno = 0;
        void *p = malloc(size);
        if (!p) {
            CHECKF(errno == ENOMEM, "%s: malloc(%zu) returned NULL with errno %d (%s), expected ENOMEM", round, size,
                   errno, strerror(errno));
            break;
        }
        CHECKF(n < MAX_BLOCKS, "%s: %zu blocks of %zu bytes and still no NULL", round, n, size);
        if (n == 0) check_in_pool(p, "first block");
        memset(p, 0x5a, size); /* a SIGBUS would strike here */
        blocks[n++] = p;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (argc == 3 && strcmp(argv[2], "fork") != 0) || argc > 3) FAIL("usage: hugepages <block bytes> [fork]");
    size_t size = strtoull(argv[1], NULL, 10);
    CHECK(size > 0);
    if (argc == 3) {
        pid_t child = fork();
        CHECKF(child >= 0, "fork: %s", strerror(errno));
        if (child == 0) _exit(0);
        int status = 0;
        CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    size_t first = allocate_until_full(size, "first round");
    long free_after_first = free_huge_pages();
    for (size_t i = 0; i < first; i++) free(blocks[i]);
    size_t second = allocate_until_full(size, "second round");
    long free_after_second = free_huge_pages();
    for (size_t i = 0; i < second; i++) free(blocks[i]);
    printf("first_round=%zu\nsecond_round=%zu\n", first, second);
    printf("free_after_first=%ld\nfree_after_second=%ld\n", free_after_first, free_after_second);
    CHECKF(first > 0, "not one block of %zu bytes", size);
    CHECKF(second >= first - first / 8,
           "after freeing %zu blocks only %zu came back: the huge pages were not reused", first, second);
    printf("OK hugepages\n");
    return 0;
}
