/*
 * closefds.c - a program that closes every descriptor it did not open, as
 * daemons do, then opens a file of its own (which takes the number the pool's
 * descriptor had) and allocates a lot. The library must not add space to that
 * file, and must keep serving allocations from the pool.
 * With a second argument "fork", it then forks, and the child allocates too
 * and checks a block the parent filled; with a third, "limit", a copy of the
 * pool file cannot be made at that fork (RLIMIT_FSIZE far below the pool).
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "poolcheck.h"

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "victim";
    void *first = malloc(64);
    CHECK(first != NULL);
    for (int fd = 3; fd < 1024; fd++) close(fd);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECKF(fd >= 0, "open %s: %s", path, strerror(errno));
    printf("victim_fd=%d\n", fd);

    size_t total = 0;
    for (int i = 0; i < 48; i++) {
        char *p = malloc(1 << 20);
        CHECKF(p != NULL, "malloc of block %d failed: %s", i, strerror(errno));
        check_in_pool(p, "block after closing descriptors");
        memset(p, 0x77, 1 << 20);
        total += 1 << 20;
    }
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("victim_size=%lld\n", (long long)st.st_size);
    printf("allocated=%zu\n", total);
    if (argc > 2 && strcmp(argv[2], "fork") == 0) {
        if (argc > 3 && strcmp(argv[3], "limit") == 0) {
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit rl = {1 << 20, 1 << 20};
            CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
        }
        char *mine = malloc(4096);
        CHECK(mine != NULL);
        fill_pattern(mine, 4096, 42);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            /* The child's pool is its own: what it writes, the parent does not see. */
            char *q = malloc(1 << 20);
            if (q == NULL || !in_pool(q) || !check_pattern(mine, 4096, 42)) _exit(3);
            memset(q, 0x55, 1 << 20);
            memset(mine, 0x55, 4096);
            free(q);
            _exit(0);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        printf("child_status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        printf("parent_block_intact=%d\n", check_pattern(mine, 4096, 42));
        free(mine);
    }
    close(fd);
    unlink(path);
    return 0;
}
