/**
 * Zero-copy send, IORING_OP_SEND_ZC (Linux 6.0): a send whose bytes the
 * kernel does not copy into the socket's own pages but lends, page by page,
 * to the packets it builds (the network card reads them in place). Our
 * buffer is then in use for longer than the send: until every packet that
 * refers to it has been sent and acknowledged. So one request completes
 * twice, with the same user data:
 *
 * 1. the send itself: `result` bytes taken, and IORING_CQE_F_MORE when a
 *    notification will follow (io_uring_enter(2), IORING_OP_SEND_ZC);
 * 2. the notification, flagged IORING_CQE_F_NOTIF: the kernel holds no
 *    reference to the buffer any more, and it may be written again.
 *
 * With IORING_SEND_ZC_REPORT_USAGE (6.2) the notification's result says
 * whether the kernel copied after all (IORING_NOTIF_USAGE_ZC_COPIED): it
 * does for loopback, where a receiver that never reads could hold our pages
 * forever (Documentation/networking/msg_zerocopy.rst, "Loopback").
 *
 * @module
 */
import { type IoBuffer, type IoUring, ioUringRegister } from "./io_uring.ts";

/** The opcode (enum io_uring_op). */
export const IORING_OP_SEND_ZC = 47;
/** sqe->ioprio of a SEND_ZC: report in the notification whether the kernel
 * copied the bytes after all (6.2). */
export const IORING_SEND_ZC_REPORT_USAGE = 1 << 3;
/** cqe->flags of the second completion: the buffer is ours again. */
export const IORING_CQE_F_NOTIF = 1 << 3;
/** The notification's result with REPORT_USAGE: the bytes were copied. */
export const IORING_NOTIF_USAGE_ZC_COPIED = 1 << 31;

/** sqe->ioprio of a send: the buffer is registered one number buf_index
 * (5.19 for SEND_ZC), so the kernel skips pinning its pages per request. */
export const IORING_RECVSEND_FIXED_BUF = 1 << 2;
/** io_uring_register opcode: register buffers (struct iovec array). */
const IORING_REGISTER_BUFFERS = 0;

/** IORING_OP_SEND_ZC: send(fd, buffer + offset, length, flags), lending
 * the buffer until the notification (IORING_CQE_F_NOTIF) arrives. With
 * `registered`, the index {@linkcode registerBuffers} gave `buffer`. */
export function prepSendZc(
  ring: IoUring,
  fd: number,
  buffer: IoBuffer,
  offset: number,
  length: number,
  flags: number,
  userData: number,
  registered: number | null = null,
): void {
  ring.prepOp(
    IORING_OP_SEND_ZC,
    fd,
    buffer,
    offset,
    length,
    flags,
    IORING_SEND_ZC_REPORT_USAGE |
      (registered === null ? 0 : IORING_RECVSEND_FIXED_BUF),
    registered ?? 0,
    userData,
  );
}

/** IORING_REGISTER_BUFFERS (5.1): pins `buffers` once, for the ring's life;
 * buffer i is then registered buffer i. */
export function registerBuffers(ring: IoUring, buffers: IoBuffer[]): void {
  // struct iovec { void *iov_base; size_t iov_len; }, one per buffer.
  const iovecs = new BigUint64Array(buffers.length * 2);
  buffers.forEach((buffer, i) => {
    iovecs[i * 2] = BigInt(buffer.address);
    iovecs[i * 2 + 1] = BigInt(buffer.bytes.byteLength);
  });
  ioUringRegister(
    ring.fd,
    IORING_REGISTER_BUFFERS,
    new Uint8Array(iovecs.buffer),
    buffers.length,
  );
}

/** Whether a notification's result says the kernel copied the bytes. */
export function copiedAfterAll(notificationResult: number): boolean {
  return (notificationResult & IORING_NOTIF_USAGE_ZC_COPIED) !== 0;
}
