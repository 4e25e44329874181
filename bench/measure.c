/*
 * measure.c - the runner's launcher: runs one command and reports its wall
 * time, peak RSS and how it ended.
 *
 * Usage: measure [NAME=VALUE ...] -- PROGRAM [ARG ...]
 *
 * The command runs with exactly the NAME=VALUE environment given (so an
 * LD_PRELOAD for the command does not load into this launcher). Two lines go
 * to descriptor 3: "pid <pid>" as soon as the child exists (the runner watches
 * its pool through /proc), then "done <seconds> <maxrss KiB> <wait status>".
 * The time runs from fork to the end of wait4.
 *
 * Why a launcher: Linux carries the peak RSS of the memory a process had
 * before exec into its ru_maxrss, so a child spawned from the Python runner
 * would report at least the runner's own RSS. This small process has almost
 * none, and its forked child starts from that.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int split = 1;
    while (split < argc && strcmp(argv[split], "--") != 0) split++;
    if (split + 1 >= argc) {
        fprintf(stderr, "usage: measure [NAME=VALUE ...] -- PROGRAM [ARG ...]\n");
        return 2;
    }
    argv[split] = NULL;
    char **env = argv + 1, **command = argv + split + 1;
    FILE *report = fdopen(3, "w");
    if (!report) {
        fprintf(stderr, "measure: descriptor 3 is not open for the report\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        close(3);
        execve(command[0], command, env);
        fprintf(stderr, "measure: cannot run %s: %m\n", command[0]);
        _exit(127);
    }
    fprintf(report, "pid %d\n", (int)pid);
    fflush(report);
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("measure: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) * 1e-9;
    fprintf(report, "done %.6f %ld %d\n", seconds, usage.ru_maxrss, status);
    fclose(report);
    return 0;
}
