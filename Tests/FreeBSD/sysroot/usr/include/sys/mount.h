/* FreeBSD <sys/mount.h>: struct statfs names the file system kind in
 * f_fstypename ("ufs", "zfs", "tmpfs", ...) instead of a magic number. */
#ifndef _SYS_MOUNT_H_
#define _SYS_MOUNT_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
#define MFSNAMELEN 16
#define MNAMELEN 1024
struct statfs {
	uint32_t f_version;
	uint32_t f_type;
	uint64_t f_flags;
	uint64_t f_bsize;
	uint64_t f_iosize;
	uint64_t f_blocks;
	uint64_t f_bfree;
	int64_t f_bavail;
	uint64_t f_files;
	int64_t f_ffree;
	uint64_t f_syncwrites;
	uint64_t f_asyncwrites;
	uint64_t f_syncreads;
	uint64_t f_asyncreads;
	uint64_t f_spare[10];
	uint32_t f_namemax;
	uid_t f_owner;
	fsid_t f_fsid;
	char f_charspare[80];
	char f_fstypename[MFSNAMELEN];
	char f_mntfromname[MNAMELEN];
	char f_mntonname[MNAMELEN];
};
int statfs(const char *, struct statfs *);
int fstatfs(int, struct statfs *);
__END_DECLS
#endif
