// mtmap.cpp - four threads build std::map<std::string, std::string> and
// std::unordered_map, grow and shrink them, and print checksums that do not
// depend on the allocator.  With VMMALLOC_POOL_DIR set it also checks that
// the nodes are pool memory.
#include "poolcheck.h"
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

static unsigned long long checksums[4];

static unsigned long long fnv(const std::string &s, unsigned long long h)
{
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

static void work(int id)
{
    std::map<std::string, std::string> m;
    std::unordered_map<std::string, std::vector<int>> u;
    unsigned x = 1234567u + (unsigned)id;
    for (int i = 0; i < 120000; i++) {
        x = x * 1103515245u + 12345u;
        std::string key = "key-" + std::to_string(x % 200000) + "-" + std::to_string(id);
        std::string value(8 + x % 120, (char)('a' + x % 26));
        m[key] += value;
        u[key].push_back((int)i);
        if (i % 7 == 0) m.erase(m.begin());
        if (i % 11 == 0) u.erase(key);
    }
    unsigned long long h = 14695981039346656037ull;
    for (auto &kv : m) h = fnv(kv.second, fnv(kv.first, h));
    for (auto &kv : m) h += u.count(kv.first) ? u[kv.first].size() : 0;
    checksums[id] = h ^ m.size() ^ ((unsigned long long)u.size() << 32);
    if (getenv("VMMALLOC_POOL_DIR")) {
        check_in_pool(m.begin()->first.data() + 0, "map key");
        check_in_pool(&*m.begin(), "map node");
    }
}

int main()
{
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++) threads.emplace_back(work, i);
    for (auto &t : threads) t.join();
    for (int i = 0; i < 4; i++) std::printf("thread %d checksum %016llx\n", i, checksums[i]);
    return 0;
}
