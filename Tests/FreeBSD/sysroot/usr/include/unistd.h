/* FreeBSD <unistd.h>. */
#ifndef _UNISTD_H_
#define _UNISTD_H_
#include <sys/cdefs.h>
__BEGIN_DECLS
#include <sys/types.h>

#define F_OK 0
#define X_OK 0x01
#define W_OK 0x02
#define R_OK 0x04

#define _SC_PAGESIZE 47
#define _SC_PAGE_SIZE _SC_PAGESIZE
#define _SC_NPROCESSORS_ONLN 58
#define _SC_PHYS_PAGES 121

int access(const char *, int);
char *getcwd(char *, size_t);
int close(int);
int ftruncate(int, off_t);
int unlink(const char *);
ssize_t read(int, void *, size_t);
ssize_t write(int, const void *, size_t);
ssize_t pread(int, void *, size_t, off_t);
ssize_t pwrite(int, const void *, size_t, off_t);
off_t lseek(int, off_t, int);
long sysconf(int);
pid_t getpid(void);
int getpagesize(void);
ssize_t readlink(const char *__restrict, char *__restrict, size_t);
int execvp(const char *, char *const *);
pid_t fork(void);
int execv(const char *, char *const *);
void _exit(int) __attribute__((__noreturn__));
__END_DECLS
#endif
