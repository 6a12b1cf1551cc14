/**
 * The live connections, in memory that the main thread and every Worker
 * share: slot `i` holds the descriptor that Worker `i` is serving, or FREE.
 *
 * Two threads touch each descriptor. The Worker serving it closes it when
 * the client leaves; the main thread, at shutdown, calls shutdown(2) on it to
 * wake the Worker from its blocking recv. Descriptor numbers are reused at
 * once: if the Worker closed fd 7 just before the main thread shut "7" down,
 * the main thread would hit whatever socket got number 7 next. So a Worker
 * frees its slot before closing, and the main thread marks a slot BUSY for
 * the length of its shutdown call; a Worker that finds its slot BUSY waits.
 *
 * @example
 * ```ts
 * import { ConnectionTable } from "./connections.ts";
 * const table = new ConnectionTable(2); // main thread
 * const slot = table.claim(7)!; // hand fd 7 and `slot` to a Worker
 * const seen = new ConnectionTable(table.buffer); // in the Worker
 * seen.release(slot, 7); // when the Worker is done, before close(7)
 * console.log(table.live); // 0
 * ```
 *
 * @module
 */
import { libc } from "@echo-lab/shared/libc";
import { SHUT_RDWR } from "@echo-lab/shared/constants";

const FREE = -1;
/** The main thread is inside shutdown(2) on this slot's descriptor. */
const BUSY = -2;
// Layout of the shared Int32Array: two counters, then one cell per slot.
const LIVE = 0;
const STOPPING = 1;
const SLOTS = 2;

/** A fixed number of connection slots in a SharedArrayBuffer. */
export class ConnectionTable {
  /** Post this to a Worker: SharedArrayBuffers are shared, not copied. */
  readonly buffer: SharedArrayBuffer;
  readonly #cells: Int32Array;

  /** A new table of `capacity` slots (main thread), or a view of an
   * existing one (Worker). */
  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    this.buffer = typeof capacityOrBuffer === "number"
      ? new SharedArrayBuffer(4 * (SLOTS + capacityOrBuffer))
      : capacityOrBuffer;
    this.#cells = new Int32Array(this.buffer);
    if (typeof capacityOrBuffer === "number") this.#cells.fill(FREE, SLOTS);
  }

  get capacity(): number {
    return this.#cells.length - SLOTS;
  }

  /** How many slots hold a connection. */
  get live(): number {
    return Atomics.load(this.#cells, LIVE);
  }

  /** True once {@linkcode shutdownAll} has run: errors are expected now. */
  get stopping(): boolean {
    return Atomics.load(this.#cells, STOPPING) === 1;
  }

  /** Main thread: puts `fd` in a free slot and returns the slot's index, or
   * `null` when every slot is taken. */
  claim(fd: number): number | null {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (Atomics.load(this.#cells, SLOTS + slot) !== FREE) continue;
      Atomics.store(this.#cells, SLOTS + slot, fd);
      Atomics.add(this.#cells, LIVE, 1);
      return slot;
    }
    return null;
  }

  // #region release
  /** Worker: gives `slot` (holding `fd`) back. Call it before close(fd). */
  release(slot: number, fd: number): void {
    const cell = SLOTS + slot;
    // Swap fd for FREE; if the main thread holds the slot (BUSY), sleep until
    // its shutdown call has returned and it has put fd back.
    while (Atomics.compareExchange(this.#cells, cell, fd, FREE) !== fd) {
      Atomics.wait(this.#cells, cell, BUSY);
    }
    Atomics.sub(this.#cells, LIVE, 1);
    Atomics.notify(this.#cells, LIVE); // a main thread waiting for room
  }
  // #endregion

  /** Main thread: sleeps until a slot is released, or `ms` pass. */
  waitForRoom(ms: number): void {
    const live = Atomics.load(this.#cells, LIVE);
    if (live === this.capacity) Atomics.wait(this.#cells, LIVE, live, ms);
  }

  // #region shutdown-all
  /** Main thread, at shutdown: shutdown(2) every live connection both ways.
   * A Worker asleep in recv wakes with 0 (end of stream), one asleep in send
   * with EPIPE; either way it finishes its connection and exits by itself. */
  shutdownAll(): void {
    Atomics.store(this.#cells, STOPPING, 1);
    for (let cell = SLOTS; cell < this.#cells.length; cell++) {
      const fd = Atomics.load(this.#cells, cell);
      if (fd < 0) continue;
      if (Atomics.compareExchange(this.#cells, cell, fd, BUSY) !== fd) continue;
      // The result is ignored: a peer that reset leaves nothing to shut down.
      libc.shutdown(fd, SHUT_RDWR);
      Atomics.store(this.#cells, cell, fd);
      Atomics.notify(this.#cells, cell);
    }
  }
  // #endregion
}
