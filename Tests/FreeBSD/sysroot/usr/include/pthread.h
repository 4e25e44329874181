/* FreeBSD <pthread.h>: pthread_t is a pointer to an opaque struct. */
#ifndef _PTHREAD_H_
#define _PTHREAD_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
typedef int pthread_key_t;
pthread_t pthread_self(void);
int pthread_key_create(pthread_key_t *, void (*)(void *));
int pthread_key_delete(pthread_key_t);
int pthread_setspecific(pthread_key_t, const void *);
void *pthread_getspecific(pthread_key_t);
int pthread_equal(pthread_t, pthread_t);
int pthread_atfork(void (*)(void), void (*)(void), void (*)(void));
#define PTHREAD_CANCEL_ENABLE 0
#define PTHREAD_CANCEL_DISABLE 1
int pthread_setcancelstate(int, int *);
__END_DECLS
#endif
