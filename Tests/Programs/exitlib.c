/* exitlib.c - a shared library whose destructor still allocates. */
#include "poolcheck.h"

void exitlib_hello(void) { }

__attribute__((destructor)) static void exitlib_destructor(void)
{
    char *p = malloc(300);
    if (!p) FAIL("library destructor: malloc returned NULL");
    check_in_pool(p, "library destructor");
    strcpy(p, "library destructor");
    p = realloc(p, 70000);
    if (!p) FAIL("library destructor: realloc returned NULL");
    printf("%s: malloc/realloc/free ok\n", p);
    free(p);
}
