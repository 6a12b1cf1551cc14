/*
 * deny_syscall NR PROGRAM [ARG...]: runs PROGRAM under a seccomp filter that
 * makes system call NR fail with EPERM and allows every other, the way a
 * container's seccomp profile denies a call (Docker's default denies
 * io_uring_setup, 425). The doctor's test compiles it with gcc.
 *
 * A test tool: it does not check the architecture field of seccomp_data, so
 * it is only meant for the native ABI of the machine that built it.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: deny_syscall NR PROGRAM [ARG...]\n");
    return 2;
  }
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)atoi(argv[1]), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    perror("prctl");
    return 1;
  }
  execvp(argv[2], argv + 2);
  perror("execvp");
  return 127;
}
