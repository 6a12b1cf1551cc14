/**
 * One direction of a byte stream through a program that must never sleep:
 * read from one descriptor, write to another (or back out of the same
 * socket, for an echo). The servers of chapters 04 and 05 keep one relay per
 * connection; their clients keep two (stdin → socket, socket → stdout).
 *
 * The rule that makes it safe is backpressure: while bytes we read are still
 * waiting to be written, we read no more. A peer that sends without reading
 * fills its own socket buffers and stalls, and we hold at most one read's
 * worth of its bytes.
 *
 * @example
 * ```ts ignore
 * import { Relay } from "./relay.ts";
 * import { recv, send } from "./socket.ts";
 * const echo = new Relay(fd, fd, recv, send); // fd: a non-blocking socket
 * const buffer = new Uint8Array(64 * 1024);
 * echo.flush(); // write what is pending, if anything
 * echo.transfer(buffer); // read once, if nothing is pending; echo it
 * if (echo.done) close(fd); // the peer sent FIN and got all its echo
 * ```
 *
 * @module
 */

/** recv(2) or read(2): bytes read, 0 at end of stream, null for "not now". */
export type Read = (fd: number, buffer: Uint8Array) => number | null;
/** send(2) or write(2): bytes taken, null for "no room now". */
export type Write = (fd: number, bytes: Uint8Array) => number | null;

// #region relay
/** Bytes on their way from `from` to `to`. */
export class Relay {
  /** Read but not yet written: the destination had no room. */
  pending: Uint8Array | null = null;
  /** The source has reached end of stream (a FIN, or EOF on stdin). */
  ended = false;
  /** Bytes written to the destination so far. */
  delivered = 0;

  constructor(
    readonly from: number,
    readonly to: number,
    readonly read: Read,
    readonly write: Write,
  ) {}

  /** Whether reading makes sense: the source is open and nothing waits. */
  get wantsInput(): boolean {
    return this.pending === null && !this.ended;
  }

  /** Whether bytes wait for room at the destination. */
  get wantsOutput(): boolean {
    return this.pending !== null;
  }

  /** The source has ended and everything it sent has been written. */
  get done(): boolean {
    return this.ended && this.pending === null;
  }

  /** One read from the source into `buffer` (shared by every relay: its
   * bytes are written out or copied before this returns), then straight out
   * to the destination. Does nothing while output is pending. */
  transfer(buffer: Uint8Array): void {
    if (!this.wantsInput) return;
    const n = this.read(this.from, buffer);
    if (n === null) return; // EAGAIN: nothing has arrived
    if (n === 0) {
      this.ended = true;
      return;
    }
    this.#deliver(buffer.subarray(0, n), true);
  }

  /** Writes what is pending, or as much of it as fits. */
  flush(): void {
    if (this.pending !== null) this.#deliver(this.pending, false);
  }

  #deliver(bytes: Uint8Array, inSharedBuffer: boolean): void {
    const n = this.write(this.to, bytes) ?? 0;
    this.delivered += n;
    if (n === bytes.byteLength) this.pending = null;
    // A short write: keep the rest. Bytes still in the shared buffer must be
    // copied (the next read overwrites it); that copy is the only memory a
    // connection holds, and only while its peer is slow.
    else if (inSharedBuffer) this.pending = bytes.slice(n);
    else if (n > 0) this.pending = bytes.subarray(n);
  }
}
// #endregion

/** An echo server closes its side after echoing all it was sent. For a
 * client whose `download` has ended, this throws if that came too soon:
 * before the `upload` finished, or with fewer bytes back than went out. */
export function checkEchoComplete(upload: Relay, download: Relay): void {
  if (!upload.done || download.delivered < upload.delivered) {
    throw new Error(
      `server closed early: sent ${upload.delivered} bytes, ${download.delivered} came back`,
    );
  }
}
