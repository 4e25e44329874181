// The exported C names. Each forwards to the Swift core; nothing is decided here.
// Swift reserves these symbol names for its own use, so they are spelled in C.
#include "vmmalloc_shim.h"
// The public header (which includes <malloc.h> or <malloc_np.h>): every definition here must agree with it.
#include "../../include/libvmmalloc.h"

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

// glibc's introspection calls, answered from the pool. glibc declares them in
// <malloc.h>; FreeBSD's libc has none of them, and no header there declares
// them (the library exports them all the same, as it does memalign).
#define VMM_SAME_LAYOUT(ours, theirs, field) \
    _Static_assert(offsetof(struct ours, field) == offsetof(struct theirs, field), #theirs "." #field)
#define VMM_MALLINFO_LAYOUT(ours, theirs) \
    _Static_assert(sizeof(struct ours) == sizeof(struct theirs), #theirs); \
    VMM_SAME_LAYOUT(ours, theirs, arena); VMM_SAME_LAYOUT(ours, theirs, ordblks); \
    VMM_SAME_LAYOUT(ours, theirs, smblks); VMM_SAME_LAYOUT(ours, theirs, hblks); \
    VMM_SAME_LAYOUT(ours, theirs, hblkhd); VMM_SAME_LAYOUT(ours, theirs, usmblks); \
    VMM_SAME_LAYOUT(ours, theirs, fsmblks); VMM_SAME_LAYOUT(ours, theirs, uordblks); \
    VMM_SAME_LAYOUT(ours, theirs, fordblks); VMM_SAME_LAYOUT(ours, theirs, keepcost)
#if defined(__GLIBC__)
VMM_MALLINFO_LAYOUT(vmm_mallinfo, mallinfo);
typedef struct mallinfo vmm_mallinfo_result;
#else
typedef struct vmm_mallinfo vmm_mallinfo_result;
#endif
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
VMM_MALLINFO_LAYOUT(vmm_mallinfo2, mallinfo2);
typedef struct mallinfo2 vmm_mallinfo2_result;
#else
typedef struct vmm_mallinfo2 vmm_mallinfo2_result;
#endif

VMM_EXPORT vmm_mallinfo2_result mallinfo2(void) {
    vmm_mallinfo2_result info;
    vmm_mallinfo2((struct vmm_mallinfo2 *)&info);
    return info;
}
VMM_EXPORT vmm_mallinfo_result mallinfo(void) {
    vmm_mallinfo_result info;
    vmm_mallinfo((struct vmm_mallinfo *)&info);
    return info;
}
VMM_EXPORT int malloc_trim(size_t pad) { return vmm_malloc_trim(pad); }
VMM_EXPORT void malloc_stats(void) { vmm_malloc_stats(); }
VMM_EXPORT int malloc_info(int options, FILE *stream) { return vmm_malloc_info(options, (void *)stream); }
VMM_EXPORT int mallopt(int parameter, int value) { return vmm_mallopt(parameter, value); }

// libvmmalloc's own (<libvmmalloc.h>), whose struct vmmalloc_stats is struct vmm_stats.
#define VMM_STATS_FIELD(field) VMM_SAME_LAYOUT(vmm_stats, vmmalloc_stats, field)
_Static_assert(sizeof(struct vmm_stats) == sizeof(struct vmmalloc_stats), "vmmalloc_stats");
VMM_STATS_FIELD(size); VMM_STATS_FIELD(pool_size); VMM_STATS_FIELD(pool_in_use); VMM_STATS_FIELD(pool_peak_in_use); VMM_STATS_FIELD(pool_metadata);
VMM_STATS_FIELD(pool_free); VMM_STATS_FIELD(pool_largest_free); VMM_STATS_FIELD(free_extents);
VMM_STATS_FIELD(allocated_bytes); VMM_STATS_FIELD(allocated_blocks); VMM_STATS_FIELD(large_blocks);
VMM_STATS_FIELD(large_bytes); VMM_STATS_FIELD(huge_blocks); VMM_STATS_FIELD(huge_bytes);
VMM_STATS_FIELD(huge_threshold); VMM_STATS_FIELD(refused); VMM_STATS_FIELD(threads); VMM_STATS_FIELD(forks);

VMM_EXPORT int vmmalloc_stats_get(struct vmmalloc_stats *stats) { return vmm_stats_get((struct vmm_stats *)stats); }

// Create the pool when the library is loaded, unless an allocation came first.
__attribute__((constructor)) static void vmm_constructor(void) { vmm_initialize(); }

// At exit (after the program's own exit handlers and destructors): the statistics, if asked for.
// The pool stays mapped, so whatever still allocates after this keeps working.
__attribute__((destructor)) static void vmm_destructor(void) { vmm_finalize(); }
