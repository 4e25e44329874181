// Valgrind's client requests, which are C macros of inline assembly, behind
// plain functions Swift can call (`Memcheck` in Swift decides when). Outside
// valgrind each is a few instructions that do nothing; where valgrind's
// headers are missing (a build without the `valgrind` package) they are empty.
#ifndef VMMALLOC_MEMCHECK_H
#define VMMALLOC_MEMCHECK_H

#include <stddef.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define VMM_HAS_VALGRIND 1
#endif
#endif

#if defined(VMM_HAS_VALGRIND)

// Whether the process runs under valgrind (any tool): 0 natively.
static inline unsigned vmm_valgrind_running(void) { return RUNNING_ON_VALGRIND; }

// A block handed to the program: `size` bytes, defined if `zeroed`, else undefined.
static inline void vmm_memcheck_malloclike(void *block, size_t size, int zeroed) {
    VALGRIND_MALLOCLIKE_BLOCK(block, size, 0, zeroed);
}

// The program gave the block back (memcheck reports a block it does not know).
static inline void vmm_memcheck_freelike(void *block) { VALGRIND_FREELIKE_BLOCK(block, 0); }

// The block stays where it is with a new size.
static inline void vmm_memcheck_resize_in_place(void *block, size_t old_size, size_t new_size) {
    VALGRIND_RESIZEINPLACE_BLOCK(block, old_size, new_size, 0);
}

// Memory the program may not touch (pool metadata, free blocks).
static inline void vmm_memcheck_make_noaccess(void *start, size_t length) {
    (void)VALGRIND_MAKE_MEM_NOACCESS(start, length);
}

// Errors of the calling thread are not reported until the matching enable
// (the allocator's own reads and writes of what the program may not touch).
static inline void vmm_memcheck_disable_errors(void) { VALGRIND_DISABLE_ERROR_REPORTING; }
static inline void vmm_memcheck_enable_errors(void) { VALGRIND_ENABLE_ERROR_REPORTING; }

#else

static inline unsigned vmm_valgrind_running(void) { return 0; }
static inline void vmm_memcheck_malloclike(void *block, size_t size, int zeroed) {
    (void)block; (void)size; (void)zeroed;
}
static inline void vmm_memcheck_freelike(void *block) { (void)block; }
static inline void vmm_memcheck_resize_in_place(void *block, size_t old_size, size_t new_size) {
    (void)block; (void)old_size; (void)new_size;
}
static inline void vmm_memcheck_make_noaccess(void *start, size_t length) { (void)start; (void)length; }
static inline void vmm_memcheck_disable_errors(void) {}
static inline void vmm_memcheck_enable_errors(void) {}

#endif

#endif
