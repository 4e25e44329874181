// header.cpp - <libvmmalloc.h> from C++.
#include <cstdlib>
#include <cstdio>
#include <malloc.h>
#include <libvmmalloc.h>
#include <libvmmalloc.h>

static_assert(VMMALLOC_MAJOR_VERSION == 1, "major version");
static_assert(VMMALLOC_MINOR_VERSION == 1, "minor version");
static_assert(VMMALLOC_MIN_POOL == 14 * 1024 * 1024, "VMMALLOC_MIN_POOL is not 14 MiB");

int main()
{
    void (*f_cfree)(void *) = cfree;
    size_t (*f_usable)(void *) = malloc_usable_size;
    void *(*f_pvalloc)(size_t) = pvalloc;
    std::printf("major=%d\nminor=%d\nmin_pool=%llu\nprototypes=%d\n", (int)VMMALLOC_MAJOR_VERSION,
                (int)VMMALLOC_MINOR_VERSION, (unsigned long long)VMMALLOC_MIN_POOL,
                f_cfree != nullptr && f_usable != nullptr && f_pvalloc != nullptr);
    return 0;
}
