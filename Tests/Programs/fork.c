/*
 * fork.c - fork(2) under libvmmalloc.
 *
 * fork data   : allocate and fill blocks, fork while another thread keeps
 *               allocating; parent and child keep allocating and verify the
 *               pre-fork data; the child (and a grandchild) exit 0; writes in
 *               the child are not seen by the parent.  Prints
 *               before=<inode> <perms>, child=<inode> <perms>,
 *               parent=<inode> <perms> of the pool mapping holding the data.
 * fork limit  : the same after setrlimit(RLIMIT_FSIZE) below the pool size
 *               (a copy of the pool file cannot be made).
 * fork chdir  : the same after chdir("/"), as daemons do (a relative
 *               VMMALLOC_POOL_DIR must still name the same directory).
 * fork exec   : fork+exec, system(), popen(), posix_spawn.
 * fork hello  : what the exec case runs: one allocation in its own pool.
 * fork snapshot: a thread keeps counting into a pool block and then into a
 *               global, without pause, while main forks 50 times; each child
 *               must see the block's count at least as far as the global's
 *               (the pool taken at the same instant as the rest of memory).
 *               Prints snapshot_children=<n> snapshot_older=<n>.
 */
#include "poolcheck.h"
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

#define NBLOCKS 300
static unsigned char *blocks[NBLOCKS];
static size_t sizes[NBLOCKS];

static void make_blocks(void)
{
    for (int i = 0; i < NBLOCKS; i++) {
        sizes[i] = (i % 10 == 9) ? (size_t)(i + 1) * 1000 : (size_t)(i * 13) % 900 + 1;
        blocks[i] = malloc(sizes[i]);
        if (!blocks[i]) FAIL("malloc(%zu) failed", sizes[i]);
        fill_pattern(blocks[i], sizes[i], (unsigned)i);
    }
    check_in_pool(blocks[0], "pre-fork block");
}

static void verify_blocks(const char *who)
{
    for (int i = 0; i < NBLOCKS; i++)
        if (!check_pattern(blocks[i], sizes[i], (unsigned)i))
            FAIL("%s: pre-fork block %d (%zu bytes) does not hold its data", who, i, sizes[i]);
}

/* Allocate, fill, verify and free for a while; fail on any problem. */
static void churn(int rounds, unsigned salt, const char *who)
{
    enum { LIVE = 64 };
    unsigned char *live[LIVE] = {0};
    size_t lsize[LIVE] = {0};
    unsigned x = salt * 2654435761u + 1;
    for (int r = 0; r < rounds; r++) {
        x = x * 1103515245u + 12345u;
        int slot = (int)((x >> 8) % LIVE);
        if (live[slot]) {
            if (!check_pattern(live[slot], lsize[slot], salt + (unsigned)slot))
                FAIL("%s: a block allocated after the fork was overwritten", who);
            free(live[slot]);
        }
        lsize[slot] = (x >> 12) % 20000 + 1;
        live[slot] = malloc(lsize[slot]);
        if (!live[slot]) FAIL("%s: malloc(%zu) failed: %s", who, lsize[slot], strerror(errno));
        if (r % 5000 == 0) check_in_pool(live[slot], who);
        fill_pattern(live[slot], lsize[slot], salt + (unsigned)slot);
    }
    for (int i = 0; i < LIVE; i++) free(live[i]);
}

static volatile int stop_thread;
static volatile long thread_rounds;

static void *background(void *arg)
{
    (void)arg;
    while (!stop_thread) {
        churn(200, 77, "background thread");
        thread_rounds++;
    }
    return NULL;
}

static void print_mapping(const char *who)
{
    struct pc_mapping m = pool_mapping_of(blocks[0], who);
    printf("%s=%llu %s\n", who, m.inode, m.perms);
    fflush(stdout);
}

static int wait_child(pid_t pid, const char *who)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) FAIL("waitpid(%s): %s", who, strerror(errno));
    if (WIFSIGNALED(status)) {
        printf("%s killed by signal %d\n", who, WTERMSIG(status));
        return -1;
    }
    return WEXITSTATUS(status);
}

static void case_data(int limit, int elsewhere)
{
    make_blocks();
    print_mapping("before");
    if (elsewhere && chdir("/")) FAIL("chdir: %s", strerror(errno));
    if (limit) {
        const char *s = getenv("VMMALLOC_POOL_SIZE");
        (void)s;
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {1 << 20, 1 << 20}; /* far below any pool size */
        if (setrlimit(RLIMIT_FSIZE, &rl)) FAIL("setrlimit: %s", strerror(errno));
    }
    pthread_t t;
    if (pthread_create(&t, NULL, background, NULL)) FAIL("pthread_create");
    while (thread_rounds < 3) usleep(1000); /* the thread is busy allocating */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) FAIL("fork: %s", strerror(errno));
    if (pid == 0) {
        print_mapping("child");
        verify_blocks("child");
        churn(20000, 1000, "child");
        verify_blocks("child after allocating");
        /* a grandchild */
        fflush(stdout);
        pid_t g = fork();
        if (g < 0) FAIL("fork in the child: %s", strerror(errno));
        if (g == 0) {
            verify_blocks("grandchild");
            churn(5000, 2000, "grandchild");
            _exit(0);
        }
        int gs = wait_child(g, "grandchild");
        if (gs != 0) FAIL("the grandchild failed (status %d)", gs);
        verify_blocks("child after the grandchild");
        /* scribble over the pre-fork data: the parent must not see this */
        for (int i = 0; i < NBLOCKS; i++) fill_pattern(blocks[i], sizes[i], (unsigned)i + 5000u);
        for (int i = 0; i < NBLOCKS; i += 2) free(blocks[i]);
        printf("child ok\n");
        exit(0);
    }
    churn(20000, 3000, "parent");
    print_mapping("parent");
    verify_blocks("parent");
    int cs = wait_child(pid, "child");
    printf("child_status=%d\n", cs);
    verify_blocks("parent after the child wrote to its copy");
    stop_thread = 1;
    pthread_join(t, NULL);
    churn(5000, 4000, "parent after the thread");
    verify_blocks("parent at the end");
    if (cs != 0) FAIL("the child failed (status %d)", cs);
}

static void case_exec(const char *self)
{
    make_blocks();
    /* fork + exec */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) FAIL("fork: %s", strerror(errno));
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    int st = wait_child(pid, "fork+exec /bin/true");
    if (st != 0) FAIL("fork+exec /bin/true: status %d", st);
    printf("fork_exec_true=%d\n", st);

    /* fork + exec of a program that uses its own pool */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl(self, self, "hello", (char *)NULL);
        _exit(127);
    }
    st = wait_child(pid, "fork+exec hello");
    if (st != 0) FAIL("fork+exec of a pool program: status %d", st);
    printf("fork_exec_hello=%d\n", st);

    /* fork + _exit */
    fflush(stdout);
    pid = fork();
    if (pid == 0) _exit(7);
    st = wait_child(pid, "fork+_exit");
    if (st != 7) FAIL("fork+_exit(7): status %d", st);

    /* system() */
    fflush(stdout);
    int rc = system("exit 3");
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 3) FAIL("system(\"exit 3\") returned %d", rc);
    printf("system=%d\n", WEXITSTATUS(rc));

    /* popen() */
    FILE *p = popen("echo hello-from-popen", "r");
    if (!p) FAIL("popen: %s", strerror(errno));
    char line[128] = {0};
    if (!fgets(line, sizeof line, p)) FAIL("popen: no output");
    rc = pclose(p);
    if (strcmp(line, "hello-from-popen\n") != 0) FAIL("popen read '%s'", line);
    if (rc != 0) FAIL("pclose returned %d", rc);
    printf("popen=%s", line);

    /* posix_spawn */
    char *argv[] = {"true", NULL};
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) FAIL("posix_spawn failed");
    st = wait_child(pid, "posix_spawn /bin/true");
    if (st != 0) FAIL("posix_spawn /bin/true: status %d", st);
    printf("posix_spawn=%d\n", st);

    verify_blocks("parent after the children");
    churn(5000, 5000, "parent after the children");
}

/* ---- snapshot ---- */

static _Atomic long *snapshot_block;     /* in the pool */
static _Atomic long snapshot_global;     /* outside it */

static void *snapshot_counter(void *arg)
{
    (void)arg;
    for (long n = 1;; n++) {
        atomic_store(snapshot_block, n);
        atomic_store(&snapshot_global, n);
    }
    return NULL;
}

static void case_snapshot(void)
{
    snapshot_block = malloc(sizeof *snapshot_block);
    if (!snapshot_block) FAIL("malloc failed");
    atomic_store(snapshot_block, 0);
    /* Enough heap that copying or remapping it takes a while. */
    size_t ballast_size = 16 << 20;
    char *ballast = malloc(ballast_size);
    if (!ballast) FAIL("malloc(16 MiB) failed");
    memset(ballast, 7, ballast_size);
    pthread_t thread;
    if (pthread_create(&thread, NULL, snapshot_counter, NULL) != 0) FAIL("pthread_create failed");
    while (atomic_load(&snapshot_global) == 0) { }
    int children = 0, older = 0;
    for (int i = 0; i < 50; i++) {
        pid_t pid = fork();
        if (pid < 0) FAIL("fork: %s", strerror(errno));
        if (pid == 0) {
            long global = atomic_load(&snapshot_global), block = atomic_load(snapshot_block);
            _exit(block >= global ? 0 : 1);
        }
        int st = wait_child(pid, "snapshot child");
        children++;
        if (st == 1) older++;
        else if (st != 0) FAIL("snapshot child %d: status %d", i, st);
    }
    printf("snapshot_children=%d snapshot_older=%d\n", children, older);
    /* The counter never stops; exit ends it. */
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 2) FAIL("usage: fork data|limit|exec|hello");
    if (!strcmp(argv[1], "data")) case_data(0, 0);
    else if (!strcmp(argv[1], "limit")) case_data(1, 0);
    else if (!strcmp(argv[1], "chdir")) case_data(0, 1);
    else if (!strcmp(argv[1], "exec")) case_exec(argv[0]);
    else if (!strcmp(argv[1], "snapshot")) case_snapshot();
    else if (!strcmp(argv[1], "hello")) {
        void *p = malloc(10);
        check_in_pool(p, "exec'ed program");
        free(p);
        return 0;
    } else FAIL("unknown case %s", argv[1]);
    printf("OK %s\n", argv[1]);
    return 0;
}
