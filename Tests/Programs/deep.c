/*
 * deep.c - pointers from glibc's malloc (a library opened with RTLD_DEEPBIND
 * gets them) passed to the pool's free, realloc and malloc_usable_size.
 * Usage: deep <path of libdeeplib.so>
 */
#include "poolcheck.h"
#include <dlfcn.h>
#include <malloc.h>

int main(int argc, char **argv)
{
    if (argc != 2) FAIL("usage: deep <libdeeplib.so>");
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
    if (!h) FAIL("dlopen: %s", dlerror());
    void *(*dmalloc)(size_t) = (void *(*)(size_t))dlsym(h, "deep_malloc");
    void *(*dcalloc)(size_t, size_t) = (void *(*)(size_t, size_t))dlsym(h, "deep_calloc");
    void (*dfree)(void *) = (void (*)(void *))dlsym(h, "deep_free");
    char *(*dstrdup)(const char *) = (char *(*)(const char *))dlsym(h, "deep_strdup");
    if (!dmalloc || !dcalloc || !dfree || !dstrdup) FAIL("dlsym: %s", dlerror());

    void *mine = malloc(100);
    check_in_pool(mine, "the program's own malloc");

    /* small, large (glibc mmaps it), calloc'ed */
    char *small = dmalloc(100);
    char *large = dmalloc(1 << 20);
    char *zeroed = dcalloc(100, 10);
    char *own = dmalloc(50);
    char *dup = dstrdup("duplicated by the deep-bound library");
    if (!small || !large || !zeroed || !own || !dup) FAIL("deep-bound allocation returned NULL");
    check_not_in_pool(small, "malloc in the deep-bound library");
    check_not_in_pool(large, "large malloc in the deep-bound library");
    check_not_in_pool(zeroed, "calloc in the deep-bound library");
    printf("dup_in_pool=%d\n", in_pool(dup));
    fill_pattern(small, 100, 1);
    fill_pattern(large, 1 << 20, 2);
    fill_pattern(zeroed, 1000, 3);

    /* malloc_usable_size of a foreign pointer: no crash */
    size_t us = malloc_usable_size(small);
    printf("usable_small=%zu\n", us);
    us = malloc_usable_size(large);
    printf("usable_large=%zu\n", us);

    /* realloc of foreign pointers keeps the contents */
    char *grown = realloc(small, 5000);
    if (!grown) FAIL("realloc(foreign small, 5000) returned NULL");
    if (!check_pattern(grown, 100, 1)) FAIL("realloc(foreign small, 5000) lost the contents");
    fill_pattern(grown, 5000, 4);
    char *shrunk = realloc(large, 1000);
    if (!shrunk) FAIL("realloc(foreign large, 1000) returned NULL");
    if (!check_pattern(shrunk, 1000, 2)) FAIL("realloc(foreign large, 1000) lost the contents");
    char *grown2 = realloc(zeroed, 300000);
    if (!grown2) FAIL("realloc(foreign calloc'ed, 300000) returned NULL");
    if (!check_pattern(grown2, 1000, 3)) FAIL("realloc(foreign calloc'ed, 300000) lost the contents");
    printf("realloc_ok\n");

    /* free of foreign pointers: no crash */
    free(grown);
    free(shrunk);
    free(grown2);
    free(dup);
    dfree(own); /* the library frees its own: glibc to glibc */
    printf("free_ok\n");

    /* the pool still works */
    void *ptrs[5000];
    for (int i = 0; i < 5000; i++) {
        ptrs[i] = malloc((size_t)(i % 500) * 20 + 1);
        if (!ptrs[i]) FAIL("malloc after the foreign frees returned NULL");
        memset(ptrs[i], i, (size_t)(i % 500) * 20 + 1);
    }
    check_in_pool(ptrs[0], "malloc after foreign frees");
    check_in_pool(ptrs[4999], "malloc after foreign frees");
    for (int i = 0; i < 5000; i++) free(ptrs[i]);
    free(mine);
    dlclose(h);
    printf("OK\n");
    return 0;
}
