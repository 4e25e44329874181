/* FreeBSD <sys/statvfs.h>. */
#ifndef _SYS_STATVFS_H_
#define _SYS_STATVFS_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
struct statvfs {
	fsblkcnt_t f_bavail;
	fsblkcnt_t f_bfree;
	fsblkcnt_t f_blocks;
	fsfilcnt_t f_favail;
	fsfilcnt_t f_ffree;
	fsfilcnt_t f_files;
	unsigned long f_bsize;
	unsigned long f_flag;
	unsigned long f_frsize;
	unsigned long f_fsid;
	unsigned long f_namemax;
};
int statvfs(const char *__restrict, struct statvfs *__restrict);
int fstatvfs(int, struct statvfs *);
__END_DECLS
#endif
