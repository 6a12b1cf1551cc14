/**
 * The system calls the traces are about, by what they do for an echo
 * server.
 *
 * @module
 */

/** Taking a finished connection off the listener's queue. */
export const ACCEPTS = ["accept", "accept4"];

/** Moving bytes between a socket and user space (glibc's recv and send are
 * recvfrom and sendto underneath). */
export const TRANSFERS = ["recvfrom", "sendto", "recvmsg", "sendmsg"];

/** Sleeping until any of many descriptors is ready. */
export const READINESS_WAITS = [
  "poll",
  "ppoll",
  "select",
  "pselect6",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
];

/** What `strace -e trace=` keeps: the above, io_uring's one call, thread
 * and process creation, and futex (threads waiting on each other). */
export const TRACED_CALLS = [
  ...ACCEPTS,
  ...TRANSFERS,
  ...READINESS_WAITS,
  "io_uring_enter",
  "clone",
  "clone3",
  "futex",
];
