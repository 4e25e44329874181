// exit.cpp - allocation after main returns: atexit handlers, C++ static and
// thread_local destructors, destructor functions, a library destructor.
// Every stage prints one line; stdout is a file, so all of it sits in a
// pool buffer until the very end of exit().
#include "poolcheck.h"
#include <string>
#include <vector>
#include <map>

extern "C" void exitlib_hello(void);

static void *kept_for_exit;

static void allocate_in(const char *who)
{
    std::vector<std::string> v;
    for (int i = 0; i < 200; i++) v.push_back(std::string(100 + i, 'a' + i % 26));
    char *p = static_cast<char *>(malloc(1000));
    if (!p) FAIL("%s: malloc returned NULL", who);
    check_in_pool(p, who);
    check_in_pool(v.data(), who);
    p = static_cast<char *>(realloc(p, 100000));
    if (!p) FAIL("%s: realloc returned NULL", who);
    char *q = static_cast<char *>(calloc(10, 1000));
    if (!q || q[9999] != 0) FAIL("%s: calloc failed", who);
    free(q);
    free(p);
    std::printf("%s: malloc/realloc/calloc/free ok\n", who);
}

struct StaticObject {
    std::map<int, std::string> m;
    StaticObject() { for (int i = 0; i < 100; i++) m[i] = std::string(50, 'x'); }
    ~StaticObject() {
        allocate_in("static destructor");
        m.clear();
    }
};
static StaticObject static_object;

struct ThreadLocalObject {
    std::string s;
    ~ThreadLocalObject() { allocate_in("thread_local destructor"); }
};
static thread_local ThreadLocalObject tl_object;

static void handler1(void) { allocate_in("atexit handler 1"); }
static void handler2(void)
{
    allocate_in("atexit handler 2");
    free(kept_for_exit);
}

__attribute__((destructor)) static void destructor_function(void) { allocate_in("destructor function"); }

int main()
{
    exitlib_hello();
    atexit(handler1);
    tl_object.s = std::string(1000, 't');
    atexit(handler2);
    kept_for_exit = malloc(12345);
    check_in_pool(kept_for_exit, "main");
    std::printf("main returns\n");
    return 0;
}
