// exhaust_cxx.cpp - C++ sees a full pool as std::bad_alloc and goes on.
#include "poolcheck.h"
#include <new>
#include <string>
#include <vector>

int main()
{
    // A 32 MiB array cannot fit in a 16 MiB pool.
    bool threw = false;
    try {
        char *big = new char[32u << 20];
        big[0] = 1;
        FAIL("new char[32 MiB] succeeded in a 16 MiB pool");
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    // Grow a vector of strings until the pool is full.
    std::vector<std::string> v;
    size_t count = 0;
    threw = false;
    try {
        for (;;) {
            v.emplace_back(1000, 'x');
            count++;
        }
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    CHECKF(count * 1000 <= 16u << 20, "%zu strings of 1000 bytes in a 16 MiB pool", count);
    check_in_pool(v.data(), "vector storage");
    check_in_pool(v[0].data(), "string storage");
    v.clear();
    v.shrink_to_fit();
    // Everything freed: allocation works again.
    std::string s(5u << 20, 'y');
    check_in_pool(s.data(), "5 MiB string after the pool was full");
    std::printf("strings=%zu\nOK\n", count);
    return 0;
}
