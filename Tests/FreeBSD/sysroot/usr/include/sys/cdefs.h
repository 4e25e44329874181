/* FreeBSD <sys/cdefs.h>: C linkage for the declarations, from C++ too. */
#ifndef _SYS_CDEFS_H_
#define _SYS_CDEFS_H_
#ifdef __cplusplus
#define __BEGIN_DECLS extern "C" {
#define __END_DECLS }
#else
#define __BEGIN_DECLS
#define __END_DECLS
#endif
#endif
