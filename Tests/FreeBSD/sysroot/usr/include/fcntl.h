/* FreeBSD <fcntl.h>. There is no O_TMPFILE. */
#ifndef _SYS_FCNTL_H_
#define _SYS_FCNTL_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>

#define O_RDONLY 0x0000
#define O_WRONLY 0x0001
#define O_RDWR 0x0002
#define O_NONBLOCK 0x0004
#define O_APPEND 0x0008
#define O_CREAT 0x0200
#define O_TRUNC 0x0400
#define O_EXCL 0x0800
#define O_DIRECTORY 0x00020000
#define O_CLOEXEC 0x00100000

#define F_GETFD 1
#define F_SETFD 2
#define F_DUPFD_CLOEXEC 17
#define FD_CLOEXEC 1

int open(const char *, int, ...);
int fcntl(int, int, ...);
int posix_fallocate(int, off_t, off_t);

/* fspacectl(2), FreeBSD 14: space management, SPACECTL_DEALLOC punches a hole. */
#define SPACECTL_DEALLOC 1
struct spacectl_range {
	off_t r_offset;
	off_t r_len;
};
int fspacectl(int, int, const struct spacectl_range *, int, struct spacectl_range *);
__END_DECLS
#endif
