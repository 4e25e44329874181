// memcheck_cxx.cpp - a block freed by the wrong call, for valgrind's memcheck
// (ValgrindTests). "malloc-delete": a block of the pool (printed as
// block=... and pool=START-END first) given to operator delete;
// "new-free": a block of operator new given to free.
#include "poolcheck.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "malloc-delete") == 0) {
        int *p = static_cast<int *>(malloc(sizeof(int) * 4));
        struct pc_mapping m = pool_mapping_of(p, "block");
        printf("block=%p\npool=0x%lx-0x%lx\n", static_cast<void *>(p), (unsigned long)m.start, (unsigned long)m.end);
        fflush(stdout);
        delete p;
    } else if (strcmp(mode, "new-free") == 0) {
        int *p = new int[4];
        printf("block=%p\n", static_cast<void *>(p));
        fflush(stdout);
        free(p);
    } else {
        FAIL("unknown mode %s", mode);
    }
    puts("done");
    return 0;
}
