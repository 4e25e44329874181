// The exported C names. Each forwards to the Swift core; nothing is decided here.
// Swift reserves these symbol names for its own use, so they are spelled in C.
#include "vmmalloc_shim.h"
#if defined(__linux__)
#include <malloc.h>
#elif defined(__FreeBSD__)
#include <malloc_np.h>
#endif

#define VMM_EXPORT __attribute__((visibility("default")))

__thread void *vmm_tls_heap = NULL;


VMM_EXPORT void *malloc(size_t size) { return vmm_malloc(size); }
VMM_EXPORT void *calloc(size_t count, size_t size) { return vmm_calloc(count, size); }
VMM_EXPORT void *realloc(void *ptr, size_t size) { return vmm_realloc(ptr, size); }
VMM_EXPORT void free(void *ptr) { vmm_free(ptr); }
VMM_EXPORT void cfree(void *ptr) { vmm_free(ptr); }
VMM_EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size) {
    return vmm_posix_memalign(memptr, alignment, size);
}
VMM_EXPORT void *aligned_alloc(size_t alignment, size_t size) { return vmm_aligned_alloc(alignment, size); }
VMM_EXPORT void *memalign(size_t alignment, size_t size) { return vmm_memalign(alignment, size); }
VMM_EXPORT void *valloc(size_t size) { return vmm_valloc(size); }
VMM_EXPORT void *pvalloc(size_t size) { return vmm_pvalloc(size); }
#if defined(__FreeBSD__)
// FreeBSD's malloc_np.h declares the argument const.
VMM_EXPORT size_t malloc_usable_size(const void *ptr) { return vmm_malloc_usable_size((void *)ptr); }
#else
VMM_EXPORT size_t malloc_usable_size(void *ptr) { return vmm_malloc_usable_size(ptr); }
#endif

// Create the pool when the library is loaded, unless an allocation came first.
__attribute__((constructor)) static void vmm_constructor(void) { vmm_initialize(); }

// At exit (after the program's own exit handlers and destructors): the statistics, if asked for.
// The pool stays mapped, so whatever still allocates after this keeps working.
__attribute__((destructor)) static void vmm_destructor(void) { vmm_finalize(); }
