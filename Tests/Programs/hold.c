/*
 * hold.c - allocates and touches ARGV[2] MiB from the pool, then creates the
 * file ARGV[1] to say so, and waits to be killed.
 */
#include "poolcheck.h"

int main(int argc, char **argv)
{
    CHECKF(argc == 3, "usage: hold <ready-file> <MiB>");
    size_t bytes = (size_t)atol(argv[2]) << 20;
    char *p = malloc(bytes);
    CHECKF(p != NULL, "malloc(%zu) failed", bytes);
    check_in_pool(p, "held block");
    memset(p, 0x33, bytes);
    int fd = open(argv[1], O_CREAT | O_WRONLY, 0600);
    CHECK(fd >= 0);
    close(fd);
    for (;;) pause();
}
