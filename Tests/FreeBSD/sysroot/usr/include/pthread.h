/* FreeBSD <pthread.h>: pthread_t is a pointer to an opaque struct. */
#ifndef _PTHREAD_H_
#define _PTHREAD_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
pthread_t pthread_self(void);
int pthread_equal(pthread_t, pthread_t);
int pthread_atfork(void (*)(void), void (*)(void), void (*)(void));
__END_DECLS
#endif
