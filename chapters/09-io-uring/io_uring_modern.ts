/**
 * The "modern" io_uring (Linux 5.19 to 6.1) that only `server:modern` uses,
 * on top of the classic rings of io_uring.ts: requests that complete many
 * times (multishot accept and recv), buffers the kernel picks from a ring we
 * provide at the moment bytes arrive, the ring's fd registered with the
 * thread, and the setup flags that promise a single submitter.
 *
 * @module
 */
import {
  IoBuffer,
  IORING_OP_ACCEPT,
  IORING_OP_RECV,
  type IoUring,
  ioUringRegister,
  mmapAnonymous,
  munmapAnonymous,
} from "./io_uring.ts";

const TWO_TO_32 = 2 ** 32;

/** Only one thread ever submits, a promise the kernel enforces (-EEXIST) and
 * uses for internal optimisations (6.0; io_uring_setup(2)). */
export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
/** Completion work waits until the submitter asks for completions in
 * io_uring_enter(GETEVENTS), instead of interrupting it whenever a packet
 * lands (6.1; needs SINGLE_ISSUER). */
export const IORING_SETUP_DEFER_TASKRUN = 1 << 13;

/** sqe->flags: take the buffer from the group in sqe->buf_group (5.7). */
export const IOSQE_BUFFER_SELECT = 1 << 5;
/** sqe->ioprio of an accept: stay armed, complete once per client (5.19). */
export const IORING_ACCEPT_MULTISHOT = 1 << 0;
/** sqe->ioprio of a recv: stay armed, complete once per arrival (6.0). */
export const IORING_RECV_MULTISHOT = 1 << 1;

/** cqe->flags: a buffer was taken from a ring; its id is flags >> 16. */
export const IORING_CQE_F_BUFFER = 1 << 0;

// io_uring_register opcodes (enum in <linux/io_uring.h>).
const IORING_REGISTER_RING_FDS = 20; // 5.18
const IORING_REGISTER_PBUF_RING = 22; // 5.19
const IORING_UNREGISTER_PBUF_RING = 23;

/** IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT (5.19): one request that
 * completes once per accepted client, each completion flagged
 * IORING_CQE_F_MORE while the request stays armed. */
export function prepAcceptMultishot(
  ring: IoUring,
  fd: number,
  flags: number,
  userData: number,
): void {
  ring.prepOp(
    IORING_OP_ACCEPT,
    fd,
    null,
    0,
    0,
    flags,
    IORING_ACCEPT_MULTISHOT,
    0,
    userData,
  );
}

/** IORING_OP_RECV with IORING_RECV_MULTISHOT and IOSQE_BUFFER_SELECT
 * (6.0): one request that completes once per arrival of bytes, each time
 * into a buffer the kernel takes from the {@linkcode BufferRing} of group
 * `bufferGroup` (its id in the completion's flags, see
 * {@linkcode bufferId}). */
export function prepRecvMultishot(
  ring: IoUring,
  fd: number,
  bufferGroup: number,
  userData: number,
): void {
  ring.prepOp(
    IORING_OP_RECV,
    fd,
    null,
    0,
    0,
    0,
    IORING_RECV_MULTISHOT,
    bufferGroup,
    userData,
    IOSQE_BUFFER_SELECT,
  );
}

/** IORING_REGISTER_RING_FDS (5.18): registers the ring's own fd with the
 * calling thread, so every later io_uring_enter names the ring by a small
 * index and the kernel skips looking the fd up (fdget/fdput) each call. */
export function registerRingFd(ring: IoUring): void {
  // struct io_uring_rsrc_update { u32 offset; u32 resv; u64 data; }:
  // offset -1 lets the kernel choose the index and write it back.
  const update = new Uint32Array([0xffffffff, 0, ring.fd, 0]);
  ioUringRegister(
    ring.fd,
    IORING_REGISTER_RING_FDS,
    new Uint8Array(update.buffer),
    1,
  );
  ring.enterByIndex(update[0]);
}

/** The id of the buffer a completion's bytes are in, from its flags. */
export function bufferId(cqeFlags: number): number {
  return cqeFlags >>> 16; // IORING_CQE_BUFFER_SHIFT
}

/**
 * A provided buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19; multishot
 * recv uses it from 6.0): `count` buffers of `size` bytes, and a ring of
 * `struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv; }` entries
 * through which we hand free buffers to the kernel. A request flagged
 * IOSQE_BUFFER_SELECT takes the next one at the moment bytes arrive, so an
 * idle connection holds no buffer at all. The kernel advances its own head;
 * we advance the tail, which overlays the first entry's `resv` (byte 14).
 */
export class BufferRing {
  /** All the buffers, back to back: buffer `id` starts at `id * size`. */
  readonly memory: IoBuffer;
  // The entries as 32-bit and as 16-bit words, and the tail alone.
  readonly #ring: Uint32Array;
  readonly #ring16: Uint16Array;
  readonly #tail: Uint16Array;
  readonly #pointer: Deno.PointerObject;
  readonly #ringBytes: number;
  #localTail = 0;

  constructor(
    ring: IoUring,
    readonly group: number,
    readonly count: number,
    readonly size: number,
  ) {
    // The kernel maps the entries by page, so they get pages of their own.
    this.#ringBytes = Math.ceil(count * 16 / 4096) * 4096;
    this.#pointer = mmapAnonymous(this.#ringBytes);
    const entries = Deno.UnsafePointerView.getArrayBuffer(
      this.#pointer,
      this.#ringBytes,
    );
    this.#ring = new Uint32Array(entries);
    this.#ring16 = new Uint16Array(entries);
    this.#tail = new Uint16Array(entries, 14, 1);
    this.memory = new IoBuffer(count * size);
    // struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid;
    // u16 flags; u64 resv[3]; }
    const reg = new Uint32Array(40 / 4);
    const address = Number(Deno.UnsafePointer.value(this.#pointer));
    reg[0] = address >>> 0;
    reg[1] = address / TWO_TO_32;
    reg[2] = count; // a power of two
    reg[3] = group;
    try {
      ioUringRegister(
        ring.fd,
        IORING_REGISTER_PBUF_RING,
        new Uint8Array(reg.buffer),
        1,
      );
    } catch (error) {
      munmapAnonymous(this.#pointer, this.#ringBytes);
      throw error;
    }
    for (let id = 0; id < count; id++) this.provide(id);
    this.publish();
  }

  /** The bytes of buffer `id`, `length` of them. */
  bytes(id: number, length: number): Uint8Array {
    return this.memory.bytes.subarray(id * this.size, id * this.size + length);
  }

  /** Queues buffer `id` to go back to the kernel at the next
   * {@linkcode BufferRing.publish}. */
  provide(id: number): void {
    const entry = (this.#localTail & (this.count - 1)) * 4;
    const address = this.memory.address + id * this.size;
    this.#ring[entry] = address >>> 0;
    this.#ring[entry + 1] = address / TWO_TO_32;
    this.#ring[entry + 2] = this.size;
    // u16 bid, then u16 resv, which in entry 0 is the tail itself: write
    // only the low half.
    this.#ring16[entry * 2 + 6] = id;
    this.#localTail = (this.#localTail + 1) & 0xffff;
  }

  /** Makes every provided buffer visible to the kernel: one release store
   * of the tail, after the entries it covers. */
  publish(): void {
    Atomics.store(this.#tail, 0, this.#localTail);
  }

  /** Unregisters the group and frees the entries; call once no request can
   * pick from it any more. */
  close(ring: IoUring): void {
    const reg = new Uint32Array(40 / 4);
    reg[3] = this.group;
    ioUringRegister(
      ring.fd,
      IORING_UNREGISTER_PBUF_RING,
      new Uint8Array(reg.buffer),
      1,
    );
    munmapAnonymous(this.#pointer, this.#ringBytes);
  }
}
