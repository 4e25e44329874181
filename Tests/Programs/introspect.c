/*
 * introspect.c - glibc's introspection calls and vmmalloc_stats_get, as a
 * program sees them. Each case prints what it found as key=value lines (or a
 * document) on standard output for the test to check; "OK <case>" at the end.
 *
 *   mallinfo   mallinfo2 and mallinfo with known blocks live, then after freeing some
 *   trim       malloc_trim gives the file space of freed blocks back (the pool file's blocks)
 *   stats      malloc_stats after a peak of 24 MiB and two refused allocations
 *   info       malloc_info(0, stdout), then malloc_info(1, ...) (EINVAL)
 *   mallopt    mallopt's answers
 *   api        vmmalloc_stats_get: whole, an older caller's shorter structure, NULL
 *   forks      a parent and two children, each with its own peak and refusals (for the summaries)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvmmalloc.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Only the api case calls it, built with -lvmmalloc; preloaded, the program links without it. */
#pragma weak vmmalloc_stats_get

static void print_mallinfo2(const char *when) {
    struct mallinfo2 m = mallinfo2();
    printf("%s arena=%zu ordblks=%zu smblks=%zu hblks=%zu hblkhd=%zu usmblks=%zu fsmblks=%zu uordblks=%zu fordblks=%zu keepcost=%zu\n",
           when, m.arena, m.ordblks, m.smblks, m.hblks, m.hblkhd, m.usmblks, m.fsmblks, m.uordblks, m.fordblks, m.keepcost);
}

/* Bytes of file space the pool file holds now (the descriptor in VMMALLOC_POOL_DIR). */
static long long pool_file_bytes(void) {
    const char *dir = getenv("VMMALLOC_POOL_DIR");
    DIR *fds = opendir("/proc/self/fd");
    long long bytes = -1;
    struct dirent *entry;
    while (dir && fds && (entry = readdir(fds)) != NULL) {
        char path[64], target[4096];
        snprintf(path, sizeof path, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        struct stat info;
        if (strncmp(target, dir, strlen(dir)) == 0 && target[strlen(dir)] == '/' && stat(path, &info) == 0)
            bytes = (long long)info.st_blocks * 512;
    }
    if (fds) closedir(fds);
    return bytes;
}

static void refuse(int times) {
    for (int i = 0; i < times; i++) {
        errno = 0;
        void *p = malloc((size_t)1 << 46);
        if (p != NULL || errno != ENOMEM) { printf("FAIL a 64 TiB malloc: %p errno %d\n", p, errno); exit(1); }
    }
}

/* Takes `mib` MiB in large blocks, touches them, frees them. */
static void peak(int mib) {
    void *blocks[64];
    for (int i = 0; i < mib; i++) { blocks[i] = malloc(1 << 20); memset(blocks[i], 1, 1 << 20); }
    for (int i = 0; i < mib; i++) free(blocks[i]);
}

int main(int argc, char **argv) {
    const char *which = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(which, "mallinfo") == 0) {
        static void *small[1000];
        for (int i = 0; i < 1000; i++) small[i] = malloc(100);
        void *large = malloc(200 << 10);
        void *huge = malloc(3 << 20);
        memset(huge, 1, 3 << 20);
        print_mallinfo2("live");
        struct mallinfo2 wide = mallinfo2();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        struct mallinfo narrow = mallinfo();
#pragma GCC diagnostic pop
        printf("same %d\n", narrow.arena == (int)wide.arena && narrow.uordblks == (int)wide.uordblks
                                && narrow.hblks == (int)wide.hblks && narrow.usmblks == (int)wide.usmblks);
        free(huge);
        free(large);
        for (int i = 0; i < 1000; i++) free(small[i]);
        print_mallinfo2("freed");
    } else if (strcmp(which, "trim") == 0) {
        peak(32);
        long long before = pool_file_bytes();
        int first = malloc_trim(0);
        int second = malloc_trim(0); /* nothing was freed since */
        long long after = pool_file_bytes();
        printf("before=%lld after=%lld first=%d second=%d\n", before, after, first, second);
    } else if (strcmp(which, "stats") == 0) {
        peak(24);
        refuse(2);
        malloc_stats();
    } else if (strcmp(which, "info") == 0) {
        void *huge = malloc(3 << 20);
        printf("rc=%d\n", malloc_info(0, stdout));
        errno = 0;
        int bad = malloc_info(1, stdout);
        printf("bad=%d errno=%d\n", bad, errno);
        free(huge);
    } else if (strcmp(which, "mallopt") == 0) {
        printf("M_ARENA_MAX=%d M_MMAP_THRESHOLD=%d M_TRIM_THRESHOLD=%d M_TOP_PAD=%d M_MXFAST=%d M_MXFAST_big=%d "
               "M_PERTURB=%d M_CHECK_ACTION=%d unknown=%d\n",
               mallopt(M_ARENA_MAX, 2), mallopt(M_MMAP_THRESHOLD, 1 << 20), mallopt(M_TRIM_THRESHOLD, 1 << 20),
               mallopt(M_TOP_PAD, 0), mallopt(M_MXFAST, 64), mallopt(M_MXFAST, 100000), mallopt(M_PERTURB, 0xaa),
               mallopt(M_CHECK_ACTION, 3), mallopt(12345, 1));
    } else if (strcmp(which, "api") == 0) {
        void *huge = malloc(5 << 20);
        refuse(3);
        struct vmmalloc_stats s;
        memset(&s, 0xff, sizeof s);
        s.size = sizeof s;
        int rc = vmmalloc_stats_get(&s);
        printf("rc=%d size=%zu want=%zu pool_size=%zu in_use=%zu peak=%zu free=%zu largest=%zu extents=%zu "
               "allocated=%zu blocks=%zu huge_blocks=%zu huge_bytes=%zu huge_threshold=%zu refused=%zu threads=%zu forks=%zu\n",
               rc, s.size, sizeof s, s.pool_size, s.pool_in_use, s.pool_peak_in_use, s.pool_free, s.pool_largest_free,
               s.free_extents, s.allocated_bytes, s.allocated_blocks, s.huge_blocks, s.huge_bytes, s.huge_threshold,
               s.refused, s.threads, s.forks);
        /* A caller built against a header whose structure had pool_size alone. */
        struct vmmalloc_stats older;
        memset(&older, 0xff, sizeof older);
        older.size = 2 * sizeof(size_t);
        rc = vmmalloc_stats_get(&older);
        printf("older rc=%d size=%zu pool_size=%zu untouched=%d\n", rc, older.size, older.pool_size,
               older.pool_in_use == (size_t)-1);
        errno = 0;
        rc = vmmalloc_stats_get(NULL);
        printf("null rc=%d einval=%d\n", rc, errno == EINVAL);
        free(huge);
    } else if (strcmp(which, "forks") == 0) {
        /* The parent: 3 refusals, a peak of 4 MiB; child n: n refusals, a peak of 8n MiB. */
        refuse(3);
        peak(4);
        for (int n = 1; n <= 2; n++) {
            pid_t pid = fork();
            if (pid == 0) {
                refuse(n);
                peak(8 * n);
                exit(0);
            }
            int status;
            if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                printf("FAIL child %d\n", n);
                return 1;
            }
        }
    } else {
        fprintf(stderr, "unknown case %s\n", which);
        return 2;
    }
    printf("OK %s\n", which);
    return 0;
}
