/*
 * fuzz.c - random sequences of every allocation call, with a shadow record of
 * what each live block must contain. Blocks are filled with a per-block
 * pattern and checked on every realloc and before every free; any overlap,
 * lost byte, misalignment or unexpected failure fails the run. Also
 * exercises exhaustion: in a small pool many calls fail with ENOMEM, and
 * must leave everything intact.
 *
 * Usage: fuzz <seed> <operations>
 * Prints: OK fuzz ops=<n> failures=<allocations refused for lack of space>
 */
#include "poolcheck.h"
#include <malloc.h>

#define SLOTS 1024

struct slot {
    unsigned char *p;
    size_t size;
    unsigned char tag;
};

static struct slot slots[SLOTS];
static unsigned long long state;

static unsigned long long next_random(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static size_t random_size(void)
{
    unsigned r = (unsigned)(next_random() % 100);
    if (r < 60) return (size_t)(next_random() % 512);
    if (r < 90) return (size_t)(next_random() % 16384);
    if (r < 99) return (size_t)(next_random() % (512 * 1024));
    return (size_t)(next_random() % (4 * 1024 * 1024));
}

static void fill(struct slot *s)
{
    for (size_t i = 0; i < s->size; i++) s->p[i] = (unsigned char)(s->tag + i * 7);
}

static void verify(const struct slot *s, size_t n, const char *when)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != (unsigned char)(s->tag + i * 7))
            FAIL("%s: byte %zu of a %zu-byte block at %p is %d, expected %d", when, i, s->size, (void *)s->p,
                 s->p[i], (unsigned char)(s->tag + i * 7));
}

int main(int argc, char **argv)
{
    CHECKF(argc == 3, "usage: fuzz <seed> <operations>");
    state = strtoull(argv[1], NULL, 10) * 2654435761ull + 1;
    long operations = atol(argv[2]);
    long failures = 0;
    for (long op = 0; op < operations; op++) {
        struct slot *s = &slots[next_random() % SLOTS];
        unsigned kind = (unsigned)(next_random() % 10);
        if (s->p && kind < 4) {
            verify(s, s->size, "before free");
            if (kind == 0) {
                errno = 0;
                void *r = realloc(s->p, 0);
                CHECKF(r == NULL, "realloc(p, 0) returned %p", r);
            } else {
                free(s->p);
            }
            s->p = NULL;
            continue;
        }
        if (s->p && kind < 7) {
            size_t n = random_size();
            errno = 0;
            unsigned char *r = realloc(s->p, n ? n : 1);
            if (!r) {
                CHECKF(errno == ENOMEM, "realloc failed with errno %d", errno);
                verify(s, s->size, "after a failed realloc");
                failures++;
                continue;
            }
            CHECKF(((uintptr_t)r & 15) == 0, "realloc result %p is not 16-byte aligned", (void *)r);
            s->p = r;
            verify(s, s->size < (n ? n : 1) ? s->size : (n ? n : 1), "after realloc");
            s->size = n ? n : 1;
            CHECKF(malloc_usable_size(r) >= s->size, "usable size %zu below %zu", malloc_usable_size(r), s->size);
            fill(s);
            continue;
        }
        if (s->p) {
            verify(s, s->size, "before replacing");
            free(s->p);
            s->p = NULL;
        }
        size_t n = random_size();
        size_t alignment = 16;
        unsigned char *p = NULL;
        errno = 0;
        switch (next_random() % 6) {
        case 0: p = calloc(1, n); break;
        case 1: alignment = (size_t)1 << (4 + next_random() % 14); p = memalign(alignment, n); break;
        case 2:
            alignment = (size_t)1 << (3 + next_random() % 10);
            if (posix_memalign((void **)&p, alignment, n) != 0) { p = NULL; errno = ENOMEM; }
            break;
        case 3: alignment = 4096; p = valloc(n); break;
        default: p = malloc(n); break;
        }
        if (!p) {
            CHECKF(errno == ENOMEM, "allocation of %zu failed with errno %d", n, errno);
            failures++;
            continue;
        }
        CHECKF(((uintptr_t)p % alignment) == 0, "%p is not aligned to %zu", (void *)p, alignment);
        CHECKF(((uintptr_t)p & 15) == 0, "%p is not 16-byte aligned", (void *)p);
        s->p = p;
        s->size = n;
        s->tag = (unsigned char)next_random();
        fill(s);
    }
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p) {
            verify(&slots[i], slots[i].size, "at the end");
            free(slots[i].p);
        }
    printf("OK fuzz ops=%ld failures=%ld\n", operations, failures);
    return 0;
}
