// The C side of libvmmalloc: what Swift cannot say by itself.
//
// - the entry points the Swift core implements (called by the exported C names),
// - the futex calls (variadic) behind plain functions, the thread's heap
//   slot and a coarse clock,
// - glibc's own allocator and RTLD_NEXT, for foreign pointers.
// The platform headers, errno and open(2) are in vmmalloc_system.h.
#ifndef VMMALLOC_SHIM_H
#define VMMALLOC_SHIM_H

#include "vmmalloc_system.h"
#include "vmmalloc_memcheck.h"
#include <stdio.h>

// glibc's struct mallinfo2 and struct mallinfo, field for field, and
// libvmmalloc.h's struct vmmalloc_stats: the exports check each layout
// against the real declaration where there is one.
struct vmm_mallinfo2 {
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct vmm_mallinfo {
    int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct vmm_stats {
    size_t size;
    size_t pool_size, pool_in_use, pool_peak_in_use, pool_metadata, pool_free, pool_largest_free, free_extents;
    size_t allocated_bytes, allocated_blocks;
    size_t large_blocks, large_bytes, huge_blocks, huge_bytes, huge_threshold;
    size_t refused, threads, forks;
};

// Implemented in Swift (API layer).
void vmm_initialize(void);
void vmm_finalize(void);
void *vmm_malloc(size_t size);
void *vmm_calloc(size_t count, size_t size);
void *vmm_realloc(void *ptr, size_t size);
void vmm_free(void *ptr);
int vmm_posix_memalign(void **memptr, size_t alignment, size_t size);
void *vmm_aligned_alloc(size_t alignment, size_t size);
void *vmm_memalign(size_t alignment, size_t size);
void *vmm_valloc(size_t size);
void *vmm_pvalloc(size_t size);
size_t vmm_malloc_usable_size(void *ptr);
// The introspection calls (API/IntrospectionAPI.swift).
void vmm_mallinfo2(struct vmm_mallinfo2 *info);
void vmm_mallinfo(struct vmm_mallinfo *info);
int vmm_malloc_trim(size_t pad);
void vmm_malloc_stats(void);
int vmm_malloc_info(int options, void *stream);

// fputs(3) on a stream Swift holds as a raw pointer: FILE is a complete
// struct in glibc's headers and an incomplete one in FreeBSD's, which Swift
// imports as two different pointer types.
static inline int vmm_fputs(const char *text, void *stream) {
    return fputs(text, (FILE *)stream);
}
int vmm_mallopt(int parameter, int value);
int vmm_stats_get(struct vmm_stats *stats);

// The calling thread's heap (initial-exec TLS: one load, no call), read and
// written by Swift directly (`ThreadHeap.current`), so that the exported entry
// points, which cannot inline C functions, take no call for it. Hidden: the
// dynamic symbol table keeps it as a local symbol only, for the TLS
// relocation; no other object can bind to it.
extern __attribute__((visibility("hidden"), swift_attr("nonisolated(unsafe)"))) __thread void *vmm_tls_heap
    __attribute__((tls_model("initial-exec")));

// Coarse monotonic clock in milliseconds (a vDSO read, for slow-path timing).
static inline uint32_t vmm_coarse_milliseconds(void) {
    struct timespec now;
#if defined(CLOCK_MONOTONIC_COARSE)
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
#else
    clock_gettime(CLOCK_MONOTONIC_FAST, &now);
#endif
    return (uint32_t)((uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u);
}

// Wait while *word == expected (a private futex or umtx wait).
static inline void vmm_futex_wait(uint32_t *word, uint32_t expected) {
#if defined(__linux__)
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
#elif defined(__FreeBSD__)
    _umtx_op(word, UMTX_OP_WAIT_UINT_PRIVATE, expected, NULL, NULL);
#endif
}

// Wake one waiter of *word.
static inline void vmm_futex_wake_one(uint32_t *word) {
#if defined(__linux__)
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#elif defined(__FreeBSD__)
    _umtx_op(word, UMTX_OP_WAKE_PRIVATE, 1, NULL, NULL);
#endif
}

// The next definition of a symbol after this library (RTLD_NEXT is a cast macro).
static inline void *vmm_next_symbol(const char *name) {
    return dlsym(RTLD_NEXT, name);
}

#if defined(__linux__)
// glibc's own allocator, for pointers that did not come from the pool.
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_realloc(void *ptr, size_t size);
#endif

#endif
