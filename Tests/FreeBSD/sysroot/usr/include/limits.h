/* FreeBSD <limits.h> (reached from the compiler's own limits.h): <sys/syslimits.h>'s PATH_MAX. */
#ifndef _LIMITS_H_
#define _LIMITS_H_
#define PATH_MAX 1024
#endif
