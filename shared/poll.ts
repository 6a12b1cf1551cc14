/**
 * poll(2) and its `struct pollfd` array.
 *
 * @example
 * ```ts
 * import { poll, POLLIN, PollFds } from "./poll.ts";
 * const fds = new PollFds(1);
 * fds.set(0, 0, POLLIN); // watch stdin
 * const ready = poll(fds, 1, 0); // timeout 0: just ask, don't sleep
 * console.log(ready, fds.revents(0));
 * ```
 *
 * @module
 */
import { errnoCell, libc } from "./libc.ts";
import { callAgain, SyscallError } from "./errno.ts";

// poll(2) event bits, <poll.h>
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDHUP = 0x2000;

// #region pollfd
/** `struct pollfd { int fd; short events; short revents; }`: 8 bytes each,
 * laid out one after another in a buffer the kernel reads and writes. */
export class PollFds {
  /** The raw array handed to poll(2). */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;

  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * 8);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** Watch `fd` for `events` in slot `i` (clears last revents). */
  set(i: number, fd: number, events: number): void {
    this.#view.setInt32(i * 8, fd, true);
    this.#view.setInt16(i * 8 + 4, events, true);
    this.#view.setInt16(i * 8 + 6, 0, true);
  }

  fd(i: number): number {
    return this.#view.getInt32(i * 8, true);
  }

  /** What the kernel reported for slot `i` after poll returned. */
  revents(i: number): number {
    return this.#view.getInt16(i * 8 + 6, true);
  }
}
// #endregion

/** poll(2) over the first `count` slots: sleeps until one is ready or
 * `timeoutMs` passes (-1: no limit). Returns how many slots have revents.
 * EINTR (or an overwritten errno: see `callAgain`) returns 0, so the
 * caller's loop can check whether it should stop and poll again. */
export function poll(fds: PollFds, count: number, timeoutMs: number): number {
  const n = libc.poll(fds.bytes, BigInt(count), timeoutMs);
  if (n >= 0) return n;
  const code = errnoCell[0];
  if (callAgain(code)) return 0;
  throw new SyscallError("poll", code);
}

/** poll(2) on one of the runtime's helper threads: the returned Promise
 * resolves when a slot is ready or `timeoutMs` passes, and meanwhile this
 * thread's event loop runs timers, signal listeners and child-process exits.
 * A thread hand-off per call costs microseconds: use it for rare, long waits
 * (a master waiting for its next client), never in a hot loop. The kernel's
 * errno belongs to the helper thread, so a failure (EINTR, in practice)
 * resolves to 0 like a timeout: check the revents and poll again. */
export async function pollOffThread(
  fds: PollFds,
  count: number,
  timeoutMs: number,
): Promise<number> {
  return Math.max(
    0,
    await libc.poll_off_thread(fds.bytes, BigInt(count), timeoutMs),
  );
}
