/* FreeBSD <sys/wait.h>: waiting for a child (vmmalloc --measure). */
#ifndef _SYS_WAIT_H_
#define _SYS_WAIT_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>

pid_t waitpid(pid_t, int *, int);

__END_DECLS
#endif
