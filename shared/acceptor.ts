/**
 * Accepting from a non-blocking listener without ever sleeping, and without
 * spinning on a full descriptor table.
 *
 * @example
 * ```ts ignore
 * import { Acceptor } from "./acceptor.ts";
 * const acceptor = new Acceptor(listener.fd); // a non-blocking listener
 * acceptor.acceptAll((fd) => console.log(`new connection on fd ${fd}`));
 * ```
 *
 * @module
 */
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "./constants.ts";
import { ECONNABORTED, type SyscallError } from "./errno.ts";
import { accept4 } from "./socket.ts";

/** How long to leave the listener alone after EMFILE and friends. */
export const ACCEPT_PAUSE_MS = 100;

// #region accept
/** Takes connections off a non-blocking listener's queue. */
export class Acceptor {
  #pausedUntil = 0;

  constructor(readonly fd: number) {}

  /** Milliseconds until accepting resumes after an error; 0 when it is on.
   * A select or poll loop uses it as its timeout. */
  pausedFor(): number {
    if (this.#pausedUntil === 0) return 0;
    const left = this.#pausedUntil - Date.now();
    if (left > 0) return left;
    this.#pausedUntil = 0;
    return 0;
  }

  /** Accepts every queued connection (until EAGAIN) and hands each new
   * non-blocking fd to `onConnection`. */
  acceptAll(onConnection: (fd: number) => void): void {
    if (this.pausedFor() > 0) return;
    for (;;) {
      let fd: number | null;
      try {
        fd = accept4(this.fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
      } catch (error) {
        // A client that gave up while queued: take the next one.
        if ((error as SyscallError).errno === ECONNABORTED) continue;
        // EMFILE, ENFILE, ENOBUFS: the connection stays queued, and asking
        // again at once fails again. Leave the listener alone for a moment
        // instead of asking (and logging) thousands of times a second.
        console.error(
          `${(error as Error).message}; pausing accept ${ACCEPT_PAUSE_MS} ms`,
        );
        this.#pausedUntil = Date.now() + ACCEPT_PAUSE_MS;
        return;
      }
      if (fd === null) return; // EAGAIN: the queue is empty
      onConnection(fd);
    }
  }
}
// #endregion
