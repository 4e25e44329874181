/* FreeBSD <sys/param.h>: only what the library's headers need. */
#ifndef _SYS_PARAM_H_
#define _SYS_PARAM_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
#include <limits.h>
#define MAXPATHLEN PATH_MAX
__END_DECLS
#endif
