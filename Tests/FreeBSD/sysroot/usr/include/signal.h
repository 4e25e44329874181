/* FreeBSD <signal.h>: only what the library's headers need. */
#ifndef _SIGNAL_H_
#define _SIGNAL_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>
#define SIGABRT 6
#define SIGKILL 9
#define SIGBUS 10
#define SIGSEGV 11
int kill(pid_t, int);
int raise(int);
__END_DECLS
#endif
