/**
 * The system calls the traces are about, by what they do for an echo
 * server.
 *
 * @module
 */
import { ACCEPTS, READINESS_WAITS } from "@echo-lab/lesson/facts";

/** Moving bytes between a socket and user space (glibc's recv and send are
 * recvfrom and sendto underneath). */
export const TRANSFERS = ["recvfrom", "sendto", "recvmsg", "sendmsg"];

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
