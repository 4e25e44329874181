/*
 * sandbox.c - a process that may not create files, as man-db runs its
 * helpers: a seccomp filter answers openat with O_CREAT or O_TMPFILE with
 * ENOSYS, so the library cannot make a pool. The program should run all the
 * same, on the system allocator.
 *
 * Usage: sandbox          installs the filter and runs itself again as
 *                         "sandbox inside" (the library is loaded anew)
 *        sandbox inside   shows that files cannot be created, then uses
 *                         every allocation call and checks the blocks; prints
 *                         "OK sandbox" at the end
 *        sandbox later    allocates from the pool first, then forbids
 *                         fallocate (ENOSYS) and allocates 200 MiB more, which
 *                         must come from the pool all the same; prints
 *                         "OK later"
 */
#include "poolcheck.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#else
#error "no seccomp architecture for this machine"
#endif

#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

/* The start of every filter here: other architectures pass, and the
 * system call's number is loaded for the tests that follow. */
#define SANDBOX_PROLOGUE                                                        \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),    \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),                    \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                               \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

static void install(struct sock_filter *code, unsigned short length)
{
    struct sock_fprog program = { .len = length, .filter = code };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) FAIL("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program)) FAIL("PR_SET_SECCOMP: %s", strerror(errno));
}

/* fallocate answers ENOSYS, as a service's system-call filter may make it. */
static void forbid_fallocate(void)
{
    struct sock_filter code[] = {
        SANDBOX_PROLOGUE,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fallocate, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    install(code, sizeof code / sizeof code[0]);
}

static void later(void)
{
    char *first = malloc(100);
    CHECKF(first != NULL, "malloc(100) failed: %s", strerror(errno));
    check_in_pool(first, "malloc before the filter");
    forbid_fallocate();
    enum { N = 200 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(1 << 20);
        CHECKF(blocks[i] != NULL, "MiB %d: malloc failed once fallocate was forbidden: %s", i, strerror(errno));
        check_in_pool(blocks[i], "malloc after the filter");
        memset(blocks[i], i, 1 << 20);
    }
    for (int i = 0; i < N; i++) {
        CHECKF(blocks[i][12345] == (char)i, "MiB %d changed", i);
        free(blocks[i]);
    }
    free(first);
    puts("OK later");
}

/* openat with O_CREAT or O_TMPFILE answers ENOSYS, as in man-db's sandbox. */
static void forbid_file_creation(void)
{
    struct sock_filter code[] = {
        SANDBOX_PROLOGUE,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
        /* openat(dirfd, path, flags, mode): the low word of the flags */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_CREAT | __O_TMPFILE, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    install(code, sizeof code / sizeof code[0]);
}

static void inside(void)
{
    /* The filter works: no file can be created, not even in /tmp. */
    int fd = open("/tmp", O_RDWR | O_TMPFILE, 0600);
    CHECKF(fd < 0 && errno == ENOSYS, "creating a file in the sandbox gave fd %d, errno %d", fd, errno);

    enum { N = 2000 };
    static char *blocks[N];
    static size_t sizes[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = 1 + (size_t)(i * 7919) % 70000;
        switch (i % 5) {
        case 0: blocks[i] = malloc(sizes[i]); break;
        case 1: blocks[i] = calloc(1, sizes[i]); break;
        case 2: blocks[i] = memalign(256, sizes[i]); break;
        case 3: CHECK(posix_memalign((void **)&blocks[i], 4096, sizes[i]) == 0); break;
        case 4: blocks[i] = aligned_alloc(64, sizes[i]); break;
        }
        CHECKF(blocks[i] != NULL, "allocation %d of %zu bytes failed: %s", i, sizes[i], strerror(errno));
        if (i % 5 == 1)
            for (size_t k = 0; k < sizes[i]; k++) CHECKF(blocks[i][k] == 0, "calloc block %d not zero at %zu", i, k);
        CHECK(malloc_usable_size(blocks[i]) >= sizes[i]);
        fill_pattern(blocks[i], sizes[i], (unsigned)i);
    }
    check_not_in_pool(blocks[0], "malloc in the sandbox");
    for (int i = 0; i < N; i += 2) {
        CHECKF(check_pattern(blocks[i], sizes[i], (unsigned)i), "block %d changed", i);
        char *grown = realloc(blocks[i], sizes[i] * 2 + 10);
        CHECK(grown != NULL);
        CHECKF(check_pattern(grown, sizes[i], (unsigned)i), "block %d changed when it grew", i);
        blocks[i] = grown;
    }
    for (int i = 0; i < N; i++) {
        CHECKF(check_pattern(blocks[i], sizes[i], (unsigned)i), "block %d changed", i);
        free(blocks[i]);
    }
    free(NULL);
    puts("OK sandbox");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "inside")) {
        inside();
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "later")) {
        later();
        return 0;
    }
    forbid_file_creation();
    char *again[] = { argv[0], "inside", NULL };
    execv("/proc/self/exe", again);
    FAIL("execv /proc/self/exe: %s", strerror(errno));
}
