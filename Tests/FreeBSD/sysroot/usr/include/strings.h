/* FreeBSD <strings.h> (included by <string.h>). The compiler may turn memcmp
 * into bcmp. */
#ifndef _STRINGS_H_
#define _STRINGS_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <stddef.h>
int bcmp(const void *, const void *, size_t);
void bzero(void *, size_t);
__END_DECLS
#endif
