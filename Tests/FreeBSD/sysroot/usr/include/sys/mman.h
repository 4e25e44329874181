/* FreeBSD <sys/mman.h>. MAP_NORESERVE is gone (its bit is reserved), there
 * is no MADV_POPULATE_WRITE, and anonymous mappings are MAP_ANON. */
#ifndef _SYS_MMAN_H_
#define _SYS_MMAN_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>

#define PROT_NONE 0x00
#define PROT_READ 0x01
#define PROT_WRITE 0x02
#define PROT_EXEC 0x04

#define MAP_SHARED 0x0001
#define MAP_PRIVATE 0x0002
#define MAP_FIXED 0x0010
#define MAP_RESERVED0040 0x0040
#define MAP_ANON 0x1000
#define MAP_ANONYMOUS MAP_ANON
#define MAP_NOCORE 0x00020000
#define MAP_FAILED ((void *)-1)

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 5
#define MADV_NOSYNC 6
#define MADV_AUTOSYNC 7
#define MADV_NOCORE 8
#define MADV_CORE 9
#define MADV_PROTECT 10

void *mmap(void *, size_t, int, int, int, off_t);
int munmap(void *, size_t);
int mprotect(void *, size_t, int);
int madvise(void *, size_t, int);
int minherit(void *, size_t, int);
__END_DECLS
#endif
