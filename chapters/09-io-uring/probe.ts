/**
 * Probe, do not assume: which io_uring opcodes and features this kernel has.
 *
 * A kernel says what it supports in two places. io_uring_setup(2) fills in
 * `params.features` (IORING_FEAT_* bits, read by {@linkcode IoUring.setup}
 * into `ring.features`), and io_uring_register(2) with
 * IORING_REGISTER_PROBE (Linux 5.6) fills in a `struct io_uring_probe`: the
 * last opcode it knows, and one `struct io_uring_probe_op` per opcode with
 * IO_URING_OP_SUPPORTED set when it is usable (see io_uring_register(2),
 * IORING_REGISTER_PROBE). Setup flags (SQPOLL, DEFER_TASKRUN) and request
 * flags (multishot) appear in neither: the only probe for them is to ask and
 * see whether the kernel says EINVAL, which is what the servers do.
 *
 * Each server prints the form it runs as its second stdout line, after the
 * ready line, and a form it had to give up as one line that says why.
 *
 * @example
 * ```ts
 * import { IoUring } from "./io_uring.ts";
 * import { probe } from "./probe.ts";
 * import { IORING_OP_SEND_ZC } from "./zero_copy.ts";
 * const ring = IoUring.setup(8);
 * console.log(probe(ring).supports(IORING_OP_SEND_ZC));
 * ring.close();
 * ```
 *
 * @module
 */
import {
  IORING_OP_ACCEPT,
  IORING_OP_ASYNC_CANCEL,
  IORING_OP_RECV,
  IORING_OP_SEND,
  IORING_OP_TIMEOUT,
  type IoUring,
  ioUringRegister,
} from "./io_uring.ts";
import { IORING_OP_SEND_ZC } from "./zero_copy.ts";

/** io_uring_register opcode: fill in a `struct io_uring_probe` (5.6). */
const IORING_REGISTER_PROBE = 8;
/** io_uring_probe_op.flags: the opcode is supported. */
const IO_URING_OP_SUPPORTED = 1 << 0;
/** Opcodes a probe has room for: ops_len is a u8. */
const PROBE_OPS = 256;

/** The requests both echo servers make. */
export const ECHO_OPCODES: number[] = [
  IORING_OP_ACCEPT,
  IORING_OP_RECV,
  IORING_OP_SEND,
  IORING_OP_TIMEOUT,
  IORING_OP_ASYNC_CANCEL,
];

/** Opcodes by number, for messages (enum io_uring_op, <linux/io_uring.h>). */
export const OPCODE_NAMES: Record<number, string> = {
  [IORING_OP_TIMEOUT]: "IORING_OP_TIMEOUT",
  [IORING_OP_ACCEPT]: "IORING_OP_ACCEPT",
  [IORING_OP_ASYNC_CANCEL]: "IORING_OP_ASYNC_CANCEL",
  [IORING_OP_SEND]: "IORING_OP_SEND",
  [IORING_OP_RECV]: "IORING_OP_RECV",
  [IORING_OP_SEND_ZC]: "IORING_OP_SEND_ZC",
};

/** What a kernel said it supports. */
export class Support {
  constructor(
    /** The highest opcode this kernel knows. */
    readonly lastOp: number,
    /** Opcodes flagged IO_URING_OP_SUPPORTED. */
    readonly ops: ReadonlySet<number>,
    /** IORING_FEAT_* bits from io_uring_setup. */
    readonly features: number,
  ) {}

  /** Whether opcode `op` can be used. */
  supports(op: number): boolean {
    return this.ops.has(op);
  }

  /** The opcodes of `wanted` this kernel lacks, by name. */
  missing(wanted: number[]): string[] {
    return wanted.filter((op) => !this.supports(op))
      .map((op) => OPCODE_NAMES[op] ?? `opcode ${op}`);
  }
}

/** IORING_REGISTER_PROBE on `ring`: the opcodes it supports, with the
 * features io_uring_setup reported. */
export function probe(ring: IoUring): Support {
  // struct io_uring_probe { u8 last_op; u8 ops_len; u16 resv; u32 resv2[3];
  // struct io_uring_probe_op ops[]; }, each op { u8 op; u8 resv; u16 flags;
  // u32 resv2; }: 16 bytes, then 8 per opcode. The kernel wants it zeroed.
  const bytes = new Uint8Array(16 + PROBE_OPS * 8);
  ioUringRegister(ring.fd, IORING_REGISTER_PROBE, bytes, PROBE_OPS);
  return parseProbe(bytes, ring.features);
}

/** Reads a `struct io_uring_probe` the kernel filled in. */
export function parseProbe(bytes: Uint8Array, features: number): Support {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lastOp = view.getUint8(0), length = view.getUint8(1);
  const ops = new Set<number>();
  for (let i = 0; i < length; i++) {
    const at = 16 + i * 8;
    if (view.getUint16(at + 2, true) & IO_URING_OP_SUPPORTED) {
      ops.add(view.getUint8(at));
    }
  }
  return new Support(lastOp, ops, features);
}

/** Prints, after the ready line, the form a server runs as one line, and
 * one line per feature it asked for and had to do without. */
export function announceForm(form: string[], fallbacks: string[]): void {
  console.log(`io_uring form: ${form.join(", ")}`);
  for (const line of fallbacks) console.log(`io_uring fallback: ${line}`);
}
