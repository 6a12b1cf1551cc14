/**
 * select(2) and its `fd_set` bitmaps.
 *
 * An fd_set is FD_SETSIZE (1024) bits, one per descriptor number. The kernel
 * reads which bits you set, sleeps, then overwrites the sets with only the
 * ready ones: so they must be rebuilt before every call, and a descriptor
 * numbered 1024 or more cannot be expressed at all.
 *
 * @example
 * ```ts
 * import { FdSet, select } from "./select.ts";
 * const readable = new FdSet();
 * readable.add(0); // stdin
 * select(1, readable, null, 0); // timeout 0: poll once
 * console.log(readable.has(0));
 * ```
 *
 * @module
 */
import { errnoCell, openLibc } from "@echo-lab/shared/libc";
import { callAgain, SyscallError } from "@echo-lab/shared/errno";

/** select(2) takes fixed-size bitmaps of this many descriptors. */
export const FD_SETSIZE = 1024;

const libc = openLibc({
  select: {
    parameters: ["i32", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
});

// #region fdset
/** `fd_set`: FD_SETSIZE bits. On little-endian machines bit `fd` of the C
 * array of longs is bit `fd % 8` of byte `fd / 8`, so bytes are enough. */
export class FdSet {
  readonly bytes: Uint8Array<ArrayBuffer> = new Uint8Array(FD_SETSIZE / 8);

  /** FD_SET. Throws for fd >= FD_SETSIZE: writing it would overrun the set
   * (the classic select bug); callers must refuse such descriptors first. */
  add(fd: number): void {
    if (fd < 0 || fd >= FD_SETSIZE) {
      throw new RangeError(`fd ${fd} does not fit in an fd_set`);
    }
    this.bytes[fd >> 3] |= 1 << (fd & 7);
  }

  /** FD_ISSET */
  has(fd: number): boolean {
    return fd < FD_SETSIZE && (this.bytes[fd >> 3] & (1 << (fd & 7))) !== 0;
  }

  /** FD_ZERO */
  clear(): void {
    this.bytes.fill(0);
  }
}
// #endregion

/** select(2): `nfds` is one more than the highest fd in any set. Sleeps until
 * a descriptor is ready or `timeoutMs` passes (-1: no limit); returns the
 * number of ready descriptors (0 on timeout, EINTR or an overwritten errno:
 * see `callAgain`). */
export function select(
  nfds: number,
  readable: FdSet | null,
  writable: FdSet | null,
  timeoutMs: number,
): number {
  let timeval: Uint8Array<ArrayBuffer> | null = null;
  if (timeoutMs >= 0) {
    // struct timeval { long tv_sec; long tv_usec; }
    timeval = new Uint8Array(16);
    const view = new DataView(timeval.buffer);
    view.setBigInt64(0, BigInt(Math.floor(timeoutMs / 1000)), true);
    view.setBigInt64(8, BigInt((timeoutMs % 1000) * 1000), true);
  }
  const n = libc.select(
    nfds,
    readable?.bytes ?? null,
    writable?.bytes ?? null,
    null,
    timeval,
  );
  if (n >= 0) return n;
  const code = errnoCell[0];
  if (callAgain(code)) return 0;
  throw new SyscallError("select", code);
}
