// linked_cxx.cpp - a C++ program linked with -lvmmalloc: new/delete and the
// containers of the standard library allocate from the pool.
#include "poolcheck.h"
#include <libvmmalloc.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

int main()
{
    auto n = std::make_unique<int>(42);
    check_in_pool(n.get(), "new int");
    std::vector<double> v(100000, 1.5);
    check_in_pool(v.data(), "vector<double>");
    std::map<std::string, std::string> m;
    for (int i = 0; i < 1000; i++) m[std::to_string(i) + std::string(40, 'k')] = std::string(100, 'v');
    check_in_pool(m.begin()->first.data(), "map key");
    char *arr = new char[1 << 20];
    check_in_pool(arr, "new char[1 MiB]");
    delete[] arr;
    std::printf("OK linked_cxx\n");
    return 0;
}
