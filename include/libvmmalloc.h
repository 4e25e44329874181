/*
 * libvmmalloc.h -- the interface of libvmmalloc, a malloc replacement that
 * serves every allocation of a program from one fixed-size pool in a
 * memory-mapped file (see libvmmalloc(7)).
 *
 * A program does not need this header to use the library: preloading it
 * (LD_PRELOAD=libvmmalloc.so.1) or linking it (-lvmmalloc) is enough. The
 * header gives the version, the minimum pool size, the prototypes of the
 * functions the library provides, with the attributes that tell the compiler
 * they allocate, and the library's own call to read the pool's figures.
 */
#ifndef LIBVMMALLOC_H
#define LIBVMMALLOC_H 1

#include <stddef.h>
#include <stdlib.h>
#ifdef __FreeBSD__
#include <malloc_np.h>
#else
#include <malloc.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the interface this header describes. */
#define VMMALLOC_MAJOR_VERSION 1
#define VMMALLOC_MINOR_VERSION 1

/* The smallest pool the library accepts in VMMALLOC_POOL_SIZE: 14 MiB. */
#define VMMALLOC_MIN_POOL ((size_t)(14 * 1024 * 1024))

/* glibc declares its allocation functions noexcept for C++, FreeBSD does not:
 * a redeclaration must say the same. */
#if defined(__cplusplus) && defined(__FreeBSD__)
#define VMMALLOC_NOTHROW
#elif defined(__cplusplus) && __cplusplus >= 201103L
#define VMMALLOC_NOTHROW noexcept(true)
#elif defined(__cplusplus)
#define VMMALLOC_NOTHROW throw()
#else
#define VMMALLOC_NOTHROW
#endif

#ifdef __has_attribute
#define VMMALLOC_HAS_ATTRIBUTE(x) __has_attribute(x)
#else
#define VMMALLOC_HAS_ATTRIBUTE(x) 0
#endif

#if VMMALLOC_HAS_ATTRIBUTE(malloc)
#define VMMALLOC_MALLOC __attribute__((malloc))
#else
#define VMMALLOC_MALLOC
#endif

#if VMMALLOC_HAS_ATTRIBUTE(alloc_size)
#define VMMALLOC_ALLOC_SIZE(n) __attribute__((alloc_size(n)))
#define VMMALLOC_ALLOC_SIZE2(n, m) __attribute__((alloc_size(n, m)))
#else
#define VMMALLOC_ALLOC_SIZE(n)
#define VMMALLOC_ALLOC_SIZE2(n, m)
#endif

#if VMMALLOC_HAS_ATTRIBUTE(alloc_align)
#define VMMALLOC_ALLOC_ALIGN(n) __attribute__((alloc_align(n)))
#else
#define VMMALLOC_ALLOC_ALIGN(n)
#endif

#if VMMALLOC_HAS_ATTRIBUTE(warn_unused_result)
#define VMMALLOC_WUR __attribute__((warn_unused_result))
#else
#define VMMALLOC_WUR
#endif

void *malloc(size_t size) VMMALLOC_NOTHROW VMMALLOC_MALLOC VMMALLOC_ALLOC_SIZE(1) VMMALLOC_WUR;
void *calloc(size_t number, size_t size) VMMALLOC_NOTHROW VMMALLOC_MALLOC VMMALLOC_ALLOC_SIZE2(1, 2) VMMALLOC_WUR;
void *realloc(void *ptr, size_t size) VMMALLOC_NOTHROW VMMALLOC_ALLOC_SIZE(2) VMMALLOC_WUR;
void free(void *ptr) VMMALLOC_NOTHROW;
int posix_memalign(void **memptr, size_t alignment, size_t size) VMMALLOC_NOTHROW;
void *aligned_alloc(size_t alignment, size_t size) VMMALLOC_NOTHROW VMMALLOC_MALLOC VMMALLOC_ALLOC_ALIGN(1) VMMALLOC_ALLOC_SIZE(2) VMMALLOC_WUR;
void *valloc(size_t size) VMMALLOC_NOTHROW VMMALLOC_MALLOC VMMALLOC_ALLOC_SIZE(1) VMMALLOC_WUR;
#ifdef __FreeBSD__
size_t malloc_usable_size(const void *ptr) VMMALLOC_NOTHROW;
#else
size_t malloc_usable_size(void *ptr) VMMALLOC_NOTHROW;
#endif

/*
 * The library exports memalign, pvalloc and cfree on every system. FreeBSD's
 * headers know none of them, so neither does this header there: a FreeBSD
 * program that wants them declares them itself.
 */
#ifndef __FreeBSD__
void *memalign(size_t alignment, size_t size) VMMALLOC_NOTHROW VMMALLOC_MALLOC VMMALLOC_ALLOC_ALIGN(1) VMMALLOC_ALLOC_SIZE(2) VMMALLOC_WUR;
void *pvalloc(size_t size) VMMALLOC_NOTHROW VMMALLOC_MALLOC VMMALLOC_WUR;
void cfree(void *ptr) VMMALLOC_NOTHROW;
#endif

/*
 * glibc's introspection calls, answered from the pool: mallinfo2, mallinfo,
 * malloc_trim, malloc_stats, malloc_info and mallopt. <malloc.h>, included
 * above, declares them; libvmmalloc(7) says what each field and answer means.
 * The library exports them on FreeBSD too, where no header declares them.
 */

/*
 * The pool's figures at one moment, all in bytes or counts. The caller sets
 * `size` to sizeof(struct vmmalloc_stats); the library fills what it knows of
 * the first `size` bytes and sets `size` to the bytes it filled, so a program
 * built with this header keeps working with a later library whose structure
 * has grown, and one built with a later header with this library (fields
 * beyond the returned `size` were not filled).
 */
struct vmmalloc_stats {
    size_t size;              /* in: sizeof(struct vmmalloc_stats); out: the bytes filled */
    size_t pool_size;         /* the pool (VMMALLOC_POOL_SIZE rounded to the file's pages) */
    size_t pool_in_use;       /* the pool's metadata, pages of small blocks, large blocks */
    size_t pool_peak_in_use;  /* the most pool_in_use has been (the pool's high-water mark) */
    size_t pool_metadata;     /* of pool_in_use: the slice tables (sized for the whole pool; they get
                                 file space as the slices come into use) and the first thread heaps */
    size_t pool_free;         /* pool_size - pool_in_use: room for new pages and large blocks */
    size_t pool_largest_free; /* the longest run of free pool, the largest block that can still come */
    size_t free_extents;      /* runs of free pool */
    size_t allocated_bytes;   /* usable bytes of the blocks handed out and not freed */
    size_t allocated_blocks;  /* those blocks */
    size_t large_blocks;      /* blocks beyond the size classes (over 64 KiB) and below huge_threshold */
    size_t large_bytes;
    size_t huge_blocks;       /* blocks of huge_threshold bytes or more */
    size_t huge_bytes;
    size_t huge_threshold;    /* the pool's space-reservation granule (2 MiB, or the huge page) */
    size_t refused;           /* allocations this process was refused with ENOMEM */
    size_t threads;           /* threads that have allocated from the pool */
    size_t forks;             /* forks this process made; SIZE_MAX when not counted (VMMALLOC_FORK=0) */
};

/*
 * Fills *stats (see above). Returns 0; -1 with errno EINVAL when stats is NULL
 * or stats->size is below 2 * sizeof(size_t), and ENOSYS in a process that
 * runs without a pool (libvmmalloc(7), the sandbox). A program that must also
 * run without the library finds it with dlsym(RTLD_DEFAULT, "vmmalloc_stats_get").
 */
int vmmalloc_stats_get(struct vmmalloc_stats *stats) VMMALLOC_NOTHROW;

#ifdef __cplusplus
}
#endif

#endif /* LIBVMMALLOC_H */
