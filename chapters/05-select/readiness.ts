/**
 * "Which of these descriptors can I read or write without sleeping?", asked
 * with select(2) or with poll(2). Both take the whole list on every call and
 * hand back which entries are ready; the server loop uses either through one
 * small interface.
 *
 * @example
 * ```ts ignore
 * import { READ, SelectReadiness } from "./readiness.ts";
 * const readiness = new SelectReadiness();
 * readiness.clear();
 * const ticket = readiness.watch(listenerFd, READ);
 * readiness.wait(-1); // sleeps until the listener has a connection queued
 * if (readiness.ready(ticket) & READ) console.log("accept now");
 * ```
 *
 * @module
 */
import {
  poll,
  POLLERR,
  PollFds,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
} from "@echo-lab/shared/poll";
import { FD_SETSIZE, FdSet, select } from "./select.ts";

/** Interest and readiness flags: readable, writable, or both. */
export const READ = 1;
export const WRITE = 2;

/** One round of "watch these, sleep, say which are ready". */
export interface Readiness {
  /** Descriptors numbered `limit` or more cannot be watched. */
  readonly limit: number;
  /** Starts a round: forgets the previous round's descriptors. */
  clear(): void;
  /** Adds `fd` to this round, for READ and/or WRITE. Returns the ticket to
   * ask {@linkcode Readiness.ready} about it after the wait. */
  watch(fd: number, interest: number): number;
  /** Sleeps until a watched descriptor is ready or `timeoutMs` passes (-1:
   * no limit). Returns how many are ready: 0 after a timeout, or when a
   * signal interrupted the wait (EINTR), and then nothing is. */
  wait(timeoutMs: number): number;
  /** What the kernel reported for `ticket`: READ, WRITE, both or 0. */
  ready(ticket: number): number;
}

// #region select
/** select(2): one bit per descriptor number in fixed-size bitmaps. */
export class SelectReadiness implements Readiness {
  /** The bitmaps have FD_SETSIZE (1,024) bits; fd 1024 has no bit at all. */
  readonly limit = FD_SETSIZE;
  readonly #readable = new FdSet();
  readonly #writable = new FdSet();
  #nfds = 0;

  clear(): void {
    // select(2) overwrote the sets with its answer: rebuild them each round.
    this.#readable.clear();
    this.#writable.clear();
    this.#nfds = 0;
  }

  watch(fd: number, interest: number): number {
    if (interest & READ) this.#readable.add(fd);
    if (interest & WRITE) this.#writable.add(fd);
    // The kernel checks every bit below nfds, watched or not.
    this.#nfds = Math.max(this.#nfds, fd + 1);
    return fd;
  }

  wait(timeoutMs: number): number {
    return select(this.#nfds, this.#readable, this.#writable, timeoutMs);
  }

  ready(fd: number): number {
    return (this.#readable.has(fd) ? READ : 0) |
      (this.#writable.has(fd) ? WRITE : 0);
  }
}
// #endregion

// #region poll
/** poll(2): an array of `struct pollfd`, one 8-byte entry per descriptor,
 * any descriptor number. */
export class PollReadiness implements Readiness {
  readonly limit = Infinity;
  #fds = new PollFds(64);
  #count = 0;

  clear(): void {
    this.#count = 0;
  }

  watch(fd: number, interest: number): number {
    if (this.#count === this.#fds.capacity) {
      const larger = new PollFds(this.#fds.capacity * 2);
      larger.bytes.set(this.#fds.bytes);
      this.#fds = larger;
    }
    const events = (interest & READ ? POLLIN : 0) |
      (interest & WRITE ? POLLOUT : 0);
    this.#fds.set(this.#count, fd, events);
    return this.#count++;
  }

  wait(timeoutMs: number): number {
    return poll(this.#fds, this.#count, timeoutMs);
  }

  ready(slot: number): number {
    const revents = this.#fds.revents(slot);
    // An error or hang-up is reported whatever we asked for. Let both calls
    // try: whichever is made returns the end of stream or the error itself.
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) return READ | WRITE;
    return (revents & POLLIN ? READ : 0) | (revents & POLLOUT ? WRITE : 0);
  }
}
// #endregion
