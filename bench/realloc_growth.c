/*
 * realloc_growth.c - 4000 buffers grow side by side, a random step (1-512
 * bytes) at a time, by realloc, the way strings and vectors grow, until they
 * reach a random final size of up to 64 KiB; then they are freed and the next
 * round starts. The bytes written so far must survive every move: each step
 * checks the start and the end of what the buffer held, then appends.
 *
 * BENCH_SCALE: 3 rounds at 1.
 */
#include "bench.h"

#define BUFFERS 4000

struct buffer { unsigned char *p; size_t n, target; uint32_t seed; };

/* Byte i of buffer seed s: the same whether written in one go or appended. */
static void append(struct buffer *b, size_t grow)
{
    for (size_t i = b->n; i < b->n + grow; i++) b->p[i] = bench_byte(b->seed, i);
    b->n += grow;
}

static void check_ends(const struct buffer *b)
{
    size_t edge = b->n < 64 ? b->n : 64;
    for (size_t i = 0; i < edge; i++)
        if (b->p[i] != bench_byte(b->seed, i)) BENCH_FAIL("buffer %u: byte %zu changed", b->seed, i);
    for (size_t i = b->n - edge; i < b->n; i++)
        if (b->p[i] != bench_byte(b->seed, i)) BENCH_FAIL("buffer %u: byte %zu changed", b->seed, i);
}

int main(void)
{
    long rounds = bench_scaled(3, 1);
    long buffers = bench_scaled(BUFFERS, 16);
    if (buffers > BUFFERS) buffers = BUFFERS;
    static struct buffer all[BUFFERS];
    bench_rng rng = bench_rng_seed(5);
    for (long round = 0; round < rounds; round++) {
        for (long k = 0; k < buffers; k++) {
            all[k] = (struct buffer){NULL, 0, bench_log_between(&rng, 64, 65536), (uint32_t)(round * BUFFERS + k)};
        }
        for (long growing = buffers; growing > 0;) {
            growing = 0;
            for (long k = 0; k < buffers; k++) {
                struct buffer *b = &all[k];
                if (b->n >= b->target) continue;
                size_t grow = bench_between(&rng, 1, 512);
                if (grow > b->target - b->n) grow = b->target - b->n;
                if (b->n) check_ends(b);
                unsigned char *moved = realloc(b->p, b->n + grow);
                if (!moved) BENCH_FAIL("realloc(%zu) failed", b->n + grow);
                b->p = moved;
                if (b->n) check_ends(b);
                append(b, grow);
                growing++;
            }
        }
        for (long k = 0; k < buffers; k++) {
            check_ends(&all[k]);
            free(all[k].p);
        }
    }
    bench_done("realloc_growth");
    return 0;
}
