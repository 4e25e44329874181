/* FreeBSD <sys/umtx.h>: _umtx_op(2), the futex-like wait and wake. */
#ifndef _SYS_UMTX_H_
#define _SYS_UMTX_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
#define UMTX_OP_WAIT 2
#define UMTX_OP_WAKE 3
#define UMTX_OP_WAIT_UINT 11
#define UMTX_OP_WAIT_UINT_PRIVATE 15
#define UMTX_OP_WAKE_PRIVATE 16
int _umtx_op(void *obj, int op, u_long val, void *uaddr, void *uaddr2);
__END_DECLS
#endif
