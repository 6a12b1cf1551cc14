/**
 * epoll(7): epoll_create1, epoll_ctl, epoll_wait, and `struct epoll_event`.
 *
 * The struct is `{ uint32_t events; epoll_data_t data; }` with a 64-bit
 * `data`. On x86_64 the kernel declares it packed (12 bytes, `data` at offset
 * 4); on aarch64 it is naturally aligned (16 bytes, `data` at offset 8).
 * Getting this wrong silently reads garbage fds, so the layout is chosen from
 * `Deno.build.arch`. We store the fd in `data`.
 *
 * @example
 * ```ts
 * import {
 *   EPOLL_CTL_ADD,
 *   epollCreate1,
 *   epollCtl,
 *   EpollEvents,
 *   EPOLLIN,
 *   epollWait,
 * } from "./epoll.ts";
 * const epfd = epollCreate1();
 * epollCtl(epfd, EPOLL_CTL_ADD, 0, EPOLLIN); // stdin
 * const events = new EpollEvents(64);
 * const n = epollWait(epfd, events, 0);
 * for (let i = 0; i < n; i++) console.log(events.fd(i), events.events(i));
 * ```
 *
 * @module
 */
import { errnoCell, libc } from "./libc.ts";
import { callAgain, check, SyscallError } from "./errno.ts";

// epoll(7) flags and event bits, <sys/epoll.h>
export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;
export const EPOLLET = 1 << 31;
/** Of the epoll instances watching one fd with this flag, an event wakes one
 * or more, not all (epoll_ctl(2), Linux 4.5). EPOLL_CTL_ADD only. */
export const EPOLLEXCLUSIVE = 1 << 28;

// #region layout
/** sizeof(struct epoll_event) on this machine. */
export const EPOLL_EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;

/** An array of `struct epoll_event` for epoll_wait to fill in. */
export class EpollEvents {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;

  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * EPOLL_EVENT_SIZE);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** The event mask of entry `i` (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
  events(i: number): number {
    return this.#view.getUint32(i * EPOLL_EVENT_SIZE, true);
  }

  /** The fd stored in entry `i`'s data field by {@linkcode epollCtl}. */
  fd(i: number): number {
    return this.#view.getInt32(i * EPOLL_EVENT_SIZE + DATA_OFFSET, true);
  }
}
// #endregion

/** epoll_create1(2), close-on-exec. */
export function epollCreate1(flags = EPOLL_CLOEXEC): number {
  return check("epoll_create1", libc.epoll_create1(flags), errnoCell[0]);
}

// One scratch event for epoll_ctl: the kernel copies it in during the call.
const ctlEvent = new Uint8Array(EPOLL_EVENT_SIZE);
const ctlView = new DataView(ctlEvent.buffer);

/** epoll_ctl(2): add, modify or delete the interest in `fd`; `data` = fd. */
export function epollCtl(
  epfd: number,
  op: number,
  fd: number,
  events: number,
): void {
  ctlView.setUint32(0, events >>> 0, true);
  ctlView.setBigInt64(DATA_OFFSET, BigInt(fd), true);
  check("epoll_ctl", libc.epoll_ctl(epfd, op, fd, ctlEvent), errnoCell[0]);
}

// #region wait
/** epoll_wait(2): sleeps until some watched fd is ready or `timeoutMs`
 * passes (-1: no limit); returns how many entries of `events` were filled
 * (0 on timeout, EINTR or an overwritten errno: see `callAgain`). */
export function epollWait(
  epfd: number,
  events: EpollEvents,
  timeoutMs: number,
): number {
  const n = libc.epoll_wait(epfd, events.bytes, events.capacity, timeoutMs);
  if (n >= 0) return n;
  const code = errnoCell[0];
  if (callAgain(code)) return 0;
  throw new SyscallError("epoll_wait", code);
}
// #endregion
