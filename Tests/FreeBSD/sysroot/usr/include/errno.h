/* FreeBSD <errno.h>: errno is a per-thread value reached through __error(). */
#ifndef _SYS_ERRNO_H_
#define _SYS_ERRNO_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
int *__error(void);
#define errno (*__error())

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define EBADF 9
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define EFBIG 27
#define ENOSPC 28
#define EAGAIN 35
#define EOPNOTSUPP 45
#define ENOTSUP EOPNOTSUPP
#define ENAMETOOLONG 63
#define ENOSYS 78
__END_DECLS
#endif
