/*
 * poolcheck.h - helpers shared by the test programs.
 *
 * The pool of libvmmalloc is a shared mapping of an unlinked file that lives
 * in $VMMALLOC_POOL_DIR.  /proc/self/maps shows such a mapping as
 * "<dir>/#<inode> (deleted)" (O_TMPFILE) or "<dir>/<name> (deleted)".
 * These helpers find the mapping that holds a pointer and tell whether it is
 * one of those.  They never call malloc themselves (static buffers only), so
 * they can be used anywhere, also in destructors and in forked children.
 *
 * Every failure goes through FAIL(), which prints "FAIL: ..." on stderr and
 * exits with status 1.
 */
#ifndef POOLCHECK_H
#define POOLCHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL(...)                                                          \
    do {                                                                   \
        fprintf(stderr, "FAIL: %s:%d: ", __FILE__, __LINE__);              \
        fprintf(stderr, __VA_ARGS__);                                      \
        fputc('\n', stderr);                                               \
        fflush(stderr);                                                    \
        _exit(1);                                                          \
    } while (0)

/* CHECKF: like CHECK with a formatted explanation. */
#define CHECKF(cond, ...)                                                  \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL: %s:%d: check `%s` failed: ", __FILE__,  \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            fflush(stderr);                                                \
            _exit(1);                                                      \
        }                                                                  \
    } while (0)

#define CHECK(cond) CHECKF(cond, "(no details)")

#define PC_FN static __attribute__((unused))

#ifdef __cplusplus
extern "C" {
#endif

/* One line of /proc/self/maps, parsed. */
struct pc_mapping {
    uintptr_t start, end;
    char perms[8];
    unsigned long long offset;
    unsigned long long inode;
    char path[PATH_MAX + 32];
};

static char pc_maps_buf[8 << 20];
static char pc_pool_dir[PATH_MAX];

/* Reads /proc/self/maps into a static buffer; returns its length. */
PC_FN size_t pc_read_maps(void)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) FAIL("open /proc/self/maps: %s", strerror(errno));
    size_t len = 0;
    for (;;) {
        if (len + 1 >= sizeof pc_maps_buf) FAIL("/proc/self/maps is too big");
        ssize_t n = read(fd, pc_maps_buf + len, sizeof pc_maps_buf - 1 - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            FAIL("read /proc/self/maps: %s", strerror(errno));
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    close(fd);
    pc_maps_buf[len] = 0;
    return len;
}

PC_FN int pc_parse_line(const char *line, struct pc_mapping *m)
{
    unsigned long s, e;
    unsigned dmaj, dmin;
    int consumed = 0;
    memset(m, 0, sizeof *m);
    if (sscanf(line, "%lx-%lx %7s %llx %x:%x %llu%n", &s, &e, m->perms,
               &m->offset, &dmaj, &dmin, &m->inode, &consumed) < 7)
        return 0;
    m->start = s;
    m->end = e;
    const char *p = line + consumed;
    while (*p == ' ') p++;
    size_t n = strcspn(p, "\n");
    if (n >= sizeof m->path) n = sizeof m->path - 1;
    memcpy(m->path, p, n);
    m->path[n] = 0;
    return 1;
}

/* The canonical pool directory ($VMMALLOC_POOL_DIR through realpath). */
static const char *pc_pool_dir_path(void)
{
    if (!pc_pool_dir[0]) {
        const char *d = getenv("VMMALLOC_POOL_DIR");
        if (!d || !*d) FAIL("VMMALLOC_POOL_DIR is not set for the test program");
        if (!realpath(d, pc_pool_dir)) {
            /* realpath may allocate nothing here (buffer given). */
            FAIL("realpath(%s): %s", d, strerror(errno));
        }
    }
    return pc_pool_dir;
}

/* Finds the mapping holding p; returns 1 and fills *m, or 0 if none. */
PC_FN int pc_find_mapping(const void *p, struct pc_mapping *m)
{
    pc_read_maps();
    uintptr_t a = (uintptr_t)p;
    char *line = pc_maps_buf;
    while (*line) {
        char *nl = strchr(line, '\n');
        if (pc_parse_line(line, m) && a >= m->start && a < m->end) return 1;
        if (!nl) break;
        line = nl + 1;
    }
    return 0;
}

/* Whether a parsed mapping is a file of the pool directory. */
PC_FN int pc_mapping_is_pool(const struct pc_mapping *m)
{
    const char *dir = pc_pool_dir_path();
    size_t n = strlen(dir);
    return strncmp(m->path, dir, n) == 0 && m->path[n] == '/' &&
           strchr(m->path + n + 1, '/') == NULL;
}

/* 1 if p lies in a mapping of a file in the pool directory. */
PC_FN int in_pool(const void *p)
{
    struct pc_mapping m;
    return pc_find_mapping(p, &m) && pc_mapping_is_pool(&m);
}

/* Exits with a clear message unless p lies in the pool. */
PC_FN void check_in_pool(const void *p, const char *what)
{
    struct pc_mapping m;
    if (!pc_find_mapping(p, &m))
        FAIL("%s: pointer %p is in no mapping at all", what, p);
    if (!pc_mapping_is_pool(&m))
        FAIL("%s: pointer %p is not in the pool (dir %s); its mapping: "
             "%lx-%lx %s '%s'", what, p, pc_pool_dir_path(),
             (unsigned long)m.start, (unsigned long)m.end, m.perms, m.path);
}

/* Exits with a clear message if p lies in the pool. */
PC_FN void check_not_in_pool(const void *p, const char *what)
{
    struct pc_mapping m;
    if (pc_find_mapping(p, &m) && pc_mapping_is_pool(&m))
        FAIL("%s: pointer %p is in the pool (%s) but should not be", what, p,
             m.path);
}

/* The mapping of the pool that holds p; fails unless there is one. */
PC_FN struct pc_mapping pool_mapping_of(const void *p, const char *what)
{
    struct pc_mapping m;
    check_in_pool(p, what);
    pc_find_mapping(p, &m);
    return m;
}

/*
 * Fast range checks for hot loops: pool_ranges_load() records every mapping
 * of a pool file; in_pool_fast() then checks without reading /proc.
 */
#define PC_MAX_RANGES 64
static uintptr_t pc_range_start[PC_MAX_RANGES], pc_range_end[PC_MAX_RANGES];
static int pc_nranges;

PC_FN int pool_ranges_load(void)
{
    pc_read_maps();
    pc_nranges = 0;
    /* pc_parse_line is reentrant on the buffer; walk it. */
    char *line = pc_maps_buf;
    struct pc_mapping m;
    while (*line) {
        char *nl = strchr(line, '\n');
        if (pc_parse_line(line, &m) && pc_mapping_is_pool(&m) &&
            pc_nranges < PC_MAX_RANGES) {
            pc_range_start[pc_nranges] = m.start;
            pc_range_end[pc_nranges] = m.end;
            pc_nranges++;
        }
        if (!nl) break;
        line = nl + 1;
    }
    return pc_nranges;
}

PC_FN int in_pool_fast(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    for (int i = 0; i < pc_nranges; i++)
        if (a >= pc_range_start[i] && a < pc_range_end[i]) return 1;
    return 0;
}

/* Number of entries (other than . and ..) in the pool directory, or -1. */
#include <dirent.h>
PC_FN int pool_dir_entries(void)
{
    /* opendir allocates; that is fine, it is what a program would do. */
    DIR *d = opendir(pc_pool_dir_path());
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* stat(2) of the file behind the pool mapping holding p. */
PC_FN struct stat pool_file_stat(const void *p)
{
    struct pc_mapping m = pool_mapping_of(p, "pool_file_stat");
    char link[128];
    struct stat st;
    snprintf(link, sizeof link, "/proc/self/map_files/%lx-%lx",
             (unsigned long)m.start, (unsigned long)m.end);
    if (stat(link, &st) != 0) FAIL("stat %s: %s", link, strerror(errno));
    return st;
}

/* Size in bytes of the file behind the pool mapping holding p. */
PC_FN long long pool_file_size(const void *p)
{
    return (long long)pool_file_stat(p).st_size;
}

/* Fills a block with a pattern derived from seed; check_pattern verifies. */
PC_FN void fill_pattern(void *p, size_t n, unsigned seed)
{
    unsigned char *b = (unsigned char *)p;
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 8));
}

PC_FN int check_pattern(const void *p, size_t n, unsigned seed)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(seed * 31u + i * 7u + (i >> 8))) return 0;
    return 1;
}

#ifdef __cplusplus
}
#endif

#endif /* POOLCHECK_H */
