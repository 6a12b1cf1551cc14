/**
 * io_uring(7): io_uring_setup, the two rings mapped into memory, and
 * io_uring_enter.
 *
 * Every other model asks the kernel "may I read now?" and then reads. With
 * io_uring the program writes whole requests ("receive into this buffer",
 * "send these bytes", "accept the next client") into a *submission queue*
 * (SQ) that it shares with the kernel, makes one io_uring_enter call, and
 * later finds each request's result in a *completion queue* (CQ). Both queues
 * are ring buffers in memory mapped into this process and the kernel, so
 * queuing a request and reading a result are plain memory accesses; only
 * io_uring_enter is a system call, and one of them can hand over hundreds of
 * requests and wait for the first results.
 *
 * The memory layout is read from the offsets io_uring_setup returns in
 * `struct io_uring_params`, never hard-coded. Entries are `struct
 * io_uring_sqe` (64 bytes) and `struct io_uring_cqe` (16 bytes): we never ask
 * for IORING_SETUP_SQE128 or IORING_SETUP_CQE32.
 *
 * Buffer ownership: a request names memory by address. From the moment it is
 * queued until its completion has been read, the kernel may write into (recv,
 * read) or read from (send, write) that memory at any time. An
 * {@linkcode IoBuffer} is such memory: keep it referenced (a collected buffer
 * would be freed under the kernel's feet) and leave its bytes alone until
 * every request naming it has completed.
 *
 * @example
 * ```ts
 * import { IoUring } from "./io_uring.ts";
 * const ring = IoUring.setup(8);
 * ring.prepNop(42);
 * ring.submitAndWait(1); // one syscall: submit the NOP, wait for its result
 * ring.forEachCompletion((userData, result) => {
 *   console.log(userData, result); // 42 0
 * });
 * ring.close();
 * ```
 *
 * @module
 */
import { errnoCell, libc as shared, openLibc } from "@echo-lab/shared/libc";
import {
  callAgain,
  check,
  EAGAIN,
  EBUSY,
  EPERM,
  SyscallError,
} from "@echo-lab/shared/errno";

const libc = openLibc({
  // glibc has no io_uring wrappers, so these are syscall(2) with the call's
  // number first (SYS_io_uring_setup = 425, SYS_io_uring_enter = 426, the
  // same on x86_64 and aarch64). syscall is variadic, but on both each
  // argument travels in the register a fixed one would, so one fixed-arity
  // alias per call is safe. The number and the sizes are 64-bit (pass bigint
  // constants); the kernel declares fd, counts and flags `unsigned int` and
  // reads only the low 32 bits, so u32 keeps them plain numbers on the fast
  // path (we measured 150 ns per call, against 500 with numbers in i64).
  // The result is a C long; its low 32 bits (i32) hold every value returned.
  io_uring_setup: {
    name: "syscall",
    parameters: ["i64", "u32", "buffer"],
    result: "i32",
  },
  io_uring_enter: {
    name: "syscall",
    parameters: ["i64", "u32", "u32", "u32", "u32", "pointer", "usize"],
    result: "i32",
  },
  // io_uring_register(2), SYS_io_uring_register = 427, the same way: fd,
  // opcode and count are `unsigned int`, the argument a pointer to a struct.
  io_uring_register: {
    name: "syscall",
    parameters: ["i64", "u32", "u32", "buffer", "u32"],
    result: "i32",
  },
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  // prctl(2) is variadic; PR_GET_SECCOMP reads no argument past the option.
  prctl: { parameters: ["i32"], result: "i32" },
});

const SYS_io_uring_setup = 425n;
const SYS_io_uring_enter = 426n;

// Opcodes (enum io_uring_op in <linux/io_uring.h>) and the kernel that added
// each: everything here works on Linux 5.19 and later.
export const IORING_OP_NOP = 0;
export const IORING_OP_TIMEOUT = 11; // 5.4
export const IORING_OP_ACCEPT = 13; // 5.5
export const IORING_OP_ASYNC_CANCEL = 14; // 5.5
export const IORING_OP_READ = 22; // 5.6
export const IORING_OP_WRITE = 23; // 5.6
export const IORING_OP_SEND = 26; // 5.6
export const IORING_OP_RECV = 27; // 5.6

/** io_uring_enter flag: wait for `minComplete` completions. */
export const IORING_ENTER_GETEVENTS = 1;
/** Cancel flag: cancel every request that matches, not only the first. */
export const IORING_ASYNC_CANCEL_ALL = 1 << 0;
/** Cancel flag: match any request (5.19). */
export const IORING_ASYNC_CANCEL_ANY = 1 << 2;

/** One mmap covers both rings (5.4). */
export const IORING_FEAT_SINGLE_MMAP = 1 << 0;
/** A full CQ never drops a completion: the kernel keeps the overflow (5.5). */
export const IORING_FEAT_NODROP = 1 << 1;
/** A socket that is not ready is polled inside the kernel and the request
 * retried when it is, instead of a kernel thread blocking on it (5.7). */
export const IORING_FEAT_FAST_POLL = 1 << 5;
const REQUIRED_FEATURES: [number, string][] = [
  [IORING_FEAT_SINGLE_MMAP, "IORING_FEAT_SINGLE_MMAP (Linux 5.4)"],
  [IORING_FEAT_NODROP, "IORING_FEAT_NODROP (Linux 5.5)"],
  [IORING_FEAT_FAST_POLL, "IORING_FEAT_FAST_POLL (Linux 5.7)"],
];

// mmap(2) offsets that select which region of the ring fd to map.
const IORING_OFF_SQ_RING = 0;
const IORING_OFF_SQES = 0x10000000;
const PROT_READ_WRITE = 0x1 | 0x2;
const MAP_SHARED_POPULATE = 0x01 | 0x8000;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/** sizeof(struct io_uring_sqe) and sizeof(struct io_uring_cqe), in 32-bit
 * words: the unit of the views below. */
const SQE_WORDS = 64 / 4;
const CQE_WORDS = 16 / 4;
const TWO_TO_32 = 2 ** 32;

/**
 * Memory lent to the kernel by requests: `bytes`, and the address of
 * `bytes[0]`, computed once (V8 never moves an ArrayBuffer's bytes, and a
 * user-space address fits in a number's 53 bits). Requests name a buffer
 * and an offset into it; the `prep*` methods work out the address.
 */
export class IoBuffer {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly address: number;

  /** A new buffer of `size` bytes, or one over existing `bytes`. */
  constructor(sizeOrBytes: number | Uint8Array<ArrayBuffer>) {
    this.bytes = typeof sizeOrBytes === "number"
      ? new Uint8Array(sizeOrBytes)
      : sizeOrBytes;
    this.address = Number(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.bytes)),
    );
  }
}

/** `struct __kernel_timespec` for {@linkcode IoUring.prepTimeout}. */
export function timespec(milliseconds: number): IoBuffer {
  const buffer = new IoBuffer(16);
  const view = new DataView(buffer.bytes.buffer);
  view.setBigInt64(0, BigInt(Math.floor(milliseconds / 1000)), true);
  view.setBigInt64(8, BigInt((milliseconds % 1000) * 1_000_000), true);
  return buffer;
}

/**
 * io_uring_setup(2): creates a ring of (at least) `entries` submission slots
 * and returns its fd. The kernel fills in `params`, a 120-byte `struct
 * io_uring_params`, with the sizes it chose, its features and the offsets of
 * every field inside the memory to map.
 */
export function ioUringSetup(entries: number, params: Uint8Array): number {
  const fd = libc.io_uring_setup(SYS_io_uring_setup, entries, params);
  const code = errnoCell[0]; // read before anything else can overwrite it
  if (fd < 0 && code === EPERM) {
    const error = new SyscallError("io_uring_setup", EPERM);
    error.message += `: ${whyNotPermitted()}`;
    throw error;
  }
  return check("io_uring_setup", fd, code);
}

const PR_GET_SECCOMP = 21;

/** Who forbids io_uring, and the fix. A kernel with io_uring says EPERM for
 * two reasons: a seccomp filter denies the call (prctl(PR_GET_SECCOMP) says
 * 2, "filter mode": Docker's default profile has denied io_uring_* since
 * 2023, moby/moby#46762), or the sysctl kernel.io_uring_disabled is set. */
function whyNotPermitted(): string {
  if (libc.prctl(PR_GET_SECCOMP) === 2) {
    return "a seccomp filter denies it, most likely your container's seccomp " +
      "profile (Docker's default denies io_uring_*): start the container " +
      "with --security-opt seccomp=PROFILE.json, PROFILE.json allowing " +
      "io_uring_setup, io_uring_enter and io_uring_register";
  }
  return "the sysctl kernel.io_uring_disabled forbids it (RHEL and hardened " +
    "kernels set it): as root, sysctl -w kernel.io_uring_disabled=0";
}

/**
 * io_uring_enter(2): tells the kernel that `toSubmit` new requests wait in the
 * SQ, and with IORING_ENTER_GETEVENTS sleeps until `minComplete` completions
 * are in the CQ. Returns how many requests were consumed. A signal (EINTR),
 * an overwritten errno (see `callAgain`) and the kernel's "reap some
 * completions first" (EBUSY, EAGAIN) return 0: the caller's loop reaps and
 * calls again.
 */
export function ioUringEnter(
  fd: number,
  toSubmit: number,
  minComplete: number,
  flags: number,
): number {
  const n = libc.io_uring_enter(
    SYS_io_uring_enter,
    fd,
    toSubmit,
    minComplete,
    flags,
    null, // no signal mask to install while waiting
    0n,
  );
  const code = errnoCell[0]; // read before anything else can overwrite it
  if (n >= 0) return n;
  if (callAgain(code) || code === EBUSY || code === EAGAIN) return 0;
  throw new SyscallError("io_uring_enter", code);
}

/** Why io_uring cannot be used here (the error of a trial io_uring_setup),
 * or `null` when it can. Tests use it to skip with a reason. */
export function ioUringUnavailable(): string | null {
  try {
    IoUring.setup(1).close();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Called once per completion by {@linkcode IoUring.forEachCompletion}:
 * `result` is what the equivalent syscall would have returned, with errors
 * as `-errno` (e.g. -104 for ECONNRESET). */
export type CompletionHandler = (
  userData: number,
  result: number,
  flags: number,
) => void;

/**
 * A ring: its fd, its SQ, CQ and SQE array mapped into this process, and
 * `prep*` methods that write one request each. Requests carry a `userData`
 * number (below 2^32) that comes back, untouched, with their completion: the
 * only way to tell completions apart.
 */
export class IoUring {
  /** The ring's fd (close it with {@linkcode IoUring.close}). */
  readonly fd: number;
  /** Submission slots (a power of two). */
  readonly sqEntries: number;
  /** Completion slots (twice `sqEntries` by default). */
  readonly cqEntries: number;
  /** IORING_FEAT_* bits this kernel reported. */
  readonly features: number;

  // The SQ and CQ rings (one mapping) and the SQE array, as 32-bit words.
  #ring: Uint32Array;
  #sqes: Uint32Array;
  readonly #ringPointer: Deno.PointerObject;
  readonly #ringBytes: number;
  readonly #sqesPointer: Deno.PointerObject;
  readonly #sqesBytes: number;
  // Word indexes of the fields io_uring_params told us about.
  readonly #sqHead: number;
  readonly #sqTail: number;
  readonly #sqMask: number;
  readonly #cqHead: number;
  readonly #cqTail: number;
  readonly #cqMask: number;
  readonly #cqes: number;
  /** Our copy of the SQ tail: slots up to here are written but not yet
   * published to the kernel. */
  #sqLocalTail: number;
  /** What io_uring_enter is given as the ring: its fd, or the index
   * {@linkcode IoUring.enterByIndex} was given, with
   * IORING_ENTER_REGISTERED_RING. */
  #enterFd: number;
  #enterFlags = 0;
  /** IORING_SETUP_SQPOLL: a kernel thread takes our requests (see
   * {@linkcode IoUring.submit}). */
  readonly sqpoll: boolean;
  /** Word index of the SQ ring's flags (IORING_SQ_NEED_WAKEUP). */
  readonly #sqFlags: number;

  /** io_uring_setup + mmap. Throws a {@linkcode SyscallError} when the kernel
   * has no io_uring (ENOSYS), forbids it (EPERM: sysctl
   * kernel.io_uring_disabled or seccomp), or lacks a feature we rely on. */
  static setup(entries: number, options: RingOptions = {}): IoUring {
    const params = new Uint32Array(120 / 4);
    params[2] = options.flags ?? 0;
    params[4] = options.sqThreadIdleMs ?? 0; // 0: the kernel's 1 s
    if (options.cqEntries) {
      params[1] = options.cqEntries;
      params[2] |= IORING_SETUP_CQSIZE;
    }
    const fd = ioUringSetup(entries, new Uint8Array(params.buffer));
    try {
      return new IoUring(fd, params);
    } catch (error) {
      shared.close(fd);
      throw error;
    }
  }

  private constructor(fd: number, params: Uint32Array) {
    // struct io_uring_params: sq_entries, cq_entries, flags, sq_thread_cpu,
    // sq_thread_idle, features, wq_fd, resv[3], then struct
    // io_sqring_offsets sq_off (10 words) and io_cqring_offsets cq_off.
    this.fd = this.#enterFd = fd;
    this.sqEntries = params[0];
    this.cqEntries = params[1];
    this.features = params[5];
    this.sqpoll = (params[2] & IORING_SETUP_SQPOLL) !== 0;
    this.#sqFlags = params[14] / 4;
    for (const [bit, name] of REQUIRED_FEATURES) {
      if (!(this.features & bit)) {
        throw new Error(`io_uring_setup: this kernel lacks ${name}`);
      }
    }
    // #region map
    const sqArray = params[16], cqes = params[25];
    const word = (i: number) => params[i] / 4; // byte offset → word index
    [this.#sqHead, this.#sqTail, this.#sqMask] = [word(10), word(11), word(12)];
    [this.#cqHead, this.#cqTail, this.#cqMask] = [word(20), word(21), word(22)];
    this.#cqes = word(25);
    // Both rings live in one mapping (IORING_FEAT_SINGLE_MMAP): the SQ ring
    // ends with its index array, the CQ ring with its CQEs.
    this.#ringBytes = Math.max(
      sqArray + this.sqEntries * 4,
      cqes + this.cqEntries * 4 * CQE_WORDS,
    );
    this.#ringPointer = mmap(fd, IORING_OFF_SQ_RING, this.#ringBytes);
    this.#sqesBytes = this.sqEntries * 4 * SQE_WORDS;
    try {
      this.#sqesPointer = mmap(fd, IORING_OFF_SQES, this.#sqesBytes);
    } catch (error) {
      libc.munmap(this.#ringPointer, BigInt(this.#ringBytes));
      throw error;
    }
    // Typed-array views straight onto the shared pages: indexing them reads
    // and writes the very memory the kernel uses, with no copy.
    this.#ring = new Uint32Array(
      Deno.UnsafePointerView.getArrayBuffer(this.#ringPointer, this.#ringBytes),
    );
    this.#sqes = new Uint32Array(
      Deno.UnsafePointerView.getArrayBuffer(this.#sqesPointer, this.#sqesBytes),
    );
    // The SQ ring does not hold SQEs but indexes into the SQE array. We
    // always fill SQE slot `tail & mask`, so map slot i to SQE i once, here.
    for (let i = 0; i < this.sqEntries; i++) this.#ring[sqArray / 4 + i] = i;
    this.#sqLocalTail = this.#ring[this.#sqTail];
    // #endregion
  }

  // #region memory-ordering
  // Two threads share these rings, us and the kernel, so the order in which
  // memory writes become visible matters. We write SQEs, then the SQ tail:
  // the kernel must never see the new tail before the SQEs it covers. The
  // kernel writes CQEs, then the CQ tail: we must not read a CQE before
  // reading the tail that covers it, and must not hand a slot back (the CQ
  // head) before we have finished reading it.
  //
  // Atomics.store is a release store and Atomics.load an acquire load
  // (sequentially consistent, in fact), which is exactly that; they also keep
  // the JIT from caching or reordering these accesses. On x86_64 the CPU
  // itself never reorders a store with an earlier store or a load with an
  // earlier load, and without SQPOLL (a kernel thread polling our SQ) the
  // kernel reads the SQ only inside io_uring_enter, a full barrier, so plain
  // stores would do on the submission side. Not so the CQ: the kernel fills
  // it while our JavaScript runs (completion work interrupts the thread, and
  // io-wq worker threads post from other CPUs), so the tail must be re-read
  // each time, never assumed.

  /** Publishes every request written since the last call; returns how many
   * the kernel has yet to take. */
  #publish(): number {
    Atomics.store(this.#ring, this.#sqTail, this.#sqLocalTail);
    return this.#unconsumed();
  }

  /** Requests written but not yet taken by the kernel (it advances the SQ
   * head as it takes them). */
  #unconsumed(): number {
    return (this.#sqLocalTail - Atomics.load(this.#ring, this.#sqHead)) >>> 0;
  }

  /** Calls `handler` for every completion in the CQ, then gives their slots
   * back to the kernel. Returns how many there were. Allocates nothing. */
  forEachCompletion(handler: CompletionHandler): number {
    const ring = this.#ring;
    const head = ring[this.#cqHead]; // only we write it
    const tail = Atomics.load(ring, this.#cqTail);
    const mask = ring[this.#cqMask];
    for (let at = head; at !== tail; at = (at + 1) >>> 0) {
      // struct io_uring_cqe { u64 user_data; s32 res; u32 flags; }
      const cqe = this.#cqes + (at & mask) * CQE_WORDS;
      handler(ring[cqe], ring[cqe + 2] | 0, ring[cqe + 3]);
    }
    Atomics.store(ring, this.#cqHead, tail);
    return (tail - head) >>> 0;
  }
  // #endregion

  /** io_uring_enter without waiting: hands queued requests to the kernel.
   * With SQPOLL the kernel's thread takes them from the ring by itself, and
   * this makes a system call only to wake that thread when it has gone to
   * sleep, or to wait for room when the SQ is full. */
  submit(): number {
    if (this.sqpoll) return this.#polled(0);
    return ioUringEnter(this.#enterFd, this.#publish(), 0, this.#enterFlags);
  }

  /** io_uring_enter: hands queued requests to the kernel and sleeps until at
   * least `minComplete` completions wait in the CQ. With SQPOLL, completions
   * already waiting cost no system call at all. */
  submitAndWait(minComplete: number): number {
    if (this.sqpoll) return this.#polled(minComplete);
    return ioUringEnter(
      this.#enterFd,
      this.#publish(),
      minComplete,
      IORING_ENTER_GETEVENTS | this.#enterFlags,
    );
  }

  /** SQPOLL's submit and wait: publish the tail, then enter only to wake
   * the SQ thread (asleep after sq_thread_idle ms, IORING_SQ_NEED_WAKEUP),
   * to wait for SQ room, or to wait for fewer than `minComplete`
   * completions. The flags are read after the tail's store; both are
   * sequentially consistent, the full barrier io_uring_setup(2) asks for. */
  #polled(minComplete: number): number {
    const pending = this.#publish();
    const ready = (Atomics.load(this.#ring, this.#cqTail) -
      this.#ring[this.#cqHead]) >>> 0;
    const asleep = Atomics.load(this.#ring, this.#sqFlags) &
      IORING_SQ_NEED_WAKEUP;
    const full = pending === this.sqEntries;
    const wait = ready < minComplete;
    if (asleep || full || wait) {
      ioUringEnter(
        this.#enterFd,
        0,
        wait ? minComplete : 0,
        this.#enterFlags | (asleep ? IORING_ENTER_SQ_WAKEUP : 0) |
          (full ? IORING_ENTER_SQ_WAIT : 0) |
          (wait ? IORING_ENTER_GETEVENTS : 0),
      );
    }
    return pending;
  }

  /** IORING_OP_RECV: recv(fd, buffer + offset, length, flags). */
  prepRecv(
    fd: number,
    buffer: IoBuffer,
    offset: number,
    length: number,
    flags: number,
    userData: number,
  ): void {
    this.#prep(IORING_OP_RECV, fd, buffer, offset, length, 0, flags, userData);
  }

  /** IORING_OP_SEND: send(fd, buffer + offset, length, flags). Like send(2)
   * it may complete with fewer bytes than `length` (a short send). */
  prepSend(
    fd: number,
    buffer: IoBuffer,
    offset: number,
    length: number,
    flags: number,
    userData: number,
  ): void {
    this.#prep(IORING_OP_SEND, fd, buffer, offset, length, 0, flags, userData);
  }

  /** IORING_OP_ACCEPT: accept4(fd, NULL, NULL, flags). */
  prepAccept(fd: number, flags: number, userData: number): void {
    this.#prep(IORING_OP_ACCEPT, fd, null, 0, 0, 0, flags, userData);
  }

  /** IORING_OP_READ: read(fd, buffer + offset, length) at file position
   * `position`, or at (and advancing) the current position when it is -1. */
  prepRead(
    fd: number,
    buffer: IoBuffer,
    offset: number,
    length: number,
    position: number,
    userData: number,
  ): void {
    this.#prep(
      IORING_OP_READ,
      fd,
      buffer,
      offset,
      length,
      position,
      0,
      userData,
    );
  }

  /** IORING_OP_WRITE: write(fd, buffer + offset, length), `position` as in
   * {@linkcode IoUring.prepRead}. */
  prepWrite(
    fd: number,
    buffer: IoBuffer,
    offset: number,
    length: number,
    position: number,
    userData: number,
  ): void {
    this.#prep(
      IORING_OP_WRITE,
      fd,
      buffer,
      offset,
      length,
      position,
      0,
      userData,
    );
  }

  /** IORING_OP_TIMEOUT: completes with -ETIME once `duration` (a
   * {@linkcode timespec}) has passed. */
  prepTimeout(duration: IoBuffer, userData: number): void {
    this.#prep(IORING_OP_TIMEOUT, -1, duration, 0, 1, 0, 0, userData);
  }

  /** IORING_OP_ASYNC_CANCEL: cancels the request whose user data is
   * `target`, or with IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL every
   * request in flight. Each cancelled request completes with -ECANCELED. */
  prepCancel(target: number, flags: number, userData: number): void {
    // The target's user data goes where a buffer's address would.
    this.#prep(IORING_OP_ASYNC_CANCEL, -1, null, target, 0, 0, flags, userData);
  }

  /** IORING_OP_NOP: completes at once with result 0. */
  prepNop(userData: number): void {
    this.#prep(IORING_OP_NOP, -1, null, 0, 0, 0, 0, userData);
  }

  /** Any other request: `opcode` on `fd` with `length` bytes at `buffer` +
   * `offset`, its op flags, `ioprio` (the u16 in which many opcodes take
   * flags of their own) and `bufferIndex` (u16 buf_index: a registered
   * buffer's, with IORING_RECVSEND_FIXED_BUF; or, with IOSQE_BUFFER_SELECT,
   * u16 buf_group), and `sqeFlags` (the sqe's own IOSQE_* flags). Opcodes
   * bound in modules of their own (zero_copy.ts, io_uring_modern.ts) are
   * written with it. */
  prepOp(
    opcode: number,
    fd: number,
    buffer: IoBuffer | null,
    offset: number,
    length: number,
    opFlags: number,
    ioprio: number,
    bufferIndex: number,
    userData: number,
    sqeFlags = 0,
  ): void {
    const sqe = this.#prep(
      opcode,
      fd,
      buffer,
      offset,
      length,
      0,
      opFlags,
      userData,
    );
    this.#sqes[sqe] |= (sqeFlags << 8) | (ioprio << 16); // u8 flags, u16 ioprio
    this.#sqes[sqe + 10] = bufferIndex; // u16 buf_index (or buf_group)
  }

  /** Names the ring by `index`, a slot IORING_REGISTER_RING_FDS gave it
   * (see `registerRingFd` in io_uring_modern.ts), in every later
   * io_uring_enter, with IORING_ENTER_REGISTERED_RING. */
  enterByIndex(index: number): void {
    this.#enterFd = index;
    this.#enterFlags = IORING_ENTER_REGISTERED_RING;
  }

  /** Unmaps the rings and closes the ring fd; the kernel cancels whatever is
   * still in flight. */
  close(): void {
    this.#ring = this.#sqes = new Uint32Array(0);
    libc.munmap(this.#ringPointer, BigInt(this.#ringBytes));
    libc.munmap(this.#sqesPointer, BigInt(this.#sqesBytes));
    shared.close(this.fd);
  }

  // #region sqe
  /** Writes one SQE into the next free slot and returns its word index. A
   * full SQ is first handed to the kernel, so callers never see "no room". */
  #prep(
    opcode: number,
    fd: number,
    buffer: IoBuffer | null,
    offset: number,
    length: number,
    position: number,
    opFlags: number,
    userData: number,
  ): number {
    if (this.#unconsumed() === this.sqEntries) {
      this.submit();
      if (this.#unconsumed() === this.sqEntries) {
        throw new Error("io_uring_enter: the kernel took no request");
      }
    }
    const sqe = (this.#sqLocalTail & this.#ring[this.#sqMask]) * SQE_WORDS;
    const words = this.#sqes;
    // struct io_uring_sqe, as 32-bit words. 64-bit fields are split into
    // low and high halves, so no BigInt is ever allocated. Unused fields
    // must be zero: the kernel rejects requests with stray bits.
    words.fill(0, sqe, sqe + SQE_WORDS);
    words[sqe] = opcode; //               u8 opcode, u8 flags, u16 ioprio
    words[sqe + 1] = fd; //               s32 fd
    words[sqe + 2] = position >>> 0; //   u64 off (-1: current position)
    words[sqe + 3] = position < 0 ? 0xffffffff : position / TWO_TO_32;
    // u64 addr: a buffer's address, or a plain number (a cancel's target).
    // Two branches, not one `?:`: a value that is sometimes a small integer
    // and sometimes a float64 makes V8 box the float64 into a new heap number
    // on every call. We measured 8 bytes of garbage per request that way.
    if (buffer === null) {
      words[sqe + 4] = offset;
    } else {
      const address = buffer.address + offset;
      words[sqe + 4] = address >>> 0;
      words[sqe + 5] = address / TWO_TO_32;
    }
    words[sqe + 6] = length; //           u32 len
    words[sqe + 7] = opFlags; //          u32 msg_flags, accept_flags, ...
    words[sqe + 8] = userData; //         u64 user_data (high half stays 0)
    this.#sqLocalTail = (this.#sqLocalTail + 1) >>> 0;
    return sqe;
  }
  // #endregion
}

function mmap(fd: number, offset: number, bytes: number): Deno.PointerObject {
  const pointer = libc.mmap(
    null,
    BigInt(bytes),
    PROT_READ_WRITE,
    MAP_SHARED_POPULATE,
    fd,
    BigInt(offset),
  );
  const code = errnoCell[0];
  if (pointer === null || Deno.UnsafePointer.value(pointer) === MAP_FAILED) {
    throw new SyscallError("mmap", code);
  }
  return pointer;
}

// #region setup-options
// What io_uring_setup may be asked for beyond the SQ size (SQPOLL among
// them), and io_uring_register(2). The bindings only `server:modern` uses
// (multishot requests, provided buffer rings) are in io_uring_modern.ts.

const SYS_io_uring_register = 427n;

/** io_uring_setup flags (`params.flags`). */
export const IORING_SETUP_CQSIZE = 1 << 3; // 5.5: cq_entries is ours
/** A kernel thread polls the SQ for new requests (5.1; without privileges
 * from 5.11). Not with DEFER_TASKRUN. */
export const IORING_SETUP_SQPOLL = 1 << 1;
/** sq ring flags: the SQ thread sleeps; wake it with IORING_ENTER_SQ_WAKEUP. */
export const IORING_SQ_NEED_WAKEUP = 1 << 0;
/** io_uring_enter flags for SQPOLL: wake the SQ thread; wait for SQ room. */
export const IORING_ENTER_SQ_WAKEUP = 1 << 1;
export const IORING_ENTER_SQ_WAIT = 1 << 2;
/** What {@linkcode IoUring.setup} may be asked for beyond the SQ size. */
export interface RingOptions {
  /** IORING_SETUP_* flags. */
  flags?: number;
  /** Completion slots, when twice the SQ is not enough (IORING_SETUP_CQSIZE). */
  cqEntries?: number;
  /** SQPOLL: how long the polling thread spins with nothing to take before
   * it sleeps (sq_thread_idle; the kernel's default is 1 s). */
  sqThreadIdleMs?: number;
}

/** cqe->flags: the multishot request that completed is still armed. */
export const IORING_CQE_F_MORE = 1 << 1;
/** io_uring_enter flag: `fd` is an index from IORING_REGISTER_RING_FDS. */
export const IORING_ENTER_REGISTERED_RING = 1 << 4;

/** io_uring_register(2): `opcode` with its argument struct(s). */
export function ioUringRegister(
  fd: number,
  opcode: number,
  arg: Uint8Array,
  count: number,
): number {
  return check(
    "io_uring_register",
    libc.io_uring_register(SYS_io_uring_register, fd, opcode, arg, count),
    errnoCell[0],
  );
}

/** Private anonymous memory of `bytes` bytes (mmap(2)), for memory the
 * kernel reads by address; free it with {@linkcode munmapAnonymous}. */
export function mmapAnonymous(bytes: number): Deno.PointerObject {
  const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  const pointer = libc.mmap(
    null,
    BigInt(bytes),
    PROT_READ_WRITE,
    MAP_PRIVATE_ANONYMOUS,
    -1,
    0n,
  );
  const code = errnoCell[0];
  if (pointer === null || Deno.UnsafePointer.value(pointer) === MAP_FAILED) {
    throw new SyscallError("mmap", code);
  }
  return pointer;
}

/** Frees memory from {@linkcode mmapAnonymous}. */
export function munmapAnonymous(pointer: Deno.PointerObject, bytes: number) {
  libc.munmap(pointer, BigInt(bytes));
}
// #endregion
