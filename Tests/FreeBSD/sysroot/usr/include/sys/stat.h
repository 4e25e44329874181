/* FreeBSD <sys/stat.h> (64-bit inodes, FreeBSD 12 and later). mode_t is 16 bits. */
#ifndef _SYS_STAT_H_
#define _SYS_STAT_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>

struct stat {
	dev_t st_dev;
	ino_t st_ino;
	nlink_t st_nlink;
	mode_t st_mode;
	int16_t st_bsdflags;
	uid_t st_uid;
	gid_t st_gid;
	int32_t st_padding1;
	dev_t st_rdev;
	struct timespec st_atim;
	struct timespec st_mtim;
	struct timespec st_ctim;
	struct timespec st_birthtim;
	off_t st_size;
	blkcnt_t st_blocks;
	blksize_t st_blksize;
	fflags_t st_flags;
	uint64_t st_gen;
	uint64_t st_spare[10];
};

#define S_IFMT 0170000
#define S_IFIFO 0010000
#define S_IFCHR 0020000
#define S_IFDIR 0040000
#define S_IFBLK 0060000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define S_IFSOCK 0140000

int stat(const char *__restrict, struct stat *__restrict);
int fstat(int, struct stat *);
int lstat(const char *__restrict, struct stat *__restrict);
__END_DECLS
#endif
