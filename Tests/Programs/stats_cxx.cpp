// stats_cxx.cpp - vmmalloc_stats_get from C++ (linked with -lvmmalloc): the
// header compiles as C++ and the figures follow what operator new took.
#include <libvmmalloc.h>
#include <cstdio>
#include <vector>

static vmmalloc_stats now() {
    vmmalloc_stats s{};
    s.size = sizeof s;
    if (vmmalloc_stats_get(&s) != 0) std::printf("FAIL vmmalloc_stats_get\n");
    return s;
}

int main() {
    vmmalloc_stats before = now();
    std::vector<char> *big = new std::vector<char>(6 << 20, 1);
    vmmalloc_stats during = now();
    delete big;
    vmmalloc_stats after = now();
    std::printf("before=%zu during=%zu after=%zu huge=%zu peak=%zu\n", before.allocated_bytes, during.allocated_bytes,
                after.allocated_bytes, during.huge_blocks, after.pool_peak_in_use);
    std::printf("OK stats_cxx\n");
    return 0;
}
