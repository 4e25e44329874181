/* deeplib.c - opened with RTLD_DEEPBIND: its malloc is glibc's, not the pool's. */
#include <stdlib.h>
#include <string.h>

void *deep_malloc(size_t n) { return malloc(n); }
void *deep_calloc(size_t n, size_t s) { return calloc(n, s); }
void deep_free(void *p) { free(p); }
char *deep_strdup(const char *s) { return strdup(s); }
