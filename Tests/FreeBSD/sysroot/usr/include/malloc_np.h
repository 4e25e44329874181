/* FreeBSD <malloc_np.h>: the non-portable allocator interface (jemalloc's).
 * It declares malloc_usable_size with a const argument, and no memalign,
 * pvalloc or cfree. */
#ifndef _MALLOC_NP_H_
#define _MALLOC_NP_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
size_t malloc_usable_size(const void *);
void *mallocx(size_t, int);
void *rallocx(void *, size_t, int);
void dallocx(void *, int);
size_t nallocx(size_t, int);
int mallctl(const char *, void *, size_t *, void *, size_t);
__END_DECLS
#endif
