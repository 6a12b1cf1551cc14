/**
 * The blocking echo loop: receive, send it all back, repeat. Chapter 01 runs
 * it on the main thread, one connection at a time; chapter 02 writes the same
 * loop out again to run it on a thread (a Worker) per connection, chapter 03
 * in a process per client.
 *
 * @module
 */
import { recv, sendAll, shutdown } from "@echo-lab/shared/socket";
import { SHUT_WR } from "@echo-lab/shared/constants";

// #region echo
/** Echoes connection `fd` until the peer shuts down its writing side. Throws
 * on a reset (ECONNRESET) or a peer that has gone (EPIPE). */
export function echo(fd: number, buffer: Uint8Array): void {
  for (;;) {
    // The thread sleeps inside recv(2) until bytes arrive (phase 1, waiting
    // for data); then the kernel copies them from the socket's receive buffer
    // into `buffer` (phase 2, copying to user space), and only then does the
    // call return. A blocking socket never says "not now", hence the `!`.
    const n = recv(fd, buffer)!;
    if (n === 0) break; // the peer sent FIN: it will send nothing more
    // send(2) sleeps whenever our send buffer is full because the peer is
    // not reading. While it sleeps we read nothing more from this peer:
    // that is backpressure, and our memory stays at one buffer.
    sendAll(fd, buffer.subarray(0, n));
  }
  // Everything read has been echoed: now send our own FIN.
  shutdown(fd, SHUT_WR);
}
// #endregion
